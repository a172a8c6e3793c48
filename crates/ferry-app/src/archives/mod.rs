//! Folder archives: a folder (`GET /folders/{id}/archive`) or a list of files and folders
//! (`POST /archives`) as one STORE-only zip whose every byte is known before the first is
//! sent (see [`zip`]). Access is checked item by item (`read`), entries get their paths as in
//! Ferry, CRC-32s missing from old blobs are computed once and kept, and the files in an
//! archive that was delivered to its end are audited as downloaded (`"via": "archive"`).

pub mod zip;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ferry_blob::{BlobStore, ByteStream, Part};
use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, Permission};
use ferry_store::archives::ArchiveFile;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;
pub use zip::{Entry, Layout, Piece};

/// Most items one `POST /archives` may name.
pub const MAX_ITEMS: usize = 1000;

/// An archive ready to serve.
#[derive(Clone)]
pub struct Archive {
    pub layout: Arc<Layout>,
    /// The download's file name (`<folder>.zip`, or `ferry-archive.zip` for a list).
    pub name: String,
    /// The newest modification time among its entries.
    pub modified_ms: i64,
    /// Every file in it, in entry order.
    files: Vec<ArchivedFile>,
}

/// A file in an archive: what the audit names and where its content lies.
#[derive(Debug, Clone)]
pub struct ArchivedFile {
    pub id: String,
    pub folder_id: String,
    pub name: String,
    pub version: i64,
    pub size: u64,
    /// The file's content in the archive (see [`Layout::data_span`]).
    pub data: std::ops::Range<u64>,
}

impl Archive {
    /// How many files (not directories) it holds.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Its files, in the order of their entries.
    pub fn files(&self) -> &[ArchivedFile] {
        &self.files
    }
}

/// Bytes `start..end` of an archive: its generated headers and its files' contents as one
/// stream, in large chunks that run across entries (see [`BlobStore::read_parts`]).
pub fn body(
    blobs: Arc<dyn BlobStore>,
    layout: Arc<Layout>,
    start: u64,
    end: u64,
) -> ByteStream<'static> {
    let parts = Parts {
        layout,
        pos: start,
        end,
    };
    let stream = blobs
        .read_parts(Box::new(parts))
        .inspect_err(|e| tracing::error!(error = %e, "archive: reading a blob failed"));
    Box::pin(stream)
}

/// The parts of bytes `pos..end` of an archive, one [`Piece`] after the other.
struct Parts {
    layout: Arc<Layout>,
    pos: u64,
    end: u64,
}

impl Iterator for Parts {
    type Item = Part;

    fn next(&mut self) -> Option<Part> {
        if self.pos >= self.end {
            return None;
        }
        let piece = self.layout.piece_at(self.pos, self.end);
        self.pos += zip::piece_len(&piece);
        Some(match piece {
            Piece::Bytes(b) => Part::Bytes(b),
            Piece::Blob {
                sha256,
                offset,
                len,
            } => Part::Blob {
                key: sha256.to_string(),
                offset,
                len,
            },
        })
    }
}

