// Media metadata in the file details panel against a real server: a JPEG with EXIF (camera,
// time, GPS) and an MP3 with tags are uploaded through the portal; their details show the
// dimensions, when and with what camera the photo was taken, where (as coordinates with a link
// to openstreetmap.org, and no map tile or anything else fetched from another origin), and the
// song's artist, album and duration. The files are the server's test fixtures. With
// PORTAL_SCREENSHOTS=<dir> it saves a PNG of the photo's details there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, launchBrowser, startServer, pageHelpers } from './harness.mjs';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../crates/ferry-server/tests/fixtures');
let server, browser;
const { shot, noSeriousA11y, newPage, signIn } = pageHelpers(() => browser, () => server);

describe('media details', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a photo shows its dimensions, time, camera and location; a song its tags and duration', async () => {
    const page = await newPage();
    const elsewhere = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (!['blob:', 'data:'].includes(u.protocol) && u.origin !== new URL(server.url).origin) elsewhere.push(r.url());
    });
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Folder name').fill('Trip');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('link', { name: 'Trip', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Trip', exact: true }).waitFor();
    await page.getByTestId('file-input').setInputFiles([join(fixtures, 'images/tower.jpg'), join(fixtures, 'audio/tone.mp3')]);
    await page.locator('.upload-panel li[data-status="done"]').nth(1).waitFor({ timeout: 60_000 });

    await page.getByRole('button', { name: 'tower.jpg', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'tower.jpg' });
    const field = (key) => dialog.getByTestId(`media-${key}`);
    await field('dimensions').waitFor();
    assert.equal(await field('dimensions').textContent(), '64 × 48 px');
    assert.equal(await field('taken').textContent(), "2026-11-22 12:00:00 (camera's clock)");
    assert.equal(await field('camera').textContent(), 'Ferry Test Cam');
    assert.match(await field('location').textContent(), /^48\.85820, -2\.29450 \(Show on OpenStreetMap\)$/);
    const map = field('location').getByRole('link', { name: 'Show on OpenStreetMap' });
    const href = new URL(await map.getAttribute('href'));
    assert.equal(href.origin, 'https://www.openstreetmap.org');
    assert.equal(href.searchParams.get('mlat'), '48.85820');
    assert.equal(href.searchParams.get('mlon'), '-2.29450');
    assert.equal(await map.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await field('duration').count(), 0);
    await dialog.locator('img').first().waitFor();
    await shot(page, 'file-media');
    await noSeriousA11y(page);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'tone.mp3', exact: true }).click();
    const song = page.getByRole('dialog', { name: 'tone.mp3' });
    await song.getByTestId('media-artist').waitFor();
    assert.equal(await song.getByTestId('media-artist').textContent(), 'The Ferrymen');
    assert.equal(await song.getByTestId('media-album').textContent(), 'Crossings');
    assert.equal(await song.getByTestId('media-title').textContent(), 'Harbour Lights');
    assert.match(await song.getByTestId('media-duration').textContent(), /^1\.\d s$/);
    assert.equal(await song.getByTestId('media-location').count(), 0);

    assert.deepEqual(elsewhere, [], 'nothing is fetched from another origin');
    assert.deepEqual(page.cspErrors, []);
  });
});
