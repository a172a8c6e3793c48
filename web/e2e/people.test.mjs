// The portal's people screens against a real server that takes sign-ups for approval
// (accounts.registration = "approval"): self-registration with the mailed link, the admin's
// sign-ups screen, and a company's directory with access requests answered in the share dialog.
// With PORTAL_SCREENSHOTS=<dir> it saves a PNG of each screen there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, apiClient, launchBrowser, mailText, startServer, startSmtpSink, pageHelpers } from './harness.mjs';

let server, smtp, browser, api;
const { shot, noSeriousA11y, newPage, signIn, userAction } = pageHelpers(() => browser, () => server);

/** The confirmation link of the newest sign-up mail to `to`. */
async function confirmationLink(to) {
  const mail = await smtp.next((m) => m.to.includes(to));
  const text = mailText(mail.raw);
  const link = /(https?:\/\/\S+?\/register\?token=[0-9a-f]{64})/.exec(text)?.[1];
  assert.ok(link?.startsWith(server.url + '/register?token='), `a confirmation link in the mail: ${text.slice(0, 2000)}`);
  return link;
}

const register = (body) => fetch(`${server.url}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const login = (l, password) => fetch(`${server.url}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: l, password }) });

describe('people', () => {
  before(async () => {
    smtp = await startSmtpSink();
    server = await startServer({ FERRY_MAIL__SMTP_URL: smtp.url, FERRY_MAIL__SEND_INTERVAL_MS: '200', FERRY_ACCOUNTS__REGISTRATION: 'approval' });
    browser = await launchBrowser();
    api = await apiClient(server.url, 'admin', ADMIN_PASSWORD);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await smtp?.close();
  });

  test('sign up: the mailed link confirms the address, an admin approves, the person signs in', async () => {
    const page = await newPage({ width: 360, height: 740 });
    await page.goto(server.url + '/');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create an account' }).waitFor();
    await noSeriousA11y(page);
    await page.getByLabel('E-mail address').fill('nina@example.com');
    await page.getByLabel('Your name (optional)').fill('Nina Newcomer');
    await page.getByLabel('Password', { exact: true }).fill('nina-password-1');
    await page.getByLabel('Password again').fill('nina-password-2');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('alert').filter({ hasText: 'The two passwords differ.' }).waitFor();
    await page.getByLabel('Password again').fill('nina-password-1');
    await shot(page, 'register');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByText(/^Check your mail: if nina@example\.com can have an account here/).waitFor();
    await noSeriousA11y(page);

    // The link in the mail: the address is confirmed, and the sign-up waits for an admin.
    const link = await confirmationLink('nina@example.com');
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Confirm your account' }).waitFor();
    await page.getByText(/^Your address is confirmed\. An administrator now looks at your sign-up/).waitFor();
    assert.equal(new URL(page.url()).search, '', 'the used token leaves the address bar');
    await shot(page, 'register-confirmed');
    await noSeriousA11y(page);
    assert.equal((await login('nina@example.com', 'nina-password-1')).status, 401, 'no account before the approval');
    // The link works once.
    await page.goto(link);
    await page.getByRole('alert').filter({ hasText: 'This link is wrong, expired or already used.' }).waitFor();

    // A second person signs up (through the API); the admin approves one and denies the other.
    assert.equal((await register({ login: 'otto@example.com', password: 'otto-password-1' })).status, 202);
    const ottoToken = new URL(await confirmationLink('otto@example.com')).searchParams.get('token');
    const confirmed = await fetch(`${server.url}/api/v1/auth/register/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ottoToken }) });
    assert.equal((await confirmed.json()).status, 'pending');

    const admin = await newPage();
    await signIn(admin, 'admin', ADMIN_PASSWORD);
    // Each confirmed sign-up is a notice in the admins' inbox, with the way to the sign-ups.
    await admin.getByRole('link', { name: 'Inbox' }).click();
    await admin.getByText('nina@example.com signed up and waits for approval:').waitFor();
    await admin.getByRole('row').filter({ hasText: 'otto@example.com signed up' }).getByRole('link', { name: 'Sign-ups' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Sign-ups' }).waitFor();
    const list = admin.getByTestId('registrations');
    await list.locator('tr[data-login="nina@example.com"][data-status="pending"]').getByRole('cell', { name: 'Nina Newcomer' }).waitFor();
    await list.locator('tr[data-login="otto@example.com"]').waitFor();
    await shot(admin, 'admin-registrations');
    await noSeriousA11y(admin);
    await admin.getByRole('button', { name: 'Approve the sign-up of nina@example.com' }).click();
    await admin.getByText('nina@example.com has been approved: the account exists now.').waitFor();
    await list.locator('tr[data-login="nina@example.com"]').waitFor({ state: 'detached' });
    await admin.getByRole('button', { name: 'Deny the sign-up of otto@example.com' }).click();
    await admin.getByText('otto@example.com has been denied.').waitFor();
    await admin.getByText('No sign-ups.').waitFor();
    await admin.getByLabel('Status').selectOption('approved');
    await admin.locator('tr[data-login="nina@example.com"][data-status="approved"]').waitFor();
    const decided = (await api('GET', '/registrations')).registrations;
    assert.equal(decided.find((r) => r.login === 'otto@example.com').status, 'denied');
    assert.equal((await login('otto@example.com', 'otto-password-1')).status, 401);
    await admin.context().close();

    // Nina signs in with her address and password.
    await page.getByRole('link', { name: 'Sign up again' }).click();
    await page.getByRole('link', { name: 'I have an account: sign in' }).click();
    await page.getByLabel('Login').fill('nina@example.com');
    await page.getByLabel('Password').fill('nina-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.deepEqual(page.cspErrors, []);
    await page.context().close();
  });

  test('the directory: a member asks for access to a folder shown to the company, its owner approves or denies in the share dialog', async () => {
    const initech = await api('POST', '/companies', { name: 'Initech' });
    for (const who of ['ann', 'ben', 'cleo']) await api('POST', '/users', { login: who, password: `${who}-password-1`, company_id: initech.id });
    const asAnn = await apiClient(server.url, 'ann', 'ann-password-1');
    const handbook = await asAnn('POST', '/folders', { name: 'Handbook', description: 'Policies and onboarding' });
    await asAnn('POST', '/folders', { name: 'Private notes' });

    // Ann shows the folder to her company from its share dialog.
    const ann = await newPage();
    await signIn(ann, 'ann', 'ann-password-1');
    await ann.getByRole('link', { name: 'Handbook', exact: true }).click();
    await ann.getByRole('heading', { level: 1, name: 'Handbook' }).waitFor();
    await ann.getByRole('button', { name: 'Share', exact: true }).click();
    const share = ann.getByRole('dialog');
    await share.getByLabel('Who sees this folder').selectOption('company');
    await share.getByText('Saved.').waitFor();
    await share.getByText('No requests waiting.').waitFor();
    assert.equal((await asAnn('GET', `/folders/${handbook.id}`)).visibility, 'company');
    await ann.keyboard.press('Escape');

    // Ben finds it in the directory (at 360 px) and asks to edit it.
    const ben = await newPage({ width: 360, height: 740 });
    await signIn(ben, 'ben', 'ben-password-1');
    await ben.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Directory' }).click();
    await ben.getByRole('heading', { level: 1, name: 'Directory' }).waitFor();
    const directory = ben.getByTestId('directory');
    const row = directory.locator('tr[data-name="Handbook"]');
    await row.getByRole('cell', { name: 'ann', exact: true }).waitFor();
    assert.equal(await directory.locator('tr[data-name="Private notes"]').count(), 0, 'a private folder is not listed');
    const search = ben.getByRole('search', { name: 'Search the directory' }).getByLabel('Name, description or owner');
    await search.fill('nothing like it');
    await ben.getByText('Nothing found.').waitFor();
    await search.fill('onboarding');
    await row.waitFor();
    await shot(ben, 'directory');
    await noSeriousA11y(ben);
    await ben.getByRole('button', { name: 'Request access to Handbook' }).click();
    const ask = ben.getByRole('dialog');
    await ask.getByLabel('Access you ask for').selectOption('editor');
    await ask.getByLabel('Message (optional)').fill('For the onboarding pages');
    await shot(ben, 'directory-request');
    await noSeriousA11y(ben);
    await ask.getByRole('button', { name: 'Send request' }).click();
    await ben.getByText('Your request for “Handbook” has been sent.').waitFor();
    await row.getByTestId('request-pending').waitFor();
    assert.equal(await ben.getByRole('button', { name: 'Request access to Handbook' }).count(), 0);

    // Cleo asks too (through the API).
    const asCleo = await apiClient(server.url, 'cleo', 'cleo-password-1');
    await asCleo('POST', `/folders/${handbook.id}/access-requests`, {});

    // Ann: a notice in her inbox, the requests in the share dialog; she approves Ben, denies Cleo.
    await ann.getByRole('link', { name: 'Inbox' }).click();
    await ann.getByText('ben asks for access to “Handbook” as editor.').waitFor();
    await ann.goBack();
    await ann.getByRole('heading', { level: 1, name: 'Handbook' }).waitFor();
    await ann.getByRole('button', { name: 'Share', exact: true }).click();
    const requests = ann.getByTestId('access-requests');
    await requests.locator('li[data-login="ben"]').getByText('“For the onboarding pages”').waitFor();
    await requests.locator('li[data-login="cleo"]').getByText('cleo asks for access as viewer.').waitFor();
    await shot(ann, 'access-requests');
    await noSeriousA11y(ann);
    await requests.getByRole('button', { name: 'Approve the request of ben' }).click();
    await requests.getByText('ben has access now.').waitFor();
    await requests.locator('li[data-login="ben"]').waitFor({ state: 'detached' });
    assert.equal(await ann.getByRole('dialog').getByLabel('Role ben').inputValue(), 'editor');
    await requests.getByRole('button', { name: 'Deny the request of cleo' }).click();
    await requests.getByText('cleo’s request has been denied.').waitFor();
    await requests.getByText('No requests waiting.').waitFor();
    const all = (await asAnn('GET', `/folders/${handbook.id}/access-requests`)).requests;
    assert.deepEqual(all.map((r) => [r.user.login, r.status, r.role]), [['ben', 'approved', 'editor'], ['cleo', 'denied', 'viewer']]);
    await ann.keyboard.press('Escape');

    // Ben now holds the folder: the directory says so and links to it; it is in his folders.
    await ben.reload();
    await row.getByText('you are editor').waitFor();
    await row.getByRole('link', { name: 'Handbook' }).click();
    await ben.getByRole('heading', { level: 1, name: 'Handbook' }).waitFor();
    await ben.getByRole('link', { name: 'Inbox' }).click();
    await ben.getByText('Your request for “Handbook” was approved: it is in your folders.').waitFor();
    await ben.getByRole('link', { name: 'Files' }).click();
    await ben.getByRole('link', { name: 'Handbook', exact: true }).waitFor();
    // Cleo may ask again: the directory offers it.
    const cleo = await newPage();
    await signIn(cleo, 'cleo', 'cleo-password-1');
    await cleo.getByRole('link', { name: 'Directory' }).click();
    await cleo.getByRole('button', { name: 'Request access to Handbook' }).waitFor();
    for (const p of [ann, ben, cleo]) { assert.deepEqual(p.cspErrors, []); await p.context().close(); }
  });
});
