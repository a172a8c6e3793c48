//! Names in the tree: finding a free name among siblings (files and subfolders share one
//! namespace, compared case-insensitively) and the path of a folder from its owner's root.

use ferry_core::{OnConflict, validate};
use ferry_store::folders::{Folder, Namespace};

use crate::caller::Caller;
use crate::error::{Error, Result};

/// `name` if nothing else (but `except`) holds it in `namespace`, else `name (1).ext`,
/// `name (2).ext`... with `Rename`, or `409 name_conflict` with `Fail` (and `NewVersion`, whose
/// callers have already turned a clash with a file into a new version). Call it under the
/// namespace's lock ([`ferry_store::folders::lock`]).
pub async fn free_name(
    conn: &mut ferry_store::Conn,
    namespace: Namespace<'_>,
    name: &str,
    on_conflict: OnConflict,
    except: Option<&str>,
) -> Result<String> {
    if !ferry_store::folders::name_in_use(conn, namespace, name, except).await? {
        return Ok(name.to_string());
    }
    if on_conflict != OnConflict::Rename {
        return Err(Error::NameConflict(format!(
            "Something named `{name}` already exists here (names are compared without case)."
        )));
    }
    for n in 1..1000 {
        let candidate = validate::numbered(name, n);
        if candidate.len() > validate::MAX_NAME_BYTES {
            break;
        }
        if !ferry_store::folders::name_in_use(conn, namespace, &candidate, except).await? {
            return Ok(candidate);
        }
    }
    Err(Error::NameConflict(format!(
        "No free name like `{name}` is left here."
    )))
}

/// The chain from the top-level folder down to `folder_id` (inclusive).
pub async fn ancestry(conn: &mut ferry_store::Conn, folder_id: &str) -> Result<Vec<Folder>> {
    Ok(ferry_store::folders::ancestry(conn, folder_id, validate::MAX_DEPTH + 1).await?)
}

/// The chain down to `folder_id`, read inside the writer's transaction: `NotFound` if the
/// folder or any folder above it has been deleted meanwhile, so nothing is ever written into
/// a folder on its way to the trash.
pub async fn live_chain(conn: &mut ferry_store::Conn, folder_id: &str) -> Result<Vec<Folder>> {
    let chain = ancestry(conn, folder_id).await?;
    if chain.is_empty() || !chain.iter().all(Folder::is_live) {
        return Err(Error::NotFound);
    }
    Ok(chain)
}

