// Administration: users (create, disable, unlock, role, quota), the audit (filters, export) and
// webhooks (create, delivery log, redeliver, remove).
import { useCallback, useEffect, useState } from 'react';
import { actAs, authHeaders, call, currentSession, formatBytes, formatTime, readError, saveResponse, updateSessionUser } from '../api';
import { t } from '../i18n';
import { navigate } from '../router';
import { Dialog, MenuButton, Status, type MenuItem } from '../ui';
import { explain, listCompanies, parseBytes, PolicyDialog, type Company } from './Org';
import { Avatar, forgetPicture, ImageEditor, PersonName } from '../pictures';

interface AdminUser { id: string; login: string; name: string; role: string; picture_url?: string | null; disabled: boolean; locked: boolean; status: string; two_factor: boolean; purge_at?: string; company_id?: string | null; quota: { limit_bytes: number | null; used_bytes: number } }
const userLabels = () => ({ login: t.admin.login, name: t.admin.name, password: t.admin.password, role: t.admin.role, quota_bytes: t.admin.quota, company_id: t.admin.company, transfer_to: t.admin.transferTo });

/** Asks before deleting an account, and whom its folders go to. */
function DeleteUser({ user, onDone, onClose }: { user: AdminUser; onDone: (error?: string) => void; onClose: () => void }) {
  const [to, setTo] = useState('');
  return (
    <Dialog title={t.admin.deleteTitle} onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        call('DELETE', `/users/${user.id}`, to ? { transfer_to: to } : undefined).then(() => onDone(), (err) => onDone(explain(err, userLabels())));
      }}>
        <p><strong>{user.login}</strong>: {t.admin.deleteHelp}</p>
        <label>{t.admin.transferTo}<input value={to} onChange={(e) => setTo(e.target.value)} /></label>
        <div className="actions"><button type="submit" className="danger">{t.admin.delete} {user.login}</button></div>
      </form>
    </Dialog>
  );
}

/** A one-time login key for a user, shown once with the address that uses it. */
function LoginKey({ user, onClose }: { user: AdminUser; onClose: () => void }) {
  const [issued, setIssued] = useState<{ key: string; expires_at: string }>();
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  useEffect(() => { call<{ key: string; expires_at: string }>('POST', `/users/${user.id}/login-key`).then(setIssued, (e) => setError(explain(e))); }, [user.id]);
  const url = issued ? `${location.origin}/login-key#${encodeURIComponent(issued.key)}` : '';
  return (
    <Dialog title={t.acting.keyTitle(user.login)} onClose={onClose}>
      {issued ? (
        <>
          <p>{t.acting.keyHelp(formatTime(issued.expires_at))}</p>
          <label>{t.acting.keyUrl}<input readOnly value={url} data-testid="login-key-url" onFocus={(e) => e.target.select()} /></label>
          <div className="actions"><button type="button" onClick={async () => { try { await navigator.clipboard.writeText(url); } catch { /* denied */ } setMessage(t.acting.copied); }}>{t.acting.copy}</button></div>
        </>
      ) : null}
      <Status message={message} error={error} />
    </Dialog>
  );
}

/** A user's quota: a size such as "10 GB", or empty for none. */
function QuotaDialog({ user, onDone, onClose }: { user: AdminUser; onDone: () => void; onClose: () => void }) {
  const [value, setValue] = useState(user.quota.limit_bytes == null ? '' : formatBytes(user.quota.limit_bytes));
  const [error, setError] = useState<string>();
  return (
    <Dialog title={t.admin.quotaTitle(user.login)} onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        const bytes = parseBytes(value);
        if (bytes === undefined) { setError(`${t.admin.quota}: ${t.org.badSize}`); return; }
        call('PATCH', `/users/${user.id}`, { quota_bytes: bytes }).then(onDone, (err) => setError(explain(err, userLabels())));
      }}>
        <label>{t.admin.quota}<input value={value} onChange={(e) => setValue(e.target.value)} placeholder={t.org.sizeHint} autoFocus /></label>
        <p className="hint">{t.org.sizeHint}</p>
        <Status error={error} />
        <div className="buttons"><button type="submit">{t.admin.save}</button></div>
      </form>
    </Dialog>
  );
}

