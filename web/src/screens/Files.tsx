// The file manager: breadcrumbs, the list of a folder (or of the root, or of a search), sort,
// multi-select and the actions on a selection, drag-and-drop upload of files and folders.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { call, formatBytes, formatTime, saveResponse, authHeaders, readError, type FileItem, type Folder } from '../api';
import { t } from '../i18n';
import { navigate } from '../router';
import { A, Status } from '../ui';
import { uploader } from '../upload/uploader';
import { Thumb } from '../thumbs';
import { DetailsDialog, FolderPicker, LinkDialog, NameDialog } from './FileDialogs';
import { ShareDialog } from './Sharing';
import { onChange, parentPath } from '../changes';

type Row = { type: 'folder'; item: Folder } | { type: 'file'; item: FileItem };
type View = 'list' | 'grid';
const VIEW_KEY = 'ferry.view';
const savedView = (): View => (localStorage.getItem(VIEW_KEY) === 'grid' ? 'grid' : 'list');
type DialogState = null | { kind: 'newFolder' } | { kind: 'rename'; row: Row } | { kind: 'move' | 'copy'; rows: Row[] } | { kind: 'details'; file: FileItem } | { kind: 'link'; row: Row } | { kind: 'uploadLink' } | { kind: 'share'; folder: Folder };

/** Files (with their relative folder) from a drop: folders keep their tree. */
async function droppedFiles(dt: DataTransfer): Promise<{ file: File; relativePath?: string }[]> {
  const out: { file: File; relativePath?: string }[] = [];
  const entries = Array.from(dt.items).map((i) => i.webkitGetAsEntry?.()).filter(Boolean) as FileSystemEntry[];
  if (!entries.length) return Array.from(dt.files).map((file) => ({ file }));
  async function walk(entry: FileSystemEntry, dir: string) {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ file, relativePath: dir || undefined });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const e of batch) await walk(e, path);
      }
    }
  }
  for (const e of entries) await walk(e, '');
  return out;
}

