// Ferry's native resumable upload protocol in the browser: POST /uploads, parts sent in
// parallel (PATCH, retried with exponential backoff and jitter), the whole-file SHA-256 computed
// meanwhile in a Web Worker and given at completion; the state is kept in IndexedDB, so an
// upload interrupted by a reload or a lost connection goes on from the parts the server has.
import { ApiError, authHeaders, call, readError } from '../api';
import { dropUpload, saveUpload, savedUploads, type SavedUpload } from './idb';

export type JobStatus = 'waiting' | 'uploading' | 'verifying' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface Job {
  key: string;
  saved: SavedUpload;
  name: string;
  size: number;
  status: JobStatus;
  sent: number; // bytes the server has acknowledged, plus in-flight progress
  hashed: number;
  error?: string;
  startedAt?: number;
  fileId?: string;
}

interface UploadRes { upload_id: string; part_size: number; part_count: number; status: string; received_parts: number[]; parts: { part_no: number; offset: number; size: number }[]; file_id?: string }

const PART_SIZE = 8 * 1024 * 1024;
const PARALLEL_PARTS = 3;
const PARALLEL_FILES = 2;
const MAX_ATTEMPTS = 6;

type Listener = () => void;

class Uploader {
  jobs: Job[] = [];
  private listeners = new Set<Listener>();
  private completeListeners = new Set<(job: Job) => void>();
  private inflight = new Map<string, Set<XMLHttpRequest>>();
  private partProgress = new Map<string, Map<number, number>>();
  private worker?: Worker;
  private hashes = new Map<string, { resolve: (h: string) => void; reject: (e: Error) => void }>();

  subscribe(fn: Listener) { this.listeners.add(fn); return () => { this.listeners.delete(fn); }; }
  onComplete(fn: (job: Job) => void) { this.completeListeners.add(fn); return () => { this.completeListeners.delete(fn); }; }
  private emit() { this.jobs = [...this.jobs]; this.listeners.forEach((fn) => fn()); }
  private update(job: Job, patch: Partial<Job>) {
    Object.assign(job, patch);
    this.emit();
  }

  add(files: { file: File; relativePath?: string }[], target: { folderId?: string; linkToken?: string; uploaderName?: string; uploaderEmail?: string }) {
    for (const { file, relativePath } of files) {
      const key = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const saved: SavedUpload = { key, file, relativePath, ...target };
      this.jobs.push({ key, saved, name: relativePath ? `${relativePath}/${file.name}` : file.name, size: file.size, status: 'waiting', sent: 0, hashed: 0 });
      void saveUpload(saved);
    }
    this.emit();
    this.pump();
  }

  /** Picks up what IndexedDB holds from before a reload. Returns how many. */
  async restore(filter: (s: SavedUpload) => boolean): Promise<number> {
    const saved = (await savedUploads()).filter((s) => filter(s) && !this.jobs.some((j) => j.key === s.key));
    for (const s of saved) {
      this.jobs.push({ key: s.key, saved: s, name: s.relativePath ? `${s.relativePath}/${s.file.name}` : s.file.name, size: s.file.size, status: 'waiting', sent: 0, hashed: 0 });
    }
    if (saved.length) { this.emit(); this.pump(); }
    return saved.length;
  }

  pause(job: Job) {
    if (job.status !== 'uploading' && job.status !== 'waiting') return;
    this.update(job, { status: 'paused' });
    this.abortInflight(job);
  }
  resume(job: Job) {
    if (job.status !== 'paused' && job.status !== 'failed') return;
    this.update(job, { status: 'waiting', error: undefined });
    this.pump();
  }
  async cancel(job: Job) {
    const wasActive = job.status !== 'done';
    this.update(job, { status: 'cancelled' });
    this.abortInflight(job);
    await dropUpload(job.key);
    if (wasActive && job.saved.uploadId) {
      try { await call('DELETE', `/uploads/${job.saved.uploadId}`, undefined, this.opts(job)); } catch { /* gone already */ }
    }
    this.pump();
  }
  clearFinished() {
    this.jobs = this.jobs.filter((j) => !['done', 'cancelled'].includes(j.status));
    this.emit();
  }

  private abortInflight(job: Job) {
    this.inflight.get(job.key)?.forEach((x) => x.abort());
    this.inflight.delete(job.key);
  }

  private opts(job: Job) {
    return job.saved.linkToken ? { auth: false, headers: { 'X-Link-Token': job.saved.linkToken } } : {};
  }

  private pump() {
    const running = this.jobs.filter((j) => j.status === 'uploading' || j.status === 'verifying').length;
    const next = this.jobs.filter((j) => j.status === 'waiting').slice(0, Math.max(0, PARALLEL_FILES - running));
    for (const job of next) void this.run(job);
  }

  private hash(job: Job): Promise<string> {
    if (!this.worker) {
      this.worker = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module' });
      this.worker.onmessage = (e: MessageEvent<{ id: string; progress?: number; sha256?: string; error?: string }>) => {
        const job = this.jobs.find((j) => j.key === e.data.id);
        const pending = this.hashes.get(e.data.id);
        if (e.data.progress !== undefined && job) this.update(job, { hashed: e.data.progress });
        if (e.data.sha256 && pending) { this.hashes.delete(e.data.id); pending.resolve(e.data.sha256); }
        if (e.data.error && pending) { this.hashes.delete(e.data.id); pending.reject(new Error(e.data.error)); }
      };
    }
    return new Promise((resolve, reject) => {
      this.hashes.set(job.key, { resolve, reject });
      this.worker!.postMessage({ id: job.key, file: job.saved.file });
    });
  }

