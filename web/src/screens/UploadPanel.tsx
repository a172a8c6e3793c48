// The progress panel: every upload with its progress, speed and time left, pause/resume/cancel,
// and the total.
import { useEffect, useState } from 'react';
import { formatBytes } from '../api';
import { t } from '../i18n';
import { uploader, type Job } from '../upload/uploader';

function useJobs() {
  const [jobs, setJobs] = useState(uploader.jobs);
  useEffect(() => uploader.subscribe(() => setJobs(uploader.jobs)), []);
  return jobs;
}

function statusText(j: Job) {
  switch (j.status) {
    case 'waiting': return t.uploads.waiting;
    case 'uploading': return t.uploads.uploading;
    case 'verifying': return t.uploads.verifying;
    case 'paused': return t.uploads.paused;
    case 'done': return t.uploads.done;
    case 'failed': return `${t.uploads.failed}: ${j.error ?? ''}`;
    case 'cancelled': return t.uploads.cancelled;
  }
}

function rate(j: Job) {
  if (j.status !== 'uploading' || !j.startedAt) return '';
  const secs = (Date.now() - j.startedAt) / 1000;
  if (secs < 1 || !j.sent) return '';
  const speed = j.sent / secs;
  const left = (j.size - j.sent) / speed;
  return ` · ${t.uploads.speed(formatBytes(speed))} · ${t.uploads.left(`${Math.ceil(left)} s`)}`;
}

export function UploadList({ jobs }: { jobs: Job[] }) {
  return (
    <ul className="uploads">
      {jobs.map((j) => (
        <li key={j.key} data-status={j.status}>
          <div className="row">
            <span className="name">{j.name}</span>
            <span className="muted small">{statusText(j)}{rate(j)}</span>
          </div>
          <progress max={j.size || 1} value={j.status === 'done' ? j.size || 1 : j.sent} aria-label={t.uploads.progress(j.name)} />
          <div className="row small">
            <span>{formatBytes(j.sent)} / {formatBytes(j.size)}</span>
            <span>
              {j.status === 'uploading' || j.status === 'waiting' ? <button type="button" className="ghost" onClick={() => uploader.pause(j)}>{t.uploads.pause}</button> : null}
              {j.status === 'paused' || j.status === 'failed' ? <button type="button" className="ghost" onClick={() => uploader.resume(j)}>{t.uploads.resume}</button> : null}
              {j.status !== 'done' && j.status !== 'cancelled' ? <button type="button" className="ghost" onClick={() => void uploader.cancel(j)}>{t.uploads.cancel}</button> : null}
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}

export function UploadPanel() {
  const jobs = useJobs();
  if (!jobs.length) return null;
  const size = jobs.reduce((a, j) => a + j.size, 0);
  const sent = jobs.reduce((a, j) => a + (j.status === 'done' ? j.size : j.sent), 0);
  return (
    <aside className="upload-panel" aria-labelledby="uploads-title">
      <div className="row">
        <h2 id="uploads-title">{t.uploads.title}</h2>
        <button type="button" className="ghost" onClick={() => uploader.clearFinished()}>{t.uploads.clear}</button>
      </div>
      <div className="row small"><span>{t.uploads.total}</span><span data-testid="uploads-total">{formatBytes(sent)} / {formatBytes(size)}</span></div>
      <progress max={size || 1} value={sent} aria-label={t.uploads.total} />
      <UploadList jobs={jobs} />
    </aside>
  );
}
