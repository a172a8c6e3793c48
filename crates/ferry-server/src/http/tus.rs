//! tus 1.0 at `/api/v1/tus/`: core, creation, creation-with-upload, termination, checksum
//! (sha1, sha256), expiration and concatenation. A tus upload is an upload session like the
//! native protocol's (same quota, audit, verification and publishing), with one part spanning
//! the file, written sequentially and hashed as it arrives. Written by hand: the tus crates
//! bring their own storage and state models, which would fight ours.

use ferry_core::UploadStatus;
use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, options};
use ferry_blob::ByteStream;
use ferry_store::uploads::Upload;
use futures::TryStreamExt;

use crate::error::{ApiError, ApiResult};
use crate::http::content::http_date;
use crate::http::upload_links::Who;
use ferry_app::AppState;
use ferry_app::Error;
use ferry_app::uploads::tus::{self, ChunkDigest};
use ferry_app::uploads::{self, NewUpload, TusInfo, parse_checksum};
use ferry_core::OnConflict;
use ferry_core::wire;

const TUS_VERSION: &str = "1.0.0";
const EXTENSIONS: &str =
    "creation,creation-with-upload,termination,checksum,expiration,concatenation";
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// `/api/v1/tus/` (with or without the trailing slash) and `/api/v1/tus/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tus", options(discover).post(create))
        .route("/api/v1/tus/", options(discover).post(create))
        .route("/api/v1/tus/{id}", any(resource))
        .layer(axum::middleware::map_response(tus_headers))
}

/// Every tus response says which protocol version it speaks.
async fn tus_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `X-HTTP-Method-Override` lets clients behind restrictive proxies send PATCH, HEAD and DELETE
/// as POST. Applied before routing (see `serve`), and only under the tus path.
pub fn method_override<B>(mut req: axum::http::Request<B>) -> axum::http::Request<B> {
    if req.method() == Method::POST && req.uri().path().starts_with("/api/v1/tus/") {
        let wanted = req
            .headers()
            .get("x-http-method-override")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Method::from_bytes(v.trim().to_ascii_uppercase().as_bytes()).ok());
        if let Some(m) = wanted
            && [Method::PATCH, Method::HEAD, Method::DELETE].contains(&m)
        {
            *req.method_mut() = m;
        }
    }
    req
}

async fn discover(State(state): State<AppState>) -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            ("tus-version", TUS_VERSION.to_string()),
            ("tus-extension", EXTENSIONS.to_string()),
            (
                "tus-max-size",
                state.config.limits.max_file_size.to_string(),
            ),
            ("tus-checksum-algorithm", "sha1,sha256".to_string()),
        ],
    )
        .into_response()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn check_version(headers: &HeaderMap) -> ApiResult<()> {
    match header_str(headers, "tus-resumable") {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(ApiError::TusVersion),
    }
}

/// `Upload-Metadata` ([`wire::tus::metadata`]).
fn parse_metadata(raw: &str) -> ApiResult<HashMap<String, String>> {
    wire::tus::metadata(raw).map_err(|wire::tus::BadMetadata| {
        ApiError::invalid(
            "Upload-Metadata",
            "invalid_metadata",
            "Upload-Metadata must be `key base64,key base64`.",
        )
    })
}

fn location(id: &str) -> String {
    format!("/api/v1/tus/{id}")
}

fn parse_i64(headers: &HeaderMap, name: &'static str) -> ApiResult<Option<i64>> {
    match header_str(headers, name) {
        None => Ok(None),
        Some(v) => wire::tus::non_negative(v).map(Some).ok_or_else(|| {
            ApiError::invalid(
                name,
                "invalid_value",
                format!("{name} must be a non-negative integer."),
            )
        }),
    }
}

