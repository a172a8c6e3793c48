//! Download links: create, list and revoke under `/api/v1`; a link's landing-page info and
//! unlocking it with its password (no login); and the public `GET /d/{token}`, which takes a
//! link access token as `X-Link-Access` or as the `ferry_link_access` cookie.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::folder_links;
use ferry_app::links::{self, Delivery, LinkState, NewLinkRequest, Settlement};
use ferry_core::timefmt::rfc3339;
use ferry_store::files::File;
use ferry_store::folder_links::FolderLink;
use ferry_store::links::Link;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::content::{self, Blob, Delivery as Plan};
use crate::http::context::Ctx;
use crate::http::extract::{ApiJson, ApiQuery, Page, encode_cursor, paginate};
use crate::links::Metered;
use ferry_app::Error;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(create_for_folder))
        .routes(routes!(items))
        .routes(routes!(save))
        .routes(routes!(list))
        .routes(routes!(revoke, update))
        .routes(routes!(mine))
        .routes(routes!(info))
        .routes(routes!(unlock))
}

/// The header a link access token comes in.
pub const ACCESS_HEADER: &str = "x-link-access";
/// The cookie a browser keeps its link access token in.
pub const ACCESS_COOKIE: &str = "ferry_link_access";
/// At most this many candidate access tokens are looked at per request.
const MAX_ACCESS_TOKENS: usize = 8;

/// The link access tokens a request carries: `X-Link-Access` headers, then
/// `ferry_link_access` cookies (a browser may hold several under different paths).
pub(crate) fn access_tokens(headers: &HeaderMap) -> Vec<String> {
    let from_header = headers
        .get_all(ACCESS_HEADER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let from_cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| name.trim() == ACCESS_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"').to_string());
    from_header
        .chain(from_cookies)
        .filter(|t| !t.is_empty())
        .take(MAX_ACCESS_TOKENS)
        .collect()
}

pub fn public_router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/d/{token}", axum::routing::get(download))
        .route("/d/{token}/{*path}", axum::routing::get(download_in_folder))
}

fn link_view(state: &AppState, l: &Link, now: i64) -> api::Link {
    api::Link {
        id: l.id.to_string(),
        url: links::url(state, l),
        expires_at: rfc3339(l.expires_at),
        max_downloads: l.max_downloads,
        downloads_used: l.downloads_used(),
        bytes_delivered: l.bytes_delivered,
        watermark: l.watermark(),
        created_at: rfc3339(l.created_at),
        status: LinkState::of(l, now).as_str().into(),
        file_id: l.file_id.to_string(),
        password_required: l.password_required(),
        kind: "download".into(),
        folder_id: None,
        max_files: None,
        max_bytes: None,
        files_used: None,
        bytes_used: None,
        subfolder_per_upload: None,
        show_location: l.show_location(),
    }
}

fn folder_link_view(state: &AppState, l: &FolderLink, now: i64) -> api::Link {
    api::Link {
        id: l.id.to_string(),
        url: folder_links::url(state, l),
        expires_at: rfc3339(l.expires_at),
        max_downloads: l.max_downloads,
        downloads_used: l.downloads_used,
        bytes_delivered: l.bytes_delivered,
        watermark: false,
        created_at: rfc3339(l.created_at),
        status: folder_links::state_of(l, now).as_str().into(),
        file_id: String::new(),
        password_required: l.password_required(),
        kind: "download".into(),
        folder_id: Some(l.folder_id.to_string()),
        max_files: None,
        max_bytes: None,
        files_used: None,
        bytes_used: None,
        subfolder_per_upload: None,
        show_location: l.show_location(),
    }
}

