//! Serving a blob over HTTP: `Range` (single and multiple), `If-Range`, `ETag`,
//! `If-None-Match`, and RFC 6266 `Content-Disposition`. Written here rather than with
//! tower-http's `ServeFile`, which lacks If-Range and knows nothing of blobs or links.

use std::ops::RangeInclusive;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use ferry_app::AppState;
use ferry_blob::{BlobStore, ByteStream};
use ferry_core::wire::{disposition, ranges};
use futures::StreamExt;

use crate::error::{ApiError, ApiResult};

/// What is being served.
pub struct Blob<'a> {
    pub sha256: &'a str,
    pub size: u64,
    pub name: &'a str,
    pub mime_type: &'a str,
    pub modified_ms: i64,
    /// The strong ETag sent and compared (quoted): the content's SHA-256, or WebDAV's
    /// metadata ETag.
    pub etag: String,
}

impl<'a> Blob<'a> {
    /// A stored file's content.
    pub fn of(file: &'a ferry_store::files::File) -> Blob<'a> {
        Blob {
            sha256: &file.sha256,
            size: file.size as u64,
            name: &file.name,
            mime_type: &file.mime_type,
            modified_ms: file.updated_at,
            etag: format!("\"{}\"", file.sha256),
        }
    }
}

impl<'a> Blob<'a> {
    /// One version of a file.
    pub fn of_version(
        file: &'a ferry_store::files::File,
        version: &'a ferry_store::files::Version,
    ) -> Blob<'a> {
        Blob {
            sha256: &version.sha256,
            size: version.size as u64,
            name: &file.name,
            mime_type: &file.mime_type,
            modified_ms: version.created_at,
            etag: format!("\"{}\"", version.sha256),
        }
    }
}

pub use ferry_core::timefmt::http_date;
pub use ferry_core::wire::ranges::Delivery;

/// Decides what to deliver from the request's conditional and range headers
/// ([`ferry_core::wire::ranges::plan`]).
pub fn plan(headers: &HeaderMap, blob: &Blob<'_>) -> ApiResult<Delivery> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let conditions = ranges::Conditions {
        if_none_match: text(header::IF_NONE_MATCH),
        range: text(header::RANGE),
        if_range: text(header::IF_RANGE),
    };
    let entity = ranges::Entity {
        etag: &blob.etag,
        modified_ms: blob.modified_ms,
        size: blob.size,
    };
    ranges::plan(&conditions, &entity)
        .map_err(|ranges::Unsatisfiable| ApiError::RangeNotSatisfiable { size: blob.size })
}

/// How long a presigned download URL works.
const REDIRECT_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// With `storage.s3.redirect_downloads`, a `302` to a presigned URL of the blob instead of its
/// bytes (the client sends its `Range` there); `None` when the bytes are to be streamed.
pub async fn redirect(
    state: &AppState,
    blob: &Blob<'_>,
    delivery: &Delivery,
) -> ApiResult<Option<Response>> {
    if !state.config.storage.s3.redirect_downloads || *delivery == Delivery::NotModified {
        return Ok(None);
    }
    let key = ferry_app::files::blob_key(state, blob.sha256).await?;
    let disposition = content_disposition(blob.name);
    let disposition = disposition.to_str().map_err(ApiError::internal)?;
    let Some(url) = state
        .blobs
        .direct_get_url(&key, REDIRECT_TTL, blob.mime_type, disposition)
        .await?
    else {
        return Ok(None);
    };
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, url)
        .header(header::ETAG, &blob.etag)
        .header(header::CACHE_CONTROL, "private, no-store")
        .body(Body::empty())
        .map(Some)
        .map_err(ApiError::internal)
}

/// Builds the response for `delivery` (from [`plan`]).
pub async fn respond(
    state: &AppState,
    blob: &Blob<'_>,
    delivery: &Delivery,
) -> ApiResult<Response> {
    let blobs = &state.blobs;
    let key = match delivery {
        Delivery::NotModified => String::new(),
        _ => ferry_app::files::blob_key(state, blob.sha256).await?,
    };
    let mut builder = Response::builder()
        .header(header::ETAG, &blob.etag)
        .header(header::LAST_MODIFIED, http_date(blob.modified_ms))
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header("x-content-type-options", "nosniff");
    let response = match delivery {
        Delivery::NotModified => builder.status(StatusCode::NOT_MODIFIED).body(Body::empty()),
        Delivery::Full => {
            let stream = blobs.read(&key, 0, blob.size).await?;
            builder = with_entity_headers(builder, blob);
            builder
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, blob.mime_type)
                .header(header::CONTENT_LENGTH, blob.size)
                .body(Body::from_stream(stream))
        }
        Delivery::Ranges(ranges) if ranges.len() == 1 => {
            let r = &ranges[0];
            let len = r.end() - r.start() + 1;
            let stream = blobs.read(&key, *r.start(), len).await?;
            builder = with_entity_headers(builder, blob);
            builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_TYPE, blob.mime_type)
                .header(header::CONTENT_LENGTH, len)
                .header(
                    header::CONTENT_RANGE,
                    format!("bytes {}-{}/{}", r.start(), r.end(), blob.size),
                )
                .body(Body::from_stream(stream))
        }
        Delivery::Ranges(ranges) => {
            let boundary = hex::encode(ferry_core::ids::random_bytes::<12>());
            let (body, length) = multipart_body(blobs, blob, &key, ranges, &boundary);
            builder = with_entity_headers(builder, blob);
            builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/byteranges; boundary={boundary}"),
                )
                .header(header::CONTENT_LENGTH, length)
                .body(body)
        }
    };
    response.map_err(ApiError::internal)
}