/// `POST /tus/`: create an upload (optionally with its first bytes, or as a concatenation).
async fn create(
    State(state): State<AppState>,
    who: Who,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    check_version(&headers)?;
    let raw_metadata = header_str(&headers, "upload-metadata").map(str::to_string);
    let metadata = raw_metadata
        .as_deref()
        .map(parse_metadata)
        .transpose()?
        .unwrap_or_default();
    let concat = header_str(&headers, "upload-concat").map(wire::tus::concat);
    let checksum = metadata
        .get("checksum_sha256")
        .map(|c| parse_checksum("checksum_sha256", c))
        .transpose()?;
    let folder_id = metadata.get("folder_id").cloned();
    let filename = metadata.get("filename").cloned().unwrap_or_default();
    let relative_path = metadata.get("relative_path").cloned();
    let client_modified_at = metadata
        .get("modified_at")
        .map(|t| crate::http::extract::parse_time("modified_at", t))
        .transpose()?;
    let on_conflict = match metadata.get("on_conflict") {
        None => OnConflict::Rename,
        Some(v) => OnConflict::parse(v).ok_or_else(|| {
            ApiError::invalid(
                "on_conflict",
                "invalid_value",
                "on_conflict must be `rename`, `fail` or `new_version`.",
            )
        })?,
    };

    let uploader = Who::uploader(
        &headers,
        metadata.get("uploader_name").cloned(),
        metadata.get("uploader_email").cloned(),
    )?;
    if let Who::Link(_) = &who {
        let refused = if concat.is_some() {
            Some((
                "Upload-Concat",
                "Uploads through a link cannot be concatenated.",
            ))
        } else if folder_id.is_some() {
            Some((
                "folder_id",
                "An upload through a link goes into the link's folder.",
            ))
        } else if on_conflict == OnConflict::NewVersion {
            Some(("on_conflict", "Uploads through a link never overwrite."))
        } else if relative_path.is_some() {
            Some((
                "relative_path",
                "Uploads through a link take no relative_path.",
            ))
        } else {
            None
        };
        if let Some((field, message)) = refused {
            return Err(ApiError::invalid(field, "invalid_value", message));
        }
    }
    if let Some(Some(wire::tus::Concat::Final(partial_ids))) = concat {
        let new = NewUpload {
            folder_id,
            filename,
            size: 0,
            checksum_sha256: checksum,
            part_size: None,
            on_conflict,
            method: "tus",
            tus: Some(TusInfo {
                concat: Some("final"),
                partials: None,
                metadata: raw_metadata,
            }),
            already_reserved: 0,
            relative_path,
            client_modified_at,
        };
        return create_final(&state, &who, &partial_ids, new).await;
    }
    let partial = match concat {
        None => false,
        // `final;…` returned above: only `partial` is left.
        Some(Some(_)) => true,
        Some(None) => {
            return Err(ApiError::invalid(
                "Upload-Concat",
                "invalid_value",
                "Upload-Concat must be `partial` or `final;<urls>`.",
            ));
        }
    };
    if header_str(&headers, "upload-defer-length").is_some() {
        return Err(ApiError::invalid(
            "Upload-Defer-Length",
            "invalid_value",
            "Deferred lengths are not supported; send Upload-Length.",
        ));
    }
    let size = parse_i64(&headers, "upload-length")?.ok_or_else(|| {
        ApiError::invalid(
            "Upload-Length",
            "missing_field",
            "Upload-Length is required.",
        )
    })?;
    if !partial && folder_id.is_none() && matches!(who, Who::User(_)) {
        return Err(ApiError::invalid(
            "folder_id",
            "missing_field",
            "Upload-Metadata needs `folder_id` (and `filename`).",
        ));
    }
    let new = NewUpload {
        folder_id: if partial { None } else { folder_id },
        filename,
        size,
        checksum_sha256: checksum,
        part_size: None,
        on_conflict,
        method: "tus",
        tus: Some(TusInfo {
            concat: partial.then_some("partial"),
            partials: None,
            metadata: raw_metadata,
        }),
        already_reserved: 0,
        relative_path,
        client_modified_at,
    };
    let mut upload = match &who {
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

    // creation-with-upload: the body carries the first bytes.
    let with_data =
        header_str(&headers, "content-type").is_some_and(|c| c.starts_with(OFFSET_OCTET_STREAM));
    if with_data {
        // The upload exists whatever happens to the first chunk: answer 201 with its
        // Location and the offset reached, so the client can resume (tus recommends this).
        // A chunk-level failure (a bad chunk checksum, a body cut short) leaves a resumable
        // upload; anything else (e.g. the whole file failing verification) is the answer.
        match append(&state, &who, &upload.id, 0, &headers, body).await {
            Ok(u) => upload = u,
            Err(e @ ApiError::App(Error::ChunkChecksumMismatch | Error::BodyRead)) => {
                tracing::debug!(upload_id = %upload.id, error = %e, "first chunk of a creation-with-upload failed");
                upload = who.upload(&state, &upload.id).await?;
            }
            Err(e) => return Err(e),
        }
    } else if upload.size == 0 && !partial {
        tus::finish_if_complete(&state, &who.caller(), &upload).await?;
    }
    Ok(created(&upload))
}

/// `201 Created` for a new upload, with its `Location` and offset headers.
fn created(upload: &Upload) -> Response {
    let mut res = (
        StatusCode::CREATED,
        [(header::LOCATION, location(&upload.id))],
    )
        .into_response();
    offset_headers(res.headers_mut(), upload);
    res
}

/// `Upload-Offset` and `Upload-Expires` for a response about `upload`.
fn offset_headers(h: &mut HeaderMap, upload: &Upload) {
    h.insert("upload-offset", HeaderValue::from(upload.tus_offset));
    if let Ok(v) = HeaderValue::from_str(&http_date(upload.expires_at)) {
        h.insert("upload-expires", v);
    }
}

/// Concatenation: the final upload named by `Upload-Concat: final;<urls>`.
async fn create_final(
    state: &AppState,
    who: &Who,
    partial_ids: &[String],
    new: NewUpload,
) -> ApiResult<Response> {
    let upload = tus::concatenate(state, &who.caller(), partial_ids, new).await?;
    Ok(created(&upload))
}

/// HEAD, PATCH, DELETE (and OPTIONS) on one upload.
async fn resource(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    if req.method() == Method::OPTIONS {
        return Ok(discover(State(state)).await);
    }
    let (mut parts, body) = req.into_parts();
    let who =
        <Who as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state)
            .await?;
    let headers = parts.headers;
    match parts.method {
        Method::HEAD => head(&state, &who, &id).await,
        Method::PATCH => {
            check_version(&headers)?;
            if !header_str(&headers, "content-type")
                .is_some_and(|c| c.starts_with(OFFSET_OCTET_STREAM))
            {
                return Err(ApiError::TusContentType);
            }
            let offset = parse_i64(&headers, "upload-offset")?.ok_or_else(|| {
                ApiError::invalid(
                    "Upload-Offset",
                    "missing_field",
                    "Upload-Offset is required.",
                )
            })?;
            let upload = append(&state, &who, &id, offset, &headers, body).await?;
            let mut res = StatusCode::NO_CONTENT.into_response();
            offset_headers(res.headers_mut(), &upload);
            Ok(res)
        }
        Method::DELETE => {
            check_version(&headers)?;
            who.upload(&state, &id).await?;
            tus::terminate(&state, &who.caller(), &id).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}

async fn head(state: &AppState, who: &Who, id: &str) -> ApiResult<Response> {
    let upload = who.upload(state, id).await?;
    match upload.status {
        UploadStatus::Aborted => return Err(Error::NotFound.into()),
        UploadStatus::Expired | UploadStatus::Failed => return Err(Error::UploadExpired.into()),
        UploadStatus::Open if upload.expires_at <= state.now_ms() => {
            return Err(Error::UploadExpired.into());
        }
        _ => {}
    }
    let mut res = StatusCode::OK.into_response();
    let h = res.headers_mut();
    offset_headers(h, &upload);
    h.insert("upload-length", HeaderValue::from(upload.size));
    if let Some(m) = upload
        .tus_metadata
        .as_deref()
        .and_then(|m| HeaderValue::from_str(m).ok())
    {
        h.insert("upload-metadata", m);
    }
    match upload.tus_concat.as_deref() {
        Some("partial") => {
            h.insert("upload-concat", HeaderValue::from_static("partial"));
        }
        Some("final") => {
            let urls: Vec<String> = upload
                .tus_partials
                .as_deref()
                .unwrap_or("")
                .split(' ')
                .map(location)
                .collect();
            if let Ok(v) = HeaderValue::from_str(&format!("final;{}", urls.join(" "))) {
                h.insert("upload-concat", v);
            }
        }
        _ => {}
    }
    Ok(res)
}

/// The chunk digest of `Upload-Checksum: <algorithm> <base64>`, if sent.
fn chunk_digest(headers: &HeaderMap) -> ApiResult<Option<ChunkDigest>> {
    let Some(raw) = header_str(headers, "upload-checksum") else {
        return Ok(None);
    };
    match wire::tus::checksum(raw) {
        Ok(wire::tus::Checksum::Sha1(d)) => Ok(Some(ChunkDigest::Sha1(d))),
        Ok(wire::tus::Checksum::Sha256(d)) => Ok(Some(ChunkDigest::Sha256(d))),
        Err(wire::tus::BadChecksum::Invalid) => Err(ApiError::invalid(
            "Upload-Checksum",
            "invalid_checksum",
            "Upload-Checksum must be `<sha1|sha256> <base64>`.",
        )),
        Err(wire::tus::BadChecksum::Unsupported) => Err(ApiError::invalid(
            "Upload-Checksum",
            "unsupported_checksum_algorithm",
            "Supported algorithms: sha1, sha256.",
        )),
    }
}

/// A PATCH: the chunk at `offset`, checked against its digest.
async fn append(
    state: &AppState,
    who: &Who,
    id: &str,
    offset: i64,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Upload> {
    let digest = chunk_digest(headers)?;
    // Through a link: only an upload that link opened.
    who.upload(state, id).await?;
    let stream: ByteStream<'_> = Box::pin(
        body.into_data_stream()
            .map_err(|e| Box::new(e) as ferry_blob::BoxError),
    );
    Ok(tus::append(state, &who.caller(), id, offset, stream, digest).await?)
}
