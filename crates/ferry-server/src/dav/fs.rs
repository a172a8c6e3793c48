//! dav-server's filesystem over ferry-app: every call resolves the path from the caller's
//! root and hands the work to the same use cases as the JSON API (so permissions, quota,
//! versions, trash and audit are theirs). Nothing here touches the local filesystem.

use std::io::SeekFrom;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{Method, StatusCode};
use bytes::Bytes;
use dav_server::davpath::DavPath;
use dav_server::fs::{
    DavDirEntry, DavFile, DavMetaData, DavProp, FsError, FsFuture, FsResult, FsStream,
    GuardedFileSystem, OpenOptions, ReadDirMeta,
};
use ferry_app::folders::{self, Destination, NewFolderRequest};
use ferry_app::namespace::Resolved;
use ferry_app::webdav::{self, PropertyChange};
use ferry_app::{AppState, Caller, Error, files, trash};
use ferry_core::{OnConflict, Sort};
use ferry_store::dav::DeadProperty;
use ferry_store::files::File;
use ferry_store::folders::Folder;
use futures::FutureExt;
use tokio::sync::mpsc;

/// Who asks, and with which method (DELETE and MOVE change how a folder is listed, see
/// [`FerryFs::read_dir`]).
#[derive(Clone)]
pub struct DavCaller {
    pub caller: Caller,
    pub method: Method,
}

/// The filesystem: the application state, nothing else.
#[derive(Clone)]
pub struct FerryFs {
    pub app: AppState,
}

/// How an application error reads to a WebDAV client.
pub fn fs_error(e: Error) -> FsError {
    match e {
        Error::NotFound | Error::FileHeld | Error::FileExpired | Error::FolderExpired => {
            FsError::NotFound
        }
        Error::NameConflict(_) | Error::Conflict(_) => FsError::Exists,
        Error::QuotaExceeded { .. } | Error::FolderSizeLimit { .. } => FsError::InsufficientStorage,
        Error::FileTooLarge { .. } | Error::PayloadTooLarge { .. } => FsError::TooLarge,
        Error::TooDeep { .. } => FsError::PathTooLong,
        Error::BodyRead => FsError::GeneralFailure,
        Error::Internal(_) | Error::Unavailable => {
            tracing::error!(error = %e, "WebDAV request failed");
            FsError::GeneralFailure
        }
        // Refusals (permission, policy, an invalid name or move, a moving target): 403.
        _ => FsError::Forbidden,
    }
}

/// The path as text (names are UTF-8; anything else cannot name anything here).
fn text(path: &DavPath) -> FsResult<&str> {
    std::str::from_utf8(path.as_bytes()).map_err(|_| FsError::NotFound)
}

/// The last name of a path and the path of its parent.
fn split(path: &DavPath) -> FsResult<(DavPath, String)> {
    let name = text(path)?
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .ok_or(FsError::Forbidden)?
        .to_string();
    Ok((path.parent(), name))
}

fn ms_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

/// A file's `getetag` (and the `ETag` of its WebDAV `GET`): the API's ETag of the file,
/// `r<revision>`, which changes with every new version (and rename or move). The content's
/// SHA-256 would do as well, but 64 characters make `If:` headers longer than some clients
/// (neon, hence litmus and cadaver) can send whole.
pub fn file_etag(f: &File) -> String {
    format!("r{}", f.revision)
}

/// A file's or folder's metadata as dav-server wants it.
#[derive(Debug, Clone)]
pub struct Meta {
    dir: bool,
    len: u64,
    modified_ms: i64,
    created_ms: i64,
    etag: String,
}

impl Meta {
    fn root() -> Meta {
        Meta {
            dir: true,
            len: 0,
            modified_ms: 0,
            created_ms: 0,
            etag: "root".into(),
        }
    }

    pub fn file(f: &File) -> Meta {
        Meta {
            dir: false,
            len: f.size.max(0) as u64,
            modified_ms: f.client_modified_at.unwrap_or(f.updated_at),
            created_ms: f.created_at,
            etag: file_etag(f),
        }
    }

