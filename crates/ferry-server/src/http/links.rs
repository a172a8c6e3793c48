//! Download links: create, list and revoke under `/api/v1`, and the public `GET /d/{token}`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_core::audit::Action;
use ferry_core::timefmt::{now_ms, rfc3339};
use ferry_core::{IdKind, Permission, validate};
use ferry_store::files::File;
use ferry_store::links::{Link, NewLink};
use serde_json::json;
use sha2::Digest;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::content::{self, Blob, Delivery as Plan};
use crate::http::context::Ctx;
use crate::http::extract::ApiJson;
use crate::http::files::load_file;
use crate::links::Metered;
use ferry_app::AppState;
use ferry_app::Error;
use ferry_app::audit;
use ferry_app::links::{self as signing, Delivery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list))
        .routes(routes!(revoke))
}

/// The public download route, outside `/api/v1`.
pub fn public_router() -> axum::Router<AppState> {
    axum::Router::new().route("/d/{token}", axum::routing::get(download))
}

/// Default lifetime of a link when the request names none.
const DEFAULT_EXPIRES_IN: i64 = 900;

/// Image types a watermark can be drawn on.
pub fn watermarkable(mime: &str) -> bool {
    matches!(mime, "image/png" | "image/jpeg")
}

fn link_view(state: &AppState, l: &Link, now: i64) -> api::Link {
    let status = if l.revoked_at.is_some() {
        "revoked"
    } else if l.expires_at <= now {
        "expired"
    } else if l.exhausted_at.is_some() {
        "exhausted"
    } else {
        "active"
    };
    api::Link {
        id: l.id.clone(),
        url: format!(
            "{}/d/{}",
            state.config.public_url(),
            signing::sign(&state.link_key, &l.id, l.expires_at)
        ),
        expires_at: rfc3339(l.expires_at),
        max_downloads: l.max_downloads,
        downloads_used: l.downloads_used(),
        bytes_delivered: l.bytes_delivered,
        watermark: l.watermark(),
        created_at: rfc3339(l.created_at),
        status: status.into(),
        file_id: l.file_id.clone(),
    }
}

fn check_live(file: &File, now: i64) -> ApiResult<()> {
    if file.is_held() {
        return Err(ApiError::App(Error::FileHeld));
    }
    if file.is_expired(now) {
        return Err(ApiError::App(Error::FileExpired));
    }
    Ok(())
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
    ctx: Ctx,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::CreateLink>,
) -> ApiResult<impl IntoResponse> {
    let (file, folder) = load_file(&state, &me.user, &id, Permission::Share).await?;
    let now = now_ms();
    check_live(&file, now)?;
    let max_expires = state.config.links.max_expires_in_secs.max(1);
    let expires_in = validate::in_range(
        "expires_in",
        body.expires_in
            .unwrap_or(DEFAULT_EXPIRES_IN.min(max_expires)),
        1..=max_expires,
    )?;
    let max_downloads = body
        .max_downloads
        .map(|m| validate::in_range("max_downloads", m, 1..=10_000))
        .transpose()?;
    let watermark = body.watermark.unwrap_or(false);
    if watermark && (!watermarkable(&file.mime_type) || file.size > crate::watermark::MAX_BYTES) {
        return Err(ApiError::App(Error::WatermarkUnsupported));
    }
    let link_id = IdKind::Link.generate();
    let expires_at = now + expires_in * 1000;
    let mut tx = state.store.begin().await?;
    ferry_store::links::insert(
        &mut tx,
        &NewLink {
            id: &link_id,
            file_id: &file.id,
            creator_id: &me.user.id,
            expires_at,
            max_downloads,
            unit_bytes: file.size.max(1),
            watermark,
            now,
        },
    )
    .await?;
    audit::success(&ctx, Some(&me.user), Action::LinkCreated, ("link", &link_id))
        .in_folder(&folder.id)
        .details(json!({"file_id": file.id, "expires_at": rfc3339(expires_at), "max_downloads": max_downloads, "watermark": watermark}))
        .append(&mut tx)
        .await?;
    let link = ferry_store::links::get(&mut tx, &link_id)
        .await?
        .ok_or(ApiError::App(Error::NotFound))?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(link_view(&state, &link, now)),
    ))
}

