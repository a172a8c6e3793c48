//! The wire forms (ferry-api types) of what the use cases return, shared by the handlers so
//! that no handler imports another.

use ferry_api as api;
use ferry_app::folders::FolderQuota;
use ferry_app::users::Reserved;
use ferry_app::{Caller, access};
use ferry_core::timefmt::{now_ms, rfc3339};
use ferry_store::files::File;
use ferry_store::folders::Folder;
use ferry_store::trash::TrashItem;
use ferry_store::users::User;

/// The wire form of a file in a folder at `folder_path`.
pub fn file_view(f: &File, folder_path: &str) -> api::File {
    let base = if folder_path == "/" { "" } else { folder_path };
    api::File {
        id: f.id.to_string(),
        folder_id: f.folder_id.to_string(),
        name: f.name.clone(),
        path: format!("{base}/{}", f.name),
        description: f.description.clone(),
        tags: f.tag_list(),
        client_modified_at: f.client_modified_at.map(rfc3339),
        favorite: false,
        size: f.size,
        checksum_sha256: f.sha256.clone(),
        mime_type: f.mime_type.clone(),
        version: f.version,
        owner: api::Owner {
            id: f.owner_id.to_string(),
            login: f.owner_login.clone(),
        },
        created_at: rfc3339(f.created_at),
        updated_at: rfc3339(f.updated_at),
        retention: api::Retention {
            state: f.state.as_str().into(),
            held_until: f.held_until.map(rfc3339),
            expires_at: f.expires_at.map(rfc3339),
        },
        uploaded_via_link: f.via_link_id.as_ref().map(|id| api::UploadedViaLink {
            link_id: id.clone(),
            name: f.via_link_name.clone(),
            email: f.via_link_email.clone(),
        }),
        scan: scan_view(f),
        media: None,
    }
}

/// The wire form of media metadata.
pub fn media_view(m: ferry_app::media::Media) -> api::Media {
    api::Media {
        width: m.width,
        height: m.height,
        taken_at: m.taken_at,
        camera_make: m.camera_make,
        camera_model: m.camera_model,
        gps: m.gps.map(|(latitude, longitude)| api::Gps {
            latitude,
            longitude,
        }),
        title: m.title,
        artist: m.artist,
        album: m.album,
        track: m.track,
        year: m.year,
        duration_ms: m.duration_ms,
    }
}

/// The wire form of a file's scan. Content the scan worker has not seen yet is `pending`
/// (publishing gives new content its row, `skipped` with scanning off, so this is brief).
fn scan_view(f: &File) -> api::Scan {
    api::Scan {
        status: f
            .scan_status()
            .unwrap_or(ferry_core::ScanStatus::Pending)
            .as_str()
            .into(),
        signature: f.scan_signature().map(str::to_string),
        scanned_at: f.scanned_at().map(rfc3339),
    }
}

/// The wire form of a file with its folder's path.
pub fn file_entry_view(e: &ferry_app::files::Entry) -> api::File {
    file_view(&e.file, &e.folder_path)
}

/// The wire form of a folder at `path`, as `caller` sees it.
pub fn folder_view(
    caller: &Caller,
    f: &Folder,
    path: &str,
    quota: Option<FolderQuota>,
) -> api::Folder {
    api::Folder {
        id: f.id.to_string(),
        parent_id: f.parent_id.clone(),
        name: f.name.clone(),
        path: path.to_string(),
        description: f.description.clone(),
        role: access::folder_role(caller, f)
            .map_or("", |r| r.as_str())
            .into(),
        visibility: f.visibility.clone(),
        retention_days: f.retention_days,
        owner: api::Owner {
            id: f.owner_id.to_string(),
            login: f.owner_login.clone(),
        },
        permissions: access::folder_permissions(caller, f)
            .iter()
            .map(|p| p.as_str().into())
            .collect(),
        created_at: rfc3339(f.created_at),
        updated_at: rfc3339(f.updated_at),
        expires_at: f.expires_at.map(rfc3339),
        size_limit_bytes: f.size_limit_bytes,
        quota: quota.map(|q| api::Quota {
            limit_bytes: q.limit_bytes,
            used_bytes: q.used_bytes,
        }),
        size: None,
    }
}

/// The wire form of a folder entry (see [`folder_view`]).
pub fn folder_entry_view(caller: &Caller, e: &ferry_app::folders::Entry) -> api::Folder {
    folder_view(caller, &e.folder, &e.path, None)
}

/// The wire form of a trash item.
pub fn trash_view(t: &TrashItem) -> api::TrashItem {
    api::TrashItem {
        id: t.id.clone(),
        kind: t.kind.as_str().into(),
        name: t.name.clone(),
        original_path: t.original_path.clone(),
        original_parent_id: t.original_parent_id.clone(),
        size: t.size,
        deleted_at: rfc3339(t.deleted_at),
        deleted_by: match (&t.deleted_by_id, &t.deleted_by_login) {
            (Some(id), Some(login)) => Some(api::Owner {
                id: id.clone(),
                login: login.clone(),
            }),
            _ => None,
        },
        state: t.state.as_str().into(),
        held_until: t.held_until.map(rfc3339),
        purge_at: rfc3339(t.purge_at),
    }
}

/// The metadata ETag of an object at `revision` (it changes with every change to it).
pub fn metadata_etag(revision: i64) -> String {
    format!("\"r{revision}\"")
}

/// Where an account stands, the most final state first.
fn account_status(u: &User, now: i64) -> &'static str {
    if u.is_deleted() {
        "deleted"
    } else if u.is_disabled() {
        "disabled"
    } else if u.is_expired(now) {
        "expired"
    } else if u.is_locked(now) {
        "locked"
    } else {
        "active"
    }
}

/// The wire form of a user, with what their unfinished uploads hold (`ferry_app::users::reserved`).
pub fn user_view(u: &User, reserved: Reserved) -> api::User {
    api::User {
        id: u.id.to_string(),
        login: u.login.clone(),
        name: u.name.clone(),
        role: u.role().as_str().into(),
        disabled: u.is_disabled(),
        locked: u.is_locked(now_ms()),
        quota: api::UserQuota {
            limit_bytes: u.quota_bytes,
            used_bytes: u.used_bytes,
            reserved_bytes: reserved.bytes,
            reserved_uploads: reserved.uploads,
        },
        company_id: u.company_id.clone(),
        status: account_status(u, now_ms()).into(),
        two_factor: u.has_two_factor(),
        expires_at: u.expires_at.map(rfc3339),
        deleted_at: u.deleted_at.map(rfc3339),
        purge_at: u.purge_at.map(rfc3339),
        created_at: rfc3339(u.created_at),
        updated_at: rfc3339(u.updated_at),
        picture_url: ferry_app::pictures::user_picture_path(u),
        language: None,
        timezone: None,
    }
}

/// The wire forms of `users`, with one query for what their unfinished uploads hold.
pub async fn user_views(
    state: &ferry_app::AppState,
    users: &[&User],
) -> ferry_app::Result<Vec<api::User>> {
    let reserved = ferry_app::users::reserved(state, users).await?;
    Ok(users
        .iter()
        .map(|u| user_view(u, reserved.get(u.id.as_str()).copied().unwrap_or_default()))
        .collect())
}

/// The wire form of one user (see [`user_views`]).
pub async fn user_view_of(
    state: &ferry_app::AppState,
    user: &User,
) -> ferry_app::Result<api::User> {
    let mut views = user_views(state, &[user]).await?;
    Ok(views.remove(0))
}
