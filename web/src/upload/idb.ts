// Unfinished uploads, kept in IndexedDB (with their File) so they resume after a reload.
export interface SavedUpload {
  key: string;
  file: File;
  folderId?: string;
  relativePath?: string;
  linkToken?: string;
  uploaderName?: string;
  uploaderEmail?: string;
  uploadId?: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('ferry', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('uploads', { keyPath: 'key' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction('uploads', mode);
    const req = fn(t.objectStore('uploads'));
    t.oncomplete = () => { db.close(); resolve(req.result); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

export const saveUpload = (u: SavedUpload) => tx('readwrite', (s) => s.put(u)).catch(() => undefined);
export const dropUpload = (key: string) => tx('readwrite', (s) => s.delete(key)).catch(() => undefined);
export const savedUploads = () => tx<SavedUpload[]>('readonly', (s) => s.getAll() as IDBRequest<SavedUpload[]>).catch(() => [] as SavedUpload[]);
