//! Archives: `GET /folders/{folder_id}/archive` and `POST /archives`, a STORE-only zip
//! streamed with an exact `Content-Length`, a strong `ETag`, and one `Range` (with
//! `If-Range`), so that a resumed download gets exactly the bytes it would have got.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::archives::{self, Archive};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::content::{self, Blob, Delivery};
use crate::http::extract::ApiJson;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(folder_archive))
        .routes(routes!(archive_items))
}

/// Download a folder and everything live under it as a zip (stored, not compressed; zip64
/// when needed), the folder's name as the top directory. Needs `read` on the folder. `Range`
/// (one range; several get the whole archive), `If-Range` and `If-None-Match` work as for
/// file content. Every file in it is audited as downloaded when the response reaches the
/// archive's last byte.
#[utoipa::path(get, path = "/folders/{folder_id}/archive", tag = "folders",
    params(("folder_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The whole archive", content_type = "application/zip", body = Vec<u8>),
        (status = 206, description = "One range of the archive", content_type = "application/zip", body = Vec<u8>),
        (status = 304, description = "If-None-Match matched"),
        (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`folder_expired`", body = api::ErrorBody),
        (status = 416, description = "`range_not_satisfiable`", body = api::ErrorBody)))]
async fn folder_archive(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = me.caller();
    let archive = archives::of_folder(&state, &caller, &id).await?;
    serve(&state, &caller, &headers, archive).await
}

/// Download files (at the top) and folders (as top directories) as one zip: 1 to 1000 ids,
/// each readable by the caller (`404` if any is invisible, else `403` if any is not
/// readable). Same `Range`, `If-Range`, `ETag` and audit as a folder's archive.
#[utoipa::path(post, path = "/archives", tag = "folders", request_body = api::ArchiveRequest,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The whole archive", content_type = "application/zip", body = Vec<u8>),
        (status = 206, description = "One range of the archive", content_type = "application/zip", body = Vec<u8>),
        (status = 304, description = "If-None-Match matched"),
        (status = 400, body = api::ErrorBody),
        (status = 403, description = "`permission_denied`, `policy_denied`, or `file_infected` for a named file", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`scan_pending`: a named file is not scanned yet (`block_until_clean`)", body = api::ErrorBody),
        (status = 410, description = "`file_held`, `file_expired` or `folder_expired`", body = api::ErrorBody),
        (status = 416, description = "`range_not_satisfiable`", body = api::ErrorBody)))]
async fn archive_items(
    State(state): State<AppState>,
    me: AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<api::ArchiveRequest>,
) -> ApiResult<Response> {
    let caller = me.caller();
    let archive = archives::of_items(&state, &caller, &body.items).await?;
    serve(&state, &caller, &headers, archive).await
}

async fn serve(
    state: &AppState,
    caller: &ferry_app::Caller,
    headers: &HeaderMap,
    archive: Archive,
) -> ApiResult<Response> {
    let planned = match plan(headers, &archive)? {
        Ok(planned) => planned,
        Err(not_modified) => return Ok(not_modified),
    };
    // Only a response that reaches the archive's end, and is delivered to it, counts as a
    // download of its files: audited when the body's last byte went out, not before the first.
    if planned.end != archive.layout.len() {
        return respond(state, &archive, planned, |body| body);
    }
    let audit = archives::PendingAudit {
        app: state.clone(),
        caller: caller.clone(),
        archive: archive.clone(),
        len: (planned.end - planned.start) as i64,
    };
    respond(state, &archive, planned, |body| {
        Body::new(crate::links::Metered::new(
            body,
            ferry_app::links::Settlement::ArchiveAudit(audit),
        ))
    })
}

/// What a request gets of an archive: bytes `start..end`, with the headers so far.
pub(crate) struct Planned {
    builder: axum::http::response::Builder,
    pub start: u64,
    pub end: u64,
}

/// Decides what a request gets of an archive (`Range`: one range; several get the whole
/// archive; `If-Range`, `If-None-Match`): `Err` holds a `304` response.
pub(crate) fn plan(headers: &HeaderMap, archive: &Archive) -> ApiResult<Result<Planned, Response>> {
    let layout = &archive.layout;
    let size = layout.len();
    let view = Blob {
        sha256: layout.etag(),
        size,
        name: &archive.name,
        mime_type: "application/zip",
        modified_ms: archive.modified_ms,
        etag: format!("\"{}\"", layout.etag()),
    };
    let delivery = match content::plan(headers, &view)? {
        // Several ranges of an archive: the whole archive (a server may ignore Range).
        Delivery::Ranges(r) if r.len() > 1 => Delivery::Full,
        other => other,
    };
    let builder = Response::builder()
        .header(header::ETAG, format!("\"{}\"", layout.etag()))
        .header(
            header::LAST_MODIFIED,
            content::http_date(archive.modified_ms),
        )
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header("x-content-type-options", "nosniff");
    let (builder, start, end) = match &delivery {
        Delivery::NotModified => {
            return builder
                .status(StatusCode::NOT_MODIFIED)
                .body(Body::empty())
                .map(Err)
                .map_err(ApiError::internal);
        }
        Delivery::Full => (builder.status(StatusCode::OK), 0, size),
        Delivery::Ranges(r) => {
            let r = &r[0];
            (
                builder.status(StatusCode::PARTIAL_CONTENT).header(
                    header::CONTENT_RANGE,
                    format!("bytes {}-{}/{}", r.start(), r.end(), size),
                ),
                *r.start(),
                r.end() + 1,
            )
        }
    };
    Ok(Ok(Planned {
        builder,
        start,
        end,
    }))
}

/// The response carrying the planned bytes, its body passed through `wrap` (a link's
/// metering).
pub(crate) fn respond(
    state: &AppState,
    archive: &Archive,
    planned: Planned,
    wrap: impl FnOnce(Body) -> Body,
) -> ApiResult<Response> {
    let Planned {
        builder,
        start,
        end,
    } = planned;
    builder
        .header(header::CONTENT_TYPE, "application/zip")
        .header(header::CONTENT_LENGTH, end - start)
        .header(
            header::CONTENT_DISPOSITION,
            content::content_disposition(&archive.name),
        )
        .body(wrap(Body::from_stream(archives::body(
            state.blobs.clone(),
            archive.layout.clone(),
            start,
            end,
        ))))
        .map_err(ApiError::internal)
}