/** A user's profile picture, as their admin (`PUT`/`DELETE /users/{id}/picture`). */
function PictureDialog({ user, onChanged, onClose }: { user: AdminUser; onChanged: () => void; onClose: () => void }) {
  const [picture, setPicture] = useState(user.picture_url ?? null);
  const changed = (url: string | null) => {
    forgetPicture(user.id);
    if (user.id === currentSession()?.user.id) updateSessionUser({ picture_url: url });
    setPicture(url); onChanged();
  };
  return (
    <Dialog title={t.pictures.pictureOf(user.login)} onClose={onClose}>
      <ImageEditor title={t.pictures.pictureOf(user.login)} chooseLabel={t.pictures.choosePicture} hasImage={Boolean(picture)} testId="user-picture"
        current={<Avatar key={picture ?? 'none'} user={{ ...user, picture_url: picture }} size={128} />}
        onUpload={async (file) => { const u = await call<AdminUser>('PUT', `/users/${user.id}/picture`, file); changed(u.picture_url ?? null); }}
        onRemove={async () => { await call('DELETE', `/users/${user.id}/picture`); changed(null); }} />
    </Dialog>
  );
}

/** Sets a new password for a user (who is told nothing: the admin passes it on). */
function PasswordDialog({ user, onDone, onClose }: { user: AdminUser; onDone: () => void; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  return (
    <Dialog title={t.admin.passwordTitle(user.login)} onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        call('PATCH', `/users/${user.id}`, { password }).then(onDone, (err) => setError(explain(err, userLabels())));
      }}>
        <label>{t.admin.newPassword}<input type="password" autoComplete="new-password" minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} required autoFocus /></label>
        <Status error={error} />
        <div className="buttons"><button type="submit">{t.admin.setPassword}</button></div>
      </form>
    </Dialog>
  );
}

