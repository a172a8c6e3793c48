// The signed-in user's own account: name, password change (the other sessions end), and the
// policy that applies to them (the most restrictive of their company's, groups' and own).
import { useEffect, useState } from 'react';
import { ApiError, call } from '../api';
import { t } from '../i18n';
import { Status } from '../ui';

interface Me { id: string; login: string; name: string; role: string; quota: { limit_bytes: number | null; used_bytes: number } }
interface Policy { can_download: boolean | null; can_upload: boolean | null; can_share_links: boolean | null; force_watermark: boolean | null; max_link_expires_in_secs: number | null; allowed_ip_ranges: string[] | null }

const problem = (err: unknown, labels: Record<string, string>) => {
  if (!(err instanceof ApiError)) return (err as Error).message || t.errors.generic;
  if (err.status === 0) return t.errors.network;
  return err.field && labels[err.field] ? `${labels[err.field]}: ${err.message}` : err.message;
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

export function AccountScreen() {
  const [me, setMe] = useState<Me>();
  const [error, setError] = useState<string>();
  useEffect(() => { call<Me>('GET', '/me').then(setMe, (e) => setError((e as Error).message)); }, []);
  return (
    <section aria-labelledby="account-title" className="account">
      <h1 id="account-title">{t.account.title}</h1>
      <Status error={error} />
      <div className="account-grid">
        <div>{me ? <Profile me={me} onSaved={setMe} /> : null}<MyPolicy /></div>
        <Password />
      </div>
    </section>
  );
}
