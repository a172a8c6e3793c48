// Quota-increase requests of the users the caller administers (company admins: their
// company's): approve (the quota becomes what was asked) or deny, with an optional message.
import { useCallback, useEffect, useState } from 'react';
import { call, formatBytes, formatTime } from '../api';
import { t } from '../i18n';
import { Status } from '../ui';
import { explain } from './Org';
import type { QuotaRequest } from './Account';

function Answer({ r, onDone }: { r: QuotaRequest; onDone: (msg: string) => void }) {
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string>();
  const answer = async (verb: 'approve' | 'deny') => {
    setError(undefined);
    try {
      await call('POST', `/quota-requests/${r.id}/${verb}`, { message: message.trim() || undefined });
      onDone(verb === 'approve' ? t.quota.approvedFor(r.user_login) : t.quota.deniedFor(r.user_login));
    } catch (err) { setError(explain(err)); }
  };
  return (
    <>
      <label>{t.quota.reply(r.user_login)}<input value={message} onChange={(e) => setMessage(e.target.value)} maxLength={1000} /></label>
      <button type="button" onClick={() => void answer('approve')} aria-label={t.quota.approveFor(r.user_login)}>{t.quota.approve}</button>{' '}
      <button type="button" className="ghost" onClick={() => void answer('deny')} aria-label={t.quota.denyFor(r.user_login)}>{t.quota.deny}</button>
      {error ? <p role="alert" className="error">{error}</p> : null}
    </>
  );
}

export function QuotaRequestsAdmin() {
  const [status, setStatus] = useState('pending');
  const [requests, setRequests] = useState<QuotaRequest[]>();
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => call<{ requests: QuotaRequest[] }>('GET', `/quota-requests?status=${status}`).then((r) => setRequests(r.requests), (e) => setError(explain(e))), [status]);
  useEffect(() => { void load(); }, [load]);
  return (
    <section aria-labelledby="quota-admin-title" data-testid="quota-requests">
      <h2 id="quota-admin-title">{t.quota.adminTitle}</h2>
      <label>{t.quota.status}<select value={status} onChange={(e) => setStatus(e.target.value)}>
        {['pending', 'approved', 'denied'].map((s) => <option key={s} value={s}>{t.quota.statuses[s]}</option>)}
      </select></label>
      <Status message={done} error={error} />
      {requests && !requests.length ? <p className="empty">{t.quota.none}</p> : null}
      {requests?.length ? (
        <table className="list">
          <thead><tr><th scope="col">{t.admin.time}</th><th scope="col">{t.quota.user}</th><th scope="col">{t.quota.from}</th><th scope="col">{t.quota.askedCol}</th><th scope="col">{t.quota.reasonCol}</th><th scope="col">{t.quota.answer}</th></tr></thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id} data-login={r.user_login}>
                <td>{formatTime(r.created_at)}</td><td>{r.user_login}</td>
                <td>{r.previous_quota_bytes == null ? t.quota.unlimited : formatBytes(r.previous_quota_bytes)}</td>
                <td>{formatBytes(r.quota_bytes)}</td><td>{r.message}</td>
                <td>{r.status === 'pending' ? <Answer r={r} onDone={(m) => { setDone(m); void load(); }} /> : r.decision_message ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
