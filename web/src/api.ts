// The public API (/api/v1) and the session: the bearer token lives in localStorage; a 401 on an
// authenticated call ends the session and tells the app (session expiry, account disabled).
export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string, public details?: unknown, public field?: string) {
    super(message);
  }
}

export interface User { id: string; login: string; name?: string; role: string; company_id?: string | null; disabled?: boolean; status?: string; quota_bytes?: number | null; picture_url?: string | null }
export interface Folder { id: string; name: string; parent_id: string | null; path: string; permissions: string[]; role?: string; visibility?: string; description?: string; owner: { id: string; login: string }; created_at: string; updated_at: string }
export interface FileItem { id: string; folder_id: string; name: string; size: number; checksum_sha256: string; mime_type: string; version: number; owner: { id: string; login: string }; created_at: string; updated_at: string; path?: string; uploaded_via_link?: unknown; scan?: { status: string; signature?: string; scanned_at?: string }; media?: Media }
/** What a file's content says of itself (GET /files/{id}?fields=media); every field optional. */
export interface Media { width?: number; height?: number; taken_at?: string; camera_make?: string; camera_model?: string; gps?: { latitude: number; longitude: number }; title?: string; artist?: string; album?: string; track?: number; year?: number; duration_ms?: number }
export interface Link { id: string; url: string; expires_at: string; max_downloads: number | null; downloads_used: number; status: string; file_id?: string; folder_id?: string | null; kind: string; password_required: boolean; files_used?: number | null; max_files?: number | null; created_at: string; watermark: boolean }

const TOKEN_KEY = 'ferry.session';
// While an admin acts as a user, the admin's own session waits here.
const ASIDE_KEY = 'ferry.session.aside';
type Session = { token: string; user: User; expires_at: string; actingAs?: boolean };
type ApiSession = { access_token: string; expires_at: string; user: User };
let session: Session | null = (() => {
  try { return JSON.parse(localStorage.getItem(TOKEN_KEY) ?? 'null'); } catch { return null; }
})();
const listeners = new Set<(reason?: string) => void>();

export function currentSession() { return session; }
export function onSessionChange(fn: (reason?: string) => void) { listeners.add(fn); return () => { listeners.delete(fn); }; }
function setSession(s: Session | null, reason?: string) {
  session = s;
  if (s) localStorage.setItem(TOKEN_KEY, JSON.stringify(s)); else localStorage.removeItem(TOKEN_KEY);
  listeners.forEach((fn) => fn(reason));
}
export function authHeaders(): Record<string, string> {
  return session ? { Authorization: `Bearer ${session.token}` } : {};
}

export async function readError(res: Response): Promise<ApiError> {
  let code = 'http_' + res.status, message = res.statusText, details, field;
  try {
    const body = await res.json();
    code = body.error?.code ?? code; message = body.error?.message ?? message; details = body.error?.details; field = body.error?.field;
  } catch { /* not JSON */ }
  return new ApiError(res.status, code, message, details, field);
}

export interface CallOptions { auth?: boolean; headers?: Record<string, string>; raw?: boolean; signal?: AbortSignal }