fn with_entity_headers(
    builder: axum::http::response::Builder,
    blob: &Blob<'_>,
) -> axum::http::response::Builder {
    builder.header(header::CONTENT_DISPOSITION, content_disposition(blob.name))
}

/// A `multipart/byteranges` body (RFC 9110 §14.6) streamed part by part, and its exact length.
fn multipart_body(
    blobs: &Arc<dyn BlobStore>,
    blob: &Blob<'_>,
    key: &str,
    ranges: &[RangeInclusive<u64>],
    boundary: &str,
) -> (Body, u64) {
    let mut length = 0u64;
    let mut parts = Vec::with_capacity(ranges.len());
    for r in ranges {
        let head = format!(
            "\r\n--{boundary}\r\nContent-Type: {}\r\nContent-Range: bytes {}-{}/{}\r\n\r\n",
            blob.mime_type,
            r.start(),
            r.end(),
            blob.size
        );
        length += head.len() as u64 + (r.end() - r.start() + 1);
        parts.push((Bytes::from(head), *r.start(), r.end() - r.start() + 1));
    }
    let tail = Bytes::from(format!("\r\n--{boundary}--\r\n"));
    length += tail.len() as u64;

    let blobs = blobs.clone();
    let key = key.to_string();
    let stream = futures::stream::iter(parts)
        .then(move |(head, offset, len)| {
            let blobs = blobs.clone();
            let key = key.clone();
            async move {
                let head: ByteStream<'static> = Box::pin(futures::stream::once(async { Ok(head) }));
                match blobs.read(&key, offset, len).await {
                    Ok(data) => head.chain(data).boxed(),
                    Err(e) => futures::stream::once(async move { Err(e.into()) }).boxed(),
                }
            }
        })
        .flatten()
        .chain(futures::stream::once(async move { Ok(tail) }));
    (Body::from_stream(stream), length)
}

/// `attachment` with an ASCII fallback and the exact UTF-8 name in `filename*` (RFC 6266;
/// [`ferry_core::wire::disposition::content_disposition`]).
pub fn content_disposition(name: &str) -> HeaderValue {
    HeaderValue::from_str(&disposition::content_disposition(name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob() -> Blob<'static> {
        Blob {
            sha256: "ab",
            size: 100,
            name: "x",
            mime_type: "text/plain",
            modified_ms: 0,
            etag: "\"ab\"".into(),
        }
    }

    fn plan_for(pairs: &[(&'static str, &str)]) -> ApiResult<Delivery> {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        plan(&h, &blob())
    }

    #[test]
    fn ranges_and_conditions() {
        assert_eq!(plan_for(&[]).unwrap(), Delivery::Full);
        assert_eq!(
            plan_for(&[("range", "bytes=0-9")]).unwrap(),
            Delivery::Ranges(vec![0..=9])
        );
        assert_eq!(
            plan_for(&[("range", "bytes=-10")]).unwrap(),
            Delivery::Ranges(vec![90..=99])
        );
        assert_eq!(
            plan_for(&[("range", "bytes=0-0,50-")]).unwrap(),
            Delivery::Ranges(vec![0..=0, 50..=99])
        );
        assert!(matches!(
            plan_for(&[("range", "bytes=100-200")]),
            Err(ApiError::RangeNotSatisfiable { size: 100 })
        ));
        assert_eq!(plan_for(&[("range", "pages=1-2")]).unwrap(), Delivery::Full);
        assert_eq!(
            plan_for(&[("if-none-match", "\"ab\"")]).unwrap(),
            Delivery::NotModified
        );
        assert_eq!(
            plan_for(&[("range", "bytes=0-9"), ("if-range", "\"old\"")]).unwrap(),
            Delivery::Full
        );
        assert_eq!(
            plan_for(&[("range", "bytes=0-9"), ("if-range", "\"ab\"")]).unwrap(),
            Delivery::Ranges(vec![0..=9])
        );
    }
}
