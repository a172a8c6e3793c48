// The company directory (docs/sharing.md, "Company visibility"): the folders members of the
// caller's company show to it (`GET /directory`), with a search over what it lists; a folder
// the caller holds no role on has a "Request access" button (`POST /folders/{id}/access-requests`).
// Whoever may share a folder answers the requests in its share dialog (AccessRequests below).
import { useCallback, useEffect, useMemo, useState } from 'react';
import { call, formatTime } from '../api';
import { t } from '../i18n';
import { A, Dialog, explain, Status } from '../ui';
import { Avatar, PersonName } from '../pictures';

interface DirectoryFolder { id: string; name: string; description: string; owner: { id: string; login: string }; created_at: string; role: string | null; pending_request_id: string | null }
export interface AccessRequest { id: string; folder_id: string; folder_name: string; user: { id: string; login: string }; role: string; message: string; status: string; decided_by?: string | null; created_at: string; decided_at?: string | null }

const REQUESTABLE = ['viewer', 'uploader', 'editor', 'manager'];

function RequestDialog({ folder, onDone, onClose }: { folder: DirectoryFolder; onDone: () => void; onClose: () => void }) {
  const [role, setRole] = useState('viewer');
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string>();
  return (
    <Dialog title={t.directory.requestTitle(folder.name)} onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        call('POST', `/folders/${folder.id}/access-requests`, { role, message: message.trim() || undefined })
          .then(onDone, (err) => setError(explain(err, { role: t.directory.role, message: t.directory.message })));
      }}>
        <p className="hint">{t.directory.requestHelp(folder.owner.login)}</p>
        <label>{t.directory.role}<select value={role} onChange={(e) => setRole(e.target.value)}>{REQUESTABLE.map((r) => <option key={r} value={r}>{t.directory.roles[r] ?? r}</option>)}</select></label>
        <label>{t.directory.message}<textarea rows={3} maxLength={1000} value={message} onChange={(e) => setMessage(e.target.value)} /></label>
        <Status error={error} />
        <div className="buttons"><button type="submit">{t.directory.send}</button></div>
      </form>
    </Dialog>
  );
}

export function DirectoryScreen() {
  const [folders, setFolders] = useState<DirectoryFolder[]>();
  const [q, setQ] = useState('');
  const [asking, setAsking] = useState<DirectoryFolder>();
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const load = useCallback(async () => {
    try {
      const out: DirectoryFolder[] = [];
      let cursor: string | null = null;
      do {
        const page: { folders: DirectoryFolder[]; next_cursor: string | null } = await call('GET', `/directory?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        out.push(...page.folders); cursor = page.next_cursor;
      } while (cursor && out.length < 10_000);
      setFolders(out);
    } catch (e) { setError(explain(e)); }
  }, []);
  useEffect(() => { void load(); }, [load]);
  const shown = useMemo(() => {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    return (folders ?? []).filter((f) => words.every((w) => `${f.name} ${f.description} ${f.owner.login}`.toLowerCase().includes(w)));
  }, [folders, q]);
  return (
    <section aria-labelledby="directory-title">
      <h1 id="directory-title">{t.directory.title}</h1>
      <p className="hint">{t.directory.help}</p>
      <form className="inline-form" role="search" aria-label={t.directory.search} onSubmit={(e) => e.preventDefault()}>
        <label>{t.directory.searchLabel}<input type="search" value={q} onChange={(e) => setQ(e.target.value)} /></label>
      </form>
      <Status message={message} error={error} />
      {folders && !folders.length ? <p className="empty">{t.directory.none}</p> : null}
      {folders?.length && !shown.length ? <p className="empty">{t.files.noResults}</p> : null}
      {shown.length ? (
        <table className="list" data-testid="directory">
          <thead><tr><th scope="col">{t.files.name}</th><th scope="col" className="wide">{t.directory.description}</th><th scope="col">{t.files.owner}</th><th scope="col">{t.directory.access}</th></tr></thead>
          <tbody>
            {shown.map((f) => (
              <tr key={f.id} data-name={f.name}>
                <td>{f.role ? <A href={`/f/${f.id}`} className="folder">{f.name}</A> : <span className="folder">{f.name}</span>}</td>
                <td className="wide">{f.description}</td>
                <td><PersonName user={f.owner} /></td>
                <td className="nowrap">
                  {f.role ? <span>{t.directory.yourRole(t.directory.roles[f.role] ?? f.role)}</span>
                    : f.pending_request_id ? <span data-testid="request-pending">{t.directory.pending}</span>
                      : <button type="button" aria-label={t.directory.requestFor(f.name)} onClick={() => { setMessage(undefined); setAsking(f); }}>{t.directory.request}</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {asking ? <RequestDialog folder={asking} onClose={() => setAsking(undefined)} onDone={() => { setMessage(t.directory.sent(asking.name)); setAsking(undefined); void load(); }} /> : null}
    </section>
  );
}

/** A folder's pending access requests, for whoever may share it (in the share dialog). */
export function AccessRequests({ folderId, onDecided }: { folderId: string; onDecided?: () => void }) {
  const [requests, setRequests] = useState<AccessRequest[]>([]);
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const load = useCallback(async () => {
    try { setRequests((await call<{ requests: AccessRequest[] }>('GET', `/folders/${folderId}/access-requests?status=pending&limit=1000`)).requests); }
    catch (e) { setError(explain(e)); }
  }, [folderId]);
  useEffect(() => { void load(); }, [load]);
  const decide = async (r: AccessRequest, approve: boolean) => {
    setError(undefined); setMessage(undefined);
    try {
      await call('POST', `/access-requests/${r.id}/${approve ? 'approve' : 'deny'}`, approve ? {} : undefined);
      setMessage(approve ? t.directory.approved(r.user.login) : t.directory.denied(r.user.login));
      onDecided?.();
    } catch (e) { setError(explain(e)); }
    await load();
  };
  return (
    <section aria-labelledby="access-requests-title" data-testid="access-requests">
      <h3 id="access-requests-title">{t.directory.requestsTitle}</h3>
      <Status message={message} error={error} />
      {!requests.length ? <p className="empty">{t.directory.noRequests}</p> : (
        <ul className="cards">
          {requests.map((r) => (
            <li key={r.id} data-login={r.user.login}>
              <p><Avatar user={r.user} /> {t.directory.asks(r.user.login, t.directory.roles[r.role] ?? r.role)} <span className="muted small">{formatTime(r.created_at)}</span></p>
              {r.message ? <p className="muted">“{r.message}”</p> : null}
              <button type="button" aria-label={t.directory.approveFor(r.user.login)} onClick={() => void decide(r, true)}>{t.directory.approve}</button>{' '}
              <button type="button" className="danger" aria-label={t.directory.denyFor(r.user.login)} onClick={() => void decide(r, false)}>{t.directory.deny}</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