/** Calls the API; JSON in and out. A 401 on an authenticated call ends the session. */
export async function call<T = unknown>(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<T> {
  const auth = opts.auth ?? true;
  const headers: Record<string, string> = { ...(auth ? authHeaders() : {}), ...opts.headers };
  let payload: BodyInit | undefined;
  if (body instanceof Blob) { payload = body; headers['Content-Type'] ??= 'application/octet-stream'; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
  let res: Response;
  try {
    res = await fetch('/api/v1' + path, { method, headers, body: payload, signal: opts.signal, credentials: 'same-origin' });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'network');
  }
  if (!res.ok) {
    const err = await readError(res);
    // A link's own 401 (its password) says nothing about the session.
    const aboutLink = err.code.startsWith('link_') || err.code === 'invalid_link_password';
    if (res.status === 401 && auth && session && !aboutLink) {
      // An act-as session that ended (it lasts an hour) gives the admin their own back.
      if (session.actingAs && asideSession()) restoreAside('actingEnded');
      else setSession(null, 'expired');
    }
    throw err;
  }
  if (opts.raw) return res as unknown as T;
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function signIn(login: string, password: string, otp?: string) {
  const s = await call<{ access_token: string; expires_at: string; user: User }>('POST', '/auth/session', { login, password, otp: otp || undefined }, { auth: false });
  setSession({ token: s.access_token, user: s.user, expires_at: s.expires_at });
}

/** Starts a session the API gave (a login key's). */
export function startSession(s: ApiSession) {
  setSession({ token: s.access_token, user: s.user, expires_at: s.expires_at });
}

function asideSession(): Session | null {
  try { return JSON.parse(localStorage.getItem(ASIDE_KEY) ?? 'null'); } catch { return null; }
}
function restoreAside(reason?: string) {
  const aside = asideSession();
  localStorage.removeItem(ASIDE_KEY);
  setSession(aside, reason);
}

/** An admin acts as a user (`POST /users/{id}/impersonate`); their own session is kept aside. */
export async function actAs(userId: string) {
  const s = await call<ApiSession>('POST', `/users/${userId}/impersonate`);
  if (!session) return;
  if (!session.actingAs) localStorage.setItem(ASIDE_KEY, JSON.stringify(session));
  setSession({ token: s.access_token, user: s.user, expires_at: s.expires_at, actingAs: true });
}

/** Ends acting as a user: that session is revoked, the admin's own comes back. */
export async function endActing() {
  if (session) await fetch('/api/v1/auth/session', { method: 'DELETE', headers: authHeaders() }).catch(() => undefined);
  restoreAside();
}

export async function signOut() {
  if (session?.actingAs) {
    // Signing out while acting as someone ends both sessions.
    try { await call('DELETE', '/auth/session'); } catch { /* already gone */ }
    const aside = asideSession();
    localStorage.removeItem(ASIDE_KEY);
    if (aside) await fetch('/api/v1/auth/session', { method: 'DELETE', headers: { Authorization: `Bearer ${aside.token}` } }).catch(() => undefined);
  } else {
    try { await call('DELETE', '/auth/session'); } catch { /* already gone */ }
  }
  setSession(null, 'signedOut');
}

/** Ends the session locally when its token has expired (checked on a timer and on focus); keeps its user's company up to date. */
export async function checkSession() {
  if (!session) return;
  if (Date.parse(session.expires_at) <= Date.now()) { setSession(null, 'expired'); return; }
  let me: User;
  try { me = await call<User>('GET', '/me'); } catch { return; /* call() handled a 401 */ }
  // A session's user is what sign-in said (no company, no picture there); /me is the whole account.
  const s = session;
  if (s && s.user.id === me.id) updateSessionUser({ company_id: me.company_id ?? null, picture_url: me.picture_url ?? null });
}

/** Keeps what the session knows of its user up to date (a new picture, a company). */
export function updateSessionUser(patch: Partial<User>) {
  const s = session;
  if (!s) return;
  const changed = (Object.keys(patch) as (keyof User)[]).some((k) => s.user[k] !== patch[k]);
  if (changed) setSession({ ...s, user: { ...s.user, ...patch } }, 'refreshed');
}

/** Saves a response body as a download (authenticated downloads cannot be plain links). */
export async function saveResponse(res: Response, fallbackName: string) {
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  const plain = /filename="([^"]+)"/i.exec(disposition);
  const name = star ? decodeURIComponent(star[1]) : plain ? plain[1] : fallbackName;
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function formatBytes(n: number | null | undefined): string {
  if (n == null) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0, v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
export function formatTime(s: string | null | undefined): string {
  if (!s) return '—';
  return new Date(s).toLocaleString();
}
/** The landing page of a link, from the API's signed `/d/{token}` address. */
export function landingUrl(url: string): string {
  const token = new URL(url, location.origin).pathname.split('/').filter(Boolean).pop() ?? '';
  return `${location.origin}/s/${token}`;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };
/** "10 GB", "512 MB", "1073741824" → bytes; "" → null; undefined when it cannot be read. */
export function parseBytes(text: string): number | null | undefined {
  const s = text.trim();
  if (!s) return null;
  const m = /^(\d+(?:[.,]\d+)?)\s*([kmgt]?i?b)?$/i.exec(s);
  if (!m) return undefined;
  const unit = UNITS[(m[2] ?? 'b').toLowerCase().replace('i', '')];
  return Math.round(Number(m[1].replace(',', '.')) * unit);
}
