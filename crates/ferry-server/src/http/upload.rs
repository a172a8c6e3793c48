//! Simple (single-request) upload: `POST /folders/{id}/files` with a raw body or a multipart
//! `file` field. The body streams to staging while it is hashed; nothing is held in memory.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_app::files::{self, Budget};
use ferry_app::{AppState, access};
use ferry_blob::{ByteStream, Staged};
use ferry_core::{OnConflict, Permission, validate};
use futures::TryStreamExt;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::extract::ApiQuery;
use crate::http::views::file_entry_view;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload))
}

/// Longest `ttl`: ten years.
const MAX_TTL_SECS: i64 = 10 * 365 * 86_400;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// Subfolders of the folder to put the file in, e.g. `2026/reports`; missing ones are
    /// created.
    #[param(max_length = 4096)]
    relative_path: Option<String>,
    /// When the file was last modified on the client (RFC 3339).
    modified_at: Option<String>,
    /// The file's name (required for a raw body; defaults to the multipart file name).
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^/\\\x00-\x1f\x7f-\x9f\s.\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff][^/\\\x00-\x1f\x7f-\x9f\s\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    filename: Option<String>,
    /// Seconds until the file expires (`410 file_expired` afterwards).
    #[param(minimum = 1, maximum = 315360000)]
    ttl: Option<i64>,
    /// `rename` (default), `fail`, or `new_version` (a live file of that name gets the content
    /// as its next version, keeping its id).
    #[param(value_type = Option<String>, pattern = "^(rename|fail|new_version)$")]
    on_conflict: Option<OnConflict>,
}

/// Upload a whole file in one request.
#[utoipa::path(post, path = "/folders/{folder_id}/files", tag = "files",
    params(("folder_id" = String, Path), UploadQuery),
    request_body(content(
        (Vec<u8> = "application/octet-stream"),
        (Vec<u8> = "multipart/form-data"),
    ), description = "The raw bytes, or a form with a `file` field and an optional `ttl` field"),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::File),
        (status = 400, description = "`invalid_name`, `missing_field`, `invalid_value`, `unsupported_content_type`, `invalid_multipart`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`name_conflict` with `on_conflict=fail`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded` or `file_too_large`; nothing is stored", body = api::ErrorBody),
        (status = 414, description = "`uri_too_long`: the query string (a long `relative_path`) is over the server's limit", body = api::ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    me: AuthUser,
    Path(folder_id): Path<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    req: Request,
) -> ApiResult<impl IntoResponse> {
    let caller = me.caller();
    let folder = access::folder(&state, &caller, &folder_id, Permission::Write).await?;
    let client_modified_at = q
        .modified_at
        .as_deref()
        .map(|t| crate::http::extract::parse_time("modified_at", t))
        .transpose()?;
    let mut ttl = q
        .ttl
        .map(|t| validate::in_range("ttl", t, 1..=MAX_TTL_SECS))
        .transpose()?;
    let on_conflict = q.on_conflict.unwrap_or(OnConflict::Rename);
    let mime = crate::http::extract::media_type(req.headers());
    let uploader = ferry_app::me::current(&state, &caller).await?;
    let budget = Budget::for_user(&uploader, state.config.limits.max_file_size);

    let (staged, name) = match mime.as_deref() {
        Some("multipart/form-data") => {
            let mut form = Multipart::from_request(req, &state)
                .await
                .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
            let mut staged: Option<(Staged, String)> = None;
            let result: ApiResult<()> = async {
                while let Some(field) = form.next_field().await.map_err(multipart_error)? {
                    match field.name() {
                        Some("file") if staged.is_some() => {
                            return Err(ApiError::invalid(
                                "file",
                                "invalid_multipart",
                                "Send exactly one `file` field.",
                            ));
                        }
                        Some("file") => {
                            let name = q
                                .filename
                                .clone()
                                .or_else(|| field.file_name().map(str::to_string));
                            let name = name.ok_or_else(|| {
                                ApiError::invalid(
                                    "filename",
                                    "missing_field",
                                    "The `file` field needs a file name.",
                                )
                            })?;
                            let name = validate::stored_name("filename", &name)?;
                            let body: ByteStream<'_> =
                                Box::pin(field.map_err(|e| Box::new(e) as ferry_blob::BoxError));
                            let s = budget.stage(&state, body).await?;
                            staged = Some((s, name));
                        }
                        Some("ttl") => {
                            let text = field.text().await.map_err(multipart_error)?;
                            let t: i64 = text.trim().parse().map_err(|_| {
                                ApiError::invalid(
                                    "ttl",
                                    "invalid_value",
                                    "ttl must be a whole number of seconds.",
                                )
                            })?;
                            ttl = Some(validate::in_range("ttl", t, 1..=MAX_TTL_SECS)?);
                        }
                        _ => {}
                    }
                }
                Ok(())
            }
            .await;
            match (result, staged) {
                (Ok(()), Some(s)) => s,
                (Ok(()), None) => {
                    return Err(ApiError::invalid(
                        "file",
                        "missing_field",
                        "The form has no `file` field.",
                    ));
                }
                (Err(e), s) => {
                    if let Some((s, _)) = s {
                        state.blobs.discard(s).await;
                    }
                    return Err(e);
                }
            }
        }
        None | Some("application/octet-stream") => {
            stage_raw(&state, &budget, q.filename.clone(), req).await?
        }
        Some(_) => {
            return Err(ApiError::UnsupportedContentType {
                expected: "application/octet-stream or multipart/form-data",
            });
        }
    };
    let ttl = ttl.or(state.config.uploads.default_ttl_secs);
    let expires_at = ttl.map(|t| state.now_ms() + t * 1000);
    let folder = match q.relative_path.as_deref() {
        Some(path) => {
            match ferry_app::folders::ensure_subfolders(&state, &caller, &folder, path).await {
                Ok(f) => f,
                Err(e) => {
                    state.blobs.discard(staged).await;
                    return Err(e.into());
                }
            }
        }
        None => folder,
    };
    let target = files::Target {
        folder: &folder,
        name: &name,
        on_conflict,
        expires_at,
        client_modified_at,
    };
    let file = files::publish(&state, &caller, target, staged).await?;
    let entry = ferry_app::files::locate(&state, &caller, file).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/files/{}", entry.file.id))],
        axum::Json(file_entry_view(&entry)),
    ))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::bad_request("invalid_multipart", e.body_text())
}

/// Stages a simple upload sent as a raw body (`application/octet-stream`): the name from the
/// `filename` query parameter, a `Content-Length` over the budget refused before a byte is read.
pub(crate) async fn stage_raw(
    state: &AppState,
    budget: &Budget,
    filename: Option<String>,
    req: Request,
) -> ApiResult<(Staged, String)> {
    let name = filename.ok_or_else(|| {
        ApiError::invalid(
            "filename",
            "missing_field",
            "Query parameter `filename` is required.",
        )
    })?;
    let name = validate::stored_name("filename", &name)?;
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        budget.check(len)?;
    }
    let body: ByteStream<'_> = Box::pin(
        req.into_body()
            .into_data_stream()
            .map_err(|e| Box::new(e) as ferry_blob::BoxError),
    );
    Ok((budget.stage(state, body).await?, name))
}