/// Create a signed, short-lived download link for a folder: anyone holding it may list the
/// folder's live contents (`GET /links/{token}/items`) and download them, one file at a time
/// (`GET /d/{token}/{path}`) or as a zip (`GET /d/{token}?format=zip[&path=]`). `max_downloads`
/// applies to each file (each file version's budget is `max_downloads × size`); a zip counts as
/// one download of every file in it. The link's `url` is its landing page (`/s/{token}`).
/// Folder links carry no watermark (`422 watermark_unsupported`).
#[utoipa::path(post, path = "/folders/{folder_id}/download-link", tag = "links", params(("folder_id" = String, Path)),
    request_body = api::CreateLink,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Link),
        (status = 400, description = "`invalid_value` (expires_in, max_downloads), `invalid_password` (8 to 256 characters)", body = api::ErrorBody),
        (status = 403, description = "`permission_denied`: no `share` on the folder", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`folder_expired`", body = api::ErrorBody),
        (status = 422, description = "`watermark_unsupported`: folder links carry no watermark", body = api::ErrorBody)))]
async fn create_for_folder(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::CreateLink>,
) -> ApiResult<impl IntoResponse> {
    let request = NewLinkRequest {
        expires_in: body.expires_in,
        max_downloads: body.max_downloads,
        watermark: body.watermark.unwrap_or(false),
        password: body.password,
        show_location: body.show_location.unwrap_or(false),
    };
    let link = folder_links::create(&state, &me.caller(), &id, request).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(folder_link_view(&state, &link, state.now_ms())),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ItemsQuery {
    /// A folder under the link's folder, `/`-separated (absent or empty: the link's folder).
    path: Option<String>,
    /// 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    cursor: Option<String>,
    /// `media`: each file with its media metadata (GPS only when the link shows it).
    fields: Option<String>,
}

/// One page of a folder link's folder (or of a folder under it): its live subfolders, then
/// its live files, each by name, with each file's downloads left and download URL (and with
/// `?fields=media` its media metadata, GPS only if the link was made with `show_location`).
/// No login; a link with a password needs a link access token (`X-Link-Access` or the cookie).
#[utoipa::path(get, path = "/links/{token}/items", tag = "links", params(("token" = String, Path), ItemsQuery),
    responses(
        (status = 200, body = api::LinkItems),
        (status = 400, description = "`invalid_value` (limit, fields), `invalid_cursor`", body = api::ErrorBody),
        (status = 401, description = "`link_password_required`", body = api::ErrorBody),
        (status = 404, description = "`not_found`: a forged token, not a folder link, or no such folder under it", body = api::ErrorBody),
        (status = 410, description = "`link_expired`, `link_revoked` or `folder_expired`", body = api::ErrorBody)))]
async fn items(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
    headers: HeaderMap,
) -> ApiResult<axum::Json<api::LinkItems>> {
    let with_media = crate::http::files::FieldsQuery { fields: q.fields }.wants_media()?;
    let page = Page {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after: Option<folder_links::ItemsCursor> = page.cursor()?;
    let opened = folder_links::open(&state, &token, &access_tokens(&headers)).await?;
    let path = q.path.unwrap_or_default();
    let found = folder_links::items(&state, &opened, &path, after, limit).await?;
    let mut media = Vec::with_capacity(found.files.len());
    for (f, _) in &found.files {
        media.push(if with_media {
            ferry_app::media::through_folder_link(&state, &opened, f)
                .await?
                .map(|m| Box::new(crate::http::views::media_view(m)))
        } else {
            None
        });
    }
    let base = format!("{}/d/{}", state.config.public_url(), token);
    let within = |name: &str| {
        if found.path.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", found.path)
        }
    };
    Ok(axum::Json(api::LinkItems {
        path: found.path.clone(),
        folders: found
            .folders
            .iter()
            .map(|f| api::LinkFolderItem {
                name: f.name.clone(),
                path: within(&f.name),
                modified_at: rfc3339(f.updated_at),
            })
            .collect(),
        files: found
            .files
            .iter()
            .zip(media)
            .map(|((f, counted), media)| {
                let path = within(&f.name);
                api::LinkFileItem {
                    name: f.name.clone(),
                    url: format!("{base}/{}", encode_path(&path)),
                    path,
                    size: f.size,
                    checksum_sha256: f.sha256.clone(),
                    mime_type: f.mime_type.clone(),
                    modified_at: rfc3339(f.updated_at),
                    downloads_left: folder_links::downloads_left(&opened.link, counted.as_ref()),
                    media,
                }
            })
            .collect(),
        next_cursor: found.next.as_ref().map(encode_cursor),
    }))
}