    fn folder(f: &Folder) -> Meta {
        Meta {
            dir: true,
            len: 0,
            modified_ms: f.updated_at,
            created_ms: f.created_at,
            etag: format!("r{}", f.revision),
        }
    }
}

impl DavMetaData for Meta {
    fn len(&self) -> u64 {
        self.len
    }
    fn modified(&self) -> FsResult<SystemTime> {
        Ok(ms_time(self.modified_ms))
    }
    fn created(&self) -> FsResult<SystemTime> {
        Ok(ms_time(self.created_ms))
    }
    fn is_dir(&self) -> bool {
        self.dir
    }
    fn etag(&self) -> Option<String> {
        Some(self.etag.clone())
    }
}

struct Entry {
    name: String,
    meta: Meta,
}

impl DavDirEntry for Entry {
    fn name(&self) -> Vec<u8> {
        self.name.as_bytes().to_vec()
    }
    fn metadata(&self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        let meta = Box::new(self.meta.clone()) as Box<dyn DavMetaData>;
        async move { Ok(meta) }.boxed()
    }
    fn is_dir(&self) -> FsFuture<'_, bool> {
        let dir = self.meta.dir;
        async move { Ok(dir) }.boxed()
    }
}

/// Rows per page when listing a folder (a listing reads every page).
const PAGE: i64 = 1000;

impl FerryFs {
    async fn resolve(&self, c: &DavCaller, path: &DavPath) -> FsResult<Option<Resolved>> {
        webdav::resolve(&self.app, &c.caller, text(path)?)
            .await
            .map_err(fs_error)
    }

    /// The folder a path names; `None` for the root.
    async fn folder_at(&self, c: &DavCaller, path: &DavPath) -> FsResult<Option<Folder>> {
        match self.resolve(c, path).await? {
            None => Ok(None),
            Some(Resolved::Folder(e)) => Ok(Some(e.folder)),
            Some(Resolved::File(_)) => Err(FsError::Forbidden),
        }
    }

    async fn list(&self, c: &DavCaller, path: &DavPath) -> FsResult<Vec<Entry>> {
        let caller = &c.caller;
        let mut out = Vec::new();
        let Some(folder) = self.folder_at(c, path).await? else {
            let mut after = None;
            loop {
                let rows = folders::list(&self.app, caller, after.clone(), PAGE)
                    .await
                    .map_err(fs_error)?;
                let more = rows.len() as i64 > PAGE;
                for e in rows.into_iter().take(PAGE as usize) {
                    after = Some((
                        ferry_core::validate::name_key(&e.folder.name),
                        e.folder.id.to_string(),
                    ));
                    out.push(Entry {
                        name: e.folder.name.clone(),
                        meta: Meta::folder(&e.folder),
                    });
                }
                if !more {
                    return Ok(out);
                }
            }
        };
        let sort = Sort::default();
        let mut after = None;
        loop {
            let rows = folders::children(&self.app, caller, &folder.id, sort, after.take(), PAGE)
                .await
                .map_err(fs_error)?;
            let more = rows.len() as i64 > PAGE;
            for e in rows.into_iter().take(PAGE as usize) {
                after = Some(ferry_store::folders::sort_value(&e.folder, sort));
                out.push(Entry {
                    name: e.folder.name.clone(),
                    meta: Meta::folder(&e.folder),
                });
            }
            if !more {
                break;
            }
        }
        let mut after = None;
        loop {
            let (rows, _) = folders::files(&self.app, caller, &folder.id, sort, after.take(), PAGE)
                .await
                .map_err(fs_error)?;
            let more = rows.len() as i64 > PAGE;
            for f in rows.into_iter().take(PAGE as usize) {
                after = Some(ferry_store::files::sort_value(&f, sort));
                out.push(Entry {
                    name: f.name.clone(),
                    meta: Meta::file(&f),
                });
            }
            if !more {
                return Ok(out);
            }
        }
    }

