// The trash: what was deleted from folders the caller manages; restore, delete forever, empty.
import { useCallback, useEffect, useState } from 'react';
import { call, formatBytes, formatTime } from '../api';
import { t } from '../i18n';
import { Status } from '../ui';

interface TrashItem { id: string; type: string; name: string; original_path: string; size: number; deleted_at: string; state: string }

export function TrashScreen() {
  const [items, setItems] = useState<TrashItem[]>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try { setItems((await call<{ items: TrashItem[] }>('GET', '/trash?limit=1000')).items); } catch (e) { setError((e as Error).message); }
  }, []);
  useEffect(() => { void load(); }, [load]);
  const act = async (fn: () => Promise<unknown>) => { setError(undefined); try { await fn(); } catch (e) { setError((e as Error).message); } await load(); };
  return (
    <section aria-labelledby="trash-title">
      <div className="toolbar">
        <h1 id="trash-title">{t.trash.title}</h1>
        {items?.length ? <button type="button" className="danger" onClick={() => void act(() => call('DELETE', '/trash'))}>{t.trash.emptyAll}</button> : null}
      </div>
      <Status error={error} />
      {items && !items.length ? <p className="empty">{t.trash.empty}</p> : null}
      {items?.length ? (
        <table className="list">
          <thead><tr><th scope="col">{t.files.name}</th><th scope="col" className="wide">{t.trash.from}</th><th scope="col" className="num">{t.files.size}</th><th scope="col" className="wide">{t.trash.deletedAt}</th><th scope="col">{t.files.actions}</th></tr></thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id}>
                <td className={i.type}>{i.name}</td>
                <td className="wide">{i.original_path}</td>
                <td className="num">{formatBytes(i.size)}</td>
                <td className="wide">{formatTime(i.deleted_at)}</td>
                <td className="nowrap">
                  <button type="button" aria-label={`${t.trash.restore} ${i.name}`} onClick={() => void act(() => call('POST', `/trash/${i.id}/restore`, {}))}>{t.trash.restore}</button>{' '}
                  <button type="button" className="danger" aria-label={`${t.trash.purge} ${i.name}`} onClick={() => void act(() => call('DELETE', `/trash/${i.id}`))}>{t.trash.purge}</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