/// Save what a link gives to one of the caller's folders (seed 001's "add to storage"): the
/// linked file, or a folder link's folder (or `path`, a file or folder under it). No bytes are
/// copied; the destination's owner pays the quota. Counts as one download of every file saved
/// (refused as a whole with `410 link_exhausted` when one file's downloads are used up). A
/// link with a password needs its link access token (`X-Link-Access` or the cookie) as well
/// as the caller's credentials. Folders of more than `tasks.inline_max_items` files:
/// `400 too_many_files`.
#[utoipa::path(post, path = "/links/{token}/save", tag = "links", params(("token" = String, Path)),
    request_body = api::SaveLink,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Resolved),
        (status = 400, description = "`invalid_value` (on_conflict), `invalid_name`, `too_many_files`", body = api::ErrorBody),
        (status = 401, description = "`unauthorized`, `link_password_required`", body = api::ErrorBody),
        (status = 403, description = "`permission_denied`: no `write` on the folder", body = api::ErrorBody),
        (status = 404, description = "`not_found`: a forged token, no such item under a folder link, or no such folder of the caller's", body = api::ErrorBody),
        (status = 409, description = "`name_conflict` (on_conflict `fail`)", body = api::ErrorBody),
        (status = 410, description = "`link_expired`, `link_exhausted`, `link_revoked`, `file_held`, `file_expired` or `folder_expired`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded`", body = api::ErrorBody),
        (status = 422, description = "`watermark_unsupported`: a watermarked link gives marked copies only", body = api::ErrorBody)))]
async fn save(
    State(state): State<AppState>,
    me: AuthUser,
    Path(token): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<api::SaveLink>,
) -> ApiResult<impl IntoResponse> {
    let caller = me.caller();
    let request = ferry_app::link_save::SaveRequest {
        folder_id: &body.folder_id,
        path: body.path.as_deref().unwrap_or(""),
        name: body.name.as_deref(),
        on_conflict: crate::http::folders::on_conflict(body.on_conflict.as_deref())?,
    };
    let saved =
        ferry_app::link_save::save(&state, &caller, &token, &access_tokens(&headers), request)
            .await?;
    let view = match saved {
        ferry_app::link_save::Saved::File(e) => api::Resolved {
            kind: "file".into(),
            file: Some(crate::http::views::file_entry_view(&e)),
            folder: None,
        },
        ferry_app::link_save::Saved::Folder(e) => api::Resolved {
            kind: "folder".into(),
            file: None,
            folder: Some(crate::http::views::folder_entry_view(&caller, &e)),
        },
    };
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// A path for a URL: each segment percent-encoded.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// What a URL path segment must encode (RFC 3986 `pchar` keeps the rest).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Create a signed, short-lived download link for a file.
#[utoipa::path(post, path = "/files/{file_id}/download-link", tag = "links", params(("file_id" = String, Path)),
    request_body = api::CreateLink,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Link),
        (status = 400, description = "`invalid_value` (expires_in, max_downloads), `invalid_password` (8 to 256 characters)", body = api::ErrorBody),
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
        password: body.password,
        show_location: body.show_location.unwrap_or(false),
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

/// Change a download or folder link: `show_location` lets its recipients see (or no longer
/// see) GPS positions in the media metadata of its files. Needs `share` on the linked file or
/// folder; audited as `link.updated`. Upload links show no media (`400 invalid_value`).
#[utoipa::path(patch, path = "/links/{link_id}", tag = "links", params(("link_id" = String, Path)),
    request_body = api::UpdateLink,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Link),
        (status = 400, description = "`invalid_value`: an upload link", body = api::ErrorBody),
        (status = 403, description = "`permission_denied`: no `share` on the linked file or folder", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::UpdateLink>,
) -> ApiResult<axum::Json<api::Link>> {
    let now = state.now_ms();
    let view = match links::update(&state, &me.caller(), &id, body.show_location).await? {
        links::Updated::File(l) => link_view(&state, &l, now),
        links::Updated::Folder(l) => folder_link_view(&state, &l, now),
    };
    Ok(axum::Json(view))
}

/// `kind` of `GET /links`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum KindParam {
    Download,
    Upload,
}

