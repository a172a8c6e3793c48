//! What the WebDAV door needs beyond the API's use cases: a PUT by path (a new file, or a new
//! version of the file of that name; also of a byte range of it), dead properties (PROPPATCH) and the caller's quota. The
//! rest of WebDAV maps onto the folder, file and trash use cases as they are.

use ferry_blob::ByteStream;
use ferry_core::{OnConflict, Permission, validate};
use ferry_store::dav::{DavLock, DeadProperty};
use ferry_store::files::File;
use ferry_store::folders::Folder;
use futures::StreamExt;

use crate::access;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::files::{self, Budget};
use crate::namespace::{self, Resolved};
use crate::state::AppState;

/// What a PUT did.
pub struct Put {
    pub file: File,
    /// A new file (`201`), not a new version of an existing one (`204`).
    pub created: bool,
}

/// Streams `body` into `parent`/`name`: the next version of the live file of that name, or a
/// new file. Exactly the API's checks: `write` on the folder, the upload policy, the quota and
/// the size limit while the bytes arrive (a `declared_len` over them is refused before a byte
/// is read), SHA-256 computed on the way; audited as uploads and versions are.
pub async fn put(
    app: &AppState,
    caller: &Caller,
    parent: &Folder,
    name: &str,
    declared_len: Option<u64>,
    body: ByteStream<'_>,
) -> Result<Put> {
    let name = validate::stored_name("name", name)?;
    let existing = {
        let mut conn = app.store.conn().await?;
        ferry_store::files::by_name(&mut conn, &parent.id, &name).await?
    };
    if let Some(file) = existing.filter(|f| f.trash_id.is_none()) {
        let entry =
            crate::versions::put_content(app, caller, &file.id, declared_len, None, body).await?;
        return Ok(Put {
            file: entry.file,
            created: false,
        });
    }
    let folder = access::folder(app, caller, &parent.id, Permission::Write).await?;
    let uploader = crate::me::current(app, caller).await?;
    let budget = Budget::for_user(&uploader, app.config.limits.max_file_size);
    if let Some(len) = declared_len {
        budget.check(len)?;
    }
    let staged = budget.stage(app, body).await?;
    let target = files::Target {
        folder: &folder,
        name: &name,
        // A file of that name that appeared meanwhile gets the bytes as its next version.
        on_conflict: OnConflict::NewVersion,
        expires_at: app
            .config
            .uploads
            .default_ttl_secs
            .map(|t| app.now_ms() + t * 1000),
        client_modified_at: None,
    };
    let file = files::publish(app, caller, target, staged).await?;
    Ok(Put {
        file,
        created: true,
    })
}

/// A partial PUT (Apache's and SabreDAV's `Content-Range: bytes START-END/…`): the next version
/// of the live file `parent`/`name` is its content with the `len` bytes at `offset` replaced by
/// `body`, growing it when they reach past its end. A version is always whole, so the bytes
/// around the range are streamed from the current version's blob into the new one as it is
/// staged (nothing is held in memory), and the version is only committed if the file is still
/// the one that was read (`412` otherwise: a concurrent writer would lose its change). A range
/// that starts past the end (a hole) is refused; on no file, only a range at 0 (a new file).
pub async fn put_range(
    app: &AppState,
    caller: &Caller,
    parent: &Folder,
    name: &str,
    offset: u64,
    len: u64,
    body: ByteStream<'_>,
) -> Result<Put> {
    let stored = validate::stored_name("name", name)?;
    let existing = {
        let mut conn = app.store.conn().await?;
        ferry_store::files::by_name(&mut conn, &parent.id, &stored).await?
    };
    let Some(file) = existing.filter(|f| f.trash_id.is_none()) else {
        if offset > 0 {
            return Err(range_past_end(offset, 0));
        }
        return put(app, caller, parent, name, Some(len), body).await;
    };
    let size = file.size.max(0) as u64;
    if offset > size {
        return Err(range_past_end(offset, size));
    }
    // Only a writer reads the old bytes, and only into the new version.
    access::file(app, caller, &file.id, Permission::Write).await?;
    let end = offset + len;
    let key = files::blob_key(app, &file.sha256).await?;
    let before = app.blobs.read(&key, 0, offset).await?;
    let after: ByteStream<'_> = if end < size {
        app.blobs.read(&key, end, size - end).await?
    } else {
        Box::pin(futures::stream::empty())
    };
    let whole = Box::pin(before.chain(body).chain(after));
    let entry = crate::versions::put_content(
        app,
        caller,
        &file.id,
        Some(size.max(end)),
        Some(crate::versions::Precondition::Revision(file.revision)),
        whole,
    )
    .await?;
    Ok(Put {
        file: entry.file,
        created: false,
    })
}

fn range_past_end(offset: u64, size: u64) -> Error {
    Error::invalid(
        "content_range",
        "range_not_satisfiable",
        format!("The range starts at byte {offset}, past the end of the file ({size} bytes)."),
    )
}

