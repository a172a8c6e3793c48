//! Download links: create, list and revoke under `/api/v1`, and the public `GET /d/{token}`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::links::{self, Delivery, LinkState, NewLinkRequest};
use ferry_core::timefmt::rfc3339;
use ferry_store::files::File;
use ferry_store::links::Link;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::content::{self, Blob, Delivery as Plan};
use crate::http::context::Ctx;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};
use crate::links::Metered;
use ferry_app::Error;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list))
        .routes(routes!(revoke))
}

pub fn public_router() -> axum::Router<AppState> {
    axum::Router::new().route("/d/{token}", axum::routing::get(download))
}

fn link_view(state: &AppState, l: &Link, now: i64) -> api::Link {
    api::Link {
        id: l.id.clone(),
        url: links::url(state, l),
        expires_at: rfc3339(l.expires_at),
        max_downloads: l.max_downloads,
        downloads_used: l.downloads_used(),
        bytes_delivered: l.bytes_delivered,
        watermark: l.watermark(),
        created_at: rfc3339(l.created_at),
        status: LinkState::of(l, now).as_str().into(),
        file_id: l.file_id.clone(),
    }
}

/// Create a signed, short-lived download link for a file.
#[utoipa::path(post, path = "/files/{file_id}/download-link", tag = "links", params(("file_id" = String, Path)),
    request_body = api::CreateLink,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Link),
        (status = 400, description = "`invalid_value` (expires_in, max_downloads)", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`file_held`, `file_expired`", body = api::ErrorBody),
        (status = 422, description = "`watermark_unsupported`: not a PNG or JPEG image", body = api::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::CreateLink>,
) -> ApiResult<impl IntoResponse> {
    let request = NewLinkRequest {
        expires_in: body.expires_in,
        max_downloads: body.max_downloads,
        watermark: body.watermark.unwrap_or(false),
    };
    let link = links::create(&state, &me.caller(), &id, request).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(link_view(&state, &link, state.now_ms())),
    ))
}

/// A file's download links, newest first, paged with `limit` and `cursor`.
#[utoipa::path(get, path = "/files/{file_id}/links", tag = "links", params(("file_id" = String, Path), Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::LinkList), (status = 404, body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::LinkList>> {
    let limit = page.limit()?;
    let before: Option<(i64, String)> = page.cursor()?;
    let found = links::for_file(&state, &me.caller(), &id, before, limit).await?;
    let (found, next_cursor) = paginate(found, limit, |l| (l.created_at, l.id.clone()));
    let now = state.now_ms();
    Ok(axum::Json(api::LinkList {
        links: found.iter().map(|l| link_view(&state, l, now)).collect(),
        next_cursor,
    }))
}

/// Revoke a link: it answers `410 link_revoked` from now on.
#[utoipa::path(delete, path = "/links/{link_id}", tag = "links", params(("link_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204), (status = 404, body = api::ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    links::revoke(&state, &me.caller(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /d/{token}`: the file through a link (no login), with Range. The token's signature
/// and expiry are checked before the database is asked anything. `HEAD` answers what a
/// download would get (see `head`).
async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    method: Method,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (link, file) = links::open(&state, &token).await?;
    if method == Method::HEAD {
        return head(&state, &link, &file).await;
    }
    if link.watermark() {
        return crate::watermark::deliver(&state, &ctx, &link, &file, &headers).await;
    }
    let blob = Blob::of(&file);
    let plan = content::plan(&headers, &blob)?;
    if plan == Plan::NotModified {
        return content::respond(&state.blobs, &blob, &plan).await;
    }
    let content_len = plan.bytes(blob.size) as i64;
    let start = match &plan {
        Plan::Ranges(r) => *r[0].start() as i64,
        _ => 0,
    };
    let contiguous = !matches!(&plan, Plan::Ranges(r) if r.len() > 1);
    let client_key = links::client_key(&ctx);
    let (reserved, credit) =
        links::reserve(&state, &link, &client_key, start, content_len, contiguous).await?;
    let response = match content::respond(&state.blobs, &blob, &plan).await {
        Ok(r) => r,
        Err(e) => {
            links::release(&state, &link.id, reserved).await?;
            return Err(e);
        }
    };
    let delivery = Delivery {
        state: state.clone(),
        ctx: ctx.0,
        link_id: link.id.clone(),
        file_id: file.id.clone(),
        folder_id: file.folder_id.clone(),
        reserved,
        content_len,
        credit,
        start,
        unit_bytes: link.unit_bytes,
        contiguous,
        client_key,
    };
    Ok(response.map(|body| axum::body::Body::new(Metered::new(body, delivery))))
}

/// `HEAD /d/{token}`: the headers of a whole download (size, `ETag`, name, `Accept-Ranges`), so
/// that a client can plan ranged requests before the first byte. Nothing is reserved, counted
/// or audited: no byte of the file is sent. `410 link_exhausted` once the budget is used up.
/// A watermarked copy is made per download, so its size and checksum are not known ahead:
/// its `HEAD` has neither, nor `Accept-Ranges`.
async fn head(state: &AppState, link: &Link, file: &File) -> ApiResult<Response> {
    if link.budget_spent() {
        return Err(Error::LinkExhausted.into());
    }
    if link.watermark() {
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, &file.mime_type)
            .header(
                header::CONTENT_DISPOSITION,
                content::content_disposition(&file.name),
            )
            .header(header::CACHE_CONTROL, "private, no-store")
            // A body of unknown length, so no `Content-Length: 0` is made up for it.
            .body(axum::body::Body::from_stream(futures::stream::empty::<
                Result<bytes::Bytes, std::io::Error>,
            >()))
            .map_err(ApiError::internal);
    }
    let blob = Blob::of(file);
    content::respond(&state.blobs, &blob, &Plan::Full).await
}
