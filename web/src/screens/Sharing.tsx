// Sharing: a folder's collaborators (invite a user or a group with a role, change, remove),
// and the caller's inbox (invitations to accept or decline, notices).
import { useCallback, useEffect, useState } from 'react';
import { call, currentSession, formatBytes, formatTime, type Folder } from '../api';
import { t } from '../i18n';
import { A, Dialog, explain, Status } from '../ui';
import { PersonName } from '../pictures';
import { AccessRequests } from './Directory';

interface Collaboration { id: string; folder_id: string; folder_name: string; principal: { type: string; id: string; name: string }; role: string; status: string; message: string; invited_by?: { login: string } | null; created_at: string }
interface Notice { id: string; kind: string; created_at: string; read: boolean; data: Record<string, unknown> }

const ROLES = ['viewer', 'uploader', 'editor', 'manager'];

/**
 * Who sees a top-level folder: only those it is shared with, or the whole company too (in its
 * directory, where members may ask for access). Needs `manage`, and an owner in a company.
 */
function Visibility({ folder, onChanged }: { folder: Folder; onChanged: (visibility: string) => void }) {
  const [value, setValue] = useState(folder.visibility ?? 'private');
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  return (
    <>
      <label>{t.directory.visibility}
        <select value={value} onChange={async (e) => {
          const next = e.target.value;
          setError(undefined); setMessage(undefined);
          try { await call('PATCH', `/folders/${folder.id}`, { visibility: next }); setValue(next); setMessage(t.directory.visibilitySaved); onChanged(next); }
          catch (err) { setError(explain(err, { visibility: t.directory.visibility })); }
        }}>
          <option value="private">{t.directory.visibilities.private}</option>
          <option value="company">{t.directory.visibilities.company}</option>
        </select>
      </label>
      <Status message={message} error={error} />
    </>
  );
}

/** Only a folder whose owner is in a company can be shown to it: one's own needs a company. */
function mayShowToCompany(folder: Folder) {
  const me = currentSession()?.user;
  return folder.owner.id !== me?.id || Boolean(me?.company_id);
}

