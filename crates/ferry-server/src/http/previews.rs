//! Thumbnails and previews: `GET /files/{file_id}/thumbnails/{size}` and
//! `GET /files/{file_id}/preview`. Everything here is sent with `X-Content-Type-Options:
//! nosniff` and `Content-Security-Policy: sandbox`, so nothing runs as the portal's origin.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::previews::{self, Preview};
use ferry_app::thumbnails::{self, Format, Size};
use futures::StreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::content::{self, Blob, Delivery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(thumbnail))
        .routes(routes!(preview))
}

/// Thumbnails never change for a content, size and format: cached for a year.
const IMMUTABLE: &str = "private, max-age=31536000, immutable";
const SANDBOX: &str = "sandbox";

/// `image/jpeg` when `Accept` names JPEG and not WebP; WebP otherwise.
fn format_for(headers: &HeaderMap) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if accept.contains("image/jpeg") && !accept.contains("image/webp") {
        Format::Jpeg
    } else {
        Format::Webp
    }
}

fn locked_down(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(SANDBOX),
    );
    response
}

/// Serves a stored thumbnail, or `304` for a matching `If-None-Match`.
async fn send_thumbnail(
    state: &AppState,
    thumb: &thumbnails::Thumbnail,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == thumb.etag || t.trim() == "*")
        });
    let builder = Response::builder()
        .header(header::ETAG, &thumb.etag)
        .header(header::CACHE_CONTROL, IMMUTABLE)
        .header(header::VARY, "Accept");
    let response = if matches {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        let stream = state.blobs.read(&thumb.key, 0, thumb.size).await?;
        builder
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, &thumb.mime_type)
            .header(header::CONTENT_LENGTH, thumb.size)
            .body(Body::from_stream(stream))
    };
    Ok(locked_down(response.map_err(ApiError::internal)?))
}

/// A thumbnail of a file: `xs` (64 px), `s` (128), `m` (256), `l` (512) or `xl` (1024) on
/// the longest side, aspect kept, never enlarged. Lossless WebP, or JPEG when `Accept` asks
/// for `image/jpeg` (and not WebP). JPEG, PNG, GIF (first frame) and WebP; PDF (first page)
/// and video (first frame) when the server has `pdftoppm` / `ffmpeg` (see `/readyz`). Made
/// once per content and cached: `ETag`, `Cache-Control: immutable`.
#[utoipa::path(get, path = "/files/{file_id}/thumbnails/{size}", tag = "files",
    params(("file_id" = String, Path), ("size" = String, Path, description = "`xs`, `s`, `m`, `l` or `xl`")),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The thumbnail", content(
            (Vec<u8> = "image/webp"), (Vec<u8> = "image/jpeg"))),
        (status = 304, description = "If-None-Match matched"),
        (status = 400, description = "`invalid_value`: an unknown size", body = api::ErrorBody),
        (status = 403, description = "`file_infected`", body = api::ErrorBody),
        (status = 404, description = "`not_found`, or `thumbnail_unavailable` for types without one (SVG, damaged or oversized images…)", body = api::ErrorBody),
        (status = 409, description = "`scan_pending`", body = api::ErrorBody),
        (status = 410, description = "`file_held` or `file_expired`", body = api::ErrorBody)))]
async fn thumbnail(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, size)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let size = Size::parse(&size).ok_or_else(|| ferry_app::Error::Invalid {
        code: "invalid_value",
        message: "size must be xs, s, m, l or xl.".into(),
        field: Some("size".into()),
    })?;
    let thumb = thumbnails::get(&state, &me.caller(), &id, size, format_for(&headers)).await?;
    send_thumbnail(&state, &thumb, &headers).await
}

/// A safe inline preview of a file: images as their `xl` thumbnail (WebP, or JPEG by
/// `Accept`); text and source code as the first 256 KiB in `text/plain; charset=utf-8`
/// (invalid UTF-8 replaced); PDF as itself, inline, with `Content-Security-Policy: sandbox`;
/// audio and video as themselves, inline, with `Range`. Never HTML or SVG: those are text or
/// nothing. Every response has `X-Content-Type-Options: nosniff` and the sandbox policy.
#[utoipa::path(get, path = "/files/{file_id}/preview", tag = "files",
    params(("file_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The preview", content(
            (Vec<u8> = "image/webp"), (Vec<u8> = "image/jpeg"),
            (String = "text/plain; charset=utf-8"), (Vec<u8> = "application/pdf"),
            (Vec<u8> = "audio/*"), (Vec<u8> = "video/*"))),
        (status = 206, description = "A range of a PDF, audio or video", content(
            (Vec<u8> = "application/pdf"), (Vec<u8> = "audio/*"), (Vec<u8> = "video/*"),
            (Vec<u8> = "multipart/byteranges"))),
        (status = 304, description = "If-None-Match matched"),
        (status = 403, description = "`file_infected`", body = api::ErrorBody),
        (status = 404, description = "`not_found`, or `preview_unavailable` for types without one", body = api::ErrorBody),
        (status = 409, description = "`scan_pending`", body = api::ErrorBody),
        (status = 410, description = "`file_held` or `file_expired`", body = api::ErrorBody),
        (status = 416, description = "`range_not_satisfiable`", body = api::ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = me.caller();
    let (file, kind) = previews::open(&state, &caller, &id).await?;
    match kind {
        Preview::Image => {
            let thumb = thumbnails::get(&state, &caller, &id, Size::Xl, format_for(&headers))
                .await
                .map_err(|e| match e {
                    ferry_app::Error::ThumbnailUnavailable => ferry_app::Error::PreviewUnavailable,
                    other => other,
                })?;
            send_thumbnail(&state, &thumb, &headers).await
        }
        Preview::Text => {
            let len = (file.size.max(0) as u64).min(previews::TEXT_BYTES);
            let key = ferry_app::files::blob_key(&state, &file.sha256).await?;
            let mut stream = state.blobs.read(&key, 0, len).await?;
            let mut bytes = Vec::with_capacity(len as usize);
            while let Some(chunk) = stream.next().await {
                bytes.extend_from_slice(&chunk.map_err(ferry_blob::BlobError::Body)?);
            }
            let text = previews::text(&bytes);
            ferry_app::files::record_download(&state, &caller, &file, len, None).await?;
            let response = Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .header(header::CACHE_CONTROL, "private, no-cache")
                .header(header::ETAG, format!("\"{}-preview\"", file.sha256))
                .header(
                    "x-preview-truncated",
                    if (file.size as u64) > len {
                        "true"
                    } else {
                        "false"
                    },
                )
                .body(Body::from(text))
                .map_err(ApiError::internal)?;
            Ok(locked_down(response))
        }
        Preview::Pdf | Preview::Media => {
            let blob = Blob::of(&file);
            let delivery = content::plan(&headers, &blob)?;
            let mut response = content::respond(&state, &blob, &delivery).await?;
            if let Some(d) = response.headers().get(header::CONTENT_DISPOSITION).cloned() {
                let inline = d
                    .to_str()
                    .ok()
                    .and_then(|v| v.strip_prefix("attachment"))
                    .and_then(|rest| HeaderValue::from_str(&format!("inline{rest}")).ok())
                    .unwrap_or_else(|| HeaderValue::from_static("inline"));
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, inline);
            }
            if delivery != Delivery::NotModified {
                let ranges = delivery.audited_ranges();
                let bytes = delivery.bytes(blob.size);
                ferry_app::files::record_download(&state, &caller, &file, bytes, ranges).await?;
            }
            Ok(locked_down(response))
        }
    }
}
