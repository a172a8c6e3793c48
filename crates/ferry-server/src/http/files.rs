//! Files: metadata, content and deletion under `/files/{file_id}`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::files::{self, FilePatch};
use ferry_app::folders::{Destination, Outcome};
use ferry_app::temporary_links;
use ferry_app::trash::{self, Deleted};
use ferry_core::timefmt::rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::conditional::{if_match_revision, is_current};
use crate::http::content::{self, Blob, Delivery};
use crate::http::context::Ctx;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::folders::{DeleteQuery, on_conflict, with_etag};
use crate::http::views::{file_entry_view, metadata_etag};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get, update, delete))
        .routes(routes!(download))
        .routes(routes!(temporary_link))
        .routes(routes!(restore))
        .routes(routes!(move_file))
        .routes(routes!(copy_file))
}

/// `?fields=` on a file: extra fields to include.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FieldsQuery {
    /// A comma-separated list; `media` adds the media metadata read from the content.
    pub fields: Option<String>,
}

impl FieldsQuery {
    /// Whether `fields` names `media` (`invalid_value` when it names anything else).
    pub fn wants_media(&self) -> ApiResult<bool> {
        let mut with_media = false;
        for field in self
            .fields
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
        {
            match field {
                "" => {}
                "media" => with_media = true,
                _ => {
                    return Err(ferry_app::Error::Invalid {
                        code: "invalid_value",
                        message: "fields may only name `media`.".into(),
                        field: Some("fields".into()),
                    }
                    .into());
                }
            }
        }
        Ok(with_media)
    }
}

/// Get a file's metadata, including its retention state and virus scan. Sends an `ETag` that
/// changes with every change to the file; `If-None-Match` answers `304`. `?fields=media`
/// adds what the content says of itself (images: dimensions, EXIF time, camera, GPS; audio:
/// title, artist, album, track, year, duration).
#[utoipa::path(get, path = "/files/{file_id}", tag = "files", params(("file_id" = String, Path), FieldsQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::File), (status = 304, description = "Not modified"),
        (status = 400, description = "`invalid_value`: `fields` names something else than `media`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`file_expired`: the file's ttl has passed", body = api::ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<FieldsQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let with_media = q.wants_media()?;
    let caller = me.caller();
    let entry = files::get(&state, &caller, &id).await?;
    let etag = metadata_etag(entry.file.revision);
    if is_current(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let mut view = file_entry_view(&entry);
    view.favorite = !ferry_app::favorites::marked(&state, &caller, &[&entry.file])
        .await?
        .is_empty();
    if with_media {
        view.media = ferry_app::media::of_file(&state, &caller, &id)
            .await?
            .map(|m| Box::new(crate::http::views::media_view(m)));
    }
    Ok(with_etag(entry.file.revision, StatusCode::OK, view))
}

/// Rename a file, change its description or tags (needs `write`). `If-Match` with the file's
/// ETag refuses the change with `412` if the file changed meanwhile.
#[utoipa::path(patch, path = "/files/{file_id}", tag = "files", params(("file_id" = String, Path)),
    request_body = api::UpdateFile,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::File),
        (status = 400, body = api::ErrorBody), (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody), (status = 409, description = "`name_conflict`", body = api::ErrorBody),
        (status = 410, description = "`file_held`", body = api::ErrorBody),
        (status = 412, description = "`precondition_failed`", body = api::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<api::UpdateFile>,
) -> ApiResult<Response> {
    let patch = FilePatch {
        name: body.name.as_deref(),
        description: body.description.as_deref(),
        tags: body.tags.as_deref(),
    };
    let entry = files::update(
        &state,
        &me.caller(),
        &id,
        patch,
        if_match_revision(&headers),
    )
    .await?;
    Ok(with_etag(
        entry.file.revision,
        StatusCode::OK,
        file_entry_view(&entry),
    ))
}

fn destination(body: &api::MoveFile, revision: Option<i64>) -> Result<Destination<'_>, ApiError> {
    Ok(Destination {
        parent_id: Some(&body.folder_id),
        name: body.name.as_deref(),
        on_conflict: on_conflict(body.on_conflict.as_deref())?,
        dry_run: body.dry_run,
        revision,
    })
}

fn moved(outcome: Outcome<files::Entry>, status: StatusCode) -> Response {
    match outcome {
        Outcome::WouldSucceed => axum::Json(api::DryRun { ok: true }).into_response(),
        Outcome::Done(e) => with_etag(e.file.revision, status, file_entry_view(&e)),
    }
}

/// Move (or rename into) another folder. Atomic: a failed move leaves the file where it was.
/// `If-Match` honoured.
#[utoipa::path(post, path = "/files/{file_id}/move", tag = "files", params(("file_id" = String, Path)),
    request_body = api::MoveFile,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, description = "The moved file, or `{\"ok\": true}` for a dry run", body = api::FileMoveResult),
        (status = 400, body = api::ErrorBody), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`name_conflict`", body = api::ErrorBody),
        (status = 410, description = "`file_held`: the file is held in the trash", body = api::ErrorBody),
        (status = 412, description = "`precondition_failed`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded`", body = api::ErrorBody)))]
async fn move_file(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<api::MoveFile>,
) -> ApiResult<Response> {
    let to = destination(&body, if_match_revision(&headers))?;
    let outcome = files::move_file(&state, &me.caller(), &id, to).await?;
    Ok(moved(outcome, StatusCode::OK))
}