/// `/Top/sub/folder` for the chain [`ancestry`] returns.
pub fn path_of(chain: &[Folder]) -> String {
    let mut path = String::new();
    for f in chain {
        path.push('/');
        path.push_str(&f.name);
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

/// The folder's path as `caller` sees it (see [`path_for`]).
pub async fn folder_path(
    conn: &mut ferry_store::Conn,
    caller: &Caller,
    folder_id: &str,
) -> Result<String> {
    let chain = match caller.known_chain(folder_id) {
        Some(chain) => chain,
        None => ancestry(conn, folder_id).await?,
    };
    path_for(conn, caller, &chain).await
}

/// The path of the last folder of `chain` as `caller` sees it: owners and admins from the
/// owner's root; a collaborator from their own root, where the share is mounted under its
/// mount name, so that no name above what is shared with them ever shows; a token
/// restricted to a folder from that folder.
pub async fn path_for(
    conn: &mut ferry_store::Conn,
    caller: &Caller,
    chain: &[Folder],
) -> Result<String> {
    let (Some(top), Some(user)) = (chain.first(), caller.user_ref()) else {
        return Ok(path_of(chain));
    };
    // A token restricted to a folder sees that folder as its root: no name above it shows.
    if let Some(start) = caller
        .restriction()
        .and_then(|root| chain.iter().position(|f| f.id == root))
    {
        return Ok(path_of(&chain[start..]));
    }
    if top.owner_id == user.id || user.is_admin() {
        return Ok(path_of(chain));
    }
    let ids: Vec<&str> = chain.iter().map(|f| f.id.as_str()).collect();
    let mounts = match caller.known_mounts(&ids) {
        Some(known) => known,
        None => ferry_store::collaborations::mount_names(conn, &user.id, &ids).await?,
    };
    let start = chain
        .iter()
        .position(|f| mounts.contains_key(f.id.as_str()));
    let Some(start) = start else {
        // Nothing of the chain is shared with them: show no more than the folder's own name.
        return Ok(path_of(&chain[chain.len() - 1..]));
    };
    let mut path = format!("/{}", mounts[chain[start].id.as_str()]);
    for f in &chain[start + 1..] {
        path.push('/');
        path.push_str(&f.name);
    }
    Ok(path)
}

/// The longest retention rule along the chain: a subfolder inherits its ancestors' rule and
/// may only lengthen it.
pub fn inherited_retention_days(chain: &[Folder]) -> i64 {
    chain.iter().map(|f| f.retention_days).max().unwrap_or(0)
}

/// What a path names.
pub enum Resolved {
    File(crate::files::Entry),
    Folder(crate::folders::Entry),
}

/// Looks up `/Top/sub/file.txt` from the caller's root (case-insensitively): `NotFound` for
/// anything missing or not readable.
pub async fn resolve(
    app: &crate::AppState,
    caller: &crate::Caller,
    path: &str,
) -> Result<Resolved> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() || segments.len() > validate::MAX_DEPTH + 1 || path.len() > 16_384 {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    let mut chain: Vec<Folder> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let ns = match chain.last() {
            Some(parent) => Namespace::In {
                folder_id: &parent.id,
            },
            None => Namespace::Top { owner_id: &user.id },
        };
        // A token restricted to a folder has that folder alone at its root.
        if let (true, Some(root)) = (chain.is_empty(), caller.restriction()) {
            let folder = ferry_store::folders::get(&mut conn, root)
                .await?
                .filter(|f| {
                    f.is_live() && validate::name_key(&f.name) == validate::name_key(segment)
                })
                .ok_or(Error::NotFound)?;
            chain.push(folder);
            continue;
        }
        if let Some(folder) = ferry_store::folders::by_name(&mut conn, ns, segment).await? {
            chain.push(folder);
            continue;
        }
        // Whoever sees every folder (admins) finds another user's top-level folder by its
        // name, as `GET /folders` lists it, when exactly one owner has that name.
        if chain.is_empty()
            && crate::access::folder_scope(caller) == crate::access::FolderScope::All
        {
            let mut named = ferry_store::folders::top_named(&mut conn, segment).await?;
            if named.len() == 1 {
                chain.push(named.remove(0));
                continue;
            }
        }
        // A share mounted in the caller's root, by its mount name.
        if chain.is_empty() {
            let key = validate::name_key(segment);
            let mounts =
                ferry_store::collaborations::mounts(&mut conn, &user.id, app.now_ms()).await?;
            let mounted = mounts.into_iter().find(|m| {
                validate::name_key(m.mount_name.as_deref().unwrap_or(&m.folder_name)) == key
            });
            if let Some(share) = mounted
                && let Some(folder) = ferry_store::folders::get(&mut conn, &share.folder_id).await?
                && folder.is_live()
            {
                chain.push(folder);
                continue;
            }
        }
        let last = i + 1 == segments.len();
        if let (true, Some(parent)) = (last, chain.last()) {
            crate::access::resolve_role(&mut conn, app.now_ms(), caller, parent).await?;
            let file = ferry_store::files::by_name(&mut conn, &parent.id, segment)
                .await?
                .ok_or(Error::NotFound)?;
            crate::access::permit(caller, parent, ferry_core::Permission::Read)?;
            if file.is_expired(app.now_ms()) {
                return Err(Error::NotFound);
            }
            return Ok(Resolved::File(crate::files::Entry {
                folder_path: path_for(&mut conn, caller, &chain).await?,
                file,
            }));
        }
        return Err(Error::NotFound);
    }
    let folder = chain.last().cloned().ok_or(Error::NotFound)?;
    crate::access::resolve_role(&mut conn, app.now_ms(), caller, &folder).await?;
    crate::access::permit(caller, &folder, ferry_core::Permission::Read)?;
    Ok(Resolved::Folder(crate::folders::Entry {
        path: path_for(&mut conn, caller, &chain).await?,
        folder,
    }))
}
