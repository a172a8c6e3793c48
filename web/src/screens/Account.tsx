// The signed-in user's own account: name, password change (the other sessions end), and the
// policy that applies to them (the most restrictive of their company's, groups' and own).
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { ApiError, call, currentSession, formatBytes, formatTime, parseBytes, updateSessionUser } from '../api';
import { t } from '../i18n';
import { Status } from '../ui';
import { Avatar, forgetPicture, ImageEditor } from '../pictures';

interface Me { id: string; login: string; name: string; role: string; picture_url?: string | null; quota: { limit_bytes: number | null; used_bytes: number } }
export interface QuotaRequest { id: string; user_id: string; user_login: string; quota_bytes: number; previous_quota_bytes: number | null; message: string; status: string; decision_message?: string | null; created_at: string; decided_at?: string | null }
interface Login { login: string; primary: boolean; created_at: string }
// Admins answer their users' requests here; most people never load it.
const QuotaRequestsAdmin = lazy(() => import('./QuotaAdmin').then((m) => ({ default: m.QuotaRequestsAdmin })));
interface Policy { can_download: boolean | null; can_upload: boolean | null; can_share_links: boolean | null; force_watermark: boolean | null; max_link_expires_in_secs: number | null; allowed_ip_ranges: string[] | null }

const problem = (err: unknown, labels: Record<string, string>) => {
  if (!(err instanceof ApiError)) return (err as Error).message || t.errors.generic;
  if (err.status === 0) return t.errors.network;
  const field = err.field ?? (err.code === 'name_conflict' ? 'name' : undefined);
  return field && labels[field] ? `${labels[field]}: ${err.message}` : err.message;
};

function Profile({ me, onSaved }: { me: Me; onSaved: (m: Me) => void }) {
  const [name, setName] = useState(me.name);
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  return (
    <form aria-labelledby="profile-title" onSubmit={async (e) => {
      e.preventDefault(); setError(undefined); setMessage(undefined);
      try { onSaved(await call<Me>('PATCH', '/me', { name: name.trim() })); setMessage(t.account.saved); }
      catch (err) { setError(problem(err, { name: t.account.name })); }
    }}>
      <h2 id="profile-title">{t.account.profile}</h2>
      <p>{t.account.login}: <strong>{me.login}</strong> · {t.admin.role}: {t.admin.roles[me.role] ?? me.role}</p>
      <label>{t.account.name}<input name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} maxLength={255} /></label>
      <Status message={message} error={error} />
      <div className="actions"><button type="submit">{t.account.save}</button></div>
    </form>
  );
}

/** The caller's profile picture (`PUT`/`DELETE /me/picture`): shown in the header and beside their name. */
function Picture({ me, onChanged }: { me: Me; onChanged: (m: Me) => void }) {
  const changed = (picture_url: string | null) => {
    forgetPicture(me.id);
    updateSessionUser({ picture_url });
    onChanged({ ...me, picture_url });
  };
  return (
    <section aria-labelledby="picture-title">
      <h2 id="picture-title">{t.pictures.yours}</h2>
      <ImageEditor title={t.pictures.yours} chooseLabel={t.pictures.choosePicture} hasImage={Boolean(me.picture_url)} testId="my-picture"
        current={<Avatar key={me.picture_url ?? 'none'} user={me} size={128} testId="account-avatar" />}
        onUpload={async (file) => { const u = await call<Me>('PUT', '/me/picture', file); changed(u.picture_url ?? null); }}
        onRemove={async () => { await call('DELETE', '/me/picture'); changed(null); }} />
    </section>
  );
}

