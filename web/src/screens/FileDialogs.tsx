// The dialogs of the file manager: a name (new folder, rename), a folder picker (move, copy),
// a file's details (SHA-256, versions) and a link's creation.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { authHeaders, call, formatBytes, formatTime, landingUrl, readError, type FileItem, type Folder, type Link, type Media } from '../api';
import { t } from '../i18n';
import { Dialog, Status } from '../ui';
import { mayHaveThumbnail, Thumb } from '../thumbs';
import { PersonName } from '../pictures';

const textLike = (mime: string) => mime.startsWith('text/') || /json|xml|yaml|toml|javascript|sql|x-sh/.test(mime);

interface FileEvent { id: string; time: string; actor: { login: string } | null; action: string; ip: string; outcome: string }

/** The audit events of one file (GET /audit/events?target=), for whoever may see them. */
function FileHistory({ fileId }: { fileId: string }) {
  const [events, setEvents] = useState<FileEvent[]>();
  useEffect(() => {
    call<{ events: FileEvent[] }>('GET', `/audit/events?target=${encodeURIComponent(fileId)}&limit=50`)
      .then((r) => setEvents(r.events), () => setEvents(undefined));
  }, [fileId]);
  if (!events) return null;
  return (
    <>
      <h3>{t.files.history}</h3>
      {events.length ? (
        <table className="list" aria-label={t.files.history}>
          <thead><tr><th scope="col">{t.admin.time}</th><th scope="col">{t.admin.actor}</th><th scope="col">{t.admin.action}</th><th scope="col" className="wide">IP</th></tr></thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id}><td>{formatTime(e.time)}</td><td>{e.actor?.login ?? '—'}</td><td>{e.action}{e.outcome !== 'success' ? ` (${e.outcome})` : ''}</td><td className="wide">{e.ip}</td></tr>
            ))}
          </tbody>
        </table>
      ) : <p className="empty">{t.files.noHistory}</p>}
    </>
  );
}

/** A text file's first lines (GET /files/{id}/preview), asked for by a button: it counts as a download. */
function TextPreview({ file }: { file: FileItem }) {
  const [text, setText] = useState<string>();
  const [error, setError] = useState<string>();
  if (text !== undefined) return <pre className="text-preview" tabIndex={0} aria-label={t.files.preview}>{text}</pre>;
  return (
    <>
      <button type="button" onClick={async () => {
        try {
          const res = await fetch(`/api/v1/files/${file.id}/preview`, { headers: authHeaders() });
          if (!res.ok) throw await readError(res);
          setText((await res.text()).slice(0, 64 * 1024));
        } catch (e) { setError((e as Error).message); }
      }}>{t.files.preview}</button>
      <Status error={error} />
    </>
  );
}

export function NameDialog({ title, label, submit, initial = '', onSubmit, onClose }: { title: string; label: string; submit: string; initial?: string; onSubmit: (name: string) => void; onClose: () => void }) {
  const [name, setName] = useState(initial);
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={(e) => { e.preventDefault(); if (name.trim()) onSubmit(name.trim()); }}>
        <label>{label}<input autoFocus value={name} onChange={(e) => setName(e.target.value)} required /></label>
        <div className="buttons"><button type="submit">{submit}</button></div>
      </form>
    </Dialog>
  );
}

export function FolderPicker({ title, exclude, onPick, onClose }: { title: string; exclude: string[]; onPick: (folderId: string) => void; onClose: () => void }) {
  const [trail, setTrail] = useState<Folder[]>([]);
  const [folders, setFolders] = useState<Folder[]>([]);
  const here = trail[trail.length - 1];
  useEffect(() => {
    const path = here ? `/folders/${here.id}/children?limit=1000` : '/folders?limit=1000';
    void call<{ folders: Folder[] }>('GET', path).then((r) => setFolders(r.folders.filter((f) => !exclude.includes(f.id))));
  }, [here, exclude]);
  return (
    <Dialog title={title} onClose={onClose}>
      <p id="picker-help">{t.files.pickFolder}</p>
      <nav aria-label={t.files.breadcrumbs} className="crumbs">
        <ol>
          <li><button type="button" className="linklike" onClick={() => setTrail([])}>{t.files.root}</button></li>
          {trail.map((f, i) => <li key={f.id}><button type="button" className="linklike" onClick={() => setTrail(trail.slice(0, i + 1))}>{f.name}</button></li>)}
        </ol>
      </nav>
      <ul className="picker" aria-describedby="picker-help">
        {folders.map((f) => <li key={f.id}><button type="button" className="linklike folder" onClick={() => setTrail([...trail, f])}>{f.name}</button></li>)}
      </ul>
      <div className="buttons">
        <button type="button" disabled={!here || !here.permissions.includes('write')} onClick={() => here && onPick(here.id)}>{t.files.pickHere}{here ? `: ${here.name}` : ''}</button>
      </div>
    </Dialog>
  );
}