export function UsersScreen() {
  const systemAdmin = currentSession()?.user.role === 'admin';
  // A company admin gives only these roles, in its company (docs/organisations.md).
  const roles = systemAdmin ? ['user', 'company_admin', 'moderator', 'admin'] : ['user', 'company_admin'];
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [companies, setCompanies] = useState<Company[]>([]);
  const [error, setError] = useState<string>();
  const [form, setForm] = useState({ login: '', name: '', password: '', role: 'user', quota: '', company: '' });
  const [deleting, setDeleting] = useState<AdminUser>();
  const [policy, setPolicy] = useState<AdminUser>();
  const [keyFor, setKeyFor] = useState<AdminUser>();
  const [quotaFor, setQuotaFor] = useState<AdminUser>();
  const [passwordFor, setPasswordFor] = useState<AdminUser>();
  const [pictureFor, setPictureFor] = useState<AdminUser>();
  const [message, setMessage] = useState<string>();
  const [filters, setFilters] = useState({ q: '', status: '', role: '', company_id: '' });
  const [applied, setApplied] = useState(filters);
  const [total, setTotal] = useState<number>();
  const query = useCallback((extra: Record<string, string>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...applied, ...extra })) if (v) q.set(k, v);
    return q.toString();
  }, [applied]);
  const load = useCallback(async () => {
    try {
      const r = await call<{ users: AdminUser[]; total: number }>('GET', `/users?${query({ limit: '1000' })}`);
      setUsers(r.users); setTotal(r.total);
    } catch (e) { setError(explain(e, { q: t.admin.searchUsers, status: t.admin.status, role: t.admin.role })); }
  }, [query]);
  const exportCsv = async () => {
    setError(undefined);
    const res = await fetch(`/api/v1/users?${query({ format: 'csv' })}`, { headers: authHeaders() });
    if (!res.ok) { setError(explain(await readError(res))); return; }
    await saveResponse(res, 'users.csv');
  };
  useEffect(() => {
    void load();
    if (systemAdmin) listCompanies().then(setCompanies, (e) => setError(explain(e)));
  }, [load, systemAdmin]);
  const act = async (fn: () => Promise<unknown>) => { setError(undefined); setMessage(undefined); try { await fn(); } catch (e) { setError(explain(e, userLabels())); } await load(); };
  // Everything one can do to an account, in one menu per row.
  const rowActions = (u: AdminUser): MenuItem[] => {
    const items: MenuItem[] = [];
    const deleted = u.status === 'deleted';
    // One's own account: the server refuses an admin disabling or deleting itself.
    const self = u.id === currentSession()?.user.id;
    if (!deleted && !self) items.push({ label: u.disabled ? t.admin.enable : t.admin.disable, onSelect: () => void act(() => call('PATCH', `/users/${u.id}`, { disabled: !u.disabled })) });
    if (u.locked) items.push({ label: t.admin.unlock, onSelect: () => void act(() => call('POST', `/users/${u.id}/unlock`)) });
    if (!deleted) items.push({ label: t.admin.setPassword, onSelect: () => setPasswordFor(u) });
    if (u.status === 'active') items.push({ label: t.acting.loginKey, onSelect: () => setKeyFor(u) });
    if (u.status === 'active' && u.role === 'user') items.push({ label: t.acting.actAs, onSelect: () => void actAs(u.id).then(() => navigate('/'), (e) => setError(explain(e))) });
    // A company admin may not change a system admin's or moderator's picture (docs/organisations.md).
    if (!deleted && (systemAdmin || u.role === 'user' || u.role === 'company_admin')) {
      items.push({ label: t.pictures.setPicture, onSelect: () => setPictureFor(u) });
      if (u.picture_url) items.push({ label: t.pictures.removePicture, onSelect: () => void act(async () => { await call('DELETE', `/users/${u.id}/picture`); forgetPicture(u.id); if (u.id === currentSession()?.user.id) updateSessionUser({ picture_url: null }); setMessage(t.pictures.pictureRemoved(u.login)); }) });
    }
    if (!deleted) items.push({ label: t.admin.quotaButton, onSelect: () => setQuotaFor(u) });
    items.push({ label: t.org.policy, onSelect: () => setPolicy(u) });
    if (u.two_factor) items.push({ label: t.admin.reset2fa, onSelect: () => void act(() => call('DELETE', `/users/${u.id}/2fa`)) });
    if (deleted) { if (u.purge_at) items.push({ label: t.admin.restore, onSelect: () => void act(() => call('POST', `/users/${u.id}/restore`)) }); }
    else if (!self) items.push({ label: t.admin.delete, danger: true, onSelect: () => setDeleting(u) });
    return items;
  };
  const companyName = (id?: string | null) => (id ? companies.find((c) => c.id === id)?.name ?? id : '—');
  const roleOptions = (current: string) => [...roles, ...(roles.includes(current) ? [] : [current])].map((r) => <option key={r} value={r}>{t.admin.roles[r] ?? r}</option>);
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">{t.admin.users}</h1>
      <form className="inline-form" aria-label={t.admin.createUser} onSubmit={(e) => {
        e.preventDefault();
        const quota = parseBytes(form.quota);
        if (quota === undefined) { setError(`${t.admin.quota}: ${t.org.badSize}`); return; }
        void act(async () => {
          await call('POST', '/users', { login: form.login, name: form.name || undefined, password: form.password, role: form.role, quota_bytes: quota ?? undefined, company_id: form.company || undefined });
          setForm({ login: '', name: '', password: '', role: 'user', quota: '', company: form.company });
        });
      }}>
        <label>{t.admin.login}<input value={form.login} onChange={(e) => setForm({ ...form, login: e.target.value })} required /></label>
        <label>{t.admin.name}<input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></label>
        <label>{t.admin.password}<input type="password" autoComplete="new-password" minLength={8} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} required /></label>
        <label>{t.admin.role}<select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>{roleOptions('user')}</select></label>
        {systemAdmin ? (
          <label>{t.admin.company}<select value={form.company} onChange={(e) => setForm({ ...form, company: e.target.value })}>
            <option value="">{t.org.noCompanyOption}</option>
            {companies.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select></label>
        ) : null}
        <label>{t.admin.quota}<input value={form.quota} onChange={(e) => setForm({ ...form, quota: e.target.value })} placeholder={t.org.sizeHint} /></label>
        <button type="submit">{t.admin.createUser}</button>
      </form>
      <form className="inline-form" role="search" aria-label={t.admin.findUsers} onSubmit={(e) => { e.preventDefault(); setApplied(filters); }}>
        <label>{t.admin.searchUsers}<input type="search" value={filters.q} onChange={(e) => setFilters({ ...filters, q: e.target.value })} /></label>
        <label>{t.admin.status}<select value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value })}>
          <option value="">{t.admin.any}</option>
          {Object.entries(t.admin.statuses).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
        </select></label>
        <label>{t.admin.role}<select value={filters.role} onChange={(e) => setFilters({ ...filters, role: e.target.value })}>
          <option value="">{t.admin.any}</option>
          {['user', 'company_admin', 'moderator', 'admin'].map((r) => <option key={r} value={r}>{t.admin.roles[r]}</option>)}
        </select></label>
        {systemAdmin ? (
          <label>{t.admin.company}<select value={filters.company_id} onChange={(e) => setFilters({ ...filters, company_id: e.target.value })}>
            <option value="">{t.admin.any}</option>
            {companies.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select></label>
        ) : null}
        <button type="submit">{t.admin.filter}</button>
        <button type="button" onClick={() => void exportCsv()}>{t.admin.exportCsv}</button>
      </form>
      <Status message={message} error={error} />
      {total !== undefined ? <p className="muted small" data-testid="users-total">{t.admin.usersFound(total)}</p> : null}
      <table className="list">
        <thead><tr><th scope="col">{t.admin.login}</th><th scope="col" className="wide">{t.admin.name}</th><th scope="col">{t.admin.role}</th>{systemAdmin ? <th scope="col" className="wide">{t.admin.company}</th> : null}<th scope="col">{t.admin.status}</th><th scope="col" className="num">{t.files.size}</th><th scope="col">{t.files.actions}</th></tr></thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-login={u.login}>
              <td><PersonName user={u} /></td>
              <td className="wide">{u.name}</td>
              <td>
                <select aria-label={`${t.admin.role} ${u.login}`} value={u.role} disabled={u.id === currentSession()?.user.id} onChange={(e) => void act(() => call('PATCH', `/users/${u.id}`, { role: e.target.value }))}>
                  {roleOptions(u.role)}
                </select>
              </td>
              {systemAdmin ? (
                <td className="wide">
                  <select aria-label={`${t.admin.company} ${u.login}`} value={u.company_id ?? ''} onChange={(e) => void act(() => call('PATCH', `/users/${u.id}`, { company_id: e.target.value || null }))}>
                    <option value="">{t.org.noCompanyOption}</option>
                    {companies.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
                    {u.company_id && !companies.some((c) => c.id === u.company_id) ? <option value={u.company_id}>{companyName(u.company_id)}</option> : null}
                  </select>
                </td>
              ) : null}
              <td>{t.admin.statuses[u.status] ?? u.status}{u.locked && u.status !== 'locked' ? ' 🔒' : ''}{u.two_factor ? ` · ${t.admin.twoFactor}` : ''}{u.purge_at ? ` (${t.admin.purgeAt} ${formatTime(u.purge_at)})` : ''}</td>
              <td className="num">{formatBytes(u.quota.used_bytes)} / {u.quota.limit_bytes == null ? '∞' : formatBytes(u.quota.limit_bytes)}</td>
              <td className="nowrap"><MenuButton text={t.admin.actions} label={t.admin.actionsFor(u.login)} items={rowActions(u)} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {deleting ? <DeleteUser user={deleting} onClose={() => setDeleting(undefined)} onDone={(err) => { setDeleting(undefined); if (err) setError(err); void load(); }} /> : null}
      {keyFor ? <LoginKey user={keyFor} onClose={() => setKeyFor(undefined)} /> : null}
      {quotaFor ? <QuotaDialog user={quotaFor} onClose={() => setQuotaFor(undefined)} onDone={() => { setQuotaFor(undefined); void load(); }} /> : null}
      {pictureFor ? <PictureDialog user={pictureFor} onClose={() => setPictureFor(undefined)} onChanged={() => void load()} /> : null}
      {passwordFor ? <PasswordDialog user={passwordFor} onClose={() => setPasswordFor(undefined)} onDone={() => { setPasswordFor(undefined); void load(); }} /> : null}
      {policy ? <PolicyDialog kind="user" id={policy.id} name={policy.login} onClose={() => setPolicy(undefined)} /> : null}
    </section>
  );
}

interface AuditEvent { id: string; time: string; actor: { login: string } | null; action: string; target: { type: string; id: string }; ip: string; outcome: string }

export function AuditScreen() {
  const [filters, setFilters] = useState({ actor: '', action: '', target: '', outcome: '', range: '7d' });
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const query = useCallback((extra: Record<string, string> = {}) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) q.set(k, v);
    return q.toString();
  }, [filters]);
  const search = useCallback(async (more?: string) => {
    setError(undefined);
    try {
      const r = await call<{ events: AuditEvent[]; next_cursor: string | null }>('GET', `/audit/events?${query({ limit: '100', ...(more ? { cursor: more } : {}) })}`);
      setEvents((prev) => (more ? [...prev, ...r.events] : r.events)); setCursor(r.next_cursor);
    } catch (e) { setError((e as Error).message); }
  }, [query]);
  useEffect(() => { void search(); }, []);
  const exportAs = async (format: string) => {
    const res = await fetch(`/api/v1/audit/events?${query({ format })}`, { headers: authHeaders() });
    if (!res.ok) { setError((await readError(res)).message); return; }
    await saveResponse(res, `audit.${format}`);
  };
  const field = (key: keyof typeof filters, label: string) => (
    <label>{label}<input value={filters[key]} onChange={(e) => setFilters({ ...filters, [key]: e.target.value })} /></label>
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t.admin.audit}</h1>
      <form className="inline-form" role="search" onSubmit={(e) => { e.preventDefault(); void search(); }}>
        {field('actor', t.admin.actor)}{field('action', t.admin.action)}{field('target', t.admin.target)}
        <label>{t.admin.outcome}<select value={filters.outcome} onChange={(e) => setFilters({ ...filters, outcome: e.target.value })}><option value="">{t.admin.any}</option><option value="success">success</option><option value="failure">failure</option></select></label>
        <label>{t.admin.range}<select value={filters.range} onChange={(e) => setFilters({ ...filters, range: e.target.value })}><option value="24h">24h</option><option value="7d">7d</option><option value="30d">30d</option><option value="">{t.admin.any}</option></select></label>
        <button type="submit">{t.admin.filter}</button>
        <button type="button" onClick={() => void exportAs('csv')}>{t.admin.exportCsv}</button>
        <button type="button" onClick={() => void exportAs('ndjson')}>{t.admin.exportNdjson}</button>
      </form>
      <Status error={error} />
      <table className="list">
        <thead><tr><th scope="col">{t.admin.time}</th><th scope="col">{t.admin.actor}</th><th scope="col">{t.admin.action}</th><th scope="col" className="wide">{t.admin.target}</th><th scope="col" className="wide">IP</th><th scope="col">{t.admin.outcome}</th></tr></thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id}><td>{formatTime(e.time)}</td><td>{e.actor?.login ?? '—'}</td><td>{e.action}</td><td className="wide"><code>{e.target.id}</code></td><td className="wide">{e.ip}</td><td>{e.outcome}</td></tr>
          ))}
        </tbody>
      </table>
      {cursor ? <button type="button" onClick={() => void search(cursor)}>…</button> : null}
    </section>
  );
}

