// The end-to-end harness: a real `ferry serve` on a free port with a temporary data dir
// (SQLite), and Debian's Chromium driven by playwright-core.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

export const ADMIN_PASSWORD = 'portal-admin-pw-1';
const root = resolve(import.meta.dirname, '../..');

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

/**
 * A minimal SMTP receiver on loopback (plain SMTP, no TLS, no auth) that keeps every message:
 * enough for Ferry's mail worker (lettre) to deliver to. `next(pred)` waits for a message.
 */
export async function startSmtpSink() {
  const messages = [];
  const waiters = [];
  const server = createServer((socket) => {
    let buffer = '', data = null, from = '', to = [];
    const reply = (line) => socket.write(line + '\r\n');
    reply('220 sink ESMTP');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let at; (at = buffer.indexOf('\r\n')) >= 0;) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (data !== null) {
          if (line === '.') {
            const message = { from, to, raw: data.join('\r\n') };
            messages.push(message);
            for (const w of [...waiters]) if (w.pred(message)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(message); }
            data = null; from = ''; to = [];
            reply('250 queued');
          } else data.push(line.startsWith('..') ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') { socket.write('250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n'); }
        else if (verb === 'HELO' || verb === 'RSET' || verb === 'NOOP') reply('250 ok');
        else if (verb === 'MAIL') { from = line; reply('250 ok'); }
        else if (verb === 'RCPT') { to.push(/<([^>]*)>/.exec(line)?.[1] ?? line); reply('250 ok'); }
        else if (verb === 'DATA') { data = []; reply('354 go on'); }
        else if (verb === 'QUIT') { reply('221 bye'); socket.end(); }
        else reply('502 not here');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  return {
    url: `smtp://127.0.0.1:${server.address().port}`,
    messages,
    next(pred, timeout = 30_000) {
      const hit = messages.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => { if (waiters.includes(w)) { waiters.splice(waiters.indexOf(w), 1); reject(new Error('no such mail arrived')); } }, timeout);
      });
    },
    close: () => new Promise((res) => server.close(res)),
  };
}

/** A message's text with its transfer encodings (quoted-printable, base64) undone, roughly. */
export function mailText(raw) {
  const base64 = [...raw.matchAll(/Content-Transfer-Encoding: base64\r\n(?:[^\r\n]+\r\n)*\r\n([A-Za-z0-9+/=\r\n]+)/gi)]
    .map((m) => Buffer.from(m[1].replace(/\s+/g, ''), 'base64').toString('utf8'));
  const qp = raw.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return [qp, ...base64].join('\n');
}

export async function startServer(env = {}) {
  const bin = process.env.FERRY_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug/ferry');
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    env: { ...process.env, FERRY_ADMIN__PASSWORD: ADMIN_PASSWORD, FERRY_SERVER__PUBLIC_URL: url, FERRY_RATE_LIMITS__EXEMPT_LOOPBACK: 'true', RUST_LOG: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${url}/readyz`)).ok) break; } catch { /* not yet */ }
    if (proc.exitCode !== null) throw new Error(`ferry serve exited with ${proc.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, dataDir,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A JSON API client for setting up what a test does not do through the UI. */
export async function apiClient(url, login, password) {
  const res = await fetch(`${url}/api/v1/auth/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login, password }) });
  if (!res.ok) throw new Error(`login ${login}: ${res.status} ${await res.text()}`);
  const { access_token: token } = await res.json();
  return async (method, path, body) => {
    const r = await fetch(`${url}/api/v1${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
export const sha256File = (path) => sha256(readFileSync(path));

/** Runs axe-core in the page; returns the serious and critical violations. */
export async function axeViolations(page) {
  const source = readFileSync(join(root, 'web/node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const result = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * With PORTAL_LOCAL_DIST=1, a browser context gets the app from web/dist on disk instead of
 * the copy embedded in the server binary (the server's headers, CSP included, are kept): for
 * trying a new build without rebuilding the binary. CI never sets it.
 */
export async function useLocalDist(context, url) {
  if (!process.env.PORTAL_LOCAL_DIST) return;
  const dist = join(root, 'web/dist');
  const origin = new URL(url).origin;
  await context.route((u) => u.origin === origin && !/^\/(api|d|dav|fileshare)(\/|$)/.test(u.pathname), async (route) => {
    const request = route.request();
    const path = new URL(request.url()).pathname;
    if (request.method() !== 'GET') return route.continue();
    const file = join(dist, path);
    if (path.startsWith('/assets/') && existsSync(`${file}.gz`)) {
      // What the server sends a browser: the .gz the build wrote (unzipped here, as a
      // fulfilled response is not decoded by the browser).
      const type = path.endsWith('.css') ? 'text/css' : 'text/javascript';
      return route.fulfill({ body: gunzipSync(readFileSync(`${file}.gz`)), headers: { 'content-type': `${type}; charset=utf-8` } });
    }
    if (path.startsWith('/assets/') && existsSync(file)) return route.fulfill({ path: file });
    if (request.resourceType() === 'document') {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      if (!(headers['content-type'] ?? '').startsWith('text/html')) return route.fulfill({ response });
      delete headers['content-encoding']; delete headers['content-length'];
      return route.fulfill({ status: response.status(), headers, body: readFileSync(join(dist, 'index.html'), 'utf8') });
    }
    return route.continue();
  });
}

/**
 * The page helpers every suite uses, over the suite's browser and server (passed as getters:
 * both start in the suite's `before`). With PORTAL_SCREENSHOTS=<dir>, `shot` saves a PNG there.
 */
export function pageHelpers(browser, server) {
  const shots = process.env.PORTAL_SCREENSHOTS;
  return {
    async shot(page, name) {
      if (!shots) return;
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, `${name}.png`) });
    },
    async noSeriousA11y(page) {
      assert.deepEqual(await axeViolations(page), []);
    },
    async newPage(viewport = { width: 1280, height: 800 }) {
      const context = await browser().newContext({ viewport, acceptDownloads: true });
      await useLocalDist(context, server().url);
      const page = await context.newPage();
      page.cspErrors = [];
      page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) page.cspErrors.push(m.text()); });
      return page;
    },
    async signIn(page, login, password) {
      await page.goto(server().url + '/');
      await page.getByLabel('Login').fill(login);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    },
    /** Chooses an item of a user row's actions menu (Users screen). */
    async userAction(page, login, item) {
      await page.getByRole('button', { name: `Actions for ${login}`, exact: true }).click();
      await page.getByRole('menu', { name: `Actions for ${login}` }).getByRole('menuitem', { name: item, exact: true }).click();
    },
  };
}