/// Copy a file's current version into a folder as a new file: a new id, no bytes copied.
#[utoipa::path(post, path = "/files/{file_id}/copy", tag = "files", params(("file_id" = String, Path)),
    request_body = api::MoveFile,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::File), (status = 200, description = "`{\"ok\": true}` for a dry run", body = api::DryRun),
        (status = 400, body = api::ErrorBody), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`name_conflict`", body = api::ErrorBody),
        (status = 410, description = "`file_held`, `file_expired`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded`", body = api::ErrorBody)))]
async fn copy_file(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::MoveFile>,
) -> ApiResult<Response> {
    let to = destination(&body, None)?;
    let outcome = files::copy_file(&state, &me.caller(), &id, to).await?;
    Ok(moved(outcome, StatusCode::CREATED))
}

/// `?temporary_token=` on a file's content: a temporary link instead of credentials.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// The token of a temporary link (`POST /files/{file_id}/temporary-link`): no
    /// `Authorization` is needed then; the download runs as the user who made the link.
    temporary_token: Option<String>,
}

/// Download a file's content, with `Range` (single or multiple), `If-Range`, `ETag` and
/// `If-None-Match`. Credentials, or the `temporary_token` of a temporary link. With
/// `storage.s3.redirect_downloads`, a `302` to a presigned URL of the bucket (valid 5
/// minutes; send the same `Range` there) instead of the bytes.
#[utoipa::path(get, path = "/files/{file_id}/content", tag = "files", params(("file_id" = String, Path), ContentQuery),
    security(("bearer" = []), ("basic" = []), ()),
    responses(
        (status = 200, description = "The whole file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "One range, or several as multipart/byteranges", body = Vec<u8>),
        (status = 302, description = "`storage.s3.redirect_downloads`: the bytes are at `Location`"),
        (status = 304, description = "If-None-Match matched"),
        (status = 400, description = "A malformed query", body = api::ErrorBody),
        (status = 401, description = "`unauthorized`, or `account_disabled` for a temporary link whose user was disabled", body = api::ErrorBody),
        (status = 404, description = "`not_found`, also for a forged temporary token or one for another file", body = api::ErrorBody),
        (status = 403, description = "`file_infected`", body = api::ErrorBody),
        (status = 409, description = "`scan_pending` (`scan.policy = block_until_clean`)", body = api::ErrorBody),
        (status = 410, description = "`file_held`, `file_expired`, or `link_expired` for an expired temporary token", body = api::ErrorBody),
        (status = 416, description = "`range_not_satisfiable`", body = api::ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    ctx: Ctx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ContentQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = match q.temporary_token {
        Some(token) => temporary_links::redeem(&state, &ctx.0, &token, &id).await?,
        None => me?.caller(),
    };
    let (file, _) = files::downloadable(&state, &caller, &id).await?;
    serve_content(&state, &caller, &file, Blob::of(&file), &headers).await
}

/// Sends a downloadable file's current content as [`download`] does (also WebDAV's `GET`):
/// ranges, conditional headers, the presigned redirect, and the download's audit record.
pub(crate) async fn serve_content(
    state: &AppState,
    caller: &ferry_app::Caller,
    file: &ferry_store::files::File,
    blob: Blob<'_>,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let delivery = content::plan(headers, &blob)?;
    let response = match content::redirect(state, &blob, &delivery).await? {
        Some(redirect) => redirect,
        None => content::respond(state, &blob, &delivery).await?,
    };
    if delivery != Delivery::NotModified {
        let ranges = delivery.audited_ranges();
        files::record_download(state, caller, file, delivery.bytes(blob.size), ranges).await?;
    }
    Ok(response)
}

/// What a file id keeps percent-encoded in a URL path (ids are `fil_` and hex).
const ID_UNSAFE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'_').remove(b'-');

/// A temporary link to a file's content: an absolute URL that needs no credentials, for 4
/// hours, downloading as the caller (who must be able to read the file; access is checked
/// again at every download, which is audited as the caller's `file.downloaded`). For browsers,
/// which cannot send a bearer token with a plain link. Like Dropbox's `get_temporary_link`.
#[utoipa::path(post, path = "/files/{file_id}/temporary-link", tag = "files", params(("file_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::TemporaryLink),
        (status = 401, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`file_held` or `file_expired`", body = api::ErrorBody)))]
async fn temporary_link(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let link = temporary_links::mint(&state, &me.caller(), &id).await?;
    let url = format!(
        "{}/api/v1/files/{}/content?temporary_token={}",
        state.config.public_url(),
        percent_encoding::utf8_percent_encode(&id, ID_UNSAFE),
        link.token
    );
    let body = api::TemporaryLink {
        url,
        expires_at: rfc3339(link.expires_at),
    };
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response())
}

/// Delete a file. When its folder or one above it has `retention_days > 0` the file is held
/// (200, restorable until the hold ends); otherwise it moves to the trash (204), or with
/// `permanent=true` is purged at once.
#[utoipa::path(delete, path = "/files/{file_id}", tag = "files", params(("file_id" = String, Path), DeleteQuery),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "Held by the folder's retention policy", body = api::File),
        (status = 204, description = "Deleted"),
        (status = 404, body = api::ErrorBody),
        (status = 403, body = api::ErrorBody),
        (status = 410, description = "`file_held`: already deleted and held, or `permanent` while a retention rule applies", body = api::ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<Response> {
    let caller = me.caller();
    let permanent = q.permanent.unwrap_or(false);
    match trash::delete_file(&state, &caller, &id, permanent).await? {
        Deleted::Held(file) => {
            let entry = files::locate(&state, &caller, *file).await?;
            Ok(axum::Json(file_entry_view(&entry)).into_response())
        }
        Deleted::Gone => Ok(StatusCode::NO_CONTENT.into_response()),
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
    let entry = trash::restore_held_file(&state, &me.caller(), &id).await?;
    Ok(axum::Json(file_entry_view(&entry)))
}
