//! Upload links (file requests): creating one on a folder, the anonymous simple upload at
//! `POST /links/{token}/files`, and [`Who`], the principal of the resumable and tus doors:
//! a logged-in user, or whoever holds an upload link (`X-Link-Token`, plus a link access token
//! for a link with a password).

use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_app::files::Budget;
use ferry_app::upload_links::{self, NewUploadLinkRequest, Opened, Uploader};
use ferry_app::{AppState, Caller, Error};
use ferry_blob::{ByteStream, Staged};
use ferry_core::timefmt::rfc3339;
use ferry_core::validate;
use ferry_store::upload_links::UploadLink;
use ferry_store::uploads::Upload;
use futures::TryStreamExt;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::context::Ctx;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::views::file_view;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_upload_link))
        .routes(routes!(upload_through_link))
}

/// The header an upload link's token comes in (resumable and tus uploads).
pub const LINK_TOKEN_HEADER: &str = "x-link-token";

/// The wire form of an upload link.
pub fn link_view(state: &AppState, l: &UploadLink, now: i64) -> api::Link {
    api::Link {
        id: l.id.to_string(),
        url: upload_links::url(state, l),
        expires_at: rfc3339(l.expires_at),
        max_downloads: None,
        downloads_used: 0,
        bytes_delivered: 0,
        watermark: false,
        created_at: rfc3339(l.created_at),
        status: upload_links::state_of(l, now).as_str().into(),
        file_id: String::new(),
        password_required: l.password_required(),
        kind: "upload".into(),
        folder_id: Some(l.folder_id.to_string()),
        max_files: l.max_files,
        max_bytes: l.max_bytes,
        files_used: Some(l.files_used),
        bytes_used: Some(l.bytes_used),
        show_location: false,
        subfolder_per_upload: Some(l.subfolder_per_upload()),
    }
}

/// What `GET /links/{token}/info` answers for an upload link.
pub async fn info(state: &AppState, token: &str) -> ApiResult<api::LinkInfo> {
    let (link, folder) = upload_links::info(state, token).await?;
    Ok(api::LinkInfo {
        kind: "upload".into(),
        name: folder.name.clone(),
        size: None,
        expires_at: rfc3339(link.expires_at),
        downloads_left: None,
        password_required: link.password_required(),
        watermark: false,
        files_left: link.files_left(),
        bytes_left: link.bytes_left(),
        max_files: link.max_files,
        max_bytes: link.max_bytes,
        branding: branding(state, token, &link.creator_id).await?,
        media: None,
    })
}

/// The branding of the company of a link's creator, for the landing page of the link
/// `token`: an uploaded logo is served through the link (`GET /links/{token}/logo`), so that
/// an anonymous visitor sees it.
pub async fn branding(
    state: &AppState,
    token: &str,
    creator_id: &str,
) -> ApiResult<Option<api::Branding>> {
    let company = ferry_app::companies::of_link_creator(state, creator_id).await?;
    Ok(company.as_ref().map(|c| {
        let mut view = crate::http::companies::branding_view(c);
        if let Some(path) = ferry_app::pictures::link_logo_path(token, c) {
            view.logo_url = Some(path);
        }
        view
    }))
}

/// Create an upload link (a file request) on a folder: anyone holding it may upload into the
/// folder, and list or read nothing. Needs `share` on the folder.
#[utoipa::path(post, path = "/folders/{folder_id}/upload-link", tag = "links", params(("folder_id" = String, Path)),
    request_body = api::CreateUploadLink,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Link),
        (status = 400, description = "`invalid_value` (expires_in, max_files, max_bytes), `invalid_password` (8 to 256 characters)", body = api::ErrorBody),
        (status = 403, description = "`permission_denied`: no `share` on the folder", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`folder_expired`", body = api::ErrorBody)))]
async fn create_upload_link(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::CreateUploadLink>,
) -> ApiResult<impl IntoResponse> {
    let request = NewUploadLinkRequest {
        expires_in: body.expires_in,
        max_files: body.max_files,
        max_bytes: body.max_bytes,
        password: body.password,
        subfolder_per_upload: body.subfolder_per_upload.unwrap_or(false),
    };
    let link = upload_links::create(&state, &me.caller(), &id, request).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(link_view(&state, &link, state.now_ms())),
    ))
}

