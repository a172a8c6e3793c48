//! Versions: `PUT /files/{id}/content` and `/files/{id}/versions`.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::versions;
use ferry_blob::ByteStream;
use ferry_core::timefmt::rfc3339;
use futures::TryStreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::conditional::if_match_content;
use crate::http::content::{self, Blob, Delivery};
use crate::http::extract::{ApiQuery, Page, paginate};
use crate::http::folders::with_etag;
use crate::http::views::file_entry_view;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_content))
        .routes(routes!(list_versions))
        .routes(routes!(version_content))
        .routes(routes!(restore_version))
        .routes(routes!(delete_version))
}

/// A version number from the path: a whole number from 1 (not axum's plain-text rejection).
fn version_number(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ApiError::invalid(
            "version",
            "invalid_value",
            "The version is a whole number from 1.",
        )
    })
}

/// Replace a file's content with a new version: the body is streamed (`application/
/// octet-stream`), hashed and checked against quota and size limits as it arrives. The file
/// keeps its id; `version` goes up by one. `If-Match` (the file's ETag or its content's
/// `"<sha256>"`) refuses with `412` if the file changed meanwhile.
#[utoipa::path(put, path = "/files/{file_id}/content", tag = "files", params(("file_id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::File),
        (status = 400, body = api::ErrorBody), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 410, description = "`file_held`, `file_expired`", body = api::ErrorBody),
        (status = 412, description = "`precondition_failed`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded`, `file_too_large`", body = api::ErrorBody)))]
async fn put_content(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    match crate::http::extract::media_type(req.headers()).as_deref() {
        None | Some("application/octet-stream") => {}
        Some(_) => {
            return Err(ApiError::UnsupportedContentType {
                expected: "application/octet-stream",
            });
        }
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let precondition = if_match_content(req.headers());
    let body: ByteStream<'_> = Box::pin(
        req.into_body()
            .into_data_stream()
            .map_err(|e| Box::new(e) as ferry_blob::BoxError),
    );
    let entry =
        versions::put_content(&state, &me.caller(), &id, declared, precondition, body).await?;
    Ok(with_etag(
        entry.file.revision,
        StatusCode::OK,
        file_entry_view(&entry),
    ))
}

/// The file's versions, newest first (the current one included).
#[utoipa::path(get, path = "/files/{file_id}/versions", tag = "files", params(("file_id" = String, Path), Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::FileVersionList), (status = 400, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn list_versions(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::FileVersionList>> {
    let limit = page.limit()?;
    let before: Option<i64> = page.cursor()?;
    let rows = versions::list(&state, &me.caller(), &id, before, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |v| v.version);
    Ok(axum::Json(api::FileVersionList {
        versions: rows
            .iter()
            .map(|v| api::FileVersion {
                version: v.version,
                size: v.size,
                checksum_sha256: v.sha256.clone(),
                created_at: rfc3339(v.created_at),
                created_by: match (&v.created_by_id, &v.created_by_login) {
                    (Some(id), Some(login)) => Some(api::Owner {
                        id: id.clone(),
                        login: login.clone(),
                    }),
                    _ => None,
                },
            })
            .collect(),
        next_cursor,
    }))
}

/// One version's content, with the same `Range`, `ETag` and `If-None-Match` rules as the
/// current content.
#[utoipa::path(get, path = "/files/{file_id}/versions/{version}/content", tag = "files",
    params(("file_id" = String, Path), ("version" = i64, Path, minimum = 1)),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, body = Vec<u8>), (status = 304, description = "Not modified"),
        (status = 400, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 403, description = "`file_infected`", body = api::ErrorBody),
        (status = 409, description = "`scan_pending` (`scan.policy = block_until_clean`)", body = api::ErrorBody),
        (status = 410, description = "`file_held`, `file_expired`", body = api::ErrorBody),
        (status = 416, description = "`range_not_satisfiable`", body = api::ErrorBody)))]
async fn version_content(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let version = version_number(&version)?;
    let caller = me.caller();
    let (file, found) = versions::readable(&state, &caller, &id, version).await?;
    let blob = Blob::of_version(&file, &found);
    let delivery = content::plan(&headers, &blob)?;
    let response = content::respond(&state, &blob, &delivery).await?;
    if delivery != Delivery::NotModified {
        ferry_app::files::record_download(
            &state,
            &caller,
            &file,
            delivery.bytes(blob.size),
            Some(vec![format!("version {version}")]),
        )
        .await?;
    }
    Ok(response)
}

/// Make an old version current again: its content becomes a new version.
#[utoipa::path(post, path = "/files/{file_id}/versions/{version}/restore", tag = "files",
    params(("file_id" = String, Path), ("version" = i64, Path, minimum = 1)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::File), (status = 400, body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 410, description = "`file_held`, `file_expired`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded`", body = api::ErrorBody)))]
async fn restore_version(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    let version = version_number(&version)?;
    let entry = versions::restore(&state, &me.caller(), &id, version).await?;
    Ok(with_etag(
        entry.file.revision,
        StatusCode::OK,
        file_entry_view(&entry),
    ))
}

/// Delete an old version (not the current one: `409 current_version`).
#[utoipa::path(delete, path = "/files/{file_id}/versions/{version}", tag = "files",
    params(("file_id" = String, Path), ("version" = i64, Path, minimum = 1)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Deleted"), (status = 400, body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`current_version`", body = api::ErrorBody),
        (status = 410, description = "`file_held`, `file_expired`", body = api::ErrorBody)))]
async fn delete_version(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let version = version_number(&version)?;
    versions::delete(&state, &me.caller(), &id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
