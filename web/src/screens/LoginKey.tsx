// /login-key#<key>: signs in once with a key an admin made (POST /auth/login-key). The key is in
// the fragment, so it never reaches a server log or a Referer; it leaves the address bar at once.
import { useEffect, useState } from 'react';
import { ApiError, call, startSession, type User } from '../api';
import { t } from '../i18n';
import { navigate } from '../router';

export function LoginKeyScreen() {
  // Read once; the hash is cleared in an effect, not here: React may run an initializer twice
  // (a discarded render), and a second run would find the hash gone and the key empty.
  const [key] = useState(() => decodeURIComponent(location.hash.slice(1)));
  useEffect(() => {
    if (location.hash) history.replaceState(null, '', location.pathname);
  }, []);
  const [otp, setOtp] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" className="signin">
      <form onSubmit={async (e) => {
        e.preventDefault(); setBusy(true); setError(undefined);
        try {
          const s = await call<{ access_token: string; expires_at: string; user: User }>('POST', '/auth/login-key', { key, otp: otp || undefined }, { auth: false });
          startSession(s);
          navigate('/', true);
        } catch (err) {
          if (err instanceof ApiError && err.code === 'otp_required') setOtp('');
          else if (err instanceof ApiError && err.code === 'invalid_otp') setError(t.signIn.wrongCode);
          else if (err instanceof ApiError && err.status === 401) setError(t.loginKey.invalid);
          else setError(err instanceof ApiError && err.status === 0 ? t.errors.network : (err as Error).message);
        } finally { setBusy(false); }
      }}>
        <h1>{t.loginKey.title}</h1>
        {key ? <p>{t.loginKey.help}</p> : <p role="alert" className="error">{t.loginKey.missing}</p>}
        {otp !== undefined ? (
          <label>{t.signIn.code}<input name="otp" autoComplete="one-time-code" inputMode="numeric" value={otp} onChange={(e) => setOtp(e.target.value)} required autoFocus /></label>
        ) : null}
        {error ? <p role="alert" className="error">{error}</p> : null}
        <button type="submit" disabled={busy || !key}>{t.signIn.submit}</button>
      </form>
    </main>
  );
}
