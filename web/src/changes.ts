// The change feed (GET /api/v1/changes/stream, Server-Sent Events; docs/change-feed.md), so that
// open screens refresh themselves when someone else adds, renames or deletes something.
// EventSource cannot send the bearer token, so the stream is read with fetch and parsed here;
// on any break it reconnects with backoff and `Last-Event-ID`, and so misses nothing.
import { authHeaders, currentSession, onSessionChange } from './api';

export interface Change { seq: number; kind: string; type: 'file' | 'folder'; id: string; path: string; old_path?: string | null; version?: number | null }

const listeners = new Set<(c: Change) => void>();
let lastEventId: string | undefined;
let running: AbortController | undefined;

/** Calls `fn` with every change from now on while subscribed; returns the unsubscribe. */
export function onChange(fn: (c: Change) => void): () => void {
  listeners.add(fn);
  start();
  return () => {
    listeners.delete(fn);
    // Not at once: moving from one folder to the next unsubscribes and subscribes again.
    setTimeout(() => { if (listeners.size === 0) stop(); }, 10_000);
  };
}

// A new session (another user, or signed out) has another feed: start over from now.
onSessionChange(() => { stop(); lastEventId = undefined; if (listeners.size && currentSession()) start(); });

function stop() { running?.abort(); running = undefined; }

function start() {
  if (running || !currentSession()) return;
  const control = new AbortController();
  running = control;
  void (async () => {
    let delay = 1000;
    while (!control.signal.aborted && currentSession()) {
      try {
        const headers: Record<string, string> = { ...authHeaders(), Accept: 'text/event-stream' };
        if (lastEventId) headers['Last-Event-ID'] = lastEventId;
        const res = await fetch('/api/v1/changes/stream', { headers, signal: control.signal, cache: 'no-store' });
        if (res.status === 401 || res.status === 403) break;
        if (res.ok && res.body) {
          delay = 1000;
          const expired = await read(res.body);
          // Past the feed's retention: what was missed is unknown, so listen from now.
          if (expired) lastEventId = undefined;
        }
      } catch { /* a dropped connection: reconnect below */ }
      if (control.signal.aborted) break;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30_000);
    }
    if (running === control) running = undefined;
  })();
}

/** Reads one stream to its end, dispatching its `change` events; whether it said the cursor expired. */
async function read(body: ReadableStream<Uint8Array>): Promise<boolean> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = { type: 'message', id: undefined as string | undefined, data: [] as string[] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (event.type === 'error') return true;
        if (event.type === 'change' && event.data.length) dispatch(event.data.join('\n'), event.id);
        event = { type: 'message', id: undefined, data: [] };
        continue;
      }
      if (line.startsWith(':')) continue; // heartbeat
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event.type = text;
      else if (field === 'data') event.data.push(text);
      else if (field === 'id') event.id = text;
    }
  }
}

function dispatch(data: string, id: string | undefined) {
  if (id) lastEventId = id;
  let change: Change;
  try { change = JSON.parse(data); } catch { return; }
  listeners.forEach((fn) => fn(change));
}

/** The folder path a path is in (`/A/b.txt` → `/A`; a top-level `/A` → ``). */
export function parentPath(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '' : path.slice(0, at);
}