/// `state` of `GET /links`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum StateParam {
    Active,
    Expired,
    Revoked,
    Exhausted,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct MineQuery {
    /// `download` or `upload`; both when absent.
    #[param(inline)]
    kind: Option<KindParam>,
    /// Links in this state now (the `status` of each link shown).
    #[param(inline)]
    state: Option<StateParam>,
    /// Only download links to files directly in this folder, and upload links into it.
    folder_id: Option<String>,
    /// 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// The caller's download and upload links (admins: everyone's), newest first, paged with
/// `limit` and `cursor`.
#[utoipa::path(get, path = "/links", tag = "links", params(MineQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::LinkList), (status = 400, body = api::ErrorBody)))]
async fn mine(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<MineQuery>,
) -> ApiResult<axum::Json<api::LinkList>> {
    let page = Page {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let before: Option<(i64, String)> = page.cursor()?;
    let request = links::ListRequest {
        kind: q.kind.map(|k| match k {
            KindParam::Download => links::LinkKind::Download,
            KindParam::Upload => links::LinkKind::Upload,
        }),
        state: q.state.map(|s| match s {
            StateParam::Active => LinkState::Active,
            StateParam::Expired => LinkState::Expired,
            StateParam::Revoked => LinkState::Revoked,
            StateParam::Exhausted => LinkState::Exhausted,
        }),
        folder_id: q.folder_id,
    };
    let caller = me.caller();
    let now = state.now_ms();
    // Both kinds are ordered by (created_at, id), newest first, and paged by the same cursor:
    // merging a page of each gives the page of both.
    let mut found: Vec<(i64, ferry_core::LinkId, api::Link)> = Vec::new();
    if request.kind != Some(links::LinkKind::Upload) {
        let downloads = links::list(&state, &caller, &request, before.clone(), limit).await?;
        found.extend(
            downloads
                .iter()
                .map(|l| (l.created_at, l.id.clone(), link_view(&state, l, now))),
        );
        let folder_downloads = folder_links::list(
            &state,
            &caller,
            request.state,
            request.folder_id.as_deref(),
            before.clone(),
            limit,
        )
        .await?;
        found.extend(
            folder_downloads
                .iter()
                .map(|l| (l.created_at, l.id.clone(), folder_link_view(&state, l, now))),
        );
    }
    if request.kind != Some(links::LinkKind::Download) {
        let uploads = ferry_app::upload_links::list(
            &state,
            &caller,
            request.state,
            request.folder_id.as_deref(),
            before,
            limit,
        )
        .await?;
        found.extend(uploads.iter().map(|l| {
            (
                l.created_at,
                l.id.clone(),
                crate::http::upload_links::link_view(&state, l, now),
            )
        }));
    }
    found.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    found.truncate(limit as usize + 1);
    let (found, next_cursor) = paginate(found, limit, |l| (l.0, l.1.to_string()));
    Ok(axum::Json(api::LinkList {
        links: found.into_iter().map(|l| l.2).collect(),
        next_cursor,
    }))
}

/// What a landing page needs to know of a link (no login, no password; counts nothing). An
/// expired, revoked or used-up link gets the error a download would. `?fields=media` adds a
/// file link's media metadata (GPS only if the link was made with `show_location`); that
/// needs what a download needs: a link with a password, its link access token.
#[utoipa::path(get, path = "/links/{token}/info", tag = "links", params(("token" = String, Path), crate::http::files::FieldsQuery),
    responses(
        (status = 200, body = api::LinkInfo),
        (status = 400, description = "`invalid_value`: `fields` names something else than `media`", body = api::ErrorBody),
        (status = 401, description = "`link_password_required`: `fields=media` on a link with a password, without its link access token", body = api::ErrorBody),
        (status = 404, description = "`not_found`: a malformed or forged token", body = api::ErrorBody),
        (status = 410, description = "`link_expired`, `link_exhausted`, `link_revoked`, `file_held`, `file_expired` or `folder_expired`", body = api::ErrorBody)))]
