//! Profile pictures (`/me/picture`, `/users/{user_id}/picture`) and company logos
//! (`/companies/{company_id}/logo`, and `/links/{token}/logo` for a link's landing page).
//! Images are sent with `X-Content-Type-Options: nosniff` and `Content-Security-Policy:
//! sandbox`, as thumbnails are. Who may see and change what is ferry-app's access policy.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::pictures::{self, Image, PictureSize};
use ferry_app::render::Format;
use futures::StreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::conditional::is_current;
use crate::http::extract::ApiQuery;
use crate::http::views::user_view_of;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_mine, delete_mine))
        .routes(routes!(get_picture, put_picture, delete_picture))
        .routes(routes!(get_logo, put_logo, delete_logo))
        .routes(routes!(link_logo))
}

/// A fetched picture may be kept this long before it is asked for again (with
/// `If-None-Match`): a new picture has a new URL anyway (its `?v=`).
const CACHE: &str = "private, max-age=300";

/// PNG when `Accept` names PNG and not WebP; WebP otherwise.
fn format_for(headers: &HeaderMap) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if accept.contains("image/png") && !accept.contains("image/webp") {
        Format::Png
    } else {
        Format::Webp
    }
}

/// Sends an image, or `304` when `If-None-Match` names it.
fn send(image: Image, headers: &HeaderMap) -> ApiResult<Response> {
    let builder = Response::builder()
        .header(header::ETAG, &image.etag)
        .header(header::CACHE_CONTROL, CACHE)
        .header(header::VARY, "Accept")
        .header("x-content-type-options", "nosniff")
        .header(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox"),
        );
    let response = if is_current(headers, &image.etag) {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        builder
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, image.mime_type)
            .header(header::CONTENT_LENGTH, image.bytes.len())
            .body(Body::from(image.bytes))
    };
    response.map_err(ApiError::internal)
}

/// How much more of a body that grew past the limit is read (and dropped) before the
/// answer, so that the client, still sending, reads the `413` instead of a reset connection.
const DRAIN_BYTES: u64 = 8 * 1024 * 1024;

/// Reads an uploaded image: a `Content-Length` over the limit is refused before a byte is
/// read; a body without one (chunked) that grows past it is refused once it does (what else
/// the client sends is read up to [`DRAIN_BYTES`] and dropped).
async fn read_image(headers: &HeaderMap, body: Body) -> ApiResult<Vec<u8>> {
    let too_large = ferry_app::Error::PayloadTooLarge {
        limit: pictures::MAX_BYTES,
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > pictures::MAX_BYTES) {
        return Err(too_large.into());
    }
    let mut stream = body.into_data_stream();
    let mut data = Vec::with_capacity(declared.unwrap_or(0) as usize);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ferry_app::Error::BodyRead)?;
        if (data.len() + chunk.len()) as u64 > pictures::MAX_BYTES {
            let mut drained = 0u64;
            while let Some(Ok(chunk)) = stream.next().await {
                drained += chunk.len() as u64;
                if drained > DRAIN_BYTES {
                    break;
                }
            }
            return Err(too_large.into());
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// The query of `GET /users/{user_id}/picture`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PictureQuery {
    /// The side of the square picture in pixels: 32, 64, 128 (the default) or 256.
    size: Option<u32>,
    /// The picture's version, as in `picture_url` (any value is accepted: it only keeps
    /// caches apart).
    #[allow(dead_code)]
    v: Option<String>,
}

/// The query of the logo routes.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LogoQuery {
    /// The logo's version, as in `branding.logo_url` (only keeps caches apart).
    #[allow(dead_code)]
    v: Option<String>,
}

/// Set the caller's profile picture. The body is the image itself (PNG, JPEG, WebP or GIF,
/// told by its content whatever `Content-Type` says; at most 5 MiB, 50 megapixels). What is
/// kept is re-encoded from its pixels, at most 512 px on the longest side: EXIF (with any
/// GPS position) and other metadata are dropped. Audited as `user.picture_changed`.
#[utoipa::path(put, path = "/me/picture", tag = "pictures",
    request_body(content(
        (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/webp"),
        (Vec<u8> = "image/gif"), (Vec<u8> = "application/octet-stream"))),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The caller, with its new `picture_url`", body = api::User),
        (status = 400, description = "`invalid_image`: not one of the formats, damaged, or more pixels than allowed", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 413, description = "`payload_too_large`: more than 5 MiB", body = api::ErrorBody)))]
