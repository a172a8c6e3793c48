// Password reset by e-mail (docs/mail.md): ask for a link (`POST /auth/password-reset`, which
// answers the same whatever the login), then, from the link `/reset?token=…`, choose a new
// password (`POST /auth/password-reset/confirm`).
import { useState } from 'react';
import { ApiError, call } from '../api';
import { t } from '../i18n';
import { A } from '../ui';

function problem(err: unknown): string {
  if (!(err instanceof ApiError)) return t.errors.generic;
  if (err.status === 0) return t.errors.network;
  if (err.code === 'mail_not_configured') return t.reset.noMail;
  if (err.code === 'reset_token_invalid') return t.reset.badToken;
  if (err.field === 'new_password') return `${t.reset.newPassword}: ${err.message}`;
  return err.message;
}

export function ResetScreen({ token }: { token?: string }) {
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const send = async (fn: () => Promise<string>) => {
    setBusy(true); setError(undefined);
    try { setDone(await fn()); } catch (err) { setError(problem(err)); } finally { setBusy(false); }
  };
  return (
    <main id="main" className="signin">
      {token ? (
        <form aria-labelledby="reset-title" onSubmit={(e) => {
          e.preventDefault();
          if (password !== again) { setError(t.reset.mismatch); return; }
          void send(async () => {
            await call('POST', '/auth/password-reset/confirm', { token, new_password: password }, { auth: false });
            history.replaceState(null, '', '/reset'); // the token is used up: keep it out of the history
            return t.reset.changed;
          });
        }}>
          <h1 id="reset-title">{t.reset.chooseTitle}</h1>
          {done ? (
            <p role="status" className="notice">{done} <A href="/">{t.reset.signIn}</A></p>
          ) : (
            <>
              <label>{t.reset.newPassword}<input name="new-password" type="password" autoComplete="new-password" minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
              <label>{t.reset.repeat}<input name="repeat-password" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required /></label>
              {error ? <p role="alert" className="error">{error}{error === t.reset.badToken ? <> <A href="/reset">{t.reset.askAgain}</A></> : null}</p> : null}
              <button type="submit" disabled={busy}>{t.reset.save}</button>
            </>
          )}
        </form>
      ) : (
        <form aria-labelledby="reset-title" onSubmit={(e) => {
          e.preventDefault();
          void send(async () => { await call('POST', '/auth/password-reset', { login: login.trim() }, { auth: false }); return t.reset.sent; });
        }}>
          <h1 id="reset-title">{t.reset.title}</h1>
          <p className="hint">{t.reset.help}</p>
          <label>{t.signIn.login}<input name="login" autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)} required /></label>
          {done ? <p role="status" className="notice">{done}</p> : null}
          {error ? <p role="alert" className="error">{error}</p> : null}
          <button type="submit" disabled={busy}>{t.reset.send}</button>
          <p><A href="/">{t.reset.back}</A></p>
        </form>
      )}
    </main>
  );
}