export function ShareDialog({ folderId, folderName, folder, onChanged, onClose }: { folderId: string; folderName: string; folder?: Folder; onChanged?: () => void; onClose: () => void }) {
  const [visibility, setVisibility] = useState(folder?.visibility ?? 'private');
  const [list, setList] = useState<Collaboration[]>([]);
  const [who, setWho] = useState('');
  const [kind, setKind] = useState<'user' | 'group'>('user');
  const [role, setRole] = useState('viewer');
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try { setList((await call<{ collaborators: Collaboration[] }>('GET', `/folders/${folderId}/collaborators?limit=1000`)).collaborators); } catch (e) { setError((e as Error).message); }
  }, [folderId]);
  useEffect(() => { void load(); }, [load]);
  const act = async (fn: () => Promise<unknown>) => { setError(undefined); try { await fn(); } catch (e) { setError((e as Error).message); } await load(); };
  return (
    <Dialog title={t.sharing.title(folderName)} onClose={onClose}>
      <form onSubmit={(e) => { e.preventDefault(); void act(async () => { await call('POST', `/folders/${folderId}/collaborators`, { [kind]: who.trim(), role, message: message || undefined }); setWho(''); setMessage(''); }); }}>
        <label>{t.sharing.inviteKind}
          <select value={kind} onChange={(e) => setKind(e.target.value as 'user' | 'group')}><option value="user">{t.sharing.user}</option><option value="group">{t.sharing.group}</option></select>
        </label>
        <label>{kind === 'user' ? t.sharing.userLabel : t.sharing.groupLabel}<input value={who} onChange={(e) => setWho(e.target.value)} required /></label>
        <label>{t.sharing.role}<select value={role} onChange={(e) => setRole(e.target.value)}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select></label>
        <label>{t.sharing.message}<input value={message} onChange={(e) => setMessage(e.target.value)} /></label>
        <div className="buttons"><button type="submit">{t.sharing.invite}</button></div>
      </form>
      <Status error={error} />
      <table className="list">
        <thead><tr><th scope="col">{t.sharing.who}</th><th scope="col">{t.sharing.role}</th><th scope="col">{t.admin.status}</th><th scope="col">{t.files.actions}</th></tr></thead>
        <tbody>
          {list.map((c) => (
            <tr key={c.id}>
              <td>{c.principal.type === 'user' ? <PersonName user={{ id: c.principal.id, login: c.principal.name }} /> : c.principal.name}</td>
              <td><select aria-label={`${t.sharing.role} ${c.principal.name}`} value={c.role} onChange={(e) => void act(() => call('PATCH', `/collaborations/${c.id}`, { role: e.target.value }))}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select></td>
              <td>{c.status}</td>
              <td><button type="button" className="danger" aria-label={`${t.sharing.remove} ${c.principal.name}`} onClick={() => void act(() => call('DELETE', `/collaborations/${c.id}`))}>{t.sharing.remove}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      {folder && !folder.parent_id && folder.permissions.includes('manage') && mayShowToCompany(folder) ? <Visibility folder={folder} onChanged={(v) => { setVisibility(v); onChanged?.(); }} /> : null}
      {visibility === 'company' ? <AccessRequests folderId={folderId} onDecided={() => void load()} /> : null}
    </Dialog>
  );
}

export function InboxScreen() {
  const [invitations, setInvitations] = useState<Collaboration[]>([]);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [error, setError] = useState<string>();
  const [mountNames, setMountNames] = useState<Record<string, string>>({});
  const load = useCallback(async () => {
    try {
      setInvitations((await call<{ invitations: Collaboration[] }>('GET', '/invitations?limit=1000')).invitations);
      setNotices((await call<{ notices: Notice[] }>('GET', '/notices?limit=100')).notices);
    } catch (e) { setError((e as Error).message); }
  }, []);
  useEffect(() => { void load(); }, [load]);
  const act = async (fn: () => Promise<unknown>) => { setError(undefined); try { await fn(); } catch (e) { setError((e as Error).message); } await load(); };
  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">{t.sharing.inbox}</h1>
      <Status error={error} />
      <h2>{t.sharing.invitations}</h2>
      {!invitations.length ? <p className="empty">{t.sharing.noInvitations}</p> : (
        <ul className="cards">
          {invitations.map((i) => (
            <li key={i.id}>
              <p>{t.sharing.invitedTo(i.invited_by?.login ?? '—', i.folder_name, i.role)}</p>
              {i.message ? <p className="muted">“{i.message}”</p> : null}
              <label>{t.sharing.mountName}
                <input aria-label={`${t.sharing.mountName}: ${i.folder_name}`} placeholder={i.folder_name} value={mountNames[i.id] ?? ''} onChange={(e) => setMountNames({ ...mountNames, [i.id]: e.target.value })} />
              </label>
              <button type="button" aria-label={`${t.sharing.accept} ${i.folder_name}`} onClick={() => void act(() => call('POST', `/invitations/${i.id}/accept`, mountNames[i.id]?.trim() ? { mount_name: mountNames[i.id].trim() } : {}))}>{t.sharing.accept}</button>{' '}
              <button type="button" className="danger" aria-label={`${t.sharing.decline} ${i.folder_name}`} onClick={() => void act(() => call('POST', `/invitations/${i.id}/decline`))}>{t.sharing.decline}</button>
            </li>
          ))}
        </ul>
      )}
      <div className="toolbar">
        <h2>{t.sharing.notices}</h2>
        {notices.some((n) => !n.read) ? <button type="button" onClick={() => void act(() => call('POST', '/notices/read-all'))}>{t.sharing.markAllRead}</button> : null}
      </div>
      {!notices.length ? <p className="empty">{t.sharing.noNotices}</p> : (
        <table className="list">
          <thead><tr><th scope="col" className="wide">{t.admin.time}</th><th scope="col" className="wide">{t.sharing.kind}</th><th scope="col">{t.sharing.about}</th></tr></thead>
          <tbody>
            {notices.map((n) => (
              <tr key={n.id} className={n.read ? undefined : 'unread'}>
                <td className="wide">{formatTime(n.created_at)}</td><td className="wide">{n.kind}</td>
                <td>{n.kind === 'quota.decided'
                  ? t.quota.notice(t.quota.statuses[String(n.data.status)] ?? String(n.data.status), formatBytes(Number(n.data.quota_bytes)), n.data.message ? String(n.data.message) : undefined)
                  : n.kind === 'registration.pending'
                    ? <>{t.registrations.notice(String(n.data.login ?? ''))} <A href="/admin/registrations">{t.registrations.title}</A></>
                    : n.kind === 'access_request'
                    ? t.directory.noticeAsked(String((n.data.by as { login?: string } | undefined)?.login ?? '—'), String(n.data.folder_name ?? ''), t.directory.roles[String(n.data.role)] ?? String(n.data.role))
                    : n.kind === 'access_request.decided'
                      ? t.directory.noticeDecided(String(n.data.folder_name ?? ''), String(n.data.status) === 'approved')
                      : String(n.data.folder_name ?? n.data.name ?? n.data.file_name ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