async fn put_mine(
    State(state): State<AppState>,
    me: AuthUser,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<axum::Json<api::User>> {
    let data = read_image(&headers, body).await?;
    let user = pictures::set_user_picture(&state, &me.caller(), None, data).await?;
    Ok(axum::Json(
        crate::http::auth::my_view(&state, &me, &user).await?,
    ))
}

/// Remove the caller's profile picture (`204` also when there was none). Audited as
/// `user.picture_removed`.
#[utoipa::path(delete, path = "/me/picture", tag = "pictures",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "No picture any more"),
        (status = 401, body = api::ErrorBody)))]
async fn delete_mine(State(state): State<AppState>, me: AuthUser) -> ApiResult<StatusCode> {
    pictures::remove_user_picture(&state, &me.caller(), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's profile picture: square (centre-cropped), `size` × `size` pixels, lossless WebP,
/// or PNG when `Accept` asks for `image/png` (and not WebP). Seen by the user, their admins
/// (system admins; company admins for their company's users) and the members of the user's
/// company; for anyone else, and for a user without a picture, `404`. `ETag`, `304` on
/// `If-None-Match`.
#[utoipa::path(get, path = "/users/{user_id}/picture", tag = "pictures",
    params(("user_id" = String, Path), PictureQuery),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The picture", content(
            (Vec<u8> = "image/webp"), (Vec<u8> = "image/png"))),
        (status = 304, description = "If-None-Match matched"),
        (status = 400, description = "`invalid_value`: a size other than 32, 64, 128 or 256; `invalid_query`", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such user, not visible, or no picture", body = api::ErrorBody)))]
async fn get_picture(
    State(state): State<AppState>,
    me: AuthUser,
    Path(user_id): Path<String>,
    ApiQuery(query): ApiQuery<PictureQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let size = match query.size {
        None => PictureSize::Px128,
        Some(px) => PictureSize::parse(px).ok_or_else(|| {
            ferry_app::Error::invalid("size", "invalid_value", "size must be 32, 64, 128 or 256.")
        })?,
    };
    let image =
        pictures::user_picture(&state, &me.caller(), &user_id, size, format_for(&headers)).await?;
    send(image, &headers)
}

/// Set a user's profile picture as their admin (system admins any user's; company admins
/// their company's users'; a user may name themselves). The body and the checks are those
/// of `PUT /me/picture`. Audited as `user.picture_changed` on the user.
#[utoipa::path(put, path = "/users/{user_id}/picture", tag = "pictures",
    params(("user_id" = String, Path)),
    request_body(content(
        (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/webp"),
        (Vec<u8> = "image/gif"), (Vec<u8> = "application/octet-stream"))),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The user, with its new `picture_url`", body = api::User),
        (status = 400, description = "`invalid_image`", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`forbidden`: not an admin; `permission_denied`: a company admin and a system admin or moderator", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such user within the caller's reach", body = api::ErrorBody),
        (status = 413, description = "`payload_too_large`: more than 5 MiB", body = api::ErrorBody)))]
async fn put_picture(
    State(state): State<AppState>,
    me: AuthUser,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<axum::Json<api::User>> {
    let data = read_image(&headers, body).await?;
    let user = pictures::set_user_picture(&state, &me.caller(), Some(&user_id), data).await?;
    Ok(axum::Json(user_view_of(&state, &user).await?))
}

/// Remove a user's profile picture as their admin (`204` also when there was none). Audited
/// as `user.picture_removed` on the user.
#[utoipa::path(delete, path = "/users/{user_id}/picture", tag = "pictures",
    params(("user_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "No picture any more"),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`forbidden` or `permission_denied`", body = api::ErrorBody),
        (status = 404, description = "`not_found`", body = api::ErrorBody)))]
