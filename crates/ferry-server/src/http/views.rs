//! The wire forms (ferry-api types) of what the use cases return, shared by the handlers so
//! that no handler imports another.

use ferry_api as api;
use ferry_app::users::Reserved;
use ferry_core::timefmt::{now_ms, rfc3339};
use ferry_store::files::File;
use ferry_store::users::User;

/// The wire form of a file.
pub fn file_view(f: &File) -> api::File {
    api::File {
        id: f.id.clone(),
        folder_id: f.folder_id.clone(),
        name: f.name.clone(),
        size: f.size,
        checksum_sha256: f.sha256.clone(),
        mime_type: f.mime_type.clone(),
        version: f.version,
        owner: api::Owner {
            id: f.owner_id.clone(),
            login: f.owner_login.clone(),
        },
        created_at: rfc3339(f.created_at),
        updated_at: rfc3339(f.updated_at),
        retention: api::Retention {
            state: f.state.as_str().into(),
            held_until: f.held_until.map(rfc3339),
            expires_at: f.expires_at.map(rfc3339),
        },
    }
}

/// The wire form of a user, with what their unfinished uploads hold (`ferry_app::users::reserved`).
pub fn user_view(u: &User, reserved: Reserved) -> api::User {
    api::User {
        id: u.id.clone(),
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
        created_at: rfc3339(u.created_at),
        updated_at: rfc3339(u.updated_at),
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
        .map(|u| user_view(u, reserved.get(&u.id).copied().unwrap_or_default()))
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