/// Builds entries: a folder tree under the top directory `top`.
struct Builder {
    entries: Vec<Entry>,
    files: Vec<ArchiveFile>,
    top_names: HashSet<String>,
    modified_ms: i64,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            entries: Vec::new(),
            files: Vec::new(),
            top_names: HashSet::new(),
            modified_ms: 0,
        }
    }

    /// A name free at the top of the archive (items of a list may share names).
    fn top_name(&mut self, name: &str) -> String {
        let mut candidate = name.to_string();
        let mut n = 2;
        while !self.top_names.insert(candidate.to_lowercase()) {
            candidate = match name.rsplit_once('.') {
                Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
                _ => format!("{name} ({n})"),
            };
            n += 1;
        }
        candidate
    }

    fn file(&mut self, dir: &str, f: ArchiveFile) {
        self.modified_ms = self.modified_ms.max(f.updated_at);
        self.entries.push(Entry {
            path: format!("{dir}{}", f.name),
            size: f.size.max(0) as u64,
            crc32: f.crc32.unwrap_or_default() as u32,
            modified_ms: f.updated_at,
            blob: Some(f.blob_key.clone()),
        });
        self.files.push(f);
    }

    async fn folder(&mut self, app: &AppState, folder_id: &str, name: &str) -> Result<()> {
        let mut conn = app.store.conn().await?;
        let tree = ferry_store::archives::tree(&mut conn, folder_id, app.now_ms()).await?;
        let ids: Vec<String> = tree.iter().map(|f| f.id.to_string()).collect();
        let files = ferry_store::archives::files_in(
            &mut conn,
            &ids,
            app.now_ms(),
            crate::scan::only_clean(&app.config.scan),
        )
        .await?;
        drop(conn);
        let mut by_folder: HashMap<String, Vec<ArchiveFile>> = HashMap::new();
        for f in files {
            by_folder
                .entry(f.folder_id.to_string())
                .or_default()
                .push(f);
        }
        let top = self.top_name(name);
        let mut paths: HashMap<String, String> = HashMap::new();
        for folder in tree {
            let path = match folder.parent_id.as_ref().and_then(|p| paths.get(p)) {
                Some(parent) if folder.id != folder_id => format!("{parent}{}/", folder.name),
                _ => format!("{top}/"),
            };
            self.modified_ms = self.modified_ms.max(folder.updated_at);
            self.entries.push(Entry {
                path: path.clone(),
                size: 0,
                crc32: 0,
                modified_ms: folder.updated_at,
                blob: None,
            });
            for f in by_folder.remove(folder.id.as_str()).unwrap_or_default() {
                self.file(&path, f);
            }
            paths.insert(folder.id.to_string(), path);
        }
        Ok(())
    }

    /// Fills in CRC-32s the store does not have yet (blobs published before they were kept):
    /// each such blob is read once and its CRC stored.
    async fn complete_crcs(&mut self, app: &AppState) -> Result<()> {
        let missing: HashSet<String> = self
            .files
            .iter()
            .filter(|f| f.crc32.is_none())
            .map(|f| f.sha256.clone())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut crcs = HashMap::new();
        for sha in missing {
            let (size, key) = self
                .files
                .iter()
                .find(|f| f.sha256 == sha)
                .map(|f| (f.size.max(0) as u64, f.blob_key.clone()))
                .unwrap_or_default();
            let mut stream = app.blobs.read(&key, 0, size).await?;
            let mut hasher = crc32fast::Hasher::new();
            while let Some(chunk) = stream.next().await {
                hasher.update(&chunk.map_err(|e| Error::internal(anyhow::anyhow!(e)))?);
            }
            let crc = hasher.finalize();
            let mut conn = app.store.conn().await?;
            ferry_store::archives::set_blob_crc(&mut conn, &sha, crc).await?;
            // Entries name their blob by its key.
            crcs.insert(key, crc);
        }
        for e in &mut self.entries {
            if let Some(crc) = e.blob.as_ref().and_then(|s| crcs.get(s)) {
                e.crc32 = *crc;
            }
        }
        Ok(())
    }

    async fn finish(mut self, app: &AppState, name: String) -> Result<Archive> {
        self.complete_crcs(app).await?;
        let layout = Layout::new(self.entries);
        let file_entries =
            (0..layout.entries().len()).filter(|&i| layout.entries()[i].blob.is_some());
        let files = self
            .files
            .into_iter()
            .zip(file_entries)
            .map(|(f, index)| ArchivedFile {
                data: layout.data_span(index),
                id: f.id.to_string(),
                folder_id: f.folder_id.to_string(),
                name: f.name,
                version: f.version,
                size: f.size.max(0) as u64,
            })
            .collect();
        Ok(Archive {
            layout: Arc::new(layout),
            name,
            modified_ms: self.modified_ms,
            files,
        })
    }
}

/// A folder and everything live under it, the folder's name as the top directory (needs
/// `read` on the folder).
pub async fn of_folder(app: &AppState, caller: &Caller, folder_id: &str) -> Result<Archive> {
    let folder = access::folder(app, caller, folder_id, Permission::Read).await?;
    access::require_caller_policy(app, caller, access::Guarded::Download).await?;
    of_permitted_folder(app, &folder).await
}