interface Webhook { id: string; url: string; events: string[]; active: boolean; secret?: string | null; created_at: string; consecutive_failures: number }
interface Delivery { id: string; event_type: string; status: string; attempt_count: number; created_at?: string; next_attempt_at?: string | null }

export function WebhooksScreen() {
  const [hooks, setHooks] = useState<Webhook[]>([]);
  const [form, setForm] = useState({ url: '', events: '*' });
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<string>();
  const [log, setLog] = useState<{ hook: Webhook; deliveries: Delivery[] }>();
  const load = useCallback(async () => {
    try { setHooks((await call<{ webhooks: Webhook[] }>('GET', '/webhooks?limit=1000')).webhooks); } catch (e) { setError((e as Error).message); }
  }, []);
  useEffect(() => { void load(); }, [load]);
  const openLog = async (hook: Webhook) => {
    try { setLog({ hook, deliveries: (await call<{ deliveries: Delivery[] }>('GET', `/webhooks/${hook.id}/deliveries?limit=100`)).deliveries }); } catch (e) { setError((e as Error).message); }
  };
  return (
    <section aria-labelledby="hooks-title">
      <h1 id="hooks-title">{t.admin.webhooks}</h1>
      <form className="inline-form" aria-label={t.admin.createWebhook} onSubmit={async (e) => {
        e.preventDefault(); setError(undefined);
        try {
          const h = await call<Webhook>('POST', '/webhooks', { url: form.url, events: form.events.split(',').map((s) => s.trim()).filter(Boolean) });
          setSecret(h.secret ?? undefined); setForm({ url: '', events: '*' }); await load();
        } catch (err) { setError((err as Error).message); }
      }}>
        <label>{t.admin.url}<input type="url" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} required /></label>
        <label>{t.admin.events}<input value={form.events} onChange={(e) => setForm({ ...form, events: e.target.value })} required /></label>
        <button type="submit">{t.admin.createWebhook}</button>
      </form>
      {secret ? <p role="status">{t.admin.secretOnce}: <code>{secret}</code></p> : null}
      <Status error={error} />
      <table className="list">
        <thead><tr><th scope="col">{t.admin.url}</th><th scope="col" className="wide">{t.admin.events}</th><th scope="col">{t.admin.status}</th><th scope="col">{t.files.actions}</th></tr></thead>
        <tbody>
          {hooks.map((h) => (
            <tr key={h.id}>
              <td>{h.url}</td><td className="wide">{h.events.join(', ')}</td><td>{h.active ? t.admin.active : t.admin.disabled}</td>
              <td className="nowrap">
                <button type="button" onClick={() => void openLog(h)}>{t.admin.deliveries}</button>{' '}
                <button type="button" className="danger" onClick={async () => { await call('DELETE', `/webhooks/${h.id}`).catch((e) => setError(e.message)); await load(); }}>{t.admin.remove}</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {log ? (
        <Dialog title={`${t.admin.deliveries}: ${log.hook.url}`} onClose={() => setLog(undefined)}>
          <table className="list">
            <thead><tr><th scope="col">{t.admin.action}</th><th scope="col">{t.admin.status}</th><th scope="col" className="num">#</th><th scope="col">{t.files.actions}</th></tr></thead>
            <tbody>
              {log.deliveries.map((d) => (
                <tr key={d.id}><td>{d.event_type}</td><td>{d.status}</td><td className="num">{d.attempt_count}</td>
                  <td><button type="button" onClick={async () => { await call('POST', `/webhooks/${log.hook.id}/deliveries/${d.id}/redeliver`).catch((e) => setError(e.message)); await openLog(log.hook); }}>{t.admin.redeliver}</button></td></tr>
              ))}
            </tbody>
          </table>
        </Dialog>
      ) : null}
    </section>
  );
}


interface Registration { id: string; login: string; name?: string | null; status: string; created_at: string; confirmed_at?: string | null; decided_by?: string | null; decided_at?: string | null; user_id?: string | null }

/** Sign-ups (docs/accounts.md): those waiting for an admin first; approve or deny each. */
export function RegistrationsScreen() {
  const [status, setStatus] = useState('pending');
  const [rows, setRows] = useState<Registration[]>();
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const load = useCallback(async () => {
    try { setRows((await call<{ registrations: Registration[] }>('GET', `/registrations${status ? `?status=${status}` : ''}`)).registrations); }
    catch (e) { setError(explain(e)); }
  }, [status]);
  useEffect(() => { void load(); }, [load]);
  const decide = async (r: Registration, approve: boolean) => {
    setError(undefined); setMessage(undefined);
    try {
      await call('POST', `/registrations/${r.id}/${approve ? 'approve' : 'deny'}`);
      setMessage(approve ? t.registrations.approved(r.login) : t.registrations.denied(r.login));
    } catch (e) { setError(explain(e)); }
    await load();
  };
  return (
    <section aria-labelledby="registrations-title">
      <h1 id="registrations-title">{t.registrations.title}</h1>
      <p className="hint">{t.registrations.help}</p>
      <label className="inline">{t.admin.status}
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{t.admin.any}</option>
          {Object.entries(t.registrations.statuses).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
        </select>
      </label>
      <Status message={message} error={error} />
      {rows && !rows.length ? <p className="empty">{t.registrations.none}</p> : null}
      {rows?.length ? (
        <table className="list" data-testid="registrations">
          <thead><tr><th scope="col">{t.registrations.email}</th><th scope="col" className="wide">{t.admin.name}</th><th scope="col" className="wide">{t.registrations.signedUp}</th><th scope="col">{t.admin.status}</th><th scope="col">{t.files.actions}</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-login={r.login} data-status={r.status}>
                <td>{r.login}</td>
                <td className="wide">{r.name ?? ''}</td>
                <td className="wide">{formatTime(r.created_at)}</td>
                <td>{t.registrations.statuses[r.status] ?? r.status}{r.decided_at ? ` · ${formatTime(r.decided_at)}` : ''}</td>
                <td className="nowrap">
                  {r.status === 'pending' ? (
                    <>
                      <button type="button" aria-label={t.registrations.approveFor(r.login)} onClick={() => void decide(r, true)}>{t.registrations.approve}</button>{' '}
                      <button type="button" className="danger" aria-label={t.registrations.denyFor(r.login)} onClick={() => void decide(r, false)}>{t.registrations.deny}</button>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