    /// Where a MOVE or COPY puts `to`: its parent folder (`None`: the root) and its name.
    async fn destination(&self, c: &DavCaller, to: &DavPath) -> FsResult<(Option<Folder>, String)> {
        let (parent, name) = split(to)?;
        Ok((self.folder_at(c, &parent).await?, name))
    }
}

fn destination<'a>(parent: Option<&'a Folder>, name: &'a str) -> Destination<'a> {
    Destination {
        parent_id: parent.map(|p| p.id.as_str()),
        name: Some(name),
        // dav-server has already removed an existing destination when Overwrite allowed it.
        on_conflict: OnConflict::Fail,
        dry_run: false,
        revision: None,
    }
}

impl GuardedFileSystem<DavCaller> for FerryFs {
    fn open<'a>(
        &'a self,
        path: &'a DavPath,
        options: OpenOptions,
        c: &'a DavCaller,
    ) -> FsFuture<'a, Box<dyn DavFile>> {
        async move {
            // Reads are served by the door itself (`GET`/`HEAD` with the API's ranges,
            // ETags and download audit); dav-server only opens files to write them.
            if !options.write {
                return Err(FsError::Forbidden);
            }
            let existing = self.resolve(c, path).await;
            match (&existing, options.create, options.create_new) {
                (Ok(Some(Resolved::File(_))), _, true) => return Err(FsError::Exists),
                (Ok(Some(Resolved::Folder(_))) | Ok(None), _, _) => {
                    return Err(FsError::Forbidden);
                }
                (Err(FsError::NotFound), false, _) => return Err(FsError::NotFound),
                _ => {}
            }
            let (parent, name) = split(path)?;
            let Some(folder) = self.folder_at(c, &parent).await? else {
                // Files live in folders: the root holds folders only.
                return Err(FsError::Forbidden);
            };
            let existing_size = match existing {
                Ok(Some(Resolved::File(entry))) => entry.file.size.max(0) as u64,
                _ => 0,
            };
            Ok(Box::new(PutFile {
                target: Some(Target {
                    app: self.app.clone(),
                    caller: c.caller.clone(),
                    folder,
                    name,
                }),
                existing_size,
                offset: None,
                tx: None,
                task: None,
                declared: options.size,
                written: 0,
                done: None,
            }) as Box<dyn DavFile>)
        }
        .boxed()
    }

    fn read_dir<'a>(
        &'a self,
        path: &'a DavPath,
        _meta: ReadDirMeta,
        c: &'a DavCaller,
    ) -> FsFuture<'a, FsStream<Box<dyn DavDirEntry>>> {
        async move {
            // dav-server deletes a folder (DELETE, or the destination a MOVE overwrites) by
            // walking it and removing every file before the folder. Ferry trashes a folder
            // whole, as one restorable item, so during those methods a folder lists as empty
            // and `remove_dir` trashes it with everything in it.
            if c.method == Method::DELETE || c.method.as_str() == "MOVE" {
                let empty: FsStream<Box<dyn DavDirEntry>> = Box::pin(futures::stream::empty());
                return Ok(empty);
            }
            let entries = self.list(c, path).await?;
            let stream: FsStream<Box<dyn DavDirEntry>> = Box::pin(futures::stream::iter(
                entries
                    .into_iter()
                    .map(|e| Ok(Box::new(e) as Box<dyn DavDirEntry>)),
            ));
            Ok(stream)
        }
        .boxed()
    }

    fn metadata<'a>(
        &'a self,
        path: &'a DavPath,
        c: &'a DavCaller,
    ) -> FsFuture<'a, Box<dyn DavMetaData>> {
        async move {
            let meta = match self.resolve(c, path).await? {
                None => Meta::root(),
                Some(Resolved::File(e)) => Meta::file(&e.file),
                Some(Resolved::Folder(e)) => Meta::folder(&e.folder),
            };
            Ok(Box::new(meta) as Box<dyn DavMetaData>)
        }
        .boxed()
    }

    fn create_dir<'a>(&'a self, path: &'a DavPath, c: &'a DavCaller) -> FsFuture<'a, ()> {
        async move {
            if self.resolve(c, path).await.is_ok() {
                return Err(FsError::Exists);
            }
            let (parent, name) = split(path)?;
            let parent = self.folder_at(c, &parent).await?;
            let new = NewFolderRequest {
                name: &name,
                parent_id: parent.as_ref().map(|p| p.id.as_str()),
                retention_days: None,
                visibility: None,
                description: None,
                expires_at: None,
            };
            folders::create(&self.app, &c.caller, new)
                .await
                .map_err(fs_error)?;
            Ok(())
        }
        .boxed()
    }

    fn remove_dir<'a>(&'a self, path: &'a DavPath, c: &'a DavCaller) -> FsFuture<'a, ()> {
        async move {
            let folder = self.folder_at(c, path).await?.ok_or(FsError::Forbidden)?;
            trash::delete_folder(&self.app, &c.caller, &folder.id, false)
                .await
                .map_err(fs_error)?;
            Ok(())
        }
        .boxed()
    }

    fn remove_file<'a>(&'a self, path: &'a DavPath, c: &'a DavCaller) -> FsFuture<'a, ()> {
        async move {
            let Some(Resolved::File(e)) = self.resolve(c, path).await? else {
                return Err(FsError::Forbidden);
            };
            trash::delete_file(&self.app, &c.caller, &e.file.id, false)
                .await
                .map_err(fs_error)?;
            Ok(())
        }
        .boxed()
    }

    fn rename<'a>(
        &'a self,
        from: &'a DavPath,
        to: &'a DavPath,
        c: &'a DavCaller,
    ) -> FsFuture<'a, ()> {
        async move {
            let source = self.resolve(c, from).await?.ok_or(FsError::Forbidden)?;
            let (parent, name) = self.destination(c, to).await?;
            let to = destination(parent.as_ref(), &name);
            match source {
                Resolved::Folder(e) => {
                    folders::move_folder(&self.app, &c.caller, &e.folder.id, to)
                        .await
                        .map_err(fs_error)?;
                }
                Resolved::File(e) => {
                    if parent.is_none() {
                        return Err(FsError::Forbidden);
                    }
                    files::move_file(&self.app, &c.caller, &e.file.id, to)
                        .await
                        .map_err(fs_error)?;
                }
            }
            Ok(())
        }
        .boxed()
    }

    fn copy<'a>(
        &'a self,
        from: &'a DavPath,
        to: &'a DavPath,
        c: &'a DavCaller,
    ) -> FsFuture<'a, ()> {
        async move {
            let Some(Resolved::File(e)) = self.resolve(c, from).await? else {
                return Err(FsError::Forbidden);
            };
            let (parent, name) = self.destination(c, to).await?;
            if parent.is_none() {
                return Err(FsError::Forbidden);
            }
            files::copy_file(
                &self.app,
                &c.caller,
                &e.file.id,
                destination(parent.as_ref(), &name),
            )
            .await
            .map_err(fs_error)?;
            Ok(())
        }
        .boxed()
    }

    fn have_props<'a>(
        &'a self,
        _path: &'a DavPath,
        _c: &'a DavCaller,
    ) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
        Box::pin(async { true })
    }

    fn patch_props<'a>(
        &'a self,
        path: &'a DavPath,
        patch: Vec<(bool, DavProp)>,
        c: &'a DavCaller,
    ) -> FsFuture<'a, Vec<(StatusCode, DavProp)>> {
        async move {
            let target = self.resolve(c, path).await?.ok_or(FsError::Forbidden)?;
            let mut changes = Vec::with_capacity(patch.len());
            let mut done = Vec::with_capacity(patch.len());
            for (set, p) in patch {
                let namespace = p.namespace.clone().unwrap_or_default();
                changes.push(if set {
                    let xml = String::from_utf8(p.xml.clone().unwrap_or_default())
                        .map_err(|_| FsError::Forbidden)?;
                    PropertyChange::Set(DeadProperty {
                        namespace,
                        name: p.name.clone(),
                        xml,
                    })
                } else {
                    PropertyChange::Remove {
                        namespace,
                        name: p.name.clone(),
                    }
                });
                done.push((StatusCode::OK, DavProp { xml: None, ..p }));
            }
            webdav::patch_properties(&self.app, &c.caller, &target, changes)
                .await
                .map_err(fs_error)?;
            Ok(done)
        }
        .boxed()
    }

    fn get_props<'a>(
        &'a self,
        path: &'a DavPath,
        do_content: bool,
        c: &'a DavCaller,
    ) -> FsFuture<'a, Vec<DavProp>> {
        async move {
            let Some(target) = self.resolve(c, path).await? else {
                return Ok(Vec::new());
            };
            let props = webdav::properties(&self.app, &target)
                .await
                .map_err(fs_error)?;
            Ok(props
                .into_iter()
                .map(|p| DavProp {
                    name: p.name,
                    prefix: None,
                    namespace: Some(p.namespace).filter(|n| !n.is_empty()),
                    xml: do_content.then(|| p.xml.into_bytes()),
                })
                .collect())
        }
        .boxed()
    }

    fn get_prop<'a>(
        &'a self,
        path: &'a DavPath,
        prop: DavProp,
        c: &'a DavCaller,
    ) -> FsFuture<'a, Vec<u8>> {
        async move {
            let target = self.resolve(c, path).await?.ok_or(FsError::NotFound)?;
            let namespace = prop.namespace.unwrap_or_default();
            webdav::properties(&self.app, &target)
                .await
                .map_err(fs_error)?
                .into_iter()
                .find(|p| p.namespace == namespace && p.name == prop.name)
                .map(|p| p.xml.into_bytes())
                .ok_or(FsError::NotFound)
        }
        .boxed()
    }

    fn get_quota<'a>(&'a self, c: &'a DavCaller) -> FsFuture<'a, (u64, Option<u64>)> {
        async move { webdav::quota(&self.app, &c.caller).await.map_err(fs_error) }.boxed()
    }
}