function Password() {
  const [f, setF] = useState({ current: '', next: '', again: '' });
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  return (
    <form aria-labelledby="password-title" onSubmit={async (e) => {
      e.preventDefault(); setError(undefined); setMessage(undefined);
      if (f.next !== f.again) { setError(t.reset.mismatch); return; }
      try {
        await call('POST', '/me/password', { current_password: f.current, new_password: f.next });
        setF({ current: '', next: '', again: '' }); setMessage(t.account.passwordChanged);
      } catch (err) { setError(problem(err, { current_password: t.account.currentPassword, new_password: t.reset.newPassword })); }
    }}>
      <h2 id="password-title">{t.account.password}</h2>
      <label>{t.account.currentPassword}<input name="current-password" type="password" autoComplete="current-password" value={f.current} onChange={(e) => setF({ ...f, current: e.target.value })} required /></label>
      <label>{t.reset.newPassword}<input name="new-password" type="password" autoComplete="new-password" minLength={8} value={f.next} onChange={(e) => setF({ ...f, next: e.target.value })} required /></label>
      <label>{t.reset.repeat}<input name="repeat-password" type="password" autoComplete="new-password" value={f.again} onChange={(e) => setF({ ...f, again: e.target.value })} required /></label>
      <Status message={message} error={error} />
      <div className="actions"><button type="submit">{t.account.changePassword}</button></div>
    </form>
  );
}

function MyPolicy() {
  const [p, setP] = useState<Policy>();
  const [error, setError] = useState<string>();
  useEffect(() => { call<Policy>('GET', '/me/policy').then(setP, (e) => setError((e as Error).message)); }, []);
  const yesNo = (v: boolean | null) => (v === false ? t.org.refused : t.org.allowed);
  return (
    <section aria-labelledby="policy-title">
      <h2 id="policy-title">{t.account.policy}</h2>
      <Status error={error} />
      {p ? (
        <dl className="details" data-testid="my-policy">
          <dt>{t.org.canDownload}</dt><dd>{yesNo(p.can_download)}</dd>
          <dt>{t.org.canUpload}</dt><dd>{yesNo(p.can_upload)}</dd>
          <dt>{t.org.canShareLinks}</dt><dd>{yesNo(p.can_share_links)}</dd>
          <dt>{t.org.forceWatermark}</dt><dd>{p.force_watermark ? t.org.forced : t.org.notForced}</dd>
          <dt>{t.account.maxExpiry}</dt><dd>{p.max_link_expires_in_secs == null ? t.account.noLimit : t.account.seconds(p.max_link_expires_in_secs)}</dd>
          <dt>{t.account.addresses}</dt><dd>{p.allowed_ip_ranges == null ? t.account.anyAddress : p.allowed_ip_ranges.join(', ') || t.account.noAddress}</dd>
        </dl>
      ) : null}
    </section>
  );
}

