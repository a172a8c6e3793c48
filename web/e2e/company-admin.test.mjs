// The quota-request and "act as" screens as a company admin sees them (issue #14), on a server
// of its own: a company A with its company admin `ca` and a plain user `u1`, and a plain user
// `x1` of another company B. The company admin answers its company's requests only, acts as its
// company's users only, and lists its company's users only.
// With PORTAL_SCREENSHOTS=<dir> it saves a PNG of each screen there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, apiClient, launchBrowser, startServer, pageHelpers } from './harness.mjs';

let server, browser, api, ids;
const { shot, noSeriousA11y, newPage, signIn, userAction } = pageHelpers(() => browser, () => server);
const GB = 1024 ** 3;

const userLogins = (page) => page.locator('tbody tr[data-login]').evaluateAll((rows) => rows.map((r) => r.dataset.login).sort());

describe('company admin', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    api = await apiClient(server.url, 'admin', ADMIN_PASSWORD);
    // Through the API: company A with its company admin and a user, company B with a user.
    const a = await api('POST', '/companies', { name: 'Alpha' });
    const b = await api('POST', '/companies', { name: 'Beta' });
    const ca = await api('POST', '/users', { login: 'ca', password: 'ca-password-1', role: 'company_admin', company_id: a.id });
    const u1 = await api('POST', '/users', { login: 'u1', password: 'u1-password-1', company_id: a.id, quota_bytes: GB });
    const x1 = await api('POST', '/users', { login: 'x1', password: 'x1-password-1', company_id: b.id, quota_bytes: GB });
    ids = { a: a.id, b: b.id, ca: ca.id, u1: u1.id, x1: x1.id };
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('quota requests: a company admin sees and approves only its company’s; the user sees the new quota after a reload', async () => {
    // x1 (company B) asks through the API: a pending request the company admin of A must not see.
    const asX1 = await apiClient(server.url, 'x1', 'x1-password-1');
    await asX1('POST', '/me/quota-requests', { quota_bytes: 3 * GB, message: 'Beta things' });

    // u1 asks in the portal.
    const u1 = await newPage();
    await signIn(u1, 'u1', 'u1-password-1');
    await u1.getByRole('link', { name: 'Account' }).click();
    const quota = u1.getByTestId('my-quota');
    await quota.filter({ hasText: /of 1\.0 GB\.$/ }).waitFor();
    await u1.getByLabel(/^New quota/).fill('4 GB');
    await u1.getByLabel('Why (optional)').fill('Alpha archive');
    await u1.getByRole('button', { name: 'Send request' }).click();
    await u1.getByText('Your request has been sent to your admins.').waitFor();
    await u1.getByTestId('my-quota-requests').locator('tr[data-status="pending"]').waitFor();

    // The company admin: its Account screen lists u1's request and not x1's.
    const ca = await newPage();
    await signIn(ca, 'ca', 'ca-password-1');
    await ca.getByRole('link', { name: 'Account' }).click();
    const list = ca.getByTestId('quota-requests');
    const u1Row = list.locator('tr[data-login="u1"]');
    await u1Row.waitFor();
    assert.match(await u1Row.innerText(), /1\.0 GB\s+4\.0 GB\s+Alpha archive/);
    assert.deepEqual(await list.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.login)), ['u1'], 'only its company’s requests');
    assert.equal(await list.getByText('Beta things').count(), 0);
    // The system admin sees both: the list above is the company admin's reach, not an accident.
    const all = (await api('GET', '/quota-requests?status=pending')).requests.map((r) => r.user_login).sort();
    assert.deepEqual(all, ['u1', 'x1']);
    await list.getByLabel('Message to u1 (optional)').fill('Fine for the archive');
    await list.scrollIntoViewIfNeeded();
    await shot(ca, 'company-admin-quota-requests');
    await noSeriousA11y(ca);
    await list.getByRole('button', { name: 'Approve u1’s request' }).click();
    await ca.getByText('u1’s request has been approved.').waitFor();
    await u1Row.waitFor({ state: 'detached' });
    await list.getByText('No requests.').or(list.locator('tbody tr')).first().waitFor();
    await list.getByLabel('Status').selectOption('approved');
    await u1Row.filter({ hasText: 'Fine for the archive' }).waitFor();
    assert.equal(await list.locator('tr[data-login="x1"]').count(), 0);

    await u1.reload();
    await quota.filter({ hasText: /of 4\.0 GB\.$/ }).waitFor();
    await u1.getByTestId('my-quota-requests').locator('tr[data-status="approved"]').filter({ hasText: 'Fine for the archive' }).waitFor();
    const users = (await api('GET', '/users?limit=1000')).users;
    assert.equal(users.find((u) => u.login === 'u1').quota.limit_bytes, 4 * GB);
    assert.equal(users.find((u) => u.login === 'x1').quota.limit_bytes, GB, 'x1’s quota is untouched');
    // x1's request still waits, and the company admin cannot answer it through the API either.
    const x1Request = (await api('GET', '/quota-requests?status=pending')).requests.find((r) => r.user_login === 'x1');
    assert.ok(x1Request, 'x1’s request still pending');
    const asCa = await apiClient(server.url, 'ca', 'ca-password-1');
    await assert.rejects(asCa('POST', `/quota-requests/${x1Request.id}/approve`, {}), /: 40[34] /);
    assert.deepEqual(ca.cspErrors, []);
    assert.deepEqual(u1.cspErrors, []);
    await u1.context().close();
    await ca.context().close();
  });

  test('act as: a company admin lists its company’s users only and acts as one under a banner, then ends it', async () => {
    const ca = await newPage();
    await signIn(ca, 'ca', 'ca-password-1');
    const nav = ca.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Users' }).click();
    await ca.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await ca.locator('tr[data-login="u1"]').waitFor();
    assert.deepEqual(await userLogins(ca), ['ca', 'u1'], 'A’s users only: no x1, no system admin');
    await ca.getByTestId('users-total').filter({ hasText: /^2 / }).waitFor();
    await shot(ca, 'company-admin-users');
    await noSeriousA11y(ca);
    // Its own row offers nothing the server refuses an admin on itself: no "Act as", no
    // disable, no delete, and its role cannot be changed.
    await ca.getByRole('button', { name: 'Actions for ca', exact: true }).click();
    const caMenu = ca.getByRole('menu', { name: 'Actions for ca' });
    await caMenu.getByRole('menuitem', { name: 'Login key', exact: true }).waitFor();
    for (const refused of ['Act as', 'Disable', 'Delete']) assert.equal(await caMenu.getByRole('menuitem', { name: refused, exact: true }).count(), 0, refused);
    assert.ok(await ca.getByLabel('Role ca').isDisabled());
    await ca.keyboard.press('Escape');
    await caMenu.waitFor({ state: 'detached' });

    // u1's row offers them.
    assert.ok(await ca.getByLabel('Role u1').isEnabled());
    await ca.getByRole('button', { name: 'Actions for u1', exact: true }).click();
    const u1Menu = ca.getByRole('menu', { name: 'Actions for u1' });
    for (const offered of ['Act as', 'Disable', 'Delete']) await u1Menu.getByRole('menuitem', { name: offered, exact: true }).waitFor();
    await ca.keyboard.press('Escape');
    await u1Menu.waitFor({ state: 'detached' });

    await userAction(ca, 'u1', 'Act as');
    const banner = ca.getByTestId('acting-banner');
    await banner.filter({ hasText: 'Acting as u1 —' }).waitFor();
    assert.equal(await ca.locator('.who .who-login').innerText(), 'u1');
    assert.equal(await nav.getByRole('link', { name: 'Users' }).count(), 0);
    await ca.reload();
    await banner.waitFor();
    await ca.getByRole('link', { name: 'Account' }).click();
    await ca.getByTestId('my-quota').filter({ hasText: /of 4\.0 GB\.$/ }).waitFor();
    await ca.getByTestId('acting-limits').waitFor();
    assert.equal(await ca.getByRole('button', { name: 'Change password' }).count(), 0);
    await noSeriousA11y(ca);

    // The audit: the start by ca on u1, and the act-as session's own events carry ca's id.
    const started = (await api('GET', '/audit/events?action=auth.impersonation_started')).events;
    assert.equal(started.length, 1, JSON.stringify(started));
    assert.equal(started[0].actor?.login, 'ca');
    assert.deepEqual(started[0].target, { type: 'user', id: ids.u1 });
    assert.equal(started[0].outcome, 'success');
    const logins = (await api('GET', `/audit/events?action=auth.login&target=${ids.u1}`)).events;
    const opened = logins.find((e) => e.details?.via === 'impersonation');
    assert.ok(opened, `the act-as session is audited: ${JSON.stringify(logins)}`);
    assert.equal(opened.details.impersonated_by, ids.ca);

    await ca.getByRole('button', { name: 'end', exact: true }).click();
    await banner.waitFor({ state: 'detached' });
    await ca.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    assert.equal(await ca.locator('.who .who-login').innerText(), 'ca');
    await ca.locator('tr[data-login="u1"]').waitFor();
    assert.deepEqual(await userLogins(ca), ['ca', 'u1']);

    // The server agrees: x1 is out of ca's reach for acting as, too.
    const asCa = await apiClient(server.url, 'ca', 'ca-password-1');
    await assert.rejects(asCa('POST', `/users/${ids.x1}/impersonate`), /: 404 /);
    assert.deepEqual(ca.cspErrors, []);
    await ca.context().close();
  });
});