/// What the PUT's body task receives: bytes, or the end of a body that arrived whole. A
/// channel closed without `End` (the client went away) fails the upload, so a cut-off body
/// never becomes a file.
enum Chunk {
    Data(Bytes),
    End,
}

/// A file being written by a PUT: the bytes go through a channel to a task that runs the
/// upload use case ([`webdav::put`], or [`webdav::put_range`] for a partial PUT) on them as they
/// arrive, so nothing is held in memory. The task starts with the first byte (or the end of an
/// empty body), once dav-server has said where the bytes go (`seek`, for `Content-Range`).
struct PutFile {
    /// Where the bytes go; taken when the task starts.
    target: Option<Target>,
    /// The size of the file being replaced (0 for a new one), for a range's first check.
    existing_size: u64,
    /// Where the body goes in the file: `Some` after a seek (a partial PUT).
    offset: Option<u64>,
    tx: Option<mpsc::Sender<Chunk>>,
    task: Option<tokio::task::JoinHandle<ferry_app::Result<webdav::Put>>>,
    /// The body's length (Content-Length: the range's, for a partial PUT).
    declared: Option<u64>,
    written: u64,
    done: Option<Meta>,
}

struct Target {
    app: AppState,
    caller: Caller,
    folder: Folder,
    name: String,
}