export function FilesScreen({ folderId, query }: { folderId?: string; query?: string }) {
  const [folder, setFolder] = useState<Folder | null>(null);
  const [crumbs, setCrumbs] = useState<Folder[]>([]);
  const [rows, setRows] = useState<Row[]>([]);
  const [sort, setSort] = useState('name');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dialog, setDialog] = useState<DialogState>(null);
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  const [dragging, setDragging] = useState(false);
  const [search, setSearch] = useState(query ?? '');
  const [loaded, setLoaded] = useState(false);
  const [view, setViewState] = useState<View>(savedView);
  const setView = (v: View) => { localStorage.setItem(VIEW_KEY, v); setViewState(v); };
  const fileInput = useRef<HTMLInputElement>(null);
  const dirInput = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    setError(undefined);
    try {
      if (query !== undefined) {
        const r = await call<{ items: { type: string; file?: FileItem; folder?: Folder }[] }>('GET', `/search?q=${encodeURIComponent(query)}&limit=200`);
        setFolder(null); setCrumbs([]);
        setRows(r.items.map((i) => (i.type === 'folder' ? { type: 'folder', item: i.folder! } : { type: 'file', item: i.file! })));
      } else if (folderId) {
        const [f, children, files] = await Promise.all([
          call<Folder>('GET', `/folders/${folderId}`),
          call<{ folders: Folder[] }>('GET', `/folders/${folderId}/children?limit=1000&sort=${sort}`),
          call<{ files: FileItem[] }>('GET', `/folders/${folderId}/files?limit=1000&sort=${sort}`),
        ]);
        const chain: Folder[] = [];
        for (let p = f.parent_id; p && chain.length < 64; ) {
          const parent = await call<Folder>('GET', `/folders/${p}`);
          chain.unshift(parent); p = parent.parent_id;
        }
        setFolder(f); setCrumbs(chain);
        setRows([...children.folders.map((item) => ({ type: 'folder' as const, item })), ...files.files.map((item) => ({ type: 'file' as const, item }))]);
      } else {
        const r = await call<{ folders: Folder[] }>('GET', '/folders?limit=1000');
        setFolder(null); setCrumbs([]);
        setRows(r.folders.map((item) => ({ type: 'folder', item })));
      }
      setLoaded(true);
    } catch (e) { setError((e as Error).message); }
  }, [folderId, query, sort]);

  useEffect(() => { setSelected(new Set()); void load(); }, [load]);
  useEffect(() => { setSearch(query ?? ''); }, [query]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = uploader.onComplete(() => { clearTimeout(timer); timer = setTimeout(() => void load(), 300); });
    return () => { off(); clearTimeout(timer); };
  }, [load]);

  // Live: a change by anyone (another tab, a colleague, a sync client) to what this view lists
  // reloads it (a burst of changes, once). The path is read from a ref so that the one
  // subscription follows the folder as it loads.
  const shownPath = useRef<string | undefined>(undefined);
  shownPath.current = query !== undefined ? undefined : folderId ? folder?.path : '';
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = onChange((c) => {
      const here = shownPath.current;
      if (here === undefined) return;
      const inView = (p?: string | null) => p != null && parentPath(p) === here;
      if (inView(c.path) || inView(c.old_path) || c.id === folderId) {
        clearTimeout(timer);
        timer = setTimeout(() => void load(), 250);
      }
    });
    return () => { off(); clearTimeout(timer); };
  }, [load, folderId]);

  const chosen = useMemo(() => rows.filter((r) => selected.has(r.item.id)), [rows, selected]);
  const canWrite = folder ? folder.permissions.includes('write') : false;
  const toggle = (id: string) => setSelected((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });

  async function act(fn: () => Promise<void>, done?: string) {
    setError(undefined); setMessage(undefined);
    try { await fn(); if (done) setMessage(done); setSelected(new Set()); await load(); }
    catch (e) { setError((e as Error).message); }
  }

  function upload(files: { file: File; relativePath?: string }[]) {
    if (!folderId || !files.length) return;
    uploader.add(files, { folderId });
  }

  async function download(rowsToGet: Row[]) {
    setError(undefined);
    try {
      let res: Response;
      if (rowsToGet.length === 1 && rowsToGet[0].type === 'file') {
        // A temporary link: the browser streams the file to disk itself (no bearer on a link).
        const link = await call<{ url: string }>('POST', `/files/${rowsToGet[0].item.id}/temporary-link`);
        const a = document.createElement('a');
        a.href = link.url; a.download = rowsToGet[0].item.name; document.body.appendChild(a); a.click(); a.remove();
        return;
      }
      if (rowsToGet.length === 1) {
        res = await fetch(`/api/v1/folders/${rowsToGet[0].item.id}/archive`, { headers: authHeaders() });
      } else {
        res = await fetch('/api/v1/archives', { method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify({ items: rowsToGet.map((r) => r.item.id) }) });
      }
      if (!res.ok) throw await readError(res);
      await saveResponse(res, rowsToGet.length === 1 ? rowsToGet[0].item.name : 'ferry.zip');
    } catch (e) { setError((e as Error).message); }
  }

  const title = query !== undefined ? t.files.searchResults(query) : folder ? folder.name : t.files.root;
  return (
    <section
      className={`files${dragging ? ' dragging' : ''}`}
      aria-labelledby="files-title"
      onDragOver={(e) => { if (canWrite) { e.preventDefault(); setDragging(true); } }}
      onDragLeave={(e) => { if (e.currentTarget === e.target) setDragging(false); }}
      onDrop={async (e) => { if (!canWrite) return; e.preventDefault(); setDragging(false); upload(await droppedFiles(e.dataTransfer)); }}
    >
      <nav aria-label={t.files.breadcrumbs} className="crumbs">
        <ol>
          <li><A href="/">{t.files.root}</A></li>
          {crumbs.map((c) => <li key={c.id}><A href={`/f/${c.id}`}>{c.name}</A></li>)}
          {folder ? <li aria-current="page">{folder.name}</li> : null}
        </ol>
      </nav>
      <div className="toolbar">
        <h1 id="files-title">{title}</h1>
        <form role="search" onSubmit={(e) => { e.preventDefault(); if (search.trim()) navigate(`/search?q=${encodeURIComponent(search.trim())}`); }}>
          <label className="sr-only" htmlFor="search">{t.files.searchLabel}</label>
          <input id="search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder={t.files.search} />
          <button type="submit">{t.files.search}</button>
        </form>
      </div>
      <div className="toolbar actions" role="toolbar" aria-label={t.files.actions}>
        {query === undefined && (!folder || canWrite) ? <button type="button" onClick={() => setDialog({ kind: 'newFolder' })}>{t.files.newFolder}</button> : null}
        {canWrite ? (
          <>
            <button type="button" onClick={() => fileInput.current?.click()}>{t.files.upload}</button>
            <button type="button" onClick={() => dirInput.current?.click()}>{t.files.uploadFolder}</button>
            <input ref={fileInput} data-testid="file-input" type="file" multiple hidden onChange={(e) => { upload(Array.from(e.target.files ?? []).map((file) => ({ file }))); e.target.value = ''; }} />
            <input ref={dirInput} data-testid="dir-input" type="file" multiple hidden {...{ webkitdirectory: '' }} onChange={(e) => {
              upload(Array.from(e.target.files ?? []).map((file) => {
                const parts = file.webkitRelativePath.split('/'); parts.pop();
                return { file, relativePath: parts.join('/') || undefined };
              }));
              e.target.value = '';
            }} />
          </>
        ) : null}
        {folder?.permissions.includes('share') ? <button type="button" onClick={() => setDialog({ kind: 'uploadLink' })}>{t.files.uploadLink}</button> : null}
        {folder?.permissions.includes('share') ? <button type="button" onClick={() => setDialog({ kind: 'share', folder })}>{t.sharing.share}</button> : null}
        <div className="view-toggle" role="group" aria-label={t.files.view}>
          <button type="button" className="ghost" aria-pressed={view === 'list'} onClick={() => setView('list')}>{t.files.listView}</button>
          <button type="button" className="ghost" aria-pressed={view === 'grid'} onClick={() => setView('grid')}>{t.files.gridView}</button>
        </div>
        {query === undefined && folderId ? (
          <label className="inline">{t.files.sortBy}
            <select value={sort} onChange={(e) => setSort(e.target.value)}>
              {Object.entries(t.files.sort).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
            </select>
          </label>
        ) : null}
      </div>
      {chosen.length ? (
        <div className="toolbar selection" role="toolbar" aria-label={t.files.selected(chosen.length)}>
          <span>{t.files.selected(chosen.length)}</span>
          {chosen.length === 1 ? <button type="button" onClick={() => setDialog({ kind: 'rename', row: chosen[0] })}>{t.files.rename}</button> : null}
          <button type="button" onClick={() => setDialog({ kind: 'move', rows: chosen })}>{t.files.move}</button>
          <button type="button" onClick={() => setDialog({ kind: 'copy', rows: chosen })}>{t.files.copy}</button>
          <button type="button" onClick={() => void download(chosen)}>{chosen.length === 1 && chosen[0].type === 'file' ? t.files.download : t.files.downloadZip}</button>
          {chosen.length === 1 && chosen[0].type === 'file' ? <button type="button" onClick={() => setDialog({ kind: 'details', file: chosen[0].item as FileItem })}>{t.files.details}</button> : null}
          {chosen.length === 1 ? <button type="button" onClick={() => setDialog({ kind: 'link', row: chosen[0] })}>{t.files.share}</button> : null}
          <button type="button" className="danger" onClick={() => void act(async () => {
            await call('POST', '/batch/delete', { items: chosen.map((r) => r.item.id) });
          }, t.files.deleted(chosen.length))}>{t.files.delete}</button>
        </div>
      ) : null}
      <Status message={message} error={error} />
      {canWrite ? <p className="drop-hint">{t.files.dropHere}</p> : null}
      {loaded && !rows.length ? <p className="empty">{folder || query !== undefined ? (query !== undefined ? t.files.noResults : t.files.empty) : t.files.emptyRoot}</p> : null}
      {rows.length && view === 'grid' ? (
        <ul className="grid" aria-label={t.files.gridLabel}>
          {rows.map((r) => (
            <li key={r.item.id} className={selected.has(r.item.id) ? 'selected' : undefined} data-name={r.item.name}>
              <input type="checkbox" aria-label={t.files.select(r.item.name)} checked={selected.has(r.item.id)} onChange={() => toggle(r.item.id)} />
              {r.type === 'folder'
                ? <A href={`/f/${r.item.id}`} className="tile"><span className="thumb"><span className="thumb-icon folder-icon" aria-hidden="true" /></span><span className="tile-name">{r.item.name}</span></A>
                : <button type="button" className="tile" onClick={() => setDialog({ kind: 'details', file: r.item })}><Thumb file={r.item} /><span className="tile-name">{r.item.name}</span></button>}
              <span className="muted small">{r.type === 'file' ? formatBytes(r.item.size) : t.files.folder}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {rows.length && view === 'list' ? (
        <table className="list">
          <thead>
            <tr>
              <th scope="col" className="check"><input type="checkbox" aria-label={t.files.selectAll} checked={selected.size === rows.length} onChange={(e) => setSelected(e.target.checked ? new Set(rows.map((r) => r.item.id)) : new Set())} /></th>
              <th scope="col">{t.files.name}</th>
              <th scope="col" className="num">{t.files.size}</th>
              <th scope="col" className="wide">{t.files.modified}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.item.id} className={selected.has(r.item.id) ? 'selected' : undefined}>
                <td className="check"><input type="checkbox" aria-label={t.files.select(r.item.name)} checked={selected.has(r.item.id)} onChange={() => toggle(r.item.id)} /></td>
                <td>
                  {r.type === 'folder'
                    ? <A href={`/f/${r.item.id}`} className="folder">{r.item.name}</A>
                    : <button type="button" className="linklike file" onClick={() => setDialog({ kind: 'details', file: r.item })}>{r.item.name}</button>}
                  {query !== undefined && r.item.path ? <span className="muted small"> {r.item.path}</span> : null}
                </td>
                <td className="num">{r.type === 'file' ? formatBytes(r.item.size) : '—'}</td>
                <td className="wide">{formatTime(r.item.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {dialog?.kind === 'newFolder' ? (
        <NameDialog title={t.files.newFolder} label={t.files.folderName} submit={t.files.create} onClose={() => setDialog(null)}
          onSubmit={(name) => act(async () => { await call('POST', '/folders', { name, parent_id: folderId }); setDialog(null); })} />
      ) : null}
      {dialog?.kind === 'rename' ? (
        <NameDialog title={t.files.rename} label={t.files.newName} submit={t.files.rename} initial={dialog.row.item.name} onClose={() => setDialog(null)}
          onSubmit={(name) => act(async () => { await call('PATCH', `/${dialog.row.type}s/${dialog.row.item.id}`, { name }); setDialog(null); })} />
      ) : null}
      {dialog?.kind === 'move' || dialog?.kind === 'copy' ? (
        <FolderPicker title={dialog.kind === 'move' ? t.files.move : t.files.copy} onClose={() => setDialog(null)}
          exclude={dialog.rows.filter((r) => r.type === 'folder').map((r) => r.item.id)}
          onPick={(target) => act(async () => {
            for (const r of dialog.rows) {
              const body = r.type === 'file' ? { folder_id: target } : { parent_id: target };
              await call('POST', `/${r.type}s/${r.item.id}/${dialog.kind}`, body);
            }
            setDialog(null);
          })} />
      ) : null}
      {dialog?.kind === 'details' ? <DetailsDialog fileId={dialog.file.id} onClose={() => setDialog(null)} onDownload={() => void download([{ type: 'file', item: dialog.file }])} /> : null}
      {dialog?.kind === 'link' ? <LinkDialog kind="download" path={`/${dialog.row.type}s/${dialog.row.item.id}/download-link`} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'share' ? <ShareDialog folderId={dialog.folder.id} folderName={dialog.folder.name} folder={dialog.folder} onChanged={() => void load()} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'uploadLink' && folderId ? <LinkDialog kind="upload" path={`/folders/${folderId}/upload-link`} onClose={() => setDialog(null)} /> : null}
    </section>
  );
}
