// Profile pictures and company logos in the portal against a real server: a user uploads a
// picture on the Account screen (a non-image and one over 5 MiB refused in words) and sees it
// in the header; an admin sets and removes one from the users list; a colleague sees it beside
// the collaborator in the share dialog; an admin uploads a company logo, which an anonymous
// visitor of a member's link sees on its landing page. The pictures are PNGs drawn on a canvas
// in the page. With PORTAL_SCREENSHOTS=<dir> it saves a PNG of each screen there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, apiClient, launchBrowser, startServer, pageHelpers } from './harness.mjs';

let server, browser, api, company, pia;
const { shot, noSeriousA11y, newPage, signIn, userAction } = pageHelpers(() => browser, () => server);
const MiB = 1024 * 1024;

/** A PNG drawn on a canvas in the page: `colour` with a white square in the middle. */
async function canvasPng(page, w, h, colour) {
  const data = await page.evaluate(([w, h, colour]) => {
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const g = c.getContext('2d');
    g.fillStyle = colour; g.fillRect(0, 0, w, h);
    g.fillStyle = '#ffffff'; g.fillRect(w / 4, h / 4, w / 2, h / 2);
    return c.toDataURL('image/png');
  }, [w, h, colour]);
  assert.match(data, /^data:image\/png;base64,/);
  return Buffer.from(data.split(',')[1], 'base64');
}

/** Waits until an <img> has loaded; gives its natural size and the colour of a pixel near its corner. */
async function loaded(img) {
  await img.waitFor();
  await img.page().waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
  return img.evaluate((el) => {
    const c = document.createElement('canvas');
    c.width = el.naturalWidth; c.height = el.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(el, 0, 0);
    return { width: el.naturalWidth, height: el.naturalHeight, corner: Array.from(g.getImageData(1, 1, 1, 1).data.slice(0, 3)), src: el.src };
  });
}

const near = (rgb, want) => rgb.every((v, i) => Math.abs(v - want[i]) <= 8);