async fn info(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiQuery(q): ApiQuery<crate::http::files::FieldsQuery>,
    headers: HeaderMap,
) -> ApiResult<axum::Json<api::LinkInfo>> {
    let with_media = q.wants_media()?;
    let (link, file) = match links::info(&state, &token).await {
        Err(Error::NotFound) => match folder_links::info(&state, &token).await {
            Err(Error::NotFound) => {
                return Ok(axum::Json(
                    crate::http::upload_links::info(&state, &token).await?,
                ));
            }
            other => {
                let (link, folder) = other?;
                return Ok(axum::Json(api::LinkInfo {
                    kind: "folder".into(),
                    name: folder.name,
                    size: None,
                    expires_at: rfc3339(link.expires_at),
                    downloads_left: link.max_downloads,
                    password_required: link.password_required(),
                    watermark: false,
                    files_left: None,
                    bytes_left: None,
                    max_files: None,
                    max_bytes: None,
                    branding: crate::http::upload_links::branding(&state, &token, &link.creator_id)
                        .await?,
                    media: None,
                }));
            }
        },
        other => other?,
    };
    let media = if with_media {
        ferry_app::media::through_link(&state, &token, &access_tokens(&headers))
            .await?
            .map(|m| Box::new(crate::http::views::media_view(m)))
    } else {
        None
    };
    Ok(axum::Json(api::LinkInfo {
        kind: "file".into(),
        name: file.name.clone(),
        size: Some(file.size),
        expires_at: rfc3339(link.expires_at),
        downloads_left: link
            .max_downloads
            .map(|max| (max - link.downloads_used()).max(0)),
        password_required: link.password_required(),
        watermark: link.watermark(),
        files_left: None,
        bytes_left: None,
        max_files: None,
        max_bytes: None,
        branding: crate::http::upload_links::branding(&state, &token, &link.creator_id).await?,
        media,
    }))
}

/// Unlock a link with its password: a link access token for this link only (send it as
/// `X-Link-Access` with `GET /d/{token}`; browsers get it as the `ferry_link_access` cookie).
/// Too many wrong passwords on one link: `429 too_many_attempts` with `Retry-After`.
#[utoipa::path(post, path = "/links/{token}/unlock", tag = "links", params(("token" = String, Path)),
    request_body = api::UnlockLink,
    responses(
        (status = 200, body = api::LinkAccess, headers(("Set-Cookie" = String, description = "`ferry_link_access=<token>; HttpOnly; SameSite=Lax; Path=/`"))),
        (status = 401, description = "`invalid_link_password`", body = api::ErrorBody),
        (status = 404, description = "`not_found`: a malformed or forged token", body = api::ErrorBody),
        (status = 410, description = "`link_expired`, `link_revoked`, `file_held`, `file_expired` or `folder_expired`", body = api::ErrorBody),
        (status = 429, description = "`too_many_attempts`: too many wrong passwords on this link", body = api::ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds until the link accepts attempts again")))))]
async fn unlock(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<api::UnlockLink>,
) -> ApiResult<Response> {
    let access = ferry_app::link_access::unlock(&state, &ctx.0, &token, &body.password).await?;
    let max_age = ((access.expires_at - state.now_ms()) / 1000).max(0);
    let secure = if state.config.public_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{ACCESS_COOKIE}={}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}",
        access.token
    );
    let mut response = axum::Json(api::LinkAccess {
        link_access_token: access.token,
        expires_at: rfc3339(access.expires_at),
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie.parse().map_err(ApiError::internal)?,
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("valid header"),
    );
    Ok(response)
}

/// `GET /d/{token}`: the file through a link (no login), with Range. The token's signature
/// and expiry are checked before the database is asked anything. A link with a password needs
/// a link access token for it (`401 link_password_required`). `HEAD` answers what a download
/// would get (see `head`). A folder link's token gets the folder (or `?path=` a folder under
/// it) as a zip.
async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    method: Method,
    Path(token): Path<String>,
    ApiQuery(q): ApiQuery<DownloadQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let access = access_tokens(&headers);
    let (link, file) = match links::open(&state, &token, &access).await {
        Err(Error::NotFound) => {
            let opened = folder_links::open(&state, &token, &access).await?;
            return folder_zip(&state, &ctx, &method, &headers, &opened, &q).await;
        }
        other => other?,
    };
    if method == Method::HEAD {
        return head(&state, &link, &file).await;
    }
    if link.watermark() {
        return crate::watermark::deliver(&state, &ctx, &link, &file, &headers).await;
    }
    deliver(&state, ctx, &headers, &link, &file, &link.id).await
}

