// Two-factor login (TOTP) for the signed-in user: its status, setting it up (the secret for an
// authenticator app, the first code, the recovery codes shown once), and turning it off.
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { call } from '../api';
import { t } from '../i18n';
import { Dialog, Status } from '../ui';

interface TwoFactorStatus { enabled: boolean; pending: boolean; recovery_codes_left: number }
interface Enrolment { secret: string; otpauth_uri: string }

/**
 * The otpauth URI as a QR code for a phone's authenticator app: SVG drawn by React from the
 * module matrix of `qr` (loaded with the dialog), so nothing inline runs or styles (strict CSP).
 */
function QrCode({ text }: { text: string }) {
  const [path, setPath] = useState<{ d: string; size: number }>();
  useEffect(() => {
    let live = true;
    void import('qr').then(({ encodeQR }) => {
      // border: the quiet zone of 4 modules readers need around the code.
      const rows = encodeQR(text, 'raw', { ecc: 'medium', border: 4 });
      let d = '';
      rows.forEach((row, y) => row.forEach((on, x) => { if (on) d += `M${x} ${y}h1v1h-1z`; }));
      if (live) setPath({ d, size: rows.length });
    });
    return () => { live = false; };
  }, [text]);
  if (!path) return <div className="qr" />;
  return (
    <svg className="qr" role="img" aria-label={t.twoFactor.qr} data-testid="totp-qr" viewBox={`0 0 ${path.size} ${path.size}`} shapeRendering="crispEdges">
      <rect width={path.size} height={path.size} fill="#fff" />
      <path d={path.d} fill="#000" />
    </svg>
  );
}

function CodeForm({ label, submit, onDone, children }: { label: string; submit: (code: string) => Promise<void>; onDone: () => void; children?: ReactNode }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string>();
  const send = async (e: FormEvent) => {
    e.preventDefault();
    try { await submit(code.trim()); onDone(); } catch (err) { setError((err as Error).message); }
  };
  return (
    <form onSubmit={send}>
      {children}
      <label>{t.twoFactor.code}<input autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} required maxLength={64} /></label>
      <Status error={error} />
      <div className="actions"><button type="submit" className="primary">{label}</button></div>
    </form>
  );
}

export function TwoFactorSection() {
  const [status, setStatus] = useState<TwoFactorStatus>();
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [enrolment, setEnrolment] = useState<Enrolment>();
  const [codes, setCodes] = useState<string[]>();
  const [disabling, setDisabling] = useState(false);
  const load = useCallback(async () => {
    try { setStatus(await call<TwoFactorStatus>('GET', '/me/2fa')); } catch (e) { setError((e as Error).message); }
  }, []);
  useEffect(() => { void load(); }, [load]);
  const begin = async () => {
    setError(undefined); setMessage(undefined);
    try { setEnrolment(await call<Enrolment>('POST', '/me/2fa')); } catch (e) { setError((e as Error).message); }
  };
  return (
    <section aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">{t.twoFactor.title}</h2>
      <p>{status?.enabled ? `${t.twoFactor.on} (${status.recovery_codes_left} ${t.twoFactor.left})` : t.twoFactor.off}</p>
      <div className="toolbar">
        {status?.enabled
          ? <button type="button" className="danger" onClick={() => { setMessage(undefined); setDisabling(true); }}>{t.twoFactor.disable}</button>
          : <button type="button" className="primary" onClick={() => void begin()}>{t.twoFactor.enable}</button>}
      </div>
      <Status message={message} error={error} />
      {enrolment ? (
        <Dialog title={t.twoFactor.setUp} onClose={() => setEnrolment(undefined)}>
          <CodeForm
            label={t.twoFactor.confirm}
            submit={async (code) => { setCodes((await call<{ recovery_codes: string[] }>('POST', '/me/2fa/confirm', { code })).recovery_codes); }}
            onDone={() => { setEnrolment(undefined); void load(); }}
          >
            <p>{t.twoFactor.secretHelp}</p>
            <QrCode text={enrolment.otpauth_uri} />
            <label>{t.twoFactor.secret}<input readOnly className="secret" value={enrolment.secret} onFocus={(e) => e.target.select()} /></label>
            <p><a href={enrolment.otpauth_uri}>{t.twoFactor.uri}</a></p>
          </CodeForm>
        </Dialog>
      ) : null}
      {codes ? (
        <Dialog title={t.twoFactor.recoveryTitle} onClose={() => setCodes(undefined)}>
          <p>{t.twoFactor.recoveryHelp}</p>
          <ol className="codes" aria-label={t.twoFactor.recoveryTitle}>{codes.map((c) => <li key={c}>{c}</li>)}</ol>
        </Dialog>
      ) : null}
      {disabling ? (
        <Dialog title={t.twoFactor.disable} onClose={() => setDisabling(false)}>
          <CodeForm
            label={t.twoFactor.turnOff}
            submit={async (code) => { await call('DELETE', '/me/2fa', { code }); }}
            onDone={() => { setDisabling(false); setMessage(t.twoFactor.turnedOff); void load(); }}
          >
            <p>{t.twoFactor.disableHelp}</p>
          </CodeForm>
        </Dialog>
      ) : null}
    </section>
  );
}