/** `1.5 s` under a minute, else `3:07` or `1:02:03`. */
function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const secs = Math.round(ms / 1000), h = Math.floor(secs / 3600), m = Math.floor(secs / 60) % 60, s = secs % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** The make and model, once: many models already start with their make ("Canon EOS R5"). */
function cameraName(make?: string, model?: string): string | undefined {
  if (make && model) return model.startsWith(make) ? model : `${make} ${model}`;
  return make ?? model;
}

/** A file's media metadata as rows of the details list. The position is shown as coordinates
 *  with a link to openstreetmap.org: no map tiles are loaded from elsewhere by the portal. */
function MediaDetails({ media: m }: { media: Media }) {
  const camera = cameraName(m.camera_make, m.camera_model);
  // EXIF `2026:11:22 12:00:00`: the date's colons read as dashes; no time zone is known.
  const taken = m.taken_at?.replace(/^(\d{4}):(\d{2}):(\d{2})/, '$1-$2-$3');
  const row = (key: string, label: string, value: ReactNode) => <><dt>{label}</dt><dd data-testid={`media-${key}`}>{value}</dd></>;
  const gps = m.gps;
  const osm = gps ? `https://www.openstreetmap.org/?mlat=${gps.latitude.toFixed(5)}&mlon=${gps.longitude.toFixed(5)}#map=16/${gps.latitude.toFixed(5)}/${gps.longitude.toFixed(5)}` : '';
  return (
    <>
      {m.width != null && m.height != null ? row('dimensions', t.files.media.dimensions, t.files.media.pixels(m.width, m.height)) : null}
      {taken ? row('taken', t.files.media.taken, `${taken} ${t.files.media.cameraClock}`) : null}
      {camera ? row('camera', t.files.media.camera, camera) : null}
      {gps ? row('location', t.files.media.location, <>{gps.latitude.toFixed(5)}, {gps.longitude.toFixed(5)} (<a href={osm} target="_blank" rel="noopener noreferrer">{t.files.media.onMap}</a>)</>) : null}
      {m.title ? row('title', t.files.media.title, m.title) : null}
      {m.artist ? row('artist', t.files.media.artist, m.artist) : null}
      {m.album ? row('album', t.files.media.album, m.album) : null}
      {m.track != null ? row('track', t.files.media.track, String(m.track)) : null}
      {m.year != null ? row('year', t.files.media.year, String(m.year)) : null}
      {m.duration_ms != null ? row('duration', t.files.media.duration, formatDuration(m.duration_ms)) : null}
    </>
  );
}

interface Version { version: number; size: number; checksum_sha256: string; created_at: string; created_by?: { login: string } }