describe('pictures', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    api = await apiClient(server.url, 'admin', ADMIN_PASSWORD);
    company = await api('POST', '/companies', { name: 'Initech', branding: { display_name: 'Initech Ltd', accent_color: '#7c3aed' } });
    pia = await api('POST', '/users', { login: 'pia', name: 'Pia Picture', password: 'pia-password-1', company_id: company.id });
    await api('POST', '/users', { login: 'milo', name: 'Milo Member', password: 'milo-password-1', company_id: company.id });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a user uploads a profile picture (a non-image and one over 5 MiB refused in words), sees it in the header, and removes it', async () => {
    const page = await newPage({ width: 360, height: 740 });
    await signIn(page, 'pia', 'pia-password-1');
    // No picture yet: the initials of the name.
    const header = page.getByTestId('me-avatar');
    await header.and(page.locator('[data-avatar="initials"]')).waitFor();
    assert.equal(await header.innerText(), 'PP');
    await page.getByRole('link', { name: 'Account' }).click();
    const editor = page.getByRole('form', { name: 'Your picture' });
    await editor.waitFor();
    const chooser = editor.getByLabel('Choose a picture');
    const upload = editor.getByRole('button', { name: 'Upload' });
    assert.equal(await upload.isDisabled(), true, 'nothing chosen yet');
    // The chooser says what it takes (its description).
    assert.match(await chooser.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')).textContent), /PNG, JPEG, WebP or GIF, at most 5 MiB/);
    assert.equal(await editor.getByRole('button', { name: 'Remove' }).count(), 0);

    // Not an image: the server's invalid_image, in words.
    await chooser.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture at all') });
    await upload.click();
    await editor.getByRole('alert').filter({ hasText: 'notes.txt is not a picture Ferry can read: choose a PNG, JPEG, WebP or GIF image.' }).waitFor();
    // Larger than 5 MiB: the server refuses it (413 payload_too_large) before reading it.
    const huge = Buffer.alloc(5 * MiB + 1024, 7);
    (await canvasPng(page, 8, 8, '#000000')).copy(huge);
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/me/picture') && r.request().method() === 'PUT').then((r) => r.status(), () => 'no response');
    await chooser.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: huge });
    await upload.click();
    await editor.getByRole('alert').filter({ hasText: 'huge.png is larger than 5 MiB: choose a smaller picture.' }).waitFor();
    const status = await refused;
    assert.ok(status === 413 || status === 'no response', `413 or a connection the server ended early, not ${status}`);
    assert.equal((await api('GET', `/users/${pia.id}`)).picture_url, null);

    // A real picture: previewed, uploaded, shown here and in the header.
    const png = await canvasPng(page, 300, 200, '#c00000');
    await chooser.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
    const preview = await loaded(editor.getByTestId('image-preview'));
    assert.deepEqual([preview.width, preview.height], [300, 200]);
    assert.ok(preview.src.startsWith('blob:'));
    await upload.click();
    await editor.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const big = await loaded(page.getByTestId('account-avatar').locator('img'));
    assert.deepEqual([big.width, big.height], [256, 256], 'the server’s 256 px square (the centre of the picture)');
    assert.ok(near(big.corner, [192, 0, 0]), `red at the corner: ${big.corner}`);
    const small = await loaded(header.locator('img'));
    assert.deepEqual([small.width, small.height], [64, 64]);
    assert.ok(small.src.startsWith('blob:'), 'fetched with the token, shown from a blob: URL');
    assert.ok(near(small.corner, [192, 0, 0]));
    assert.match((await api('GET', `/users/${pia.id}`)).picture_url, /^\/api\/v1\/users\/usr_[^/]+\/picture\?v=/);
    await shot(page, 'account-picture');
    await noSeriousA11y(page);

    // After a reload the session learns the picture from /me again.
    await page.reload();
    await loaded(page.getByTestId('me-avatar').locator('img'));

    // Removed: the initials come back, here and in the header.
    await editor.getByRole('button', { name: 'Remove' }).click();
    await editor.getByRole('status').filter({ hasText: 'Removed.' }).waitFor();
    await page.getByTestId('me-avatar').and(page.locator('[data-avatar="initials"]')).waitFor();
    await page.getByTestId('account-avatar').and(page.locator('[data-avatar="initials"]')).waitFor();
    assert.equal((await api('GET', `/users/${pia.id}`)).picture_url, null);

    // And set again for the next tests, by keyboard: Tab from the chooser reaches Upload.
    await chooser.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
    await chooser.focus();
    await page.keyboard.press('Tab');
    assert.equal(await upload.evaluate((el) => el === document.activeElement), true);
    await page.keyboard.press('Enter');
    await loaded(page.getByTestId('me-avatar').locator('img'));
    assert.deepEqual(page.cspErrors, []);
    await page.context().close();
  });

  test('an admin sets and removes a user’s picture from the users list’s actions menu', async () => {
    const admin = await newPage();
    await signIn(admin, 'admin', ADMIN_PASSWORD);
    await admin.getByRole('link', { name: 'Users' }).click();
    const row = (login) => admin.locator(`tr[data-login="${login}"]`);
    // Pia's picture beside her login; Milo has none: his initials.
    const piaPicture = await loaded(row('pia').locator('[data-avatar="picture"] img'));
    assert.ok(near(piaPicture.corner, [192, 0, 0]));
    assert.equal(await row('milo').locator('[data-avatar="initials"]').innerText(), 'MM');
    await userAction(admin, 'milo', 'Set picture');
    const dialog = admin.getByRole('dialog', { name: 'Picture of milo' });
    const png = await canvasPng(admin, 64, 64, '#0000c0');
    await dialog.getByLabel('Choose a picture').setInputFiles({ name: 'milo.png', mimeType: 'image/png', buffer: png });
    await loaded(dialog.getByTestId('image-preview'));
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const inDialog = await loaded(dialog.locator('[data-avatar="picture"] img'));
    assert.ok(near(inDialog.corner, [0, 0, 192]), `blue: ${inDialog.corner}`);
    await shot(admin, 'admin-user-picture');
    await noSeriousA11y(admin);
    await admin.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await loaded(row('milo').locator('[data-avatar="picture"] img'));
    // The menu offers Remove picture only for a user who has one; it removes it.
    await admin.getByRole('button', { name: 'Actions for admin', exact: true }).click();
    assert.equal(await admin.getByRole('menuitem', { name: 'Remove picture' }).count(), 0);
    await admin.keyboard.press('Escape');
    await userAction(admin, 'milo', 'Remove picture');
    await admin.getByRole('status').filter({ hasText: 'The picture of milo is removed.' }).waitFor();
    await row('milo').locator('[data-avatar="initials"]').waitFor();
    assert.equal((await api('GET', '/users?q=milo')).users[0].picture_url, null);
    await noSeriousA11y(admin);
    assert.deepEqual(admin.cspErrors, []);
    await admin.context().close();
  });

  test('a colleague sees the picture beside the collaborator in the share dialog; someone without one shows initials', async () => {
    const milo = await apiClient(server.url, 'milo', 'milo-password-1');
    await milo('POST', '/folders', { name: 'Initech plans' });
    const page = await newPage({ width: 360, height: 740 });
    await signIn(page, 'milo', 'milo-password-1');
    await page.getByRole('link', { name: 'Initech plans', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Initech plans' }).waitFor();
    await page.getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Login or user id').fill('pia');
    await dialog.getByRole('button', { name: 'Invite' }).click();
    const piaRow = dialog.getByRole('row').filter({ hasText: 'pia' });
    const seen = await loaded(piaRow.locator('[data-avatar="picture"] img'));
    assert.ok(near(seen.corner, [192, 0, 0]), `Pia’s red picture: ${seen.corner}`);
    // The admin is no member of the company: their picture (none anyway) shows as initials.
    await dialog.getByLabel('Login or user id').fill('admin');
    await dialog.getByRole('button', { name: 'Invite' }).click();
    await dialog.getByRole('row').filter({ hasText: 'admin' }).locator('[data-avatar="initials"]').waitFor();
    await shot(page, 'share-avatars');
    await noSeriousA11y(page);
    assert.deepEqual(page.cspErrors, []);
    await page.context().close();
  });

  test('an admin uploads a company logo; an anonymous visitor of a member’s link sees it beside the company name', async () => {
    const admin = await newPage();
    await signIn(admin, 'admin', ADMIN_PASSWORD);
    await admin.getByRole('link', { name: 'Companies' }).click();
    await admin.getByRole('button', { name: 'Logo Initech', exact: true }).click();
    const dialog = admin.getByRole('dialog', { name: 'Logo of Initech' });
    await dialog.getByText('No logo').waitFor();
    const png = await canvasPng(admin, 240, 80, '#7c3aed');
    await dialog.getByLabel('Choose a logo').setInputFiles({ name: 'initech.png', mimeType: 'image/png', buffer: png });
    await loaded(dialog.getByTestId('image-preview'));
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const current = await loaded(dialog.getByRole('img', { name: 'Logo of Initech' }));
    assert.deepEqual([current.width, current.height], [240, 80], 'the aspect is kept');
    await shot(admin, 'admin-company-logo');
    await noSeriousA11y(admin);
    await admin.keyboard.press('Escape');
    await loaded(admin.locator('tr[data-company="Initech"] .logo img'));
    const saved = await api('GET', `/companies/${company.id}`);
    assert.match(saved.branding.logo_url, new RegExp(`^/api/v1/companies/${company.id}/logo\\?v=`));

    // A member makes an upload link; its landing page shows the logo to anyone.
    const milo = await apiClient(server.url, 'milo', 'milo-password-1');
    const folder = await milo('POST', '/folders', { name: 'Initech inbox' });
    const link = await milo('POST', `/folders/${folder.id}/upload-link`, {});
    const token = new URL(link.url).pathname.split('/').filter(Boolean).pop();
    const visitor = await newPage({ width: 360, height: 740 });
    await visitor.goto(`${server.url}/s/${token}`);
    await visitor.getByRole('heading', { name: 'Send files to “Initech inbox”' }).waitFor();
    const logo = visitor.getByTestId('landing-logo');
    const shown = await loaded(logo);
    assert.ok(shown.width > 0);
    assert.deepEqual([shown.width, shown.height], [240, 80]);
    assert.ok(near(shown.corner, [124, 58, 237]), `the logo’s colour: ${shown.corner}`);
    assert.ok(new URL(shown.src).pathname.startsWith(`/api/v1/links/${token}/logo`), shown.src);
    // Beside the company's name, inside the 360 px card.
    const name = visitor.getByTestId('landing-brand');
    assert.equal(await name.innerText(), 'Initech Ltd');
    const [a, b] = [await logo.boundingBox(), await name.boundingBox()];
    assert.ok(a.x + a.width <= b.x && Math.abs((a.y + a.height / 2) - (b.y + b.height / 2)) < 24, `logo left of the name: ${JSON.stringify([a, b])}`);
    assert.ok(a.x >= 0 && a.x + a.width <= 360);
    await shot(visitor, 'landing-logo');
    await noSeriousA11y(visitor);
    assert.deepEqual(visitor.cspErrors, []);

    // Removed: the landing page shows the name and colour only.
    await admin.getByRole('button', { name: 'Logo Initech', exact: true }).click();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Removed.' }).waitFor();
    await dialog.getByText('No logo').waitFor();
    await visitor.reload();
    await visitor.getByRole('heading', { name: 'Send files to “Initech inbox”' }).waitFor();
    assert.equal(await visitor.getByTestId('landing-brand').innerText(), 'Initech Ltd');
    assert.equal(await visitor.locator('img').count(), 0);
    assert.deepEqual(admin.cspErrors, []);
    await visitor.context().close();
    await admin.context().close();
  });

  test('a company admin uploads its own company’s logo on the Company screen', async () => {
    await api('POST', '/users', { login: 'cora', password: 'cora-password-1', role: 'company_admin', company_id: company.id });
    const page = await newPage({ width: 360, height: 740 });
    await signIn(page, 'cora', 'cora-password-1');
    await page.getByRole('link', { name: 'Company', exact: true }).click();
    const editor = page.getByRole('form', { name: 'Logo of Initech' });
    await editor.getByLabel('Choose a logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: await canvasPng(page, 120, 120, '#047857') });
    await editor.getByRole('button', { name: 'Upload' }).click();
    await editor.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const shown = await loaded(editor.getByRole('img', { name: 'Logo of Initech' }));
    assert.ok(near(shown.corner, [4, 120, 87]), `green: ${shown.corner}`);
    await noSeriousA11y(page);
    assert.deepEqual(page.cspErrors, []);
    await page.context().close();
  });
});
