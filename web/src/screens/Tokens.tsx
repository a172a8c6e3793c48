// The caller's tokens: sessions, API tokens for scripts and device tokens, with their last use;
// create one (its secret is shown once), revoke one, wipe a lost device.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { call, formatTime } from '../api';
import { t } from '../i18n';
import { Dialog, Status } from '../ui';
import { TwoFactorSection } from './TwoFactor';

interface Token { id: string; kind: string; name: string | null; scopes: string[]; created_at: string; expires_at: string | null; last_used_at: string | null; last_used_ip: string | null; wiped_at: string | null; current: boolean }
interface Issued extends Token { secret: string }

const SCOPES = ['read', 'write'] as const;

function CreateToken({ onCreated, onClose }: { onCreated: (issued: Issued) => void; onClose: () => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState('api');
  const [scopes, setScopes] = useState<string[]>(['read']);
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      onCreated(await call<Issued>('POST', '/me/tokens', { name, kind, scopes }));
    } catch (err) { setError((err as Error).message); }
  };
  return (
    <Dialog title={t.tokens.create} onClose={onClose}>
      <form onSubmit={submit}>
        <label>{t.tokens.name}<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} /></label>
        <label>{t.tokens.kind}
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="api">{t.tokens.kindApi}</option>
            <option value="device">{t.tokens.kindDevice}</option>
          </select>
        </label>
        <fieldset>
          <legend>{t.tokens.scopes}</legend>
          {SCOPES.map((s) => (
            <label key={s} className="inline">
              <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} />
              {t.tokens.scope[s]}
            </label>
          ))}
        </fieldset>
        <Status error={error} />
        <div className="actions"><button type="submit" className="primary">{t.tokens.create}</button></div>
      </form>
    </Dialog>
  );
}

export function TokensScreen() {
  const [tokens, setTokens] = useState<Token[]>();
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [issued, setIssued] = useState<Issued>();
  const load = useCallback(async () => {
    try { setTokens((await call<{ tokens: Token[] }>('GET', '/me/tokens')).tokens); } catch (e) { setError((e as Error).message); }
  }, []);
  useEffect(() => { void load(); }, [load]);
  const act = async (method: string, path: string, done: string) => {
    // The list first, then the message: whoever reads the message sees the list it speaks of.
    try { await call(method, path); await load(); setMessage(done); } catch (e) { setError((e as Error).message); await load(); }
  };
  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">{t.tokens.title}</h1>
      <p>{t.tokens.intro}</p>
      <div className="toolbar"><button type="button" className="primary" onClick={() => setCreating(true)}>{t.tokens.create}</button></div>
      <Status message={message} error={error} />
      {tokens?.length ? (
        <table className="list">
          <thead><tr><th scope="col">{t.tokens.name}</th><th scope="col">{t.tokens.kind}</th><th scope="col">{t.tokens.scopes}</th><th scope="col" className="wide">{t.tokens.lastUsed}</th><th scope="col" className="wide">{t.tokens.expires}</th><th scope="col">{t.files.actions}</th></tr></thead>
          <tbody>
            {tokens.map((tok) => (
              <tr key={tok.id}>
                <td>{tok.name ?? t.tokens.session}{tok.current ? ` (${t.tokens.thisSession})` : ''}{tok.wiped_at ? ` (${t.tokens.wipePending})` : ''}</td>
                <td>{tok.kind}</td>
                <td>{tok.scopes.join(', ')}</td>
                <td className="wide">{tok.last_used_at ? `${formatTime(tok.last_used_at)} ${tok.last_used_ip ?? ''}` : t.tokens.never}</td>
                <td className="wide">{tok.expires_at ? formatTime(tok.expires_at) : t.tokens.never}</td>
                <td className="nowrap">
                  {tok.current ? null : <button type="button" className="danger" aria-label={`${t.tokens.revoke} ${tok.name ?? tok.id}`} onClick={() => void act('DELETE', `/me/tokens/${tok.id}`, t.tokens.revoked)}>{t.tokens.revoke}</button>}{' '}
                  {tok.kind === 'device' && !tok.wiped_at ? <button type="button" className="danger" aria-label={`${t.tokens.wipe} ${tok.name ?? tok.id}`} onClick={() => void act('POST', `/me/tokens/${tok.id}/wipe`, t.tokens.wiped)}>{t.tokens.wipe}</button> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {creating ? <CreateToken onClose={() => setCreating(false)} onCreated={(i) => { setCreating(false); setIssued(i); void load(); }} /> : null}
      {issued ? (
        <Dialog title={t.tokens.secretTitle} onClose={() => setIssued(undefined)}>
          <p>{t.tokens.secretOnce}</p>
          <label>{t.tokens.secret}<input readOnly value={issued.secret} onFocus={(e) => e.target.select()} /></label>
          <div className="actions">
            <button type="button" onClick={async () => { try { await navigator.clipboard.writeText(issued.secret); } catch { /* denied */ } setMessage(t.links.copied); }}>{t.tokens.copy}</button>
          </div>
        </Dialog>
      ) : null}
      <TwoFactorSection />
    </section>
  );
}