function MyQuota({ me }: { me: Me }) {
  const [requests, setRequests] = useState<QuotaRequest[]>([]);
  const [size, setSize] = useState('');
  const [message, setMessage] = useState('');
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => call<{ requests: QuotaRequest[] }>('GET', '/me/quota-requests').then((r) => setRequests(r.requests), (e) => setError((e as Error).message)), []);
  useEffect(() => { void load(); }, [load]);
  const pending = requests.some((r) => r.status === 'pending');
  return (
    <section aria-labelledby="quota-title">
      <h2 id="quota-title">{t.quota.title}</h2>
      <p data-testid="my-quota">{t.quota.usage(formatBytes(me.quota.used_bytes), me.quota.limit_bytes == null ? t.quota.unlimited : formatBytes(me.quota.limit_bytes))}</p>
      {me.quota.limit_bytes != null && !pending ? (
        <form aria-labelledby="quota-ask-title" onSubmit={async (e) => {
          e.preventDefault(); setError(undefined); setDone(undefined);
          const bytes = parseBytes(size);
          if (bytes == null) { setError(`${t.quota.asked}: ${t.quota.badSize}`); return; }
          try {
            await call('POST', '/me/quota-requests', { quota_bytes: bytes, message: message.trim() || undefined });
            setSize(''); setMessage(''); setDone(t.quota.sent); await load();
          } catch (err) { setError(problem(err, { quota_bytes: t.quota.asked, message: t.quota.why })); }
        }}>
          <h3 id="quota-ask-title">{t.quota.ask}</h3>
          <label>{t.quota.asked}<input name="quota" value={size} onChange={(e) => setSize(e.target.value)} placeholder="20 GB" required /></label>
          <label>{t.quota.why}<input name="quota-message" value={message} onChange={(e) => setMessage(e.target.value)} maxLength={1000} /></label>
          <div className="actions"><button type="submit">{t.quota.send}</button></div>
        </form>
      ) : null}
      <Status message={done} error={error} />
      {requests.length ? (
        <table className="list" data-testid="my-quota-requests">
          <caption>{t.quota.mine}</caption>
          <thead><tr><th scope="col">{t.admin.time}</th><th scope="col">{t.quota.askedCol}</th><th scope="col">{t.quota.status}</th><th scope="col">{t.quota.answer}</th></tr></thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id} data-status={r.status}>
                <td>{formatTime(r.created_at)}</td><td>{formatBytes(r.quota_bytes)}</td>
                <td>{t.quota.statuses[r.status] ?? r.status}</td><td>{r.decision_message ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Logins() {
  const [logins, setLogins] = useState<Login[]>([]);
  const [login, setLogin] = useState('');
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => call<{ logins: Login[] }>('GET', '/me/logins').then((r) => setLogins(r.logins), (e) => setError((e as Error).message)), []);
  useEffect(() => { void load(); }, [load]);
  const act = async (fn: () => Promise<unknown>, ok: string) => {
    setError(undefined); setDone(undefined);
    try { await fn(); setDone(ok); await load(); }
    catch (err) { setError(problem(err, { login: t.logins.login, name: t.logins.login })); }
  };
  return (
    <section aria-labelledby="logins-title">
      <h2 id="logins-title">{t.logins.title}</h2>
      <p className="hint">{t.logins.help}</p>
      <ul className="logins" data-testid="my-logins">
        {logins.map((l) => (
          <li key={l.login}>
            <span>{l.login}</span>{l.primary ? <span className="hint"> ({t.logins.primary})</span> : (
              <button type="button" className="ghost" aria-label={t.logins.remove(l.login)} onClick={() => void act(() => call('DELETE', `/me/logins/${encodeURIComponent(l.login)}`), t.logins.removed)}>{t.logins.removeShort}</button>
            )}
          </li>
        ))}
      </ul>
      <form onSubmit={(e) => { e.preventDefault(); void act(async () => { await call('POST', '/me/logins', { login: login.trim() }); setLogin(''); }, t.logins.added); }}>
        <label>{t.logins.add}<input name="extra-login" value={login} onChange={(e) => setLogin(e.target.value)} required autoComplete="off" /></label>
        <div className="actions"><button type="submit">{t.logins.addButton}</button></div>
      </form>
      <Status message={done} error={error} />
    </section>
  );
}

export function AccountScreen() {
  const [me, setMe] = useState<Me>();
  const [error, setError] = useState<string>();
  const role = currentSession()?.user.role;
  useEffect(() => { call<Me>('GET', '/me').then(setMe, (e) => setError((e as Error).message)); }, []);
  return (
    <section aria-labelledby="account-title" className="account">
      <h1 id="account-title">{t.account.title}</h1>
      <Status error={error} />
      <div className="account-grid">
        <div>{me ? <Picture me={me} onChanged={setMe} /> : null}{me ? <Profile me={me} onSaved={setMe} /> : null}{me ? <MyQuota me={me} /> : null}<MyPolicy /></div>
        {currentSession()?.actingAs ? <p className="hint" data-testid="acting-limits">{t.acting.limits}</p> : <div><Password /><Logins /></div>}
      </div>
      {role === 'admin' || role === 'company_admin' ? <Suspense fallback={<p role="status">{t.loading}</p>}><QuotaRequestsAdmin /></Suspense> : null}
    </section>
  );
}
