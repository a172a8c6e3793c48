// A link's landing page (/s/{token}), for visitors without an account: a file link shows what
// it is and a download button; an upload link a drop zone with name and e-mail; a password form
// where needed. Downloads go to /d/{token}, which reads the link access cookie after unlock.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, call, currentSession, formatBytes, formatTime } from '../api';
import { t } from '../i18n';
import { Status } from '../ui';
import { uploader } from '../upload/uploader';
import { UploadList } from './UploadPanel';
import { FolderPicker } from './FileDialogs';

/** For a signed-in visitor: copy what the link gives into one of their folders (POST /links/{token}/save; no bytes are copied). */
function SaveToMine({ token, access }: { token: string; access?: string }) {
  const [picking, setPicking] = useState(false);
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  if (!currentSession()) return null;
  return (
    <div className="save-to-mine">
      <button type="button" className="ghost" onClick={() => { setMessage(undefined); setError(undefined); setPicking(true); }}>{t.landing.save}</button>
      <Status message={message} error={error} />
      {picking ? (
        <FolderPicker title={t.landing.save} exclude={[]} onClose={() => setPicking(false)} onPick={async (folderId) => {
          setPicking(false);
          try {
            const r = await call<{ file?: { name: string }; folder?: { name: string; path?: string } }>('POST', `/links/${encodeURIComponent(token)}/save`, { folder_id: folderId }, { headers: access ? { 'X-Link-Access': access } : {} });
            setMessage(t.landing.saved(r.folder?.path ?? r.file?.name ?? r.folder?.name ?? ''));
          } catch (e) { setError((e as Error).message); }
        }} />
      ) : null}
    </div>
  );
}

interface Branding { display_name: string; logo_url?: string; accent_color?: string }
interface Info { branding?: Branding; type: string; name: string; size?: number | null; expires_at: string; downloads_left?: number | null; password_required: boolean; files_left?: number | null }

function gone(code: string) {
  switch (code) {
    case 'link_exhausted': return t.landing.exhausted;
    case 'link_expired': return t.landing.expired;
    case 'link_revoked': return t.landing.revoked;
    default: return t.landing.notFound;
  }
}

export function LandingScreen({ token }: { token: string }) {
  const [info, setInfo] = useState<Info>();
  const [problem, setProblem] = useState<string>();
  const [unlocked, setUnlocked] = useState(false);
  const [access, setAccess] = useState<string>();
  const load = useCallback(async () => {
    try { setInfo(await call<Info>('GET', `/links/${encodeURIComponent(token)}/info`, undefined, { auth: false })); }
    catch (e) { setProblem(e instanceof ApiError && e.status !== 0 ? gone(e.code) : t.errors.network); }
  }, [token]);
  useEffect(() => { void load(); }, [load]);
  useEffect(() => { void uploader.restore((s) => s.linkToken === token); }, [token]);
  const exhausted = info?.type === 'file' && info.downloads_left === 0;
  // The company of the link's creator: its logo, name and colour (a band, set through the CSSOM,
  // which the CSP allows). The logo is shown only from this server (`/api/v1/links/{token}/logo`,
  // anonymous): an external logo URL set for API clients would be refused by the CSP anyway.
  const branding = info?.branding;
  const logo = branding?.logo_url?.startsWith('/api/v1/') ? branding.logo_url : undefined;
  const [logoFailed, setLogoFailed] = useState(false);
  const card = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const c = branding?.accent_color;
    if (c && /^#[0-9a-f]{6}$/i.test(c)) card.current?.style.setProperty('--brand', c);
    else card.current?.style.removeProperty('--brand');
  }, [branding]);
  return (
    <main id="main" className="landing">
      <div className={branding ? 'card branded' : 'card'} ref={card} data-accent={branding?.accent_color}>
        <div className="brand-row">
          {logo && !logoFailed ? <img className="brand-logo" src={logo} alt="" data-testid="landing-logo" onError={() => setLogoFailed(true)} /> : null}
          <p className="brand" data-testid="landing-brand">{branding?.display_name ?? t.appName}</p>
        </div>
        {branding ? <p className="muted powered">{t.landing.via(t.appName)}</p> : null}
        {problem ? <h1 role="alert">{problem}</h1> : null}
        {info && info.type === 'file' ? (
          <>
            <p className="muted">{t.landing.sharedWithYou}</p>
            <h1 className="filename">{info.name}</h1>
            <dl className="details">
              <dt>{t.landing.size}</dt><dd>{formatBytes(info.size)}</dd>
              <dt>{t.landing.expires}</dt><dd>{formatTime(info.expires_at)}</dd>
              <dt>{t.landing.downloadsLeft}</dt><dd data-testid="downloads-left">{info.downloads_left ?? t.landing.unlimited}</dd>
            </dl>
            {exhausted ? <p role="alert">{t.landing.exhausted}</p> : info.password_required && !unlocked ? (
              <Unlock token={token} onUnlocked={(a) => { setAccess(a); setUnlocked(true); }} />
            ) : (
              <>
                <a className="button" href={`/d/${encodeURIComponent(token)}`} download onClick={() => setTimeout(() => void load(), 1500)}>{t.landing.download}</a>
                <SaveToMine token={token} access={access} />
              </>
            )}
          </>
        ) : null}
        {info && info.type === 'upload' ? (
          <>
            <h1>{t.landing.uploadTitle(info.name)}</h1>
            <p className="muted">{t.landing.expires}: {formatTime(info.expires_at)}</p>
            {info.password_required && !unlocked ? <Unlock token={token} onUnlocked={() => setUnlocked(true)} /> : <UploadBox token={token} />}
          </>
        ) : null}
        {info && info.type === 'folder' ? (
          <>
            <p className="muted">{t.landing.folderShared}</p>
            <h1 className="filename">{info.name}</h1>
            <p className="muted">{t.landing.expires}: {formatTime(info.expires_at)}</p>
            {info.password_required && !unlocked ? <Unlock token={token} onUnlocked={(a) => { setAccess(a); setUnlocked(true); }} /> : <><SaveToMine token={token} access={access} /><FolderListing token={token} name={info.name} /></>}
          </>
        ) : null}
      </div>
    </main>
  );
}

