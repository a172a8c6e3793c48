//! Folders: creation, lookup, the caller's folders and a folder's live files.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, Permission, Visibility, validate};
use ferry_store::files::File;
use ferry_store::folders::{Folder, NewFolder};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

/// What a new folder asks for.
pub struct NewFolderRequest<'a> {
    pub name: &'a str,
    pub retention_days: Option<i64>,
    pub visibility: Option<&'a str>,
}

/// A folder's storage: its owner's limit and the bytes its files hold.
pub struct FolderQuota {
    pub limit_bytes: Option<i64>,
    pub used_bytes: i64,
}

/// Creates a top-level folder owned by the caller.
pub async fn create(app: &AppState, caller: &Caller, new: NewFolderRequest<'_>) -> Result<Folder> {
    let owner = caller.user_ref().ok_or(Error::Unauthorized)?;
    validate::name("name", new.name)?;
    let retention_days = validate::in_range(
        "retention_days",
        new.retention_days.unwrap_or(0),
        0..=validate::MAX_RETENTION_DAYS,
    )?;
    let visibility = match new.visibility {
        None => Visibility::Private,
        Some(v) => Visibility::parse(v).ok_or_else(|| {
            Error::invalid(
                "visibility",
                "invalid_value",
                "visibility must be `private`.",
            )
        })?,
    };
    let id = IdKind::Folder.generate();
    let mut tx = app.store.begin().await?;
    let inserted = ferry_store::folders::insert(
        &mut tx,
        &NewFolder {
            id: &id,
            owner_id: &owner.id,
            name: new.name,
            visibility: visibility.as_str(),
            retention_days,
            now: app.now_ms(),
        },
    )
    .await;
    match inserted {
        Err(ferry_store::StoreError::Conflict) => {
            return Err(Error::NameConflict(format!(
                "You already have a folder named `{}`.",
                new.name
            )));
        }
        other => other?,
    }
    audit::success(
        &caller.origin,
        Some(owner),
        Action::FolderCreated,
        (TargetKind::Folder, &id),
    )
    .at(app.now_ms())
    .in_folder(&id)
    .details(json!({"name": new.name, "retention_days": retention_days}))
    .append(&mut tx)
    .await?;
    let folder = ferry_store::folders::get(&mut tx, &id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(folder)
}

/// A folder the caller can read.
pub async fn get(app: &AppState, caller: &Caller, id: &str) -> Result<Folder> {
    access::folder(app, caller, id, Permission::Read).await
}

/// The folders the caller can see, by name after `after`; `limit + 1` rows.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    after: Option<(String, String)>,
    limit: i64,
) -> Result<Vec<Folder>> {
    let scope = access::folder_scope(caller);
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::folders::list(
        &mut conn,
        scope.owner_filter(),
        after.as_ref().map(|(n, i)| (n.as_str(), i.as_str())),
        limit + 1,
    )
    .await?)
}

/// A folder's live files (not held, not expired), by name after `after`; `limit + 1` rows.
pub async fn files(
    app: &AppState,
    caller: &Caller,
    id: &str,
    after: Option<(String, String)>,
    limit: i64,
) -> Result<Vec<File>> {
    let folder = access::folder(app, caller, id, Permission::Read).await?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::files::list_live(
        &mut conn,
        &folder.id,
        app.now_ms(),
        after.as_ref().map(|(n, i)| (n.as_str(), i.as_str())),
        limit + 1,
    )
    .await?)
}

/// The quota view of each folder, in order, with one query for the owners and one for the
/// bytes used, however many folders there are.
pub async fn quotas(app: &AppState, folders: &[Folder]) -> Result<Vec<FolderQuota>> {
    if folders.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = app.store.conn().await?;
    let ids: Vec<&str> = folders.iter().map(|f| f.id.as_str()).collect();
    let owners: Vec<&str> = folders.iter().map(|f| f.owner_id.as_str()).collect();
    let used = ferry_store::folders::used_bytes_of(&mut conn, &ids).await?;
    let limits = ferry_store::users::quotas_of(&mut conn, &owners).await?;
    Ok(folders
        .iter()
        .map(|f| FolderQuota {
            limit_bytes: limits.get(&f.owner_id).copied().flatten(),
            used_bytes: used.get(&f.id).copied().unwrap_or(0),
        })
        .collect())
}
