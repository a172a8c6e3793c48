// SHA-256 of a File, computed incrementally off the main thread (hash-wasm), with progress.
import { createSHA256 } from 'hash-wasm';

const CHUNK = 4 * 1024 * 1024;

self.onmessage = async (event: MessageEvent<{ id: string; file: Blob }>) => {
  const { id, file } = event.data;
  try {
    const hasher = await createSHA256();
    hasher.init();
    for (let offset = 0; offset < file.size; offset += CHUNK) {
      const bytes = new Uint8Array(await file.slice(offset, offset + CHUNK).arrayBuffer());
      hasher.update(bytes);
      (self as unknown as Worker).postMessage({ id, progress: Math.min(file.size, offset + CHUNK) });
    }
    (self as unknown as Worker).postMessage({ id, sha256: hasher.digest('hex') });
  } catch (e) {
    (self as unknown as Worker).postMessage({ id, error: String(e) });
  }
};