/// A header's value as text, if present and not empty.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The uploader's name and e-mail from `X-Uploader-Name` / `X-Uploader-Email`, else from
/// `name` / `email`.
fn uploader_of(
    headers: &HeaderMap,
    name: Option<String>,
    email: Option<String>,
) -> ApiResult<Uploader> {
    Ok(Uploader::checked(
        header_text(headers, "x-uploader-name").or(name),
        header_text(headers, "x-uploader-email").or(email),
    )?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LinkUploadQuery {
    /// The file's name (required for a raw body; defaults to the multipart file name).
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^/\\\x00-\x1f\x7f-\x9f\s.\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff][^/\\\x00-\x1f\x7f-\x9f\s\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    filename: Option<String>,
    /// The uploader's name (or `X-Uploader-Name`), kept on the file.
    #[param(max_length = 100)]
    name: Option<String>,
    /// The uploader's e-mail (or `X-Uploader-Email`), kept on the file.
    #[param(max_length = 254)]
    email: Option<String>,
}

/// Upload a whole file through an upload link (no login): a raw body with `filename`, or a
/// form with a `file` field. The file never replaces another: a taken name is renamed
/// (`name (1).ext`). A link with a password needs a link access token (`X-Link-Access` or the
/// `ferry_link_access` cookie). The answer's `path` is relative to the link's folder.
#[utoipa::path(post, path = "/links/{token}/files", tag = "links",
    params(("token" = String, Path), LinkUploadQuery,
        ("X-Link-Access" = Option<String>, Header, description = "A link access token, for a link with a password"),
        ("X-Uploader-Name" = Option<String>, Header, description = "The uploader's name"),
        ("X-Uploader-Email" = Option<String>, Header, description = "The uploader's e-mail")),
    request_body(content(
        (Vec<u8> = "application/octet-stream"),
        (Vec<u8> = "multipart/form-data"),
    ), description = "The raw bytes, or a form with a `file` field"),
    responses(
        (status = 201, body = api::File),
        (status = 400, description = "`invalid_name`, `missing_field`, `invalid_value`, `unsupported_content_type`, `invalid_multipart`", body = api::ErrorBody),
        (status = 401, description = "`link_password_required`", body = api::ErrorBody),
        (status = 404, description = "`not_found`: a malformed or forged token, or a download link's", body = api::ErrorBody),
        (status = 410, description = "`link_expired`, `link_revoked`, `link_exhausted` or `folder_expired`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded` or `file_too_large`; nothing is stored", body = api::ErrorBody)))]
async fn upload_through_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    ApiQuery(q): ApiQuery<LinkUploadQuery>,
    req: Request,
) -> ApiResult<impl IntoResponse> {
    let headers = req.headers().clone();
    let access = crate::http::links::access_tokens(&headers);
    let opened = upload_links::open(&state, &ctx.0, &token, &access, true).await?;
    let uploader = uploader_of(&headers, q.name.clone(), q.email.clone())?;
    let owner = {
        let mut conn = state.store.conn().await.map_err(ApiError::internal)?;
        ferry_store::users::get(&mut conn, &opened.folder.owner_id)
            .await
            .map_err(ApiError::internal)?
            .ok_or(Error::NotFound)?
    };
    let budget = Budget::for_user(&owner, state.config.limits.max_file_size);
    let (staged, name) = stage(&state, &budget, q.filename.clone(), req).await?;
    let file = upload_links::upload(&state, &opened, &uploader, &name, staged).await?;
    let path = relative_folder_path(&state, &opened, &file).await;
    Ok((StatusCode::CREATED, axum::Json(file_view(&file, &path))))
}