/// The archive of a folder whose reading the caller has already been allowed (a folder
/// link's).
pub(crate) async fn of_permitted_folder(
    app: &AppState,
    folder: &ferry_store::folders::Folder,
) -> Result<Archive> {
    let mut builder = Builder::new();
    builder.folder(app, &folder.id, &folder.name).await?;
    builder.finish(app, format!("{}.zip", folder.name)).await
}

/// Files (at the top) and folders (as top directories), each readable by the caller: one
/// invisible item makes the request `NotFound`, else one unreadable `PermissionDenied`.
pub async fn of_items(app: &AppState, caller: &Caller, items: &[String]) -> Result<Archive> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(Error::invalid(
            "items",
            "invalid_value",
            format!("Between 1 and {MAX_ITEMS} file or folder ids."),
        ));
    }
    let mut seen = HashSet::new();
    let unique: Vec<&String> = items.iter().filter(|i| seen.insert(i.as_str())).collect();
    let mut denied = None;
    let mut resolved = Vec::with_capacity(unique.len());
    for id in unique {
        let found = if IdKind::File.matches(id) {
            match crate::files::readable(app, caller, id).await {
                Ok((f, _)) => crate::scan::require_servable(app, &f.sha256)
                    .await
                    .map(|()| (id, Some(f.name), None)),
                Err(e) => Err(e),
            }
        } else if IdKind::Folder.matches(id) {
            access::folder(app, caller, id, Permission::Read)
                .await
                .map(|f| (id, None, Some(f.name)))
        } else {
            Err(Error::NotFound)
        };
        match found {
            Ok(r) => resolved.push(r),
            Err(Error::NotFound) => return Err(Error::NotFound),
            Err(e) => {
                denied.get_or_insert(e);
            }
        }
    }
    if let Some(e) = denied {
        return Err(e);
    }
    access::require_caller_policy(app, caller, access::Guarded::Download).await?;
    let mut builder = Builder::new();
    for (id, file_name, folder_name) in resolved {
        match (file_name, folder_name) {
            (Some(name), _) => {
                let mut conn = app.store.conn().await?;
                let mut f = ferry_store::archives::file(&mut conn, id)
                    .await?
                    .ok_or(Error::NotFound)?;
                f.name = builder.top_name(&name);
                builder.file("", f);
            }
            (None, Some(name)) => builder.folder(app, id, &name).await?,
            (None, None) => {}
        }
    }
    builder.finish(app, "ferry-archive.zip".into()).await
}

/// An archive's audit, due once its delivery reaches the archive's last byte.
pub struct PendingAudit {
    pub app: AppState,
    pub caller: Caller,
    pub archive: Archive,
    /// The response's length: sent in full, it delivered the archive's end.
    pub len: i64,
}

impl PendingAudit {
    /// Records the download if the delivery sent all it had to (`sent` bytes; `finished`:
    /// the body reached its end).
    pub async fn settle(self, sent: i64, finished: bool) {
        if !finished && sent < self.len {
            return;
        }
        if let Err(e) = record_download(&self.app, &self.caller, &self.archive).await {
            tracing::error!(error = %e, archive = %self.archive.name, "auditing an archive download failed");
        }
    }
}

/// Audits every file of `archive` as downloaded (`file.downloaded`, `"via": "archive"`), in
/// one transaction. The door calls it once per request that delivers the archive to its end.
pub async fn record_download(app: &AppState, caller: &Caller, archive: &Archive) -> Result<()> {
    let mut tx = app.store.begin().await?;
    let now = app.now_ms();
    for f in &archive.files {
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::FileDownloaded,
            (TargetKind::File, &f.id),
        )
        .at(now)
        .in_folder(&f.folder_id)
        .details(
            json!({"bytes": f.size, "ranges": null, "name": f.name, "via": "archive",
                        "archive": archive.name}),
        )
        .append(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