export function DetailsDialog({ fileId, onClose, onDownload }: { fileId: string; onClose: () => void; onDownload: () => void }) {
  const [file, setFile] = useState<FileItem>();
  const [versions, setVersions] = useState<Version[]>([]);
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setFile(await call<FileItem>('GET', `/files/${fileId}?fields=media`));
      setVersions((await call<{ versions: Version[] }>('GET', `/files/${fileId}/versions`)).versions);
    } catch (e) { setError((e as Error).message); }
  }, [fileId]);
  useEffect(() => { void load(); }, [load]);
  return (
    <Dialog title={file?.name ?? t.files.details} onClose={onClose}>
      <Status error={error} />
      {file ? (
        <dl className="details">
          <dt>{t.files.size}</dt><dd>{formatBytes(file.size)}</dd>
          <dt>{t.files.type}</dt><dd>{file.mime_type}</dd>
          <dt>{t.files.path}</dt><dd>{file.path}</dd>
          <dt>{t.files.owner}</dt><dd><PersonName user={file.owner} /></dd>
          <dt>{t.files.modified}</dt><dd>{formatTime(file.updated_at)}</dd>
          <dt>{t.files.sha256}</dt><dd><code data-testid="sha256">{file.checksum_sha256}</code></dd>
          {file.scan ? <><dt>{t.files.scan}</dt><dd className={file.scan.status === 'infected' ? 'error' : undefined}>{t.files.scanStatus[file.scan.status] ?? file.scan.status}{file.scan.signature ? ` (${file.scan.signature})` : ''}</dd></> : null}
          {file.media ? <MediaDetails media={file.media} /> : null}
        </dl>
      ) : null}
      {file && mayHaveThumbnail(file.mime_type) ? <Thumb file={file} size="l" className="preview" /> : null}
      {file && textLike(file.mime_type) ? <TextPreview file={file} /> : null}
      <div className="buttons"><button type="button" onClick={onDownload}>{t.files.download}</button></div>
      <h3>{t.files.versions}</h3>
      <table className="list">
        <thead><tr><th scope="col">{t.files.version}</th><th scope="col" className="num">{t.files.size}</th><th scope="col">{t.files.modified}</th><th scope="col">{t.files.actions}</th></tr></thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version}>
              <td>{v.version}</td><td className="num">{formatBytes(v.size)}</td><td>{formatTime(v.created_at)}</td>
              <td>{file && v.version !== file.version ? <button type="button" onClick={async () => { await call('POST', `/files/${fileId}/versions/${v.version}/restore`); await load(); }}>{t.files.restoreVersion}</button> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <FileHistory fileId={fileId} />
    </Dialog>
  );
}

export function LinkDialog({ kind, path, onClose }: { kind: 'download' | 'upload'; path: string; onClose: () => void }) {
  const [expires, setExpires] = useState('86400');
  const [max, setMax] = useState('');
  const [password, setPassword] = useState('');
  const [watermark, setWatermark] = useState(false);
  const [link, setLink] = useState<Link>();
  const [error, setError] = useState<string>();
  const [copied, setCopied] = useState<string>();
  const url = link ? landingUrl(link.url) : '';
  return (
    <Dialog title={kind === 'download' ? t.links.create : t.links.createUpload} onClose={onClose}>
      {link ? (
        <div>
          <label>{t.links.url}<input readOnly value={url} data-testid="link-url" onFocus={(e) => e.target.select()} /></label>
          <div className="buttons">
            <button type="button" onClick={async () => { try { await navigator.clipboard.writeText(url); } catch { /* not allowed */ } setCopied(t.links.copied); }}>{t.links.copyUrl}</button>
          </div>
          <Status message={copied} />
        </div>
      ) : (
        <form onSubmit={async (e) => {
          e.preventDefault(); setError(undefined);
          const body: Record<string, unknown> = { expires_in: Number(expires) };
          if (max) body[kind === 'download' ? 'max_downloads' : 'max_files'] = Number(max);
          if (password) body.password = password;
          if (kind === 'download' && watermark) body.watermark = true;
          try { setLink(await call<Link>('POST', path, body)); } catch (err) { setError((err as Error).message); }
        }}>
          <label>{t.links.expiresIn}
            <select value={expires} onChange={(e) => setExpires(e.target.value)}>
              <option value="3600">{t.links.hour}</option><option value="86400">{t.links.day}</option><option value="604800">{t.links.week}</option>
            </select>
          </label>
          <label>{kind === 'download' ? t.links.maxDownloads : t.links.maxFiles}<input type="number" min="1" value={max} onChange={(e) => setMax(e.target.value)} /></label>
          <label>{t.links.password}<input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} /></label>
          {kind === 'download' ? <label className="check"><input type="checkbox" checked={watermark} onChange={(e) => setWatermark(e.target.checked)} />{t.links.watermark}</label> : null}
          <Status error={error} />
          <div className="buttons"><button type="submit">{t.links.create}</button></div>
        </form>
      )}
    </Dialog>
  );
}
