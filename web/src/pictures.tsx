// Profile pictures and company logos (docs/accounts.md#profile-picture, docs/organisations.md):
// like thumbnails they need the bearer token, so they are fetched and shown from blob: URLs
// (the CSP allows img-src 'self' data: blob:), once per address and only once they scroll into
// view. A person without a picture (`picture_url: null`, or a 404 where the caller does not know)
// shows their initials.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError, authHeaders } from './api';
import { t } from './i18n';
import { Status } from './ui';

/** What an avatar needs of a person: any user view, an owner `{id, login}`, a collaborator. */
export interface Person { id: string; login: string; name?: string | null; picture_url?: string | null }

const cache = new Map<string, Promise<string | null>>();

/** The image at `url` (same origin, with the token) as a blob: URL; `null` when there is none. */
export function imageBlob(url: string): Promise<string | null> {
  let hit = cache.get(url);
  if (!hit) {
    hit = fetch(url, { headers: authHeaders() }).then(
      async (res) => {
        if (res.ok) return URL.createObjectURL(await res.blob());
        // Only a 404 says there is none; anything else may pass: ask again next time.
        if (res.status !== 404) cache.delete(url);
        return null;
      },
      () => { cache.delete(url); return null; },
    );
    cache.set(url, hit);
  }
  return hit;
}

/** Forgets what was fetched for a user (their picture changed): addresses without `?v=` included. */
export function forgetPicture(userId: string) {
  const part = `/users/${encodeURIComponent(userId)}/picture`;
  for (const key of [...cache.keys()]) if (key.includes(part)) cache.delete(key);
}

/** Only the server's own addresses are fetched (the CSP would refuse another origin's anyway). */
export const ownImage = (url: string | null | undefined): url is string => Boolean(url && url.startsWith('/api/v1/'));

/** The address of a user's square picture of `px` pixels; `null` when they are known to have none. */
function pictureAddress(user: Person, px: number): string | null {
  if (user.picture_url === null) return null;
  if (user.picture_url !== undefined) {
    if (!ownImage(user.picture_url)) return null;
    return `${user.picture_url}${user.picture_url.includes('?') ? '&' : '?'}size=${px}`;
  }
  return `/api/v1/users/${encodeURIComponent(user.id)}/picture?size=${px}`;
}

/** One or two letters for a person without a picture: from the name, else the login. */
export function initials(user: Person): string {
  const words = (user.name?.trim() || user.login.split('@')[0]).split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [words[0] ?? '?'];
  return letters.map((w) => Array.from(w)[0] ?? '').join('').toUpperCase() || '?';
}

/** A colour of a small set, the same for a person everywhere. */
function hue(id: string) {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 6;
}

/** Fetches `address` once the element is in view; gives the blob URL or `null`. */
function useLazyImage(address: string | null) {
  const [url, setUrl] = useState<string | null>(null);
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    setUrl(null);
    if (!address) return;
    let live = true;
    const el = ref.current;
    const start = () => { void imageBlob(address).then((u) => { if (live) setUrl(u); }); };
    if (!el || typeof IntersectionObserver === 'undefined') { start(); return () => { live = false; }; }
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { seen.disconnect(); start(); }
    }, { rootMargin: '200px' });
    seen.observe(el);
    return () => { live = false; seen.disconnect(); };
  }, [address]);
  return { url, ref };
}

export type AvatarSize = 24 | 32 | 128;

/**
 * A person's picture, or their initials. Decorative (hidden from screen readers): their name
 * or login is always next to it. Fetched at twice its size for sharp high-density screens.
 */
export function Avatar({ user, size = 24, testId }: { user: Person; size?: AvatarSize; testId?: string }) {
  const { url, ref } = useLazyImage(pictureAddress(user, size === 128 ? 256 : 64));
  return (
    <span ref={ref} className={`avatar avatar-${size} avatar-c${hue(user.id)}`} data-avatar={url ? 'picture' : 'initials'} data-testid={testId} aria-hidden="true">
      {url ? <img src={url} alt="" decoding="async" /> : initials(user)}
    </span>
  );
}

/** A person's avatar and login (or name), as people are shown in lists. */
export function PersonName({ user, label }: { user: Person; label?: ReactNode }) {
  return <span className="person"><Avatar user={user} /><span>{label ?? user.login}</span></span>;
}