/// The path of a file's folder seen from the link's folder (`/`, or `/<subfolder>`).
async fn relative_folder_path(
    state: &AppState,
    opened: &Opened,
    file: &ferry_store::files::File,
) -> String {
    if file.folder_id == opened.folder.id {
        return "/".into();
    }
    let Ok(mut conn) = state.store.conn().await else {
        return "/".into();
    };
    match ferry_store::folders::get(&mut conn, &file.folder_id).await {
        Ok(Some(f)) => format!("/{}", f.name),
        _ => "/".into(),
    }
}

/// Stages a simple upload's body (raw, or a multipart `file` field): the bytes and the name.
async fn stage(
    state: &AppState,
    budget: &Budget,
    filename: Option<String>,
    req: Request,
) -> ApiResult<(Staged, String)> {
    let mime = crate::http::extract::media_type(req.headers());
    match mime.as_deref() {
        Some("multipart/form-data") => {
            let mut form = Multipart::from_request(req, state)
                .await
                .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
            let bad = |e: axum::extract::multipart::MultipartError| {
                ApiError::bad_request("invalid_multipart", e.body_text())
            };
            while let Some(field) = form.next_field().await.map_err(bad)? {
                if field.name() != Some("file") {
                    continue;
                }
                let name = filename
                    .clone()
                    .or_else(|| field.file_name().map(str::to_string))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "filename",
                            "missing_field",
                            "The `file` field needs a file name.",
                        )
                    })?;
                let name = validate::stored_name("filename", &name)?;
                let body: ByteStream<'_> =
                    Box::pin(field.map_err(|e| Box::new(e) as ferry_blob::BoxError));
                // The first `file` field is the upload; the rest of the form is not read.
                return Ok((budget.stage(state, body).await?, name));
            }
            Err(ApiError::invalid(
                "file",
                "missing_field",
                "The form has no `file` field.",
            ))
        }
        None | Some("application/octet-stream") => {
            crate::http::upload::stage_raw(state, budget, filename, req).await
        }
        Some(_) => Err(ApiError::UnsupportedContentType {
            expected: "application/octet-stream or multipart/form-data",
        }),
    }
}

/// Who is uploading on the resumable and tus doors: a logged-in user, or the holder of an
/// upload link (`X-Link-Token` instead of credentials).
pub enum Who {
    User(Box<AuthUser>),
    Link(Box<Opened>),
}

impl FromRequestParts<AppState> for Who {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let Some(token) = header_text(&parts.headers, LINK_TOKEN_HEADER) else {
            return Ok(Who::User(Box::new(
                AuthUser::from_request_parts(parts, state).await?,
            )));
        };
        let ctx = Ctx::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        let access = crate::http::links::access_tokens(&parts.headers);
        // Creating an upload needs room on the link; continuing one does not (the room is
        // taken already).
        let creating =
            parts.method == axum::http::Method::POST && !parts.uri.path().contains("/complete");
        let opened = upload_links::open(state, &ctx.0, &token, &access, creating).await?;
        Ok(Who::Link(Box::new(opened)))
    }
}

impl Who {
    /// The caller use cases run as (for a link: after [`Who::upload`] decided the upload).
    pub fn caller(&self) -> Caller {
        match self {
            Who::User(me) => me.caller(),
            Who::Link(opened) => opened.caller.clone(),
        }
    }

    /// An upload this principal may work on: a user's own (see `access::upload`), or one the
    /// link opened.
    pub async fn upload(&self, state: &AppState, id: &str) -> ApiResult<Upload> {
        Ok(match self {
            Who::User(me) => ferry_app::uploads::load(state, &me.caller(), id).await?,
            Who::Link(opened) => {
                ferry_app::access::upload_via_link(state, &opened.link.id, id).await?
            }
        })
    }

    /// The uploader's name and e-mail for a link upload, from the request's headers.
    pub fn uploader(
        headers: &HeaderMap,
        name: Option<String>,
        email: Option<String>,
    ) -> ApiResult<Uploader> {
        uploader_of(headers, name, email)
    }
}
