// Thumbnails (GET /files/{id}/thumbnails/{size}, docs/content.md): they need the bearer token,
// so they are fetched and shown from a blob: URL (the CSP allows img-src blob:), once per
// content and size, and only once the picture scrolls into view. A file without one shows
// its type's icon.
import { useEffect, useRef, useState } from 'react';
import { authHeaders, type FileItem } from './api';

export type ThumbSize = 'xs' | 's' | 'm' | 'l' | 'xl';

/** Types the server may render (images always; PDF and video when its tools are installed). */
export function mayHaveThumbnail(mime: string) {
  return /^image\/(jpeg|png|gif|webp)$/.test(mime) || mime === 'application/pdf' || mime.startsWith('video/');
}

const cache = new Map<string, Promise<string | null>>();

function thumbnailUrl(file: FileItem, size: ThumbSize): Promise<string | null> {
  const key = `${file.checksum_sha256}/${size}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = fetch(`/api/v1/files/${file.id}/thumbnails/${size}`, { headers: authHeaders() })
      .then(async (res) => (res.ok ? URL.createObjectURL(await res.blob()) : null))
      .catch(() => null);
    // A miss may be temporary (a scan still pending): ask again next time.
    hit.then((url) => { if (!url) cache.delete(key); });
    cache.set(key, hit);
  }
  return hit;
}

/** The file's thumbnail, or the placeholder icon when it has none. Decorative: the name is next to it. */
export function Thumb({ file, size = 'm', className }: { file: FileItem; size?: ThumbSize; className?: string }) {
  const [url, setUrl] = useState<string | null>();
  const ref = useRef<HTMLSpanElement>(null);
  const wanted = mayHaveThumbnail(file.mime_type);
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    const el = ref.current;
    const start = () => { void thumbnailUrl(file, size).then((u) => { if (live) setUrl(u); }); };
    if (!el || typeof IntersectionObserver === 'undefined') { start(); return () => { live = false; }; }
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { seen.disconnect(); start(); }
    }, { rootMargin: '200px' });
    seen.observe(el);
    return () => { live = false; seen.disconnect(); };
  }, [file, size, wanted]);
  return (
    <span ref={ref} className={`thumb ${className ?? ''}`} data-thumb={url ? 'image' : 'icon'}>
      {url ? <img src={url} alt="" decoding="async" /> : <span className="thumb-icon file-icon" aria-hidden="true" />}
    </span>
  );
}