impl std::fmt::Debug for PutFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PutFile")
            .field("offset", &self.offset)
            .field("declared", &self.declared)
            .field("written", &self.written)
            .finish()
    }
}

impl PutFile {
    /// Starts the upload task on the body channel (once).
    fn start_upload(&mut self) {
        let Some(Target {
            app,
            caller,
            folder,
            name,
        }) = self.target.take()
        else {
            return;
        };
        let (tx, rx) = mpsc::channel::<Chunk>(8);
        let body = futures::stream::unfold(Some(rx), |rx| async move {
            let mut rx = rx?;
            match rx.recv().await {
                Some(Chunk::Data(b)) => Some((Ok(b), Some(rx))),
                Some(Chunk::End) => None,
                None => Some((
                    Err(Box::new(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the request body ended early",
                    )) as ferry_blob::BoxError),
                    None,
                )),
            }
        });
        let (declared, offset) = (self.declared, self.offset);
        let task = tokio::spawn(async move {
            let body = Box::pin(body);
            match (offset, declared) {
                (Some(offset), Some(len)) => {
                    webdav::put_range(&app, &caller, &folder, &name, offset, len, body).await
                }
                _ => webdav::put(&app, &caller, &folder, &name, declared, body).await,
            }
        });
        self.tx = Some(tx);
        self.task = Some(task);
    }

    /// The upload's outcome once its task has ended.
    async fn outcome(&mut self) -> FsResult<()> {
        self.tx = None;
        let task = self.task.take().ok_or(FsError::GeneralFailure)?;
        match task.await {
            Ok(Ok(put)) => {
                self.done = Some(Meta::file(&put.file));
                Ok(())
            }
            Ok(Err(e)) => Err(fs_error(e)),
            Err(_) => Err(FsError::GeneralFailure),
        }
    }

    async fn send(&mut self, chunk: Chunk) -> FsResult<()> {
        self.start_upload();
        let Some(tx) = &self.tx else {
            return Err(FsError::GeneralFailure);
        };
        if tx.send(chunk).await.is_err() {
            // The task stopped reading: it failed (over quota, say); say why.
            self.outcome().await?;
            return Err(FsError::GeneralFailure);
        }
        Ok(())
    }
}

