//! Files: metadata, content and deletion under `/files/{id}`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_core::audit::Action;
use ferry_core::timefmt::{now_ms, rfc3339};
use ferry_core::{IdKind, Permission};
use ferry_store::files::File;
use ferry_store::folders::Folder;
use ferry_store::users::User;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::content::{self, Blob, Delivery};
use crate::http::context::Ctx;
use crate::http::folders::load_for;
use ferry_app::AppState;
use ferry_app::Error;
use ferry_app::audit;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get, delete))
        .routes(routes!(download))
        .routes(routes!(restore))
}

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
            state: f.state.clone(),
            held_until: f.held_until.map(rfc3339),
            expires_at: f.expires_at.map(rfc3339),
        },
    }
}

/// Loads a file whose folder the caller may access with `needed`; anything else is `404`.
pub async fn load_file(
    state: &AppState,
    user: &User,
    id: &str,
    needed: Permission,
) -> ApiResult<(File, Folder)> {
    if !IdKind::File.matches(id) {
        return Err(ApiError::App(Error::NotFound));
    }
    let file = {
        let mut conn = state.store.conn().await?;
        ferry_store::files::get(&mut conn, id)
            .await?
            .ok_or(ApiError::App(Error::NotFound))?
    };
    let folder = load_for(state, user, &file.folder_id, needed).await?;
    Ok((file, folder))
}

/// Get a file's metadata, including its retention state.
#[utoipa::path(get, path = "/files/{file_id}", tag = "files", params(("file_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::File), (status = 404, body = api::ErrorBody),
        (status = 410, description = "`file_expired`: the file's ttl has passed", body = api::ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::File>> {
    let (file, _) = load_file(&state, &me.user, &id, Permission::Read).await?;
    if file.is_expired(now_ms()) {
        return Err(ApiError::App(Error::FileExpired));
    }
    Ok(axum::Json(file_view(&file)))
}

/// Download a file's content, with `Range` (single or multiple), `If-Range`, `ETag` and
/// `If-None-Match`.
#[utoipa::path(get, path = "/files/{file_id}/content", tag = "files", params(("file_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The whole file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "One range, or several as multipart/byteranges", body = Vec<u8>),
        (status = 304, description = "If-None-Match matched"),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`file_held` or `file_expired`", body = api::ErrorBody),
        (status = 416, description = "`range_not_satisfiable`", body = api::ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    me: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (file, folder) = load_file(&state, &me.user, &id, Permission::Read).await?;
    if file.is_held() && !me.user.is_admin() {
        return Err(ApiError::App(Error::FileHeld));
    }
    if file.is_expired(now_ms()) {
        return Err(ApiError::App(Error::FileExpired));
    }
    let blob = Blob::of(&file);
    let delivery = content::plan(&headers, &blob)?;
    let response = content::respond(&state.blobs, &blob, &delivery).await?;
    if delivery != Delivery::NotModified {
        let ranges = match &delivery {
            Delivery::Ranges(r) => json!(
                r.iter()
                    .map(|r| format!("{}-{}", r.start(), r.end()))
                    .collect::<Vec<_>>()
            ),
            _ => json!(null),
        };
        let mut tx = state.store.begin().await?;
        audit::success(
            &ctx,
            Some(&me.user),
            Action::FileDownloaded,
            ("file", &file.id),
        )
        .in_folder(&folder.id)
        .details(json!({"bytes": delivery.bytes(blob.size), "ranges": ranges, "name": file.name}))
        .append(&mut tx)
        .await?;
        tx.commit().await?;
    }
    Ok(response)
}

/// Delete a file. In a folder with `retention_days > 0` the file is held (200, restorable
/// until the hold ends); otherwise it is gone at once (204).
#[utoipa::path(delete, path = "/files/{file_id}", tag = "files", params(("file_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "Held by the folder's retention policy", body = api::File),
        (status = 204, description = "Deleted"),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`file_held`: already deleted and held", body = api::ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (file, folder) = load_file(&state, &me.user, &id, Permission::Write).await?;
    if file.is_held() {
        return Err(ApiError::App(Error::FileHeld));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    // Re-read inside the transaction: a concurrent delete may have won.
    let file = ferry_store::files::get(&mut tx, &file.id)
        .await?
        .filter(|f| !f.is_held())
        .ok_or(ApiError::App(Error::NotFound))?;
    let deleted = audit::success(
        &ctx,
        Some(&me.user),
        Action::FileDeleted,
        ("file", &file.id),
    )
    .in_folder(&folder.id)
    .details(
        json!({"name": file.name, "size": file.size, "retention_days": folder.retention_days}),
    );
    if folder.retention_days > 0 {
        let held_until = now + folder.retention_days * 86_400_000;
        ferry_store::files::hold(&mut tx, &file.id, held_until, now).await?;
        deleted.append(&mut tx).await?;
        audit::success(&ctx, Some(&me.user), Action::FileHeld, ("file", &file.id))
            .in_folder(&folder.id)
            .details(json!({"held_until": rfc3339(held_until)}))
            .append(&mut tx)
            .await?;
        let held = ferry_store::files::get(&mut tx, &file.id)
            .await?
            .ok_or(ApiError::App(Error::NotFound))?;
        tx.commit().await?;
        Ok(axum::Json(file_view(&held)).into_response())
    } else {
        if !ferry_store::files::remove(&mut tx, &file, now).await? {
            return Err(ApiError::App(Error::NotFound));
        }
        deleted.append(&mut tx).await?;
        tx.commit().await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }
}

/// Restore a held file (its folder's owner or an admin). If a live file took its name
/// meanwhile, the restored one is renamed `name (1).ext`.
#[utoipa::path(post, path = "/files/{file_id}/restore", tag = "files", params(("file_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = api::File),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`file_not_held`", body = api::ErrorBody)))]
async fn restore(
    State(state): State<AppState>,
    ctx: Ctx,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::File>> {
    let (file, folder) = load_file(&state, &me.user, &id, Permission::Manage).await?;
    if !file.is_held() {
        return Err(ApiError::App(Error::FileNotHeld));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    ferry_store::folders::lock(&mut tx, &folder.id).await?;
    let name = ferry_app::files::free_name(
        &mut tx,
        &folder.id,
        &file.name,
        ferry_core::OnConflict::Rename,
    )
    .await?;
    if !ferry_store::files::restore(&mut tx, &file.id, &name, now).await? {
        return Err(ApiError::App(Error::FileNotHeld));
    }
    audit::success(
        &ctx,
        Some(&me.user),
        Action::FileRestored,
        ("file", &file.id),
    )
    .in_folder(&folder.id)
    .details(json!({"name": name}))
    .append(&mut tx)
    .await?;
    let restored = ferry_store::files::get(&mut tx, &file.id)
        .await?
        .ok_or(ApiError::App(Error::NotFound))?;
    tx.commit().await?;
    Ok(axum::Json(file_view(&restored)))
}
