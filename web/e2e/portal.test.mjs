// The portal in Chromium against a real server: sign-in, folders, resumable uploads (with a
// reload in the middle), rename/move/delete/restore, links with password and download limits,
// upload links, admin disabling a user, search, and axe-core on every main screen.
// Run: npm run e2e (needs target/debug/ferry; FERRY_BIN overrides it). With
// PORTAL_SCREENSHOTS=<dir> it saves a PNG of each main screen there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import decodeQR from 'qr/decode.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PASSWORD, apiClient, launchBrowser, mailText, sha256, sha256File, startServer, startSmtpSink, pageHelpers } from './harness.mjs';

const MiB = 1024 * 1024;
let server, smtp, browser, admin, bob, api, files, folderLinkUrl;
const { shot, noSeriousA11y, newPage, signIn, userAction } = pageHelpers(() => browser, () => server);

async function openFolder(page, name) {
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
}

function row(page, name) {
  return page.getByRole('row').filter({ has: page.getByText(name, { exact: true }) });
}

async function select(page, name) {
  await page.getByRole('checkbox', { name: `Select ${name}`, exact: true }).check();
}

async function createLink(page, fileName, { password, max } = {}) {
  await select(page, fileName);
  await page.getByRole('button', { name: 'Link', exact: true }).click();
  if (password) await page.getByLabel('Password (optional)').fill(password);
  if (max) await page.getByLabel(/Maximum downloads/).fill(String(max));
  await page.getByRole('button', { name: 'Create link' }).click();
  const url = await page.getByTestId('link-url').inputValue();
  await page.keyboard.press('Escape');
  await select(page, fileName).catch(() => undefined);
  await page.getByRole('checkbox', { name: `Select ${fileName}`, exact: true }).uncheck();
  return url;
}

/** A real PNG of w × h pixels (a colour gradient), for thumbnails. */
function makePng(w, h) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8); head.writeUInt32BE(data.length); head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])));
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const rows = [];
  for (let y = 0; y < h; y++) {
    const line = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) { line[1 + x * 3] = (x * 255) / w; line[2 + x * 3] = (y * 255) / h; line[3 + x * 3] = 160; }
    rows.push(line);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) for a base32 secret, `steps` steps from now. */
function totp(secret, steps) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + steps));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = mac[19] & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1000000).padStart(6, '0');
}

