// Self-registration (docs/accounts.md): sign up with an e-mail address (`POST /auth/register`,
// which answers the same whether or not the address has an account), then confirm from the
// mailed link `/register?token=…` (`POST /auth/register/confirm`): the account is active, or
// waits for an admin. The server says whether it takes sign-ups (`403 registration_closed`).
import { useEffect, useRef, useState } from 'react';
import { ApiError, call } from '../api';
import { t } from '../i18n';
import { A } from '../ui';

function problem(err: unknown): string {
  if (!(err instanceof ApiError)) return t.errors.generic;
  if (err.status === 0) return t.errors.network;
  if (err.code === 'registration_closed') return t.register.closed;
  if (err.code === 'mail_not_configured') return t.register.noMail;
  if (err.code === 'registration_token_invalid') return t.register.badToken;
  if (err.code === 'too_many_requests') return t.register.tooMany;
  if (err.code === 'name_conflict') return t.register.taken;
  const label = err.field === 'login' ? t.register.email : err.field === 'password' ? t.register.password : err.field === 'name' ? t.register.name : undefined;
  return label ? `${label}: ${err.message}` : err.message;
}

export function RegisterScreen() {
  const [form, setForm] = useState({ login: '', name: '', password: '', again: '' });
  const [error, setError] = useState<string>();
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" className="signin">
      <form aria-labelledby="register-title" onSubmit={async (e) => {
        e.preventDefault();
        if (form.password !== form.again) { setError(t.reset.mismatch); return; }
        setBusy(true); setError(undefined);
        try {
          await call('POST', '/auth/register', { login: form.login.trim(), password: form.password, name: form.name.trim() || undefined }, { auth: false });
          setSent(true);
        } catch (err) { setError(problem(err)); } finally { setBusy(false); }
      }}>
        <h1 id="register-title">{t.register.title}</h1>
        {sent ? (
          <p role="status" className="notice" data-testid="register-sent">{t.register.sent(form.login.trim())}</p>
        ) : (
          <>
            <p className="hint">{t.register.help}</p>
            <label>{t.register.email}<input name="email" type="email" autoComplete="email" value={form.login} onChange={(e) => setForm({ ...form, login: e.target.value })} required /></label>
            <label>{t.register.name}<input name="name" autoComplete="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></label>
            <label>{t.register.password}<input name="new-password" type="password" autoComplete="new-password" minLength={8} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} required /></label>
            <label>{t.register.again}<input name="repeat-password" type="password" autoComplete="new-password" value={form.again} onChange={(e) => setForm({ ...form, again: e.target.value })} required /></label>
            {error ? <p role="alert" className="error">{error}</p> : null}
            <button type="submit" disabled={busy}>{t.register.submit}</button>
          </>
        )}
        <p><A href="/">{t.register.haveAccount}</A></p>
      </form>
    </main>
  );
}

type Outcome = { status: 'active' | 'pending' } | { error: string };

/** The mailed link: confirms at once (the token works once), then says what happens next. */
export function ConfirmRegistrationScreen({ token }: { token: string }) {
  const [outcome, setOutcome] = useState<Outcome>();
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    call<{ status: 'active' | 'pending' }>('POST', '/auth/register/confirm', { token }, { auth: false }).then(
      (r) => { history.replaceState(null, '', '/register'); setOutcome({ status: r.status }); },
      (err) => setOutcome({ error: problem(err) }),
    );
  }, [token]);
  return (
    <main id="main" className="signin">
      <section aria-labelledby="confirm-title">
        <h1 id="confirm-title">{t.register.confirmTitle}</h1>
        {!outcome ? <p role="status">{t.register.confirming}</p> : null}
        {outcome && 'status' in outcome ? (
          <p role="status" className="notice" data-testid="register-outcome">{outcome.status === 'active' ? t.register.active : t.register.pending}</p>
        ) : null}
        {outcome && 'error' in outcome ? <p role="alert" className="error">{outcome.error}</p> : null}
        <p>{outcome && 'error' in outcome ? <A href="/register">{t.register.again_}</A> : <A href="/">{t.register.toSignIn}</A>}</p>
      </section>
    </main>
  );
}