/** A company's uploaded logo (`branding.logo_url` of the server), fetched with the token. */
export function CompanyLogo({ url, name, className, decorative }: { url: string | null | undefined; name: string; className?: string; decorative?: boolean }) {
  const { url: blob, ref } = useLazyImage(ownImage(url) ? url : null);
  return (
    <span ref={ref} className={`logo ${className ?? ''}`} data-logo={blob ? 'image' : 'none'}>
      {blob ? <img src={blob} alt={decorative ? '' : t.pictures.logoOf(name)} decoding="async" /> : null}
    </span>
  );
}

/** The limit the server sets on a picture or logo upload (docs/accounts.md). */
export const MAX_PICTURE_BYTES = 5 * 1024 * 1024;

/** The server's refusal of an image, in words. */
function refusal(err: unknown, file?: File): string {
  if (err instanceof ApiError) {
    if (file && err.code === 'invalid_image') return t.pictures.notImage(file.name);
    if (file && err.code === 'payload_too_large') return t.pictures.tooLarge(file.name);
    // A browser may see the connection end instead when the server refuses a large body early.
    if (err.status === 0) return file && file.size > MAX_PICTURE_BYTES ? t.pictures.tooLarge(file.name) : t.errors.network;
    return err.message;
  }
  return (err as Error).message || t.errors.generic;
}

/**
 * Choosing, previewing, uploading and removing a picture or a logo: a file chooser (PNG, JPEG,
 * WebP or GIF), a preview of the chosen file, Upload and Remove. The server decides what it
 * accepts; its refusal is shown in words.
 */
export function ImageEditor({ title, current, hasImage, chooseLabel, onUpload, onRemove, testId }: {
  title: string; current: ReactNode; hasImage: boolean; chooseLabel: string;
  onUpload: (file: File) => Promise<void>; onRemove: () => Promise<void>; testId?: string;
}) {
  const [file, setFile] = useState<File>();
  const [preview, setPreview] = useState<string>();
  const [previewFailed, setPreviewFailed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  const input = useRef<HTMLInputElement>(null);
  const rulesId = useId();
  useEffect(() => () => { if (preview) URL.revokeObjectURL(preview); }, [preview]);
  const choose = (f: File | undefined) => {
    setMessage(undefined); setError(undefined); setPreviewFailed(false);
    setFile(f); setPreview(f ? URL.createObjectURL(f) : undefined);
  };
  const run = async (fn: () => Promise<void>, done: string, chosen?: File) => {
    setBusy(true); setMessage(undefined); setError(undefined);
    try {
      await fn();
      choose(undefined); setMessage(done);
      if (input.current) input.current.value = '';
    } catch (err) { setError(refusal(err, chosen)); }
    finally { setBusy(false); }
  };
  return (
    <form className="image-editor" aria-label={title} data-testid={testId} onSubmit={(e) => {
      e.preventDefault();
      if (file) void run(() => onUpload(file), t.pictures.uploaded, file);
    }}>
      <div className="image-row">
        <div className="image-current">
          <span className="hint">{t.pictures.current}</span>
          {current}
        </div>
        {preview && !previewFailed ? (
          <div className="image-current">
            <span className="hint">{t.pictures.preview}</span>
            <img className="image-preview" src={preview} alt={t.pictures.previewOf(file?.name ?? '')} data-testid="image-preview" onError={() => setPreviewFailed(true)} />
          </div>
        ) : null}
      </div>
      <label>{chooseLabel}
        <input ref={input} type="file" accept="image/png,image/jpeg,image/webp,image/gif" aria-describedby={rulesId} onChange={(e) => choose(e.target.files?.[0])} />
      </label>
      <p className="hint" id={rulesId}>{t.pictures.rules}</p>
      {preview && previewFailed ? <p className="hint">{t.pictures.noPreview}</p> : null}
      <Status message={message} error={error} />
      <div className="image-buttons">
        <button type="submit" disabled={!file || busy}>{t.pictures.upload}</button>
        {hasImage ? <button type="button" className="danger" disabled={busy} onClick={() => void run(onRemove, t.pictures.removed)}>{t.pictures.remove}</button> : null}
      </div>
    </form>
  );
}