async fn delete_picture(
    State(state): State<AppState>,
    me: AuthUser,
    Path(user_id): Path<String>,
) -> ApiResult<StatusCode> {
    pictures::remove_user_picture(&state, &me.caller(), Some(&user_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A company's logo, at most 512 px on its longest side, aspect kept; lossless WebP, or PNG
/// when `Accept` asks for `image/png` (and not WebP). Seen by who sees the company (system
/// admins, its members); a link's landing page uses `GET /links/{token}/logo` instead.
#[utoipa::path(get, path = "/companies/{company_id}/logo", tag = "pictures",
    params(("company_id" = String, Path), LogoQuery),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The logo", content(
            (Vec<u8> = "image/webp"), (Vec<u8> = "image/png"))),
        (status = 304, description = "If-None-Match matched"),
        (status = 401, body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such company, not the caller's, or no logo", body = api::ErrorBody)))]
async fn get_logo(
    State(state): State<AppState>,
    me: AuthUser,
    Path(company_id): Path<String>,
    ApiQuery(_version): ApiQuery<LogoQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let image = pictures::logo(&state, &me.caller(), &company_id, format_for(&headers)).await?;
    send(image, &headers)
}

/// Set a company's logo (system admins; the company's admins). The body and the checks are
/// those of `PUT /me/picture`; the logo keeps its aspect. From then on `branding.logo_url`
/// points at Ferry's copy (on the company and in its users' link info). Audited as
/// `company.logo_changed`.
#[utoipa::path(put, path = "/companies/{company_id}/logo", tag = "pictures",
    params(("company_id" = String, Path)),
    request_body(content(
        (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/webp"),
        (Vec<u8> = "image/gif"), (Vec<u8> = "application/octet-stream"))),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The company, with its new `branding.logo_url`", body = api::Company),
        (status = 400, description = "`invalid_image`", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`permission_denied`: a member who does not administer the company", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such company, or not the caller's", body = api::ErrorBody),
        (status = 413, description = "`payload_too_large`: more than 5 MiB", body = api::ErrorBody)))]
async fn put_logo(
    State(state): State<AppState>,
    me: AuthUser,
    Path(company_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<axum::Json<api::Company>> {
    let data = read_image(&headers, body).await?;
    let company = pictures::set_logo(&state, &me.caller(), &company_id, data).await?;
    Ok(axum::Json(crate::http::companies::view(&company)))
}

/// Remove a company's uploaded logo (`204` also when there was none). Audited as
/// `company.logo_removed`.
#[utoipa::path(delete, path = "/companies/{company_id}/logo", tag = "pictures",
    params(("company_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "No uploaded logo any more"),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`permission_denied`", body = api::ErrorBody),
        (status = 404, description = "`not_found`", body = api::ErrorBody)))]
async fn delete_logo(
    State(state): State<AppState>,
    me: AuthUser,
    Path(company_id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    pictures::remove_logo(&state, &me.caller(), &company_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logo of the company of a link's creator, for the link's landing page: no login and
/// no password needed (the landing page shows it before unlocking), for file, folder and
/// upload links alike. This is the `branding.logo_url` of `GET /links/{token}/info`.
#[utoipa::path(get, path = "/links/{token}/logo", tag = "links",
    params(("token" = String, Path), LogoQuery),
    responses(
        (status = 200, description = "The logo", content(
            (Vec<u8> = "image/webp"), (Vec<u8> = "image/png"))),
        (status = 304, description = "If-None-Match matched"),
        (status = 404, description = "`not_found`: a malformed or forged token, or no logo", body = api::ErrorBody),
        (status = 410, description = "`link_expired`, `link_exhausted`, `link_revoked`, `file_held`, `file_expired` or `folder_expired`", body = api::ErrorBody)))]
async fn link_logo(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiQuery(_version): ApiQuery<LogoQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let image = pictures::link_logo(&state, &token, format_for(&headers)).await?;
    send(image, &headers)
}