  private async run(job: Job) {
    this.update(job, { status: 'uploading', startedAt: Date.now(), error: undefined });
    try {
      const hash = this.hash(job);
      hash.catch(() => undefined);
      let upload: UploadRes | undefined;
      if (job.saved.uploadId) {
        try {
          upload = await call<UploadRes>('GET', `/uploads/${job.saved.uploadId}`, undefined, this.opts(job));
          if (upload.status !== 'open' && upload.status !== 'completing' && upload.status !== 'completed') upload = undefined;
        } catch (e) {
          if (!(e instanceof ApiError) || e.status === 0) throw e;
          upload = undefined; // expired or gone: start again
        }
      }
      if (!upload) {
        const f = job.saved.file;
        upload = await call<UploadRes>('POST', '/uploads', {
          folder_id: job.saved.folderId ?? '',
          filename: f.name,
          size: f.size,
          part_size: PART_SIZE,
          relative_path: job.saved.relativePath || undefined,
          modified_at: f.lastModified ? new Date(f.lastModified).toISOString() : undefined,
          uploader_name: job.saved.uploaderName || undefined,
          uploader_email: job.saved.uploaderEmail || undefined,
        }, this.opts(job));
        job.saved.uploadId = upload.upload_id;
        await saveUpload(job.saved);
      }
      if (upload.status === 'completed' && upload.file_id) return this.finish(job, upload.file_id);
      const received = new Set(upload.received_parts);
      const progress = new Map<number, number>();
      this.partProgress.set(job.key, progress);
      for (const p of upload.parts) if (received.has(p.part_no)) progress.set(p.part_no, p.size);
      this.refreshSent(job);
      const queue = upload.parts.filter((p) => !received.has(p.part_no));
      const uploadId = upload.upload_id;
      const workers = Array.from({ length: PARALLEL_PARTS }, async () => {
        for (let p = queue.shift(); p; p = queue.shift()) {
          if (job.status !== 'uploading') return;
          await this.sendPart(job, uploadId, p);
        }
      });
      await Promise.all(workers);
      if (job.status !== 'uploading') return;
      this.update(job, { status: 'verifying' });
      const checksum = await hash;
      let res = await call<Response>('POST', `/uploads/${uploadId}/complete`, { parts: upload.parts.map((p) => p.part_no), checksum_sha256: checksum }, { ...this.opts(job), raw: true });
      let file: { id?: string; file_id?: string; status?: string } = await res.json();
      while (res.status === 202 && file.status === 'completing') {
        await sleep(500);
        res = await call<Response>('GET', `/uploads/${uploadId}`, undefined, { ...this.opts(job), raw: true });
        file = await res.json();
      }
      this.finish(job, file.file_id ?? file.id ?? '');
    } catch (e) {
      if (job.status === 'paused' || job.status === 'cancelled') return;
      const message = e instanceof ApiError ? e.message : String(e);
      this.update(job, { status: 'failed', error: message });
      if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) await dropUpload(job.key);
    } finally {
      this.pump();
    }
  }

  private finish(job: Job, fileId: string) {
    void dropUpload(job.key);
    this.update(job, { status: 'done', sent: job.size, fileId });
    this.completeListeners.forEach((fn) => fn(job));
  }

  private refreshSent(job: Job) {
    const progress = this.partProgress.get(job.key);
    let sent = 0;
    progress?.forEach((v) => { sent += v; });
    this.update(job, { sent });
  }

  private async sendPart(job: Job, uploadId: string, part: { part_no: number; offset: number; size: number }) {
    const progress = this.partProgress.get(job.key)!;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.xhrPart(job, uploadId, part, (loaded) => { progress.set(part.part_no, loaded); this.refreshSent(job); });
        progress.set(part.part_no, part.size);
        this.refreshSent(job);
        return;
      } catch (e) {
        progress.set(part.part_no, 0);
        if (job.status !== 'uploading') return;
        const retryable = !(e instanceof ApiError) || e.status === 0 || e.status >= 500 || e.status === 429 || e.status === 408;
        if (!retryable || attempt >= MAX_ATTEMPTS) throw e;
        await sleep(Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }

  private xhrPart(job: Job, uploadId: string, part: { part_no: number; offset: number; size: number }, onProgress: (n: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const set = this.inflight.get(job.key) ?? new Set();
      this.inflight.set(job.key, set);
      set.add(xhr);
      xhr.open('PATCH', `/api/v1/uploads/${uploadId}/parts/${part.part_no}`);
      const headers: Record<string, string> = job.saved.linkToken ? { 'X-Link-Token': job.saved.linkToken } : authHeaders();
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = async () => {
        set.delete(xhr);
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(await readError(new Response(xhr.responseText, { status: xhr.status })));
      };
      xhr.onerror = () => { set.delete(xhr); reject(new ApiError(0, 'network', 'network')); };
      xhr.onabort = () => { set.delete(xhr); reject(new ApiError(0, 'aborted', 'aborted')); };
      xhr.send(job.saved.file.slice(part.offset, part.offset + part.size));
    });
  }
}

function sleep(ms: number) { return new Promise((r) => setTimeout(r, ms)); }

export const uploader = new Uploader();