describe('portal', () => {
  before(async () => {
    smtp = await startSmtpSink();
    server = await startServer({ FERRY_MAIL__SMTP_URL: smtp.url, FERRY_MAIL__SEND_INTERVAL_MS: '200' });
    browser = await launchBrowser();
    api = await apiClient(server.url, 'admin', ADMIN_PASSWORD);
    files = mkdtempSync(join(tmpdir(), 'ferry-e2e-files-'));
    admin = await newPage();
  });
  after(async () => {
    if (admin) assert.deepEqual(admin.cspErrors, [], 'no Content-Security-Policy violation');
    await browser?.close();
    await server?.stop();
    await smtp?.close();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  test('the server keeps its routes: unknown /api paths answer JSON 404, the app gets a strict CSP', async () => {
    const api404 = await fetch(`${server.url}/api/v1/nope`);
    assert.equal(api404.status, 404);
    assert.equal((await api404.json()).error.code, 'not_found');
    const d404 = await fetch(`${server.url}/d/whatever/deeper`);
    assert.equal(d404.status, 404);
    assert.equal((await fetch(`${server.url}/some/app/route`)).status, 404, 'not a browser: JSON 404');
    const index = await fetch(`${server.url}/some/app/route`, { headers: { Accept: 'text/html' } });
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-security-policy'), /script-src 'self'/);
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)[1];
    const js = await fetch(server.url + asset, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control'), /immutable/);
    assert.equal(js.headers.get('content-encoding'), 'gzip');
    // The gzipped copy the build wrote says the same as the file it stands for.
    const plain = await fetch(server.url + asset, { headers: { 'Accept-Encoding': 'identity' } });
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.equal(await js.text(), await plain.text());
  });

  test('sign in', async () => {
    await admin.goto(server.url + '/');
    await shot(admin, 'sign-in');
    await noSeriousA11y(admin);
    await admin.getByLabel('Login').fill('admin');
    await admin.getByLabel('Password').fill('wrong-password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('alert').filter({ hasText: 'Wrong login or password.' }).waitFor();
    await signIn(admin, 'admin', ADMIN_PASSWORD);
  });

  test('create a folder', async () => {
    await admin.getByRole('button', { name: 'New folder' }).click();
    await admin.getByLabel('Folder name').fill('Projects');
    await admin.getByRole('button', { name: 'Create' }).click();
    await openFolder(admin, 'Projects');
  });

  test('upload a 50 MiB file and a folder of 20 files', async () => {
    const big = join(files, 'big.bin');
    writeFileSync(big, randomBytes(50 * MiB));
    await admin.getByTestId('file-input').setInputFiles(big);
    const dir = join(files, 'batch');
    mkdirSync(join(dir, 'inner'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, i < 10 ? '' : 'inner', `note-${i}.txt`), `note ${i}\n`);
    await admin.getByTestId('dir-input').setInputFiles(dir);
    await admin.locator('.upload-panel li[data-status="done"]').nth(20).waitFor({ timeout: 120_000 });
    await shot(admin, 'uploads');
    await row(admin, 'big.bin').waitFor();
    await row(admin, 'big.bin').getByRole('button', { name: 'big.bin' }).click();
    assert.equal(await admin.getByTestId('sha256').textContent(), sha256File(big));
    await shot(admin, 'file-details');
    await noSeriousA11y(admin);
    await admin.keyboard.press('Escape');
    await openFolder(admin, 'batch');
    await admin.getByRole('link', { name: 'inner', exact: true }).waitFor();
    assert.equal(await admin.getByRole('button', { name: /^note-\d+\.txt$/ }).count(), 10);
    await openFolder(admin, 'inner');
    assert.equal(await admin.getByRole('button', { name: /^note-\d+\.txt$/ }).count(), 10);
    await admin.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Projects' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Projects' }).waitFor();
    await admin.getByRole('button', { name: 'Clear finished' }).click();
  });

  test('a reload in the middle of an upload resumes it and the file verifies', async () => {
    const path = join(files, 'resume.bin');
    writeFileSync(path, randomBytes(40 * MiB)); // 5 parts of 8 MiB
    const partNo = (url) => Number(/\/parts\/(\d+)$/.exec(url)?.[1]);
    // The first two parts go through; the others are held until the reload cuts them off.
    const passed = [];
    const held = [];
    let holding = true;
    await admin.route('**/api/v1/uploads/*/parts/*', async (route) => {
      if (holding && passed.length < 2) { passed.push(partNo(route.request().url())); await route.continue(); return; }
      if (holding) { held.push(route); return; }
      await route.continue();
    });
    const created = admin.waitForResponse((r) => r.url().endsWith('/api/v1/uploads') && r.request().method() === 'POST');
    const twoParts = new Promise((res) => {
      let n = 0;
      const on = (r) => { if (/\/parts\/\d+$/.test(r.url()) && r.status() === 200 && ++n === 2) { admin.off('response', on); res(); } };
      admin.on('response', on);
    });
    await admin.getByTestId('file-input').setInputFiles(path);
    const uploadId = (await (await created).json()).upload_id;
    await twoParts;
    const before = await api('GET', `/uploads/${uploadId}`);
    assert.deepEqual([...before.received_parts].sort(), [...passed].sort());
    holding = false;
    const resent = new Set();
    const onRequest = (r) => { if (r.url().includes(`/uploads/${uploadId}/parts/`)) resent.add(partNo(r.url())); };
    admin.on('request', onRequest);
    await admin.reload();
    await admin.locator('.upload-panel li[data-status="done"]').filter({ hasText: 'resume.bin' }).waitFor({ timeout: 60_000 });
    admin.off('request', onRequest);
    await admin.unroute('**/api/v1/uploads/*/parts/*');
    for (const route of held) await route.abort().catch(() => undefined);
    const missing = [1, 2, 3, 4, 5].filter((n) => !passed.includes(n));
    assert.deepEqual([...resent].sort(), missing, 'only the parts the server did not have are sent again');
    await row(admin, 'resume.bin').getByRole('button', { name: 'resume.bin' }).click();
    assert.equal(await admin.getByTestId('sha256').textContent(), sha256File(path));
    await admin.keyboard.press('Escape');
    await admin.getByRole('button', { name: 'Clear finished' }).click();
  });

  test('rename, move, delete and restore', async () => {
    await admin.getByRole('button', { name: 'New folder' }).click();
    await admin.getByLabel('Folder name').fill('Archive');
    await admin.getByRole('button', { name: 'Create' }).click();
    await row(admin, 'Archive').waitFor();
    await select(admin, 'resume.bin');
    await admin.getByRole('button', { name: 'Rename' }).click();
    await admin.getByLabel('New name').fill('renamed.bin');
    await admin.getByRole('dialog').getByRole('button', { name: 'Rename' }).click();
    await row(admin, 'renamed.bin').waitFor();
    await select(admin, 'renamed.bin');
    await admin.getByRole('button', { name: 'Move' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Projects' }).click();
    await dialog.getByRole('button', { name: 'Archive' }).click();
    await shot(admin, 'move-picker');
    await dialog.getByRole('button', { name: /Choose this folder/ }).click();
    await row(admin, 'renamed.bin').waitFor({ state: 'detached' });
    await openFolder(admin, 'Archive');
    await select(admin, 'renamed.bin');
    await admin.getByRole('button', { name: 'Delete' }).click();
    await admin.getByText('1 item(s) moved to the trash.').waitFor();
    await admin.getByRole('link', { name: 'Trash' }).click();
    await row(admin, 'renamed.bin').waitFor();
    await shot(admin, 'trash');
    await noSeriousA11y(admin);
    await admin.getByRole('button', { name: 'Restore renamed.bin' }).click();
    await admin.getByText('The trash is empty.').waitFor();
    await admin.goBack();
    await row(admin, 'renamed.bin').waitFor();
    await admin.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Projects' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Projects' }).waitFor();
  });

  test('a link with a password: a signed-out visitor unlocks it and downloads the same bytes', async () => {
    const url = await createLink(admin, 'big.bin', { password: 'open sesame' });
    assert.match(url, /\/s\//);
    const visitor = await newPage({ width: 360, height: 740 });
    await visitor.goto(url);
    await visitor.getByText('This link is protected by a password.').waitFor();
    await shot(visitor, 'landing-password');
    await noSeriousA11y(visitor);
    await visitor.getByLabel('Password').fill('not it');
    await visitor.getByRole('button', { name: 'Unlock' }).click();
    await visitor.getByText('Wrong password.').waitFor();
    await visitor.getByLabel('Password').fill('open sesame');
    await visitor.getByRole('button', { name: 'Unlock' }).click();
    const [download] = await Promise.all([visitor.waitForEvent('download'), visitor.getByRole('link', { name: 'Download' }).click()]);
    const saved = await download.path();
    assert.equal(sha256(readFileSync(saved)), sha256File(join(files, 'big.bin')));
    assert.equal(download.suggestedFilename(), 'big.bin');
    await shot(visitor, 'landing-file');
    await visitor.context().close();
  });

  test('a link with max_downloads 1 says so once used', async () => {
    const url = await createLink(admin, 'big.bin', { max: 1 });
    const visitor = await newPage();
    await visitor.goto(url);
    assert.equal(await visitor.getByTestId('downloads-left').textContent(), '1');
    const [download] = await Promise.all([visitor.waitForEvent('download'), visitor.getByRole('link', { name: 'Download' }).click()]);
    await download.path();
    // The server settles a delivery once its body has ended, a moment after the browser has
    // the last byte: look again until it has.
    const usedUp = visitor.getByText('This link has been used up: no downloads are left.');
    for (let i = 0; i < 50 && !(await usedUp.isVisible()); i++) {
      await visitor.reload();
      await usedUp.waitFor({ timeout: 200 }).catch(() => undefined);
    }
    await usedUp.waitFor();
    await shot(visitor, 'landing-exhausted');
    await visitor.context().close();
    await admin.getByRole('link', { name: 'Links' }).click();
    await admin.getByRole('cell', { name: '1 / 1' }).waitFor();
    await shot(admin, 'links');
    await noSeriousA11y(admin);
  });

  test('a folder link: a visitor browses it, downloads a file and the zip', async () => {
    await admin.getByRole('link', { name: 'Files' }).click();
    await openFolder(admin, 'Projects');
    const url = await createLink(admin, 'batch');
    folderLinkUrl = url;
    const visitor = await newPage({ width: 360, height: 740 });
    await visitor.goto(url);
    await visitor.getByText('A folder was shared with you').waitFor();
    await visitor.getByRole('link', { name: 'note-3.txt' }).waitFor();
    await visitor.getByRole('button', { name: 'inner' }).click();
    await visitor.getByRole('link', { name: 'note-13.txt' }).waitFor();
    await shot(visitor, 'landing-folder');
    await noSeriousA11y(visitor);
    const [file] = await Promise.all([visitor.waitForEvent('download'), visitor.getByRole('link', { name: 'note-13.txt' }).click()]);
    assert.equal(readFileSync(await file.path(), 'utf8'), 'note 13\n');
    const [zip] = await Promise.all([visitor.waitForEvent('download'), visitor.getByRole('link', { name: 'Download everything as zip' }).click()]);
    const bytes = readFileSync(await zip.path());
    assert.equal(bytes.subarray(0, 2).toString(), 'PK');
    await visitor.context().close();
  });

  test('an anonymous visitor uploads through an upload link', async () => {
    await admin.getByRole('link', { name: 'Files' }).click();
    await openFolder(admin, 'Projects');
    await admin.getByRole('button', { name: 'Upload link' }).click();
    await admin.getByRole('button', { name: 'Create link' }).click();
    const url = await admin.getByTestId('link-url').inputValue();
    await admin.keyboard.press('Escape');
    const visitor = await newPage({ width: 360, height: 740 });
    await visitor.goto(url);
    await visitor.getByRole('heading', { name: 'Send files to “Projects”' }).waitFor();
    await visitor.getByLabel('Your name (optional)').fill('Pat Partner');
    await visitor.getByLabel('Your e-mail (optional)').fill('pat@example.com');
    const path = join(files, 'from-partner.txt');
    writeFileSync(path, 'hello from outside\n');
    await visitor.getByTestId('link-file-input').setInputFiles(path);
    await visitor.getByText('Your files have been sent.').waitFor();
    await shot(visitor, 'landing-upload');
    await noSeriousA11y(visitor);
    await visitor.context().close();
    await admin.reload();
    await row(admin, 'from-partner.txt').waitFor();
  });

  test('search finds a file', async () => {
    await admin.getByLabel('Search files and folders').fill('note-1');
    await admin.getByLabel('Search files and folders').press('Enter');
    await admin.getByRole('heading', { name: 'Results for “note-1”' }).waitFor();
    await admin.getByRole('button', { name: 'note-13.txt' }).waitFor();
    await shot(admin, 'search');
    await admin.getByRole('link', { name: 'Files' }).click();
    await openFolder(admin, 'Projects');
    await shot(admin, 'files');
    await noSeriousA11y(admin);
  });

  test('an open folder refreshes itself live when another client adds, renames and deletes files', async () => {
    const folder = await api('POST', '/folders', { name: 'Live' });
    await admin.goto(server.url + '/');
    await openFolder(admin, 'Live');
    await admin.getByText('This folder is empty.').waitFor();
    const streams = [];
    admin.on('request', (r) => { if (r.url().includes('/api/v1/changes/stream')) streams.push(r.headers()['last-event-id']); });
    // Another client: the API with a session of its own, not this page.
    const other = await apiClient(server.url, 'admin', ADMIN_PASSWORD);
    const { access_token: token } = await (await fetch(`${server.url}/api/v1/auth/session`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: ADMIN_PASSWORD }),
    })).json();
    const res = await fetch(`${server.url}/api/v1/folders/${folder.id}/files?filename=from-elsewhere.txt`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' }, body: 'made by someone else',
    });
    assert.equal(res.status, 201);
    const file = await res.json();
    await row(admin, 'from-elsewhere.txt').waitFor({ timeout: 10_000 });
    await shot(admin, 'live-refresh');
    await other('PATCH', `/files/${file.id}`, { name: 'renamed-elsewhere.txt' });
    await row(admin, 'renamed-elsewhere.txt').waitFor({ timeout: 10_000 });
    await row(admin, 'from-elsewhere.txt').waitFor({ state: 'detached' });
    // A change outside the open folder reloads nothing that shows, and the next one still lands.
    await other('POST', '/folders', { name: 'Elsewhere' });
    await other('DELETE', `/files/${file.id}`);
    await row(admin, 'renamed-elsewhere.txt').waitFor({ state: 'detached', timeout: 10_000 });
    await admin.getByText('This folder is empty.').waitFor();
    assert.deepEqual(streams, [], 'the stream opened with the page carried it all: no reload, no reconnect');
  });

  test('a signed-in visitor saves what a folder link gives into their own folders', async () => {
    await admin.goto(folderLinkUrl);
    await admin.getByText('A folder was shared with you').waitFor();
    await admin.getByRole('button', { name: 'Save to my folders' }).click();
    const picker = admin.getByRole('dialog');
    await picker.getByRole('button', { name: 'Projects' }).click();
    await picker.getByRole('button', { name: 'Archive' }).click();
    await picker.getByRole('button', { name: /Choose this folder/ }).click();
    await admin.getByText(/^Saved: /).waitFor();
    await noSeriousA11y(admin);
    const archive = (await api('GET', '/search?q=Archive&limit=10')).items.find((i) => i.type === 'folder' && i.folder.name === 'Archive').folder;
    const copy = (await api('GET', `/folders/${archive.id}/children`)).folders.find((f) => f.name === 'batch');
    assert.ok(copy, 'a copy of the folder in Archive');
    assert.equal((await api('GET', `/folders/${copy.id}/files?limit=100`)).files.length, 10);
    await admin.goto(server.url + '/');
    await admin.getByRole('link', { name: 'Files' }).waitFor();
  });

  test('grid view: a picture shows its thumbnail, other files an icon; the choice stays after a reload', async () => {
    await admin.getByRole('link', { name: 'Files' }).click();
    await openFolder(admin, 'Projects');
    const png = join(files, 'pixel-art.png');
    writeFileSync(png, makePng(40, 30));
    await admin.getByTestId('file-input').setInputFiles(png);
    await admin.locator('.upload-panel li[data-status="done"]').filter({ hasText: 'pixel-art.png' }).waitFor();
    await admin.getByRole('button', { name: 'Clear finished' }).click();
    await row(admin, 'pixel-art.png').waitFor();
    await admin.getByRole('button', { name: 'Grid', exact: true }).click();
    const grid = admin.getByRole('list', { name: 'Files and folders' });
    const tile = (name) => grid.getByRole('listitem').filter({ has: admin.getByText(name, { exact: true }) });
    const picture = tile('pixel-art.png').locator('[data-thumb="image"] img');
    await picture.waitFor();
    // The server's rendering, decoded by the browser: never enlarged, aspect kept.
    await admin.waitForFunction((img) => img.complete && img.naturalWidth > 0, await picture.elementHandle());
    assert.deepEqual(await picture.evaluate((img) => [img.naturalWidth, img.naturalHeight]), [40, 30]);
    await tile('big.bin').locator('[data-thumb="icon"]').waitFor();
    await grid.getByRole('link', { name: 'batch' }).waitFor();
    await shot(admin, 'files-grid');
    await noSeriousA11y(admin);
    await admin.reload();
    await tile('pixel-art.png').locator('[data-thumb="image"] img').waitFor();
    assert.equal(await admin.getByRole('button', { name: 'Grid', exact: true }).getAttribute('aria-pressed'), 'true');
    await grid.getByRole('button', { name: 'pixel-art.png' }).click();
    const details = admin.getByRole('dialog');
    await details.locator('.preview img').waitFor();
    // The file's own audit trail, and its scan status (scanning is off here).
    const history = details.getByRole('table', { name: 'History' });
    await history.getByRole('row').filter({ hasText: 'upload.completed' }).getByRole('cell', { name: 'admin', exact: true }).waitFor();
    await details.getByText('not scanned (scanning is off)').waitFor();
    await noSeriousA11y(admin);
    await admin.keyboard.press('Escape');
    await select(admin, 'pixel-art.png');
    await admin.getByText('1 selected').waitFor();
    await admin.getByRole('checkbox', { name: 'Select pixel-art.png', exact: true }).uncheck();
    await admin.getByRole('button', { name: 'List', exact: true }).click();
    await row(admin, 'big.bin').waitFor();
    assert.equal(await grid.count(), 0);
  });

  test('share a folder: invite, accept in the inbox, change the role', async () => {
    await api('POST', '/users', { login: 'bob', password: 'bob-password-1', name: 'Bob' });
    const asBob = await apiClient(server.url, 'bob', 'bob-password-1');
    const reports = await asBob('POST', '/folders', { name: 'Reports 2026' });
    await asBob('POST', '/folders', { name: 'Partner deliveries' });
    await asBob('POST', '/folders', { name: 'Q4', parent_id: reports.id });
    await admin.getByRole('link', { name: 'Files' }).click();
    await openFolder(admin, 'Projects');
    await admin.getByRole('button', { name: 'Share', exact: true }).click();
    await admin.getByLabel('Login or user id').fill('bob');
    await admin.getByLabel('Message (optional)').fill('the partner files');
    await admin.getByRole('dialog').getByRole('button', { name: 'Invite' }).click();
    await admin.getByRole('dialog').getByRole('cell', { name: 'pending' }).waitFor();
    await shot(admin, 'share');
    await noSeriousA11y(admin);
    bob = await newPage({ width: 360, height: 740 });
    await signIn(bob, 'bob', 'bob-password-1');
    await bob.getByRole('link', { name: 'Inbox' }).click();
    await bob.getByText('admin invites you to “Projects” as viewer.').waitFor();
    await shot(bob, 'inbox');
    await noSeriousA11y(bob);
    await bob.getByLabel('Name in your folders (optional): Projects').fill('Projects of admin');
    await bob.getByRole('button', { name: 'Accept Projects' }).click();
    await bob.getByText('No pending invitations.').waitFor();
    await bob.getByRole('link', { name: 'Files' }).click();
    await bob.getByRole('link', { name: 'Projects of admin', exact: true }).waitFor();
    await admin.getByRole('dialog').getByLabel('Role bob').selectOption('editor');
    await admin.getByRole('dialog').getByRole('cell', { name: 'accepted' }).waitFor();
    assert.equal(await admin.getByRole('dialog').getByLabel('Role bob').inputValue(), 'editor');
    await admin.keyboard.press('Escape');
  });

  test('an admin disables a user, who is then signed out', async () => {
    await openFolder(bob, 'Reports 2026');
    await shot(bob, 'files-360');
    await noSeriousA11y(bob);
    await admin.getByRole('link', { name: 'Users' }).click();
    // The row's actions menu, by keyboard: ↓ opens it on its first item, End and Home move,
    // Escape closes it and gives the focus back; Enter chooses.
    const menuButton = admin.getByRole('button', { name: 'Actions for bob', exact: true });
    assert.equal(await menuButton.getAttribute('aria-haspopup'), 'menu');
    await menuButton.focus();
    await admin.keyboard.press('ArrowDown');
    const menu = admin.getByRole('menu', { name: 'Actions for bob' });
    await menu.waitFor();
    assert.equal(await menuButton.getAttribute('aria-expanded'), 'true');
    const focused = () => admin.evaluate(() => document.activeElement?.textContent);
    assert.equal(await focused(), 'Disable');
    await admin.keyboard.press('End');
    assert.equal(await focused(), 'Delete');
    await admin.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'Disable', 'the focus wraps around');
    await shot(admin, 'admin-users');
    await noSeriousA11y(admin);
    await admin.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    assert.equal(await admin.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Actions for bob');
    await admin.keyboard.press('Enter');
    await menu.getByRole('menuitem', { name: 'Disable', exact: true }).waitFor();
    await admin.keyboard.press('Enter');
    await row(admin, 'bob').getByRole('cell', { name: /^disabled/ }).waitFor();
    await admin.getByRole('button', { name: 'Actions for bob', exact: true }).click();
    await menu.getByRole('menuitem', { name: 'Enable', exact: true }).waitFor();
    await admin.keyboard.press('Escape');
    await bob.reload();
    await bob.getByText('Your session has ended. Please sign in again.').waitFor();
    await bob.context().close();
    await admin.getByRole('link', { name: 'Audit' }).click();
    await admin.getByRole('cell', { name: 'user.updated' }).first().waitFor();
    await shot(admin, 'admin-audit');
    await noSeriousA11y(admin);
  });

  test('a token for a script: created with its secret shown once, read-only, revoked', async () => {
    await admin.getByRole('link', { name: 'Tokens', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
    await admin.getByRole('button', { name: 'Create token' }).click();
    await admin.getByLabel('Name').fill('nightly script');
    await admin.getByRole('button', { name: 'Create token' }).last().click();
    const secretBox = admin.getByLabel('Token', { exact: true });
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    assert.ok(secret.length > 40, secret);
    await shot(admin, 'tokens-secret');
    await admin.getByRole('button', { name: 'Close' }).click();
    await row(admin, 'nightly script').waitFor();
    const asToken = (method, path) => fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: method === 'POST' ? JSON.stringify({ name: 'x' }) : undefined });
    assert.equal((await asToken('GET', '/me')).status, 200);
    const refused = await asToken('POST', '/folders');
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).error.code, 'insufficient_scope');
    await shot(admin, 'tokens');
    await noSeriousA11y(admin);
    await admin.getByRole('button', { name: 'Revoke nightly script' }).click();
    await admin.getByText('Token revoked.').waitFor();
    assert.equal(await row(admin, 'nightly script').count(), 0);
    assert.equal((await asToken('GET', '/me')).status, 401);
  });

  test('two-factor login: set up in the portal, then signing in asks for a code', async () => {
    await api('POST', '/users', { login: 'carol', password: 'carol-password-1' });
    const carol = await newPage();
    await carol.goto(server.url);
    await carol.getByLabel('Login').fill('carol');
    await carol.getByLabel('Password').fill('carol-password-1');
    await carol.getByRole('button', { name: 'Sign in' }).click();
    await carol.getByRole('link', { name: 'Tokens', exact: true }).click();
    await carol.getByText('Off: your password alone signs you in.').waitFor();
    await carol.getByRole('button', { name: 'Turn on two-factor login' }).click();
    const secret = await carol.getByLabel('Secret').inputValue();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    // The QR code, drawn to a canvas and read back by a QR decoder, holds the otpauth URI.
    const qr = carol.getByTestId('totp-qr');
    await qr.waitFor();
    const pixels = await qr.evaluate(async (svg) => {
      const img = new Image();
      img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 300;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0, 300, 300);
      return Array.from(ctx.getImageData(0, 0, 300, 300).data);
    });
    const uri = decodeQR({ width: 300, height: 300, data: Uint8Array.from(pixels) });
    assert.match(uri, /^otpauth:\/\/totp\//);
    assert.equal(new URL(uri).searchParams.get('secret'), secret);
    assert.equal(await carol.getByRole('link', { name: 'otpauth link' }).getAttribute('href'), uri);
    await shot(carol, 'two-factor-setup');
    await noSeriousA11y(carol);
    await carol.getByLabel('Code from the app').fill(totp(secret, 0));
    await carol.getByRole('dialog').getByRole('button', { name: 'Turn on', exact: true }).click();
    const codes = carol.getByRole('list', { name: 'Your recovery codes' }).getByRole('listitem');
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    await shot(carol, 'two-factor-recovery');
    await carol.keyboard.press('Escape');
    await carol.getByText(/On: signing in needs a code/).waitFor();
    await carol.getByRole('button', { name: 'Sign out' }).click();
    await carol.getByText('You have signed out.').waitFor();
    await carol.getByLabel('Login', { exact: true }).fill('carol');
    await carol.getByLabel('Password').fill('carol-password-1');
    await carol.getByRole('button', { name: 'Sign in' }).click();
    const code = carol.getByLabel('Code from your authenticator app');
    await code.waitFor();
    await shot(carol, 'sign-in-code');
    // The code that turned it on is used up: the next step's is accepted.
    await code.fill(totp(secret, 1));
    await carol.getByRole('button', { name: 'Sign in' }).click();
    await carol.getByRole('link', { name: 'Tokens', exact: true }).waitFor();
    await carol.context().close();
  });

  test('an admin deletes an account and restores it', async () => {
    await admin.getByRole('link', { name: 'Users' }).click();
    await row(admin, 'carol').getByRole('cell', { name: /^active · 2FA/ }).waitFor();
    await userAction(admin, 'carol', 'Delete');
    await admin.getByRole('dialog').getByRole('button', { name: 'Delete carol' }).click();
    await row(admin, 'carol').getByRole('cell', { name: /^deleted/ }).waitFor();
    await shot(admin, 'admin-users-deleted');
    await noSeriousA11y(admin);
    const refused = await fetch(`${server.url}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'carol', password: 'carol-password-1' }) });
    assert.equal((await refused.json()).error.code, 'account_deleted');
    await userAction(admin, 'carol', 'Restore');
    await row(admin, 'carol').getByRole('cell', { name: /^active/ }).waitFor();
    await userAction(admin, 'carol', 'Reset 2FA');
    await row(admin, 'carol').getByRole('cell', { name: 'active', exact: true }).waitFor();
    // A new password and a quota, each from the row's menu through a dialog.
    await userAction(admin, 'carol', 'Set password');
    await admin.getByRole('dialog').getByLabel('New password').fill('carol-password-9');
    await admin.getByRole('dialog').getByRole('button', { name: 'Set password' }).click();
    await admin.getByRole('dialog').waitFor({ state: 'detached' });
    const carolLogin = await fetch(`${server.url}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'carol', password: 'carol-password-9' }) });
    assert.equal(carolLogin.status, 201);
    await userAction(admin, 'carol', 'Quota');
    await admin.getByRole('dialog').getByLabel('Quota').fill('lots');
    await admin.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await admin.getByRole('dialog').getByRole('alert').filter({ hasText: /^Quota: write a size/ }).waitFor();
    await admin.getByRole('dialog').getByLabel('Quota').fill('2 GB');
    await admin.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await row(admin, 'carol').getByRole('cell', { name: '0 B / 2.0 GB' }).waitFor();
  });

  test('companies, groups and policies: a system admin sets them up, a company admin manages its own', async () => {
    await admin.getByRole('link', { name: 'Companies' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    await admin.getByText('No companies yet.').waitFor();
    const create = admin.getByRole('form', { name: 'Create company' });
    await create.getByLabel('Name', { exact: true }).fill('Acme');
    await create.getByLabel('Company quota').fill('lots');
    await create.getByRole('button', { name: 'Create company' }).click();
    await create.getByRole('alert').filter({ hasText: 'Company quota: write a size' }).waitFor();
    await create.getByLabel('Company quota').fill('2 GB');
    await create.getByLabel('Default user quota').fill('500 MB');
    await create.getByLabel('Accent colour').fill('#0f766e');
    await create.getByRole('button', { name: 'Create company' }).click();
    await admin.getByText('“Acme” created.').waitFor();
    // The server's own error, with the field it names.
    await create.getByLabel('Name', { exact: true }).fill('ACME');
    await create.getByRole('button', { name: 'Create company' }).click();
    await create.getByRole('alert').filter({ hasText: /^Name: .*already exists/ }).waitFor();
    await admin.reload();
    await row(admin, 'Acme').getByRole('cell', { name: '0 B / 2.0 GB' }).waitFor();
    assert.equal(await admin.getByRole('row').filter({ hasText: /ACME/ }).count(), 0);
    const [acme] = (await api('GET', '/companies')).companies;
    assert.equal(acme.name, 'Acme');
    assert.equal(acme.default_user_quota_bytes, 500 * MiB);
    assert.equal(acme.branding.accent_color, '#0f766e');
    await admin.getByRole('button', { name: 'Edit Acme' }).click();
    await admin.getByRole('dialog').getByLabel('Display name on link pages').fill('Acme Corp');
    await admin.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await admin.getByText('“Acme” saved.').waitFor();
    await row(admin, 'Acme').getByText('(Acme Corp)').waitFor();
    await shot(admin, 'admin-companies');
    await noSeriousA11y(admin);

    await admin.getByRole('button', { name: 'Policy Acme' }).click();
    const policy = admin.getByRole('dialog');
    await policy.getByLabel('Creating links').selectOption('false');
    await policy.getByLabel(/Longest link lifetime/).fill('an hour');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await policy.getByRole('alert').filter({ hasText: 'Longest link lifetime' }).waitFor();
    await policy.getByLabel(/Longest link lifetime/).fill('3600');
    await policy.getByLabel(/Allowed client addresses/).fill('not-an-address');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await policy.getByRole('alert').filter({ hasText: /^Allowed client addresses/ }).waitFor();
    await policy.getByLabel(/Allowed client addresses/).fill('');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await policy.getByText('Policy saved.').waitFor();
    await shot(admin, 'admin-policy');
    await noSeriousA11y(admin);
    await admin.keyboard.press('Escape');
    const saved = await api('GET', `/policies/company/${acme.id}`);
    assert.equal(saved.can_share_links, false);
    assert.equal(saved.max_link_expires_in_secs, 3600);
    assert.equal(saved.can_download, null);
    await admin.getByRole('button', { name: 'Policy Acme' }).click();
    assert.equal(await admin.getByRole('dialog').getByLabel('Creating links').inputValue(), 'false');
    await admin.keyboard.press('Escape');

    // A company admin, created in the company from the users screen.
    await admin.getByRole('link', { name: 'Users' }).click();
    const newUser = admin.getByRole('form', { name: 'Create user' });
    await newUser.getByLabel('Login', { exact: true }).fill('dave');
    await newUser.getByLabel('Password', { exact: true }).fill('dave-password-1');
    await newUser.getByLabel(/^Role/).selectOption('company_admin');
    await newUser.getByLabel(/^Company/).selectOption({ label: 'Acme' });
    await newUser.getByRole('button', { name: 'Create user' }).click();
    await row(admin, 'dave').getByRole('cell', { name: '0 B / 500.0 MB' }).waitFor();
    assert.equal(await admin.getByLabel('Company dave').inputValue(), acme.id);

    // Groups: create one, add and refuse members, set its policy.
    await admin.getByRole('link', { name: 'Groups' }).click();
    await admin.getByText('No groups yet.').waitFor();
    const newGroup = admin.getByRole('form', { name: 'Create group' });
    await newGroup.getByLabel('Name', { exact: true }).fill('Editors');
    await newGroup.getByLabel('Description').fill('Reports team');
    await newGroup.getByRole('button', { name: 'Create group' }).click();
    await row(admin, 'Editors').waitFor();
    await admin.getByRole('button', { name: 'Members Editors' }).click();
    const members = admin.getByRole('dialog');
    await members.getByText('No members yet.').waitFor();
    await members.getByLabel('Login of the user to add').fill('nobody');
    await members.getByRole('button', { name: 'Add member' }).click();
    await members.getByRole('alert').filter({ hasText: 'There is no user “nobody”' }).waitFor();
    await members.getByLabel('Login of the user to add').fill('bob');
    await members.getByRole('button', { name: 'Add member' }).click();
    await members.getByRole('button', { name: 'Remove bob' }).waitFor();
    await shot(admin, 'admin-group-members');
    await noSeriousA11y(admin);
    await admin.keyboard.press('Escape');
    await admin.reload();
    await row(admin, 'Editors').getByRole('cell', { name: '1', exact: true }).waitFor();
    await admin.getByRole('button', { name: 'Policy Editors' }).click();
    await admin.getByRole('dialog').getByLabel('Uploads').selectOption('false');
    await admin.getByRole('dialog').getByRole('button', { name: 'Save policy' }).click();
    await admin.getByRole('dialog').getByText('Policy saved.').waitFor();
    await admin.keyboard.press('Escape');
    const [editors] = (await api('GET', '/groups')).groups;
    assert.equal((await api('GET', `/policies/group/${editors.id}`)).can_upload, false);
    assert.deepEqual((await api('GET', `/groups/${editors.id}/members`)).members.map((m) => m.login), ['bob']);
    await shot(admin, 'admin-groups');
    await noSeriousA11y(admin);

    // The company admin sees its company, its users and groups, and nothing else.
    const dave = await newPage();
    await signIn(dave, 'dave', 'dave-password-1');
    const nav = dave.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Company', exact: true }).click();
    await dave.getByRole('heading', { level: 1, name: 'Acme Corp' }).waitFor();
    await dave.getByText('0 B / 2.0 GB').waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Companies' }).count(), 0);
    assert.equal(await nav.getByRole('link', { name: 'Webhooks' }).count(), 0);
    await shot(dave, 'company-admin');
    await noSeriousA11y(dave);
    await nav.getByRole('link', { name: 'Users' }).click();
    await row(dave, 'dave').waitFor();
    const daveCreates = dave.getByRole('form', { name: 'Create user' });
    await daveCreates.getByLabel('Login', { exact: true }).fill('erin');
    await daveCreates.getByLabel('Password', { exact: true }).fill('erin-password-1');
    await daveCreates.getByRole('button', { name: 'Create user' }).click();
    await row(dave, 'erin').waitFor();
    assert.deepEqual((await dave.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.login))).sort(), ['dave', 'erin']);
    assert.deepEqual((await dave.getByLabel('Role erin').locator('option').allTextContents()), ['user', 'company admin']);
    const erin = (await api('GET', '/users?q=erin')).users.find((u) => u.login === 'erin');
    assert.equal(erin.company_id, acme.id);
    await nav.getByRole('link', { name: 'Groups' }).click();
    await dave.getByText('No groups yet.').waitFor();
    await dave.getByRole('form', { name: 'Create group' }).getByLabel('Name', { exact: true }).fill('Acme team');
    await dave.getByRole('button', { name: 'Create group' }).click();
    await row(dave, 'Acme team').waitFor();
    assert.equal(await row(dave, 'Editors').count(), 0);
    const team = (await api('GET', '/groups')).groups.find((g) => g.name === 'Acme team');
    assert.equal(team.company_id, acme.id);
    await dave.context().close();

    // A company with users cannot be deleted: the server says why.
    await admin.getByRole('link', { name: 'Companies' }).click();
    await admin.getByRole('button', { name: 'Delete Acme' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Delete Acme' }).click();
    await admin.getByRole('dialog').getByRole('alert').waitFor();
    await admin.keyboard.press('Escape');
    await admin.reload();
    await row(admin, 'Acme').waitFor();
  });

  test('a forgotten password: the reset page mails a link, which sets a new password once', async () => {
    await api('POST', '/users', { login: 'frank@example.com', password: 'frank-password-1' });
    const page = await newPage({ width: 360, height: 740 });
    await page.goto(server.url + '/');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { level: 1, name: 'Reset your password' }).waitFor();
    await page.getByLabel('Login').fill('frank@example.com');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByText(/^If that account can receive e-mail, a link is on its way/).waitFor();
    await shot(page, 'reset-request');
    await noSeriousA11y(page);
    const mail = await smtp.next((m) => m.to.includes('frank@example.com'));
    const link = /(https?:\/\/\S+?\/reset\?token=[0-9a-f]{64})/.exec(mailText(mail.raw))?.[1];
    assert.ok(link?.startsWith(server.url + '/reset?token='), `a reset link in the mail: ${mailText(mail.raw).slice(0, 2000)}`);
    // A made-up token is refused, and so are two passwords that differ.
    await page.goto(`${server.url}/reset?token=${'0'.repeat(64)}`);
    await page.getByLabel('New password', { exact: true }).fill('frank-new-password-2');
    await page.getByLabel('New password again').fill('frank-new-password-2');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('alert').filter({ hasText: 'This link is wrong, expired or already used.' }).waitFor();
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    await page.getByLabel('New password', { exact: true }).fill('frank-new-password-2');
    await page.getByLabel('New password again').fill('frank-new-password-3');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('alert').filter({ hasText: 'The two passwords differ.' }).waitFor();
    await page.getByLabel('New password again').fill('frank-new-password-2');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText(/^Your password has been changed/).waitFor();
    assert.equal(new URL(page.url()).search, '', 'the used token leaves the address bar');
    await shot(page, 'reset-done');
    await noSeriousA11y(page);
    const login = (password) => fetch(`${server.url}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'frank@example.com', password }) });
    assert.equal((await login('frank-password-1')).status, 401);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Login').fill('frank@example.com');
    await page.getByLabel('Password').fill('frank-new-password-2');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // The link works once.
    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill('frank-new-password-4');
    await page.getByLabel('New password again').fill('frank-new-password-4');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('alert').filter({ hasText: 'This link is wrong, expired or already used.' }).waitFor();
    await page.context().close();
  });

  test('find users, export them as CSV; a user changes name and password and sees the policy that applies', async () => {
    await admin.getByRole('link', { name: 'Users' }).click();
    const find = admin.getByRole('search', { name: 'Find users' });
    await find.getByLabel('Login or name').fill('dav');
    await find.getByRole('button', { name: 'Search' }).click();
    await admin.getByTestId('users-total').filter({ hasText: /^1 user$/ }).waitFor();
    assert.deepEqual(await admin.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.login)), ['dave']);
    const [csv] = await Promise.all([admin.waitForEvent('download'), find.getByRole('button', { name: 'Export CSV' }).click()]);
    const lines = readFileSync(await csv.path(), 'utf8').trim().split(/\r?\n/);
    assert.match(lines[0], /^id,login,name,role,status,company_id/);
    assert.equal(lines.length, 2);
    assert.match(lines[1], /,dave,/);
    await find.getByLabel('Login or name').fill('');
    await find.getByLabel(/^Role/).selectOption('company_admin');
    await find.getByRole('button', { name: 'Search' }).click();
    await admin.getByTestId('users-total').filter({ hasText: /^1 user$/ }).waitFor();
    await find.getByLabel(/^Role/).selectOption('');
    await find.getByRole('button', { name: 'Search' }).click();
    await row(admin, 'bob').waitFor();

    const [acme] = (await api('GET', '/companies')).companies;
    await api('POST', '/users', { login: 'gina', password: 'gina-password-1', company_id: acme.id });
    const gina = await newPage();
    await signIn(gina, 'gina', 'gina-password-1');
    await gina.getByRole('link', { name: 'Account' }).click();
    await gina.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    // The company's policy (set in the companies test) applies to her.
    const policy = gina.getByTestId('my-policy');
    await policy.getByText('3600 s').waitFor();
    assert.match(await policy.innerText(), /Creating links\s+refused/);
    await gina.getByLabel('Name', { exact: true }).fill('Gina Partner');
    await gina.getByRole('button', { name: 'Save' }).click();
    await gina.getByText('Saved.').waitFor();
    assert.equal((await api('GET', '/users?q=gina')).users[0].name, 'Gina Partner');
    await gina.getByLabel('Current password').fill('not-my-password');
    await gina.getByLabel('New password', { exact: true }).fill('gina-password-2');
    await gina.getByLabel('New password again').fill('gina-password-2');
    await gina.getByRole('button', { name: 'Change password' }).click();
    await gina.getByRole('alert').filter({ hasText: /^Current password: / }).waitFor();
    await gina.getByLabel('Current password').fill('gina-password-1');
    await gina.getByRole('button', { name: 'Change password' }).click();
    await gina.getByText('Your password has been changed; your other sessions have ended.').waitFor();
    await shot(gina, 'account');
    await noSeriousA11y(gina);
    const login = (password) => fetch(`${server.url}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'gina', password }) });
    assert.equal((await login('gina-password-1')).status, 401);
    assert.equal((await login('gina-password-2')).status, 201);
    // This session goes on.
    await gina.reload();
    await gina.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    await gina.context().close();
  });

  test('quota requests: a user asks for more, an admin approves, the new quota shows after a reload; the notice says so', async () => {
    await api('POST', '/users', { login: 'hal', password: 'hal-password-1', quota_bytes: 1024 ** 3 });
    const hal = await newPage();
    await signIn(hal, 'hal', 'hal-password-1');
    await hal.getByRole('link', { name: 'Account' }).click();
    const quota = hal.getByTestId('my-quota');
    await quota.filter({ hasText: /of 1\.0 GB\.$/ }).waitFor();
    await hal.getByLabel(/^New quota/).fill('lots');
    await hal.getByRole('button', { name: 'Send request' }).click();
    await hal.getByRole('alert').filter({ hasText: /^New quota .*: write a size/ }).waitFor();
    await hal.getByLabel(/^New quota/).fill('500 MB');
    await hal.getByRole('button', { name: 'Send request' }).click();
    await hal.getByRole('alert').filter({ hasText: /^New quota/ }).waitFor(); // no more than now: the server's 400
    await hal.getByLabel(/^New quota/).fill('5 GB');
    await hal.getByLabel('Why (optional)').fill('Project videos');
    await hal.getByRole('button', { name: 'Send request' }).click();
    await hal.getByText('Your request has been sent to your admins.').waitFor();
    await hal.getByTestId('my-quota-requests').locator('tr[data-status="pending"]').waitFor();
    // One pending at a time: the form is gone while it waits.
    assert.equal(await hal.getByRole('button', { name: 'Send request' }).count(), 0);
    await shot(hal, 'account-quota');
    await noSeriousA11y(hal);

    await admin.getByRole('link', { name: 'Account' }).click();
    const list = admin.getByTestId('quota-requests');
    const halRow = list.locator('tr[data-login="hal"]');
    await halRow.waitFor();
    assert.match(await halRow.innerText(), /1\.0 GB\s+5\.0 GB\s+Project videos/);
    await list.getByLabel('Message to hal (optional)').fill('Granted for the project');
    await list.scrollIntoViewIfNeeded();
    await shot(admin, 'admin-quota-requests');
    await noSeriousA11y(admin);
    await list.getByRole('button', { name: 'Approve hal’s request' }).click();
    await admin.getByText('hal’s request has been approved.').waitFor();
    await halRow.waitFor({ state: 'detached' });
    await list.getByLabel('Status').selectOption('approved');
    await halRow.filter({ hasText: 'Granted for the project' }).waitFor();

    await hal.reload();
    await quota.filter({ hasText: /of 5\.0 GB\.$/ }).waitFor();
    await hal.getByTestId('my-quota-requests').locator('tr[data-status="approved"]').filter({ hasText: 'Granted for the project' }).waitFor();
    assert.equal((await api('GET', '/users?q=hal')).users.find((u) => u.login === 'hal').quota.limit_bytes, 5 * 1024 ** 3);
    await hal.getByRole('link', { name: 'Inbox' }).click();
    await hal.getByText('Your request for 5.0 GB was approved: “Granted for the project”').waitFor();
    await hal.context().close();
  });

  test('extra logins: a user adds one (a taken name is refused), signs in with it, removes it', async () => {
    const hal = await newPage();
    await signIn(hal, 'hal', 'hal-password-1');
    await hal.getByRole('link', { name: 'Account' }).click();
    const logins = hal.getByTestId('my-logins');
    await logins.getByText('hal', { exact: true }).waitFor();
    await hal.getByLabel('Add a login').fill('bob');
    await hal.getByRole('button', { name: 'Add', exact: true }).click();
    await hal.getByRole('alert').filter({ hasText: /^Login: / }).waitFor();
    await hal.getByLabel('Add a login').fill('hal.second@example.com');
    await hal.getByRole('button', { name: 'Add', exact: true }).click();
    await hal.getByText('The login has been added.').waitFor();
    await logins.getByText('hal.second@example.com', { exact: true }).waitFor();
    await shot(hal, 'account-logins');
    await noSeriousA11y(hal);
    const login = (l) => fetch(`${server.url}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: l, password: 'hal-password-1' }) });
    assert.equal((await login('hal.second@example.com')).status, 201);
    await hal.getByRole('button', { name: 'Remove the login hal.second@example.com' }).click();
    await hal.getByText('The login has been removed.').waitFor();
    await logins.getByText('hal.second@example.com', { exact: true }).waitFor({ state: 'detached' });
    assert.equal((await login('hal.second@example.com')).status, 401);
    await hal.context().close();
  });

  test('support tools: a login key signs the user in once; an admin acts as a user under a banner and ends it', async () => {
    await admin.getByRole('link', { name: 'Users' }).click();
    await row(admin, 'hal').waitFor();
    await userAction(admin, 'hal', 'Login key');
    const url = await admin.getByTestId('login-key-url').inputValue();
    assert.match(url, new RegExp(`^${server.url}/login-key#.+`));
    await shot(admin, 'admin-login-key');
    await noSeriousA11y(admin);
    await admin.keyboard.press('Escape');
    const visitor = await newPage();
    await visitor.goto(url);
    await visitor.getByRole('heading', { name: 'Sign in with a login key' }).waitFor();
    await visitor.waitForFunction(() => location.hash === '');
    await noSeriousA11y(visitor);
    await visitor.getByRole('button', { name: 'Sign in' }).click();
    await visitor.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.equal(await visitor.locator('.who .who-login').innerText(), 'hal');
    // Once only.
    const again = await newPage();
    await again.goto(url);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.getByRole('alert').filter({ hasText: 'This key has been used' }).waitFor();
    await again.context().close();
    await visitor.context().close();

    // Act as hal: a banner while it lasts (and after a reload); "end" gives the admin back.
    await userAction(admin, 'hal', 'Act as');
    const banner = admin.getByTestId('acting-banner');
    await banner.filter({ hasText: 'Acting as hal —' }).waitFor();
    assert.equal(await admin.locator('.who .who-login').innerText(), 'hal');
    assert.equal(await admin.getByRole('link', { name: 'Users' }).count(), 0);
    await admin.reload();
    await banner.waitFor();
    await admin.getByRole('link', { name: 'Account' }).click();
    await admin.getByTestId('my-quota').waitFor();
    // Such a session cannot change how the account logs in (the server answers 403): no form for it.
    await admin.getByTestId('acting-limits').waitFor();
    assert.equal(await admin.getByRole('button', { name: 'Change password' }).count(), 0);
    await shot(admin, 'acting-as');
    await noSeriousA11y(admin);
    const events = await api('GET', '/audit/events?action=auth.impersonation_started');
    assert.ok(events.events.length >= 1, 'the start is audited');
    await admin.getByRole('button', { name: 'end', exact: true }).click();
    await banner.waitFor({ state: 'detached' });
    await admin.getByRole('link', { name: 'Users' }).waitFor();
    assert.equal(await admin.locator('.who .who-login').innerText(), 'admin');
    await admin.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    // Admins cannot be acted as.
    await admin.getByRole('button', { name: 'Actions for dave', exact: true }).click();
    const daveMenu = admin.getByRole('menu', { name: 'Actions for dave' });
    await daveMenu.getByRole('menuitem', { name: 'Login key', exact: true }).waitFor();
    assert.equal(await daveMenu.getByRole('menuitem', { name: 'Act as', exact: true }).count(), 0);
    await admin.keyboard.press('Escape');
    await daveMenu.waitFor({ state: 'detached' });
  });

  test('a link landing page shows the branding of its creator’s company (name and colour), and Ferry’s without one', async () => {
    const globex = await api('POST', '/companies', { name: 'Globex', branding: { display_name: 'Globex Corporation', accent_color: '#0f766e', logo_url: 'https://example.com/logo.png' } });
    await api('POST', '/users', { login: 'ivy', password: 'ivy-password-1', company_id: globex.id });
    const ivy = await apiClient(server.url, 'ivy', 'ivy-password-1');
    const folder = await ivy('POST', '/folders', { name: 'Globex drop' });
    const link = await ivy('POST', `/folders/${folder.id}/upload-link`, {});
    const token = new URL(link.url).pathname.split('/').filter(Boolean).pop();
    const info = await (await fetch(`${server.url}/api/v1/links/${token}/info`)).json();
    assert.equal(info.branding.display_name, 'Globex Corporation');
    const visitor = await newPage({ width: 360, height: 740 });
    await visitor.goto(`${server.url}/s/${token}`);
    await visitor.getByRole('heading', { name: 'Send files to “Globex drop”' }).waitFor();
    assert.equal(await visitor.getByTestId('landing-brand').innerText(), 'Globex Corporation');
    const band = await visitor.locator('.card.branded').evaluate((el) => getComputedStyle(el).borderTopColor);
    assert.equal(band, 'rgb(15, 118, 110)');
    // The logo is another origin's image, which the CSP does not allow: it is not shown.
    assert.equal(await visitor.locator('img').count(), 0);
    await shot(visitor, 'landing-branded');
    await noSeriousA11y(visitor);
    assert.deepEqual(visitor.cspErrors, []);
    await visitor.context().close();

    // A link by someone without a company: Ferry's own look.
    const own = await api('POST', `/folders/${(await api('POST', '/folders', { name: 'No brand' })).id}/upload-link`, {});
    const plain = await newPage();
    await plain.goto(`${server.url}/s/${new URL(own.url).pathname.split('/').filter(Boolean).pop()}`);
    await plain.getByRole('heading', { name: 'Send files to “No brand”' }).waitFor();
    assert.equal(await plain.getByTestId('landing-brand').innerText(), 'Ferry');
    assert.equal(await plain.locator('.card.branded').count(), 0);
    await plain.context().close();
  });

  test('usage: uploads, downloads and what is stored now, as the API counts them, for all or one company', async () => {
    const usage = await api('GET', '/analytics/usage?interval=day');
    const today = usage.periods.at(-1);
    assert.ok(today.uploads > 20, `uploads today: ${today.uploads}`);
    await admin.getByRole('link', { name: 'Usage' }).click();
    const now = admin.getByTestId('usage-now');
    await now.waitFor();
    assert.match(await now.innerText(), new RegExp(`Accounts\\s+${usage.now.users}\\b`));
    assert.match(await now.innerText(), new RegExp(`Files\\s+${usage.now.files}\\b`));
    const latest = admin.getByTestId('usage-periods').locator('tbody tr').first().locator('td');
    assert.equal(await latest.nth(1).innerText(), String(today.uploads));
    await admin.getByRole('img', { name: /^Bytes uploaded/ }).waitFor();
    await shot(admin, 'admin-usage');
    await noSeriousA11y(admin);
    await admin.getByLabel(/^Per/).selectOption('hour');
    await admin.getByRole('heading', { name: 'The last 30 periods (one per hour)' }).waitFor();
    const [acme] = (await api('GET', '/companies')).companies;
    const acmeUsage = await api('GET', `/analytics/usage?interval=hour&company_id=${acme.id}`);
    await admin.getByLabel(/^Company/).selectOption({ label: 'Acme' });
    await admin.waitForFunction((n) => /Accounts\s+(\d+)/.exec(document.querySelector('[data-testid="usage-now"]')?.innerText ?? '')?.[1] === String(n), acmeUsage.now.users);
    assert.notEqual(acmeUsage.now.users, usage.now.users);
  });

  test('a server that takes no sign-ups says so on the sign-up page', async () => {
    const page = await newPage({ width: 360, height: 740 });
    await page.goto(server.url + '/');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('E-mail address').fill('zoe@example.com');
    await page.getByLabel('Password', { exact: true }).fill('zoe-password-1');
    await page.getByLabel('Password again').fill('zoe-password-1');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('alert').filter({ hasText: 'This server does not take sign-ups: ask an administrator for an account.' }).waitFor();
    await noSeriousA11y(page);
    await page.context().close();
  });

  test('sign out', async () => {
    await admin.getByRole('button', { name: 'Sign out' }).click();
    await admin.getByText('You have signed out.').waitFor();
  });
});