function Unlock({ token, onUnlocked }: { token: string; onUnlocked: (access: string) => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  return (
    <form onSubmit={async (e) => {
      e.preventDefault(); setError(undefined);
      try { onUnlocked((await call<{ link_access_token: string }>('POST', `/links/${encodeURIComponent(token)}/unlock`, { password }, { auth: false })).link_access_token); }
      catch (err) { setError(err instanceof ApiError && err.code === 'invalid_link_password' ? t.landing.wrongPassword : (err as Error).message); }
    }}>
      <p>{t.landing.passwordNeeded}</p>
      <label>{t.signIn.password}<input type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
      <Status error={error} />
      <button type="submit">{t.landing.unlock}</button>
    </form>
  );
}

function UploadBox({ token }: { token: string }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [jobs, setJobs] = useState(uploader.jobs.filter((j) => j.saved.linkToken === token));
  const [dragging, setDragging] = useState(false);
  useEffect(() => uploader.subscribe(() => setJobs(uploader.jobs.filter((j) => j.saved.linkToken === token))), [token]);
  const add = (files: File[]) => uploader.add(files.map((file) => ({ file })), { linkToken: token, uploaderName: name, uploaderEmail: email });
  const allDone = jobs.length > 0 && jobs.every((j) => j.status === 'done');
  return (
    <div>
      <label>{t.landing.yourName}<input value={name} autoComplete="name" onChange={(e) => setName(e.target.value)} /></label>
      <label>{t.landing.yourEmail}<input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} /></label>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => { e.preventDefault(); setDragging(false); add(Array.from(e.dataTransfer.files)); }}
      >
        <p>{t.files.dropHere}</p>
        <label className="button">{t.landing.chooseFiles}<input type="file" multiple className="sr-only" data-testid="link-file-input" onChange={(e) => { add(Array.from(e.target.files ?? [])); e.target.value = ''; }} /></label>
      </div>
      <UploadList jobs={jobs} />
      {allDone ? <p role="status">{t.landing.sent}</p> : null}
    </div>
  );
}

interface FolderItems { path: string; folders: { name: string; path: string }[]; files: { name: string; path: string; size: number; downloads_left?: number | null; url: string }[] }

function FolderListing({ token, name }: { token: string; name: string }) {
  const [path, setPath] = useState('');
  const [items, setItems] = useState<FolderItems>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    setError(undefined);
    call<FolderItems>('GET', `/links/${encodeURIComponent(token)}/items?limit=1000&path=${encodeURIComponent(path)}`, undefined, { auth: false })
      .then(setItems)
      .catch((e) => setError(e instanceof ApiError ? gone(e.code) : String(e)));
  }, [token, path]);
  const parts = path ? path.split('/') : [];
  const zip = `/d/${encodeURIComponent(token)}?format=zip${path ? `&path=${encodeURIComponent(path)}` : ''}`;
  return (
    <div>
      <nav aria-label={t.files.breadcrumbs} className="crumbs">
        <ol>
          <li><button type="button" className="linklike" onClick={() => setPath('')}>{name}</button></li>
          {parts.map((p, i) => <li key={i}><button type="button" className="linklike" onClick={() => setPath(parts.slice(0, i + 1).join('/'))}>{p}</button></li>)}
        </ol>
      </nav>
      <Status error={error} />
      <p><a className="button" href={zip} download>{t.landing.downloadZip}</a></p>
      <ul className="picker">
        {items?.folders.map((f) => <li key={f.path}><button type="button" className="linklike folder" onClick={() => setPath(f.path)}>{f.name}</button></li>)}
        {items?.files.map((f) => (
          <li key={f.path} className="row">
            <a className="file" href={new URL(f.url, location.origin).pathname} download>{f.name}</a>
            <span className="muted small">{formatBytes(f.size)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