impl DavFile for PutFile {
    fn metadata(&mut self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        let meta = self.done.clone();
        async move { Ok(Box::new(meta.ok_or(FsError::NotFound)?) as Box<dyn DavMetaData>) }.boxed()
    }

    fn write_buf(&mut self, mut buf: Box<dyn bytes::Buf + Send>) -> FsFuture<'_, ()> {
        let bytes = buf.copy_to_bytes(buf.remaining());
        self.write_bytes(bytes)
    }

    fn write_bytes(&mut self, buf: Bytes) -> FsFuture<'_, ()> {
        async move {
            self.written += buf.len() as u64;
            if self.declared.is_some_and(|d| self.written > d) {
                // More than Content-Length: dropping the sender fails the upload.
                self.tx = None;
                return Err(FsError::GeneralFailure);
            }
            self.send(Chunk::Data(buf)).await
        }
        .boxed()
    }

    fn read_bytes(&mut self, _count: usize) -> FsFuture<'_, Bytes> {
        async { Err(FsError::NotImplemented) }.boxed()
    }

    fn seek(&mut self, pos: SeekFrom) -> FsFuture<'_, u64> {
        // A partial PUT (`Content-Range`): dav-server seeks before the first byte. A range
        // needs its length (Content-Length) and must not leave a hole; an error here is
        // dav-server's `416`.
        async move {
            match pos {
                SeekFrom::Start(at)
                    if self.target.is_some()
                        && self.declared.is_some()
                        && at <= self.existing_size =>
                {
                    self.offset = Some(at);
                    Ok(at)
                }
                _ => Err(FsError::NotImplemented),
            }
        }
        .boxed()
    }

    fn flush(&mut self) -> FsFuture<'_, ()> {
        async move {
            if self.done.is_some() {
                return Ok(());
            }
            if self.declared.is_some_and(|d| self.written != d) {
                // A body shorter than its Content-Length is no file.
                self.tx = None;
                let _ = self.outcome().await;
                return Err(FsError::GeneralFailure);
            }
            self.send(Chunk::End).await?;
            self.outcome().await
        }
        .boxed()
    }
}
