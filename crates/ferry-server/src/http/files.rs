//! Files: metadata, content and deletion under `/files/{file_id}`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::files::{self, Deleted};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::content::{self, Blob, Delivery};
use crate::http::views::file_view;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get, delete))
        .routes(routes!(download))
        .routes(routes!(restore))
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
    let file = files::get(&state, &me.caller(), &id).await?;
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
    me: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = me.caller();
    let (file, _) = files::readable(&state, &caller, &id).await?;
    let blob = Blob::of(&file);
    let delivery = content::plan(&headers, &blob)?;
    let response = content::respond(&state.blobs, &blob, &delivery).await?;
    if delivery != Delivery::NotModified {
        let ranges = match &delivery {
            Delivery::Ranges(r) => Some(
                r.iter()
                    .map(|r| format!("{}-{}", r.start(), r.end()))
                    .collect(),
            ),
            _ => None,
        };
        files::record_download(&state, &caller, &file, delivery.bytes(blob.size), ranges).await?;
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
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    match files::delete(&state, &me.caller(), &id).await? {
        Deleted::Held(file) => Ok(axum::Json(file_view(&file)).into_response()),
        Deleted::Removed => Ok(StatusCode::NO_CONTENT.into_response()),
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
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::File>> {
    let file = files::restore(&state, &me.caller(), &id).await?;
    Ok(axum::Json(file_view(&file)))
}
