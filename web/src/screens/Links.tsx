// The caller's links: download and upload links, their use, copy and revoke; receipts from the
// audit (who downloaded, when, from where).
import { useCallback, useEffect, useState } from 'react';
import { call, formatTime, landingUrl, type Link } from '../api';
import { t } from '../i18n';
import { Dialog, Status } from '../ui';

interface Event { id: string; time: string; action: string; ip: string; user_agent: string; outcome: string; details: Record<string, unknown> }

function Receipts({ link, onClose }: { link: Link; onClose: () => void }) {
  const [events, setEvents] = useState<Event[]>();
  useEffect(() => {
    void call<{ events: Event[] }>('GET', `/audit/events?target=${encodeURIComponent(link.id)}&limit=200`).then((r) => setEvents(r.events)).catch(() => setEvents([]));
  }, [link.id]);
  return (
    <Dialog title={t.links.receipts} onClose={onClose}>
      <table className="list">
        <thead><tr><th scope="col">{t.admin.time}</th><th scope="col">{t.admin.action}</th><th scope="col">IP</th><th scope="col">{t.admin.outcome}</th></tr></thead>
        <tbody>{events?.map((e) => <tr key={e.id}><td>{formatTime(e.time)}</td><td>{e.action}</td><td>{e.ip}</td><td>{e.outcome}</td></tr>)}</tbody>
      </table>
    </Dialog>
  );
}

export function LinksScreen() {
  const [links, setLinks] = useState<Link[]>();
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [receipts, setReceipts] = useState<Link>();
  const load = useCallback(async () => {
    try { setLinks((await call<{ links: Link[] }>('GET', '/links?limit=1000')).links); } catch (e) { setError((e as Error).message); }
  }, []);
  useEffect(() => { void load(); }, [load]);
  return (
    <section aria-labelledby="links-title">
      <h1 id="links-title">{t.links.title}</h1>
      <Status message={message} error={error} />
      {links && !links.length ? <p className="empty">{t.links.none}</p> : null}
      {links?.length ? (
        <table className="list">
          <thead><tr><th scope="col">{t.links.kind}</th><th scope="col">{t.links.status}</th><th scope="col" className="num">{t.links.used}</th><th scope="col" className="wide">{t.links.expires}</th><th scope="col">{t.files.actions}</th></tr></thead>
          <tbody>
            {links.map((l) => (
              <tr key={l.id}>
                <td>{l.kind}{l.password_required ? ' 🔒' : ''}</td>
                <td>{l.status}</td>
                <td className="num">{l.kind === 'upload' ? `${l.files_used ?? 0} / ${l.max_files ?? '∞'}` : `${l.downloads_used} / ${l.max_downloads ?? '∞'}`}</td>
                <td className="wide">{formatTime(l.expires_at)}</td>
                <td className="nowrap">
                  <button type="button" onClick={async () => { try { await navigator.clipboard.writeText(landingUrl(l.url)); } catch { /* denied */ } setMessage(t.links.copied); }}>{t.links.copyUrl}</button>{' '}
                  <button type="button" onClick={() => setReceipts(l)}>{t.links.receipts}</button>{' '}
                  {l.status === 'active' ? <button type="button" className="danger" onClick={async () => { try { await call('DELETE', `/links/${l.id}`); } catch (e) { setError((e as Error).message); } await load(); }}>{t.links.revoke}</button> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {receipts ? <Receipts link={receipts} onClose={() => setReceipts(undefined)} /> : null}
    </section>
  );
}