/// The query of `GET /d/{token}` (folder links only).
#[derive(Debug, Deserialize)]
struct DownloadQuery {
    /// `zip` (the default, and the only format).
    format: Option<String>,
    /// A folder under the link's folder to zip instead of the whole.
    path: Option<String>,
}

/// A folder link's zip: what the requested range carries of each file is reserved from that
/// file's budget before the first byte (all or nothing), and settled when the body ends.
async fn folder_zip(
    state: &AppState,
    ctx: &Ctx,
    method: &Method,
    headers: &HeaderMap,
    opened: &folder_links::Opened,
    q: &DownloadQuery,
) -> ApiResult<Response> {
    if q.format.as_deref().is_some_and(|f| f != "zip") {
        return Err(ApiError::invalid(
            "format",
            "invalid_value",
            "A folder link downloads as `zip`.",
        ));
    }
    let archive = folder_links::archive(state, opened, q.path.as_deref().unwrap_or("")).await?;
    let planned = match crate::http::archives::plan(headers, &archive)? {
        Ok(planned) => planned,
        Err(not_modified) => return Ok(not_modified),
    };
    if *method == Method::HEAD {
        return crate::http::archives::respond(state, &archive, planned, |body| body);
    }
    let delivery =
        folder_links::reserve_archive(state, opened, &archive, &ctx.0, planned.start..planned.end)
            .await?;
    crate::http::archives::respond(state, &archive, planned, |body| {
        axum::body::Body::new(Metered::new(body, Settlement::Archive(delivery)))
    })
}

/// `GET /d/{token}/{path}`: one file under a folder link's folder, counted against that
/// file's budget as a file link counts its file.
async fn download_in_folder(
    State(state): State<AppState>,
    ctx: Ctx,
    method: Method,
    Path((token, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let opened = folder_links::open(&state, &token, &access_tokens(&headers)).await?;
    let (link, file) = folder_links::file(&state, &opened, &path).await?;
    if method == Method::HEAD {
        return head(&state, &link, &file).await;
    }
    deliver(&state, ctx, &headers, &link, &file, &opened.link.id).await
}

/// Sends a file through `link` (with `Range`), reserving the bytes first and settling what
/// was sent when the body ends; the receipt is filed under `receipt_link_id`.
async fn deliver(
    state: &AppState,
    ctx: Ctx,
    headers: &HeaderMap,
    link: &Link,
    file: &File,
    receipt_link_id: &str,
) -> ApiResult<Response> {
    let blob = Blob::of(file);
    let plan = content::plan(headers, &blob)?;
    if plan == Plan::NotModified {
        return content::respond(state, &blob, &plan).await;
    }
    let content_len = plan.bytes(blob.size) as i64;
    let start = match &plan {
        Plan::Ranges(r) => *r[0].start() as i64,
        _ => 0,
    };
    let contiguous = !matches!(&plan, Plan::Ranges(r) if r.len() > 1);
    let client_key = links::client_key(&ctx);
    let (reserved, credit) =
        links::reserve(state, link, &client_key, start, content_len, contiguous).await?;
    let response = match content::respond(state, &blob, &plan).await {
        Ok(r) => r,
        Err(e) => {
            links::release(state, &link.id, reserved).await?;
            return Err(e);
        }
    };
    let delivery = Delivery {
        state: state.clone(),
        ctx: ctx.0,
        link_id: link.id.to_string(),
        receipt_link_id: receipt_link_id.to_string(),
        file_id: file.id.to_string(),
        folder_id: file.folder_id.to_string(),
        reserved,
        content_len,
        credit,
        start,
        unit_bytes: link.unit_bytes,
        file_size: blob.size as i64,
        contiguous,
        client_key,
    };
    Ok(response.map(|body| axum::body::Body::new(Metered::new(body, Settlement::File(delivery)))))
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
    content::respond(state, &blob, &Plan::Full).await
}