/// The id and folder of what a path names (the folder itself for a folder).
fn target_of(resolved: &Resolved) -> (&str, &str) {
    match resolved {
        Resolved::File(e) => (&e.file.id, &e.file.folder_id),
        Resolved::Folder(e) => (&e.folder.id, &e.folder.id),
    }
}

/// The dead properties of a file or folder the caller has resolved (and so may read).
pub async fn properties(app: &AppState, resolved: &Resolved) -> Result<Vec<DeadProperty>> {
    let (id, _) = target_of(resolved);
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::dav::properties(&mut conn, id).await?)
}

/// Most dead properties on one file or folder, and the longest value, in bytes: a client
/// cannot make a row store a dumping ground.
const MAX_PROPERTIES: usize = 256;
const MAX_PROPERTY_BYTES: usize = 16_384;

/// One change of a PROPPATCH: set a property to its XML, or remove it.
pub enum PropertyChange {
    Set(DeadProperty),
    Remove { namespace: String, name: String },
}

/// Applies a PROPPATCH's changes all together (RFC 4918 §9.2: all or nothing); needs `write`
/// on the folder (the file's folder for a file).
pub async fn patch_properties(
    app: &AppState,
    caller: &Caller,
    resolved: &Resolved,
    changes: Vec<PropertyChange>,
) -> Result<()> {
    let (id, folder_id) = target_of(resolved);
    let folder = access::folder(app, caller, folder_id, Permission::Read).await?;
    if !access::folder_permissions(caller, &folder).contains(&Permission::Write) {
        return Err(Error::PermissionDenied);
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    for change in &changes {
        match change {
            PropertyChange::Set(p) => {
                if p.xml.len() > MAX_PROPERTY_BYTES || p.name.len() > 1024 {
                    return Err(Error::invalid(
                        "property",
                        "invalid_value",
                        "A dead property is at most 16 KiB.",
                    ));
                }
                ferry_store::dav::set_property(&mut tx, id, p, now).await?;
            }
            PropertyChange::Remove { namespace, name } => {
                ferry_store::dav::remove_property(&mut tx, id, namespace, name).await?;
            }
        }
    }
    if ferry_store::dav::properties(&mut tx, id).await?.len() > MAX_PROPERTIES {
        return Err(Error::invalid(
            "property",
            "invalid_value",
            "At most 256 dead properties on one file or folder.",
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// The bytes the caller's files use and their quota (`None`: unlimited).
pub async fn quota(app: &AppState, caller: &Caller) -> Result<(u64, Option<u64>)> {
    let user = crate::me::current(app, caller).await?;
    Ok((
        user.used_bytes.max(0) as u64,
        user.quota_bytes.map(|q| q.max(0) as u64),
    ))
}

/// What a path names, from the caller's root; `None` for the root itself.
pub async fn resolve(app: &AppState, caller: &Caller, path: &str) -> Result<Option<Resolved>> {
    if path.split('/').all(str::is_empty) {
        return Ok(None);
    }
    namespace::resolve(app, caller, path).await.map(Some)
}

/// The key a WebDAV lock on `path` (from the caller's root) is stored under: the path in the
/// tree of the owner of its top-level folder, names folded, so that the owner and every
/// collaborator of a share meet the same locks whatever the share is mounted as.
pub async fn lock_key(app: &AppState, caller: &Caller, path: &str) -> Result<String> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let Some((top, rest)) = segments.split_first() else {
        return Ok(format!("{}:", user.id));
    };
    let mut key = match namespace::resolve(app, caller, &format!("/{top}")).await {
        Ok(Resolved::Folder(entry)) => {
            let mut conn = app.store.conn().await?;
            let chain = namespace::ancestry(&mut conn, &entry.folder.id).await?;
            let mut key = format!("{}:", entry.folder.owner_id);
            for f in &chain {
                key.push('/');
                key.push_str(&validate::name_key(&f.name));
            }
            key
        }
        // Nothing there (yet): a lock on an unmapped URL of the caller's own root.
        _ => format!("{}:/{}", user.id, validate::name_key(top)),
    };
    for s in rest {
        key.push('/');
        key.push_str(&validate::name_key(s));
    }
    Ok(key)
}

/// Takes a WebDAV lock atomically across nodes: the locks of `tree` are held while `decide`
/// looks at the live ones and answers the lock to store, or the one in its way (which is
/// returned as it is, nothing stored).
pub async fn take_lock<F>(
    app: &AppState,
    tree: &str,
    decide: F,
) -> Result<std::result::Result<DavLock, Box<DavLock>>>
where
    F: FnOnce(&[DavLock]) -> std::result::Result<DavLock, Box<DavLock>>,
{
    let mut tx = app.store.begin().await?;
    ferry_store::dav::lock_tree(&mut tx, tree).await?;
    let live = ferry_store::dav::live_locks(&mut tx, tree, app.now_ms()).await?;
    let lock = match decide(&live) {
        Ok(lock) => lock,
        Err(in_the_way) => return Ok(Err(in_the_way)),
    };
    ferry_store::dav::insert_lock(&mut tx, &lock).await?;
    tx.commit().await?;
    Ok(Ok(lock))
}