/// A file's download links, newest first.
#[utoipa::path(get, path = "/files/{file_id}/links", tag = "links", params(("file_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::LinkList), (status = 404, body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::LinkList>> {
    let (file, _) = load_file(&state, &me.user, &id, Permission::Share).await?;
    let mut conn = state.store.conn().await?;
    let links = ferry_store::links::for_file(&mut conn, &file.id).await?;
    let now = now_ms();
    Ok(axum::Json(api::LinkList {
        links: links.iter().map(|l| link_view(&state, l, now)).collect(),
    }))
}

/// Revoke a link: it answers `410 link_revoked` from now on.
#[utoipa::path(delete, path = "/links/{link_id}", tag = "links", params(("link_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204), (status = 404, body = api::ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if !IdKind::Link.matches(&id) {
        return Err(ApiError::App(Error::NotFound));
    }
    let link = {
        let mut conn = state.store.conn().await?;
        ferry_store::links::get(&mut conn, &id)
            .await?
            .ok_or(ApiError::App(Error::NotFound))?
    };
    // The creator may revoke; so may whoever may share the file (owner, admin).
    let (_, folder) = match load_file(&state, &me.user, &link.file_id, Permission::Share).await {
        Ok(found) => found,
        Err(ApiError::App(Error::NotFound)) if link.creator_id == me.user.id => {
            let mut conn = state.store.conn().await?;
            let file = ferry_store::files::get(&mut conn, &link.file_id)
                .await?
                .ok_or(ApiError::App(Error::NotFound))?;
            let folder = ferry_store::folders::get(&mut conn, &file.folder_id)
                .await?
                .ok_or(ApiError::App(Error::NotFound))?;
            (file, folder)
        }
        Err(e) => return Err(e),
    };
    let mut tx = state.store.begin().await?;
    if ferry_store::links::revoke(&mut tx, &id, now_ms()).await? {
        audit::success(&ctx, Some(&me.user), Action::LinkRevoked, ("link", &id))
            .in_folder(&folder.id)
            .details(json!({"file_id": link.file_id}))
            .append(&mut tx)
            .await?;
    }
    tx.commit().await?;
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
    let claims = signing::verify(&state.link_key, &token).ok_or(ApiError::App(Error::NotFound))?;
    let now = now_ms();
    if claims.expires_at <= now {
        return Err(ApiError::App(Error::LinkExpired));
    }
    let (link, file) = {
        let mut conn = state.store.conn().await?;
        let link = ferry_store::links::get(&mut conn, &claims.link_id)
            .await?
            .ok_or(ApiError::App(Error::NotFound))?;
        let file = ferry_store::files::get(&mut conn, &link.file_id)
            .await?
            .ok_or(ApiError::App(Error::NotFound))?;
        (link, file)
    };
    if link.revoked_at.is_some() {
        return Err(ApiError::App(Error::LinkRevoked));
    }
    check_live(&file, now)?;
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
    let client_key = hex::encode(sha2::Sha256::digest(format!(
        "{}|{}",
        ctx.ip.as_deref().unwrap_or(""),
        ctx.user_agent.as_deref().unwrap_or("")
    )));
    let (reserved, credit) = reserve(&state, &link, &client_key, start, content_len).await?;
    let response = match content::respond(&state.blobs, &blob, &plan).await {
        Ok(r) => r,
        Err(e) => {
            let mut tx = state.store.begin().await?;
            ferry_store::links::settle(&mut tx, &link.id, reserved, 0, now_ms()).await?;
            tx.commit().await?;
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
        return Err(ApiError::App(Error::LinkExhausted));
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

/// Reserves a delivery's bytes (less what an interrupted delivery to the same client already
/// paid for); `410 link_exhausted` if the budget cannot cover them. Returns the reservation
/// and the credit used.
pub async fn reserve(
    state: &AppState,
    link: &Link,
    client_key: &str,
    start: i64,
    content_len: i64,
) -> ApiResult<(i64, i64)> {
    let mut tx = state.store.begin().await?;
    let credit = ferry_store::links::take_credit(&mut tx, &link.id, client_key, start)
        .await?
        .min(content_len);
    // An empty file costs one unit per delivery.
    let reserved = if content_len == 0 {
        1
    } else {
        (content_len - credit).max(0)
    };
    if !ferry_store::links::reserve(&mut tx, &link.id, reserved).await? {
        let current = ferry_store::links::get(&mut tx, &link.id).await?;
        drop(tx);
        return Err(match current {
            Some(l) if l.revoked_at.is_some() => ApiError::App(Error::LinkRevoked),
            _ => ApiError::App(Error::LinkExhausted),
        });
    }
    tx.commit().await?;
    Ok((reserved, credit))
}
