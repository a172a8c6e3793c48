//! Resumable uploads: `/uploads` (list, create, parts, status, complete, abort).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ferry_api as api;
use ferry_blob::ByteStream;
use ferry_core::timefmt::rfc3339;
use ferry_store::uploads::Upload;
use futures::TryStreamExt;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};
use crate::http::upload_links::Who;
use crate::http::views::file_entry_view;
use ferry_app::AppState;
use ferry_app::Error;
use ferry_app::uploads::{self, Completion, NewUpload, parse_checksum};
use ferry_core::OnConflict;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(status, abort))
        .routes(routes!(put_part))
        .routes(routes!(complete))
}

/// The wire form of an upload with its received parts.
pub async fn upload_view(state: &AppState, u: &Upload) -> ApiResult<api::Upload> {
    let received: Vec<(i64, i64)> = uploads::received_parts(state, u)
        .await?
        .iter()
        .map(|p| (p.part_no, p.size))
        .collect();
    Ok(upload_view_with(u, &received))
}

/// The wire form of an upload whose received parts (`part_no`, `size`, in order) are known.
fn upload_view_with(u: &Upload, received: &[(i64, i64)]) -> api::Upload {
    let parts_bytes: i64 = received.iter().map(|(_, size)| size).sum();
    api::Upload {
        upload_id: u.id.to_string(),
        folder_id: u.folder_id.clone().unwrap_or_default(),
        filename: u.filename.clone(),
        size: u.size,
        part_size: u.part_size,
        part_count: u.part_count,
        created_at: rfc3339(u.created_at),
        expires_at: rfc3339(u.expires_at),
        status: u.status.as_str().into(),
        received_parts: received.iter().map(|(n, _)| *n).collect(),
        // tus writes its one part sequentially and records it only at the end: its offset is
        // what has arrived.
        bytes_received: if u.protocol == "tus" {
            parts_bytes.max(u.tus_offset)
        } else {
            parts_bytes
        },
        parts: (1..=u.part_count)
            .map(|n| {
                let (offset, size) = u.part_span(n);
                api::UploadPart {
                    part_no: n,
                    offset,
                    size,
                    url: format!("/api/v1/uploads/{}/parts/{n}", u.id),
                }
            })
            .collect(),
        checksum_sha256: u.checksum_sha256.clone(),
        file_id: u.file_id.clone(),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `open`, `completing`, `completed`, `failed`, `aborted` or `expired`, or a
    /// comma-separated list of them. Default: `open,completing` (the uploads that hold space).
    status: Option<String>,
    /// 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Opaque; from the previous page's `next_cursor`.
    cursor: Option<String>,
}

/// List the caller's uploads, newest first. By default only the unfinished ones (`open` and
/// `completing`): those hold space against the quota (`GET /me` shows it as
/// `quota.reserved_bytes`) until they complete, are aborted (`DELETE /uploads/{upload_id}`)
/// or expire. `status` asks for others. Everyone, admins included, sees the uploads they
/// started themselves, as Box and Dropbox list a user's own upload sessions.
#[utoipa::path(get, path = "/uploads", tag = "uploads", params(ListQuery),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = api::UploadList),
        (status = 400, description = "`invalid_query` (status, limit), `invalid_value` (limit), `invalid_cursor`", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<api::UploadList>> {
    let page = Page {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after: Option<(i64, String)> = page.cursor()?;
    let rows = uploads::list(&state, &me.caller(), q.status.as_deref(), after, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |u| (u.created_at, u.id.clone()));
    let received = uploads::received_parts_of(&state, &rows).await?;
    Ok(axum::Json(api::UploadList {
        uploads: rows
            .iter()
            .map(|u| upload_view_with(u, received.get(u.id.as_str()).map_or(&[], Vec::as_slice)))
            .collect(),
        next_cursor,
    }))
}

/// Start a resumable upload. Space is reserved against the folder owner's quota now.
#[utoipa::path(post, path = "/uploads", tag = "uploads", request_body = api::CreateUpload,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Upload),
        (status = 400, description = "`invalid_name`, `invalid_value` (size, part_size), `invalid_checksum`", body = api::ErrorBody),
        (status = 404, description = "Folder not found", body = api::ErrorBody),
        (status = 409, description = "`name_conflict`: `on_conflict` is `fail` and the name is taken", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded` or `file_too_large`", body = api::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    who: Who,
    headers: HeaderMap,
    ApiJson(body): ApiJson<api::CreateUpload>,
) -> ApiResult<impl IntoResponse> {
    let checksum = body
        .checksum_sha256
        .as_deref()
        .map(|c| parse_checksum("checksum_sha256", c))
        .transpose()?;
    let on_conflict = match body.on_conflict.as_deref() {
        None => OnConflict::Rename,
        Some(s) => OnConflict::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "on_conflict",
                "invalid_value",
                "on_conflict must be `rename`, `fail` or `new_version`.",
            )
        })?,
    };
    let via_link = matches!(who, Who::Link(_));
    if via_link && !body.folder_id.is_empty() {
        return Err(ApiError::invalid(
            "folder_id",
            "invalid_field",
            "An upload through an upload link goes into the link's folder: send no folder_id.",
        ));
    }
    if via_link && on_conflict == OnConflict::NewVersion {
        return Err(ApiError::invalid(
            "on_conflict",
            "invalid_value",
            "Uploads through a link never overwrite: on_conflict is `rename`.",
        ));
    }
    if via_link && body.relative_path.is_some() {
        return Err(ApiError::invalid(
            "relative_path",
            "invalid_field",
            "Uploads through a link take no relative_path.",
        ));
    }
    let uploader = Who::uploader(&headers, body.uploader_name, body.uploader_email)?;
    let new = NewUpload {
        folder_id: Some(body.folder_id),
        filename: body.filename,
        size: body.size,
        checksum_sha256: checksum,
        part_size: body.part_size,
        on_conflict,
        method: "resumable",
        tus: None,
        already_reserved: 0,
        relative_path: body.relative_path,
        client_modified_at: body
            .modified_at
            .as_deref()
            .map(|t| crate::http::extract::parse_time("modified_at", t))
            .transpose()?,
    };
    let upload = match &who {
        Who::User(me) => uploads::create(&state, &me.caller(), new).await?,
        Who::Link(opened) => {
            let folder = ferry_app::upload_links::destination(&state, opened, &uploader).await?;
            let via = uploads::ViaLink {
                link_id: opened.link.id.to_string(),
                folder,
                creator_id: opened.link.creator_id.to_string(),
                uploader_name: uploader.name,
                uploader_email: uploader.email,
            };
            uploads::create_via_link(&state, &opened.caller, new, via).await?
        }
    };
    let view = upload_view(&state, &upload).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/uploads/{}", upload.id))],
        axum::Json(view),
    ))
}

/// An upload's status and received parts.
#[utoipa::path(get, path = "/uploads/{upload_id}", tag = "uploads", params(("upload_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Upload), (status = 404, body = api::ErrorBody)))]
async fn status(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::Upload>> {
    let upload = who.upload(&state, &id).await?;
    Ok(axum::Json(upload_view(&state, &upload).await?))
}

/// The SHA-256 in an RFC 9530 `Content-Digest: sha-256=:<base64>:` header, as hex.
fn content_digest(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get("content-digest") else {
        return Ok(None);
    };
    let bad = || {
        ApiError::invalid(
            "Content-Digest",
            "invalid_digest",
            "Content-Digest must be `sha-256=:<base64>:`.",
        )
    };
    let value = value.to_str().map_err(|_| bad())?;
    for item in value.split(',') {
        let Some((algo, rest)) = item.trim().split_once('=') else {
            return Err(bad());
        };
        if algo.trim().eq_ignore_ascii_case("sha-256") {
            let b64 = rest
                .trim()
                .strip_prefix(':')
                .and_then(|r| r.strip_suffix(':'))
                .ok_or_else(bad)?;
            let bytes = STANDARD.decode(b64).map_err(|_| bad())?;
            if bytes.len() != 32 {
                return Err(bad());
            }
            return Ok(Some(hex::encode(bytes)));
        }
    }
    Ok(None)
}

/// Send (or re-send) one part. Parts may come in any order and in parallel; a `200` means
/// the bytes are on disk.
#[utoipa::path(patch, path = "/uploads/{upload_id}/parts/{part_no}", tag = "uploads",
    params(("upload_id" = String, Path), ("part_no" = i64, Path, description = "1-based part number")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Exactly the part's bytes"),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = api::PartReceipt),
        (status = 400, description = "`part_size_mismatch`, `invalid_part_number`, `invalid_digest`, `unsupported_content_type`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`upload_already_completed`, `upload_aborted`, `upload_failed`", body = api::ErrorBody),
        (status = 410, description = "`upload_session_expired`", body = api::ErrorBody),
        (status = 422, description = "`part_checksum_mismatch`: nothing kept", body = api::ErrorBody)))]
async fn put_part(
    State(state): State<AppState>,
    who: Who,
    Path((id, part_no)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<axum::Json<api::PartReceipt>> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let checked = async {
        let upload = who.upload(&state, &id).await?;
        let part_no: i64 = part_no.parse().map_err(|_| {
            ApiError::App(Error::InvalidPartNumber {
                part_count: upload.part_count,
            })
        })?;
        check_headers(&headers)?;
        uploads::check_part(&upload, part_no, declared, state.now_ms())?;
        Ok::<_, ApiError>((upload, part_no))
    }
    .await;
    let (upload, part_no) = match checked {
        Ok(ok) => ok,
        Err(e) => {
            drain(body, declared).await;
            return Err(e);
        }
    };
    let digest = content_digest(&headers)?;
    let stream: ByteStream<'_> = Box::pin(
        body.into_data_stream()
            .map_err(|e| Box::new(e) as ferry_blob::BoxError),
    );
    let (size, sha256) =
        uploads::put_part(&state, &upload, part_no, declared, digest, stream).await?;
    Ok(axum::Json(api::PartReceipt {
        part_no,
        size,
        checksum_sha256: sha256,
    }))
}

/// Reads and drops a refused request's body (up to a default part's size, for a few
/// seconds), so the client reads our error instead of a broken pipe.
async fn drain(body: Body, declared: Option<u64>) {
    const MAX_DRAIN: u64 = 64 << 20;
    if declared.is_none_or(|len| len > MAX_DRAIN) {
        return;
    }
    let mut stream = body.into_data_stream();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(Ok(_)) = futures::StreamExt::next(&mut stream).await {}
    })
    .await;
}

/// Content-Type must be octet-stream (or absent); Content-Digest must be well formed.
fn check_headers(headers: &HeaderMap) -> ApiResult<()> {
    let mime = crate::http::extract::media_type(headers);
    if !matches!(mime.as_deref(), None | Some("application/octet-stream")) {
        return Err(ApiError::UnsupportedContentType {
            expected: "application/octet-stream",
        });
    }
    content_digest(headers)?;
    Ok(())
}

/// Finish: verify the whole-file SHA-256 and publish the file. Answers `201` with the File,
/// or `202` with the Upload (`status: completing`) when verification takes longer; poll the
/// `Location`. Completing again returns the same File.
#[utoipa::path(post, path = "/uploads/{upload_id}/complete", tag = "uploads", params(("upload_id" = String, Path)),
    request_body = api::CompleteUpload,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::File),
        (status = 202, description = "Still verifying", body = api::Upload),
        (status = 400, description = "`invalid_checksum`, `missing_field`, `invalid_part_number`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`upload_incomplete` (details.missing_parts), `upload_aborted`, `upload_failed`, `name_conflict`", body = api::ErrorBody),
        (status = 410, description = "`upload_session_expired`", body = api::ErrorBody),
        (status = 422, description = "`checksum_mismatch`: the upload failed, nothing was published", body = api::ErrorBody)))]
async fn complete(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::CompleteUpload>,
) -> ApiResult<Response> {
    let upload = who.upload(&state, &id).await?;
    let caller = who.caller();
    let checksum = body
        .checksum_sha256
        .as_deref()
        .map(|c| parse_checksum("checksum_sha256", c))
        .transpose()?;
    match uploads::complete(&state, &caller, upload, body.parts, checksum).await? {
        Completion::Done(file) if matches!(who, Who::Link(_)) => Ok((
            StatusCode::CREATED,
            // Through a link: the file alone, its path relative to the link's folder.
            axum::Json(crate::http::views::file_view(&file, "/")),
        )
            .into_response()),
        Completion::Done(file) => {
            let entry = ferry_app::files::locate(&state, &caller, file).await?;
            Ok((
                StatusCode::CREATED,
                [(header::LOCATION, format!("/api/v1/files/{}", entry.file.id))],
                axum::Json(file_entry_view(&entry)),
            )
                .into_response())
        }
        Completion::Pending(upload) => Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/api/v1/uploads/{}", upload.id))],
            axum::Json(upload_view(&state, &upload).await?),
        )
            .into_response()),
    }
}

/// Abort: the session ends, its data is deleted and the reserved space released.
#[utoipa::path(delete, path = "/uploads/{upload_id}", tag = "uploads", params(("upload_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 204),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`upload_already_completed`", body = api::ErrorBody),
        (status = 410, description = "`upload_session_expired`", body = api::ErrorBody)))]
async fn abort(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    who.upload(&state, &id).await?;
    uploads::abort(&state, &who.caller(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
