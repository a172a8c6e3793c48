//! Seed 004's fileshare paths under `/fileshare/`, for scripts written against that service
//! (only the base URL changes): `POST /fileshare/uploads` (a form with a `file` and an
//! optional `ttl` in seconds, default 3600 as in the seed; HTTP Basic as with `curl --user`,
//! or bearer) and `GET /fileshare/uploads/{id}` (the bytes, with ranges). Errors have the
//! seed's shape, `{"message": "…"}`: `410 {"message":"upload expired"}` once the time to live
//! is over. The uploads land in the caller's `fileshare` folder (see
//! `ferry_app::fileshare`); everything else is the v1 API's use cases.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use ferry_app::files::{self, Budget};
use ferry_app::{AppState, Error, fileshare};
use ferry_blob::{ByteStream, Staged};
use ferry_core::wire::seed;
use ferry_core::{OnConflict, validate};
use futures::TryStreamExt;
use serde_json::json;

use crate::error::ApiError;
use crate::http::auth::AuthUser;
use crate::http::content::Blob;

/// The seed's default time to live of an upload (its `models.upload.ttl`).
const DEFAULT_TTL_SECS: i64 = 3600;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fileshare/uploads", post(upload))
        .route("/fileshare/uploads/{id}", get(download))
        .route(
            "/fileshare/sessions",
            post(create_session).get(list_sessions),
        )
        .route(
            "/fileshare/sessions/{sid}",
            get(get_session).delete(delete_session),
        )
        .route(
            "/fileshare/sessions/{sid}/files",
            get(session_files).post(add_file),
        )
        .route(
            "/fileshare/sessions/{sid}/files/{fid}",
            put(replace_file).delete(delete_file),
        )
        .route(
            "/fileshare/sessions/{sid}/files/{fid}/tokens",
            post(create_token),
        )
        .route(
            "/fileshare/sessions/{sid}/files/{fid}/tokens/{token}",
            get(redeem_token),
        )
}

/// An error in the seed's shape: `{"message": "…"}` with the status Ferry would give.
pub struct SeedError(ApiError);

impl From<ApiError> for SeedError {
    fn from(e: ApiError) -> Self {
        SeedError(e)
    }
}

impl From<Error> for SeedError {
    fn from(e: Error) -> Self {
        SeedError(e.into())
    }
}

impl IntoResponse for SeedError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let message = match &self.0 {
            ApiError::App(Error::FileExpired | Error::UploadExpired) => "upload expired".into(),
            ApiError::App(Error::FolderExpired) => "session expired".into(),
            ApiError::App(Error::NotFound) => "not found".into(),
            ApiError::App(Error::Unauthorized) => "unauthorized".into(),
            ApiError::App(Error::Internal(e)) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                "internal error".into()
            }
            other => other.to_string(),
        };
        let mut response = (status, Json(json!({ "message": message }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ferry\""),
            );
        }
        response
    }
}

type SeedResult<T> = Result<T, SeedError>;

fn bad(field: &str, message: &str) -> SeedError {
    SeedError(ApiError::invalid(field, "invalid_value", message))
}

/// The form's `file` (staged against the caller's quota) and its `ttl`, if it has one.
async fn receive(
    state: &AppState,
    caller: &ferry_app::Caller,
    req: Request,
) -> SeedResult<(Staged, String, Option<i64>)> {
    let mut form = Multipart::from_request(req, state)
        .await
        .map_err(|e| bad("file", &e.body_text()))?;
    let uploader = ferry_app::me::current(state, caller).await?;
    let budget = Budget::for_user(&uploader, state.config.limits.max_file_size);
    let mut staged: Option<(Staged, String)> = None;
    let mut ttl = None;
    let result: SeedResult<()> = async {
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| bad("file", &e.body_text()))?
        {
            match field.name() {
                Some("file") if staged.is_some() => {
                    return Err(bad("file", "Send exactly one `file` field."));
                }
                Some("file") => {
                    let name = field
                        .file_name()
                        .map(str::to_string)
                        .ok_or_else(|| bad("file", "The `file` field needs a file name."))?;
                    let name = validate::stored_name("filename", &name).map_err(Error::from)?;
                    let body: ByteStream<'_> =
                        Box::pin(field.map_err(|e| Box::new(e) as ferry_blob::BoxError));
                    staged = Some((budget.stage(state, body).await?, name));
                }
                Some("ttl") => {
                    let text = field.text().await.map_err(|e| bad("ttl", &e.body_text()))?;
                    ttl = Some(seed::ttl_field(&text).map_err(Error::from)?);
                }
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    match (result, staged) {
        (Ok(()), Some((s, name))) => Ok((s, name, ttl)),
        (Ok(()), None) => Err(bad("file", "The form has no `file` field.")),
        (Err(e), s) => {
            if let Some((s, _)) = s {
                state.blobs.discard(s).await;
            }
            Err(e)
        }
    }
}

async fn upload(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    req: Request,
) -> SeedResult<Response> {
    let caller = me?.caller();
    let (staged, name, ttl) = receive(&state, &caller, req).await?;
    let ttl = ttl.unwrap_or(DEFAULT_TTL_SECS);
    let folder = match fileshare::uploads_folder(&state, &caller).await {
        Ok(f) => f,
        Err(e) => {
            state.blobs.discard(staged).await;
            return Err(e.into());
        }
    };
    let expires_at = state.now_ms() + ttl * 1000;
    let target = files::Target {
        folder: &folder,
        name: &name,
        on_conflict: OnConflict::Rename,
        expires_at: Some(expires_at),
        client_modified_at: None,
    };
    let file = files::publish(&state, &caller, target, staged).await?;
    let url = format!(
        "{}/fileshare/uploads/{}",
        state.config.public_url(),
        file.id
    );
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, url.clone())],
        Json(json!({
            "id": file.id,
            "name": file.name,
            "size": file.size,
            "checksum_sha256": file.sha256,
            "ttl": ttl,
            "expires": ferry_core::timefmt::rfc3339(expires_at),
            "url": url,
        })),
    )
        .into_response())
}

async fn download(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> SeedResult<Response> {
    let caller = me?.caller();
    match files::downloadable(&state, &caller, &id).await {
        Ok((file, _)) => Ok(crate::http::files::serve_content(
            &state,
            &caller,
            &file,
            Blob::of(&file),
            &headers,
        )
        .await?),
        // Purged since its time to live ended: still "expired" to its owner, not unknown.
        Err(Error::NotFound) if fileshare::expired(&state, &caller, &id).await? => {
            Err(Error::FileExpired.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// A file as the sessions show it.
fn file_json(f: &ferry_store::files::File) -> serde_json::Value {
    json!({"id": f.id, "name": f.name, "size": f.size, "checksum_sha256": f.sha256,
        "version": f.version, "created": ferry_core::timefmt::rfc3339(f.created_at)})
}

/// A session with its files.
async fn session_json(
    state: &AppState,
    caller: &ferry_app::Caller,
    folder: &ferry_store::folders::Folder,
) -> SeedResult<serde_json::Value> {
    let (files, _) =
        ferry_app::folders::files(state, caller, &folder.id, Default::default(), None, 1000)
            .await?;
    Ok(json!({
        "id": folder.id,
        "expires": folder.expires_at.map(ferry_core::timefmt::rfc3339),
        "files": files.iter().map(file_json).collect::<Vec<_>>(),
    }))
}

/// `POST /fileshare/sessions` with an optional JSON body `{"ttl": seconds}` (default a week).
async fn create_session(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    body: axum::body::Bytes,
) -> SeedResult<Response> {
    let caller = me?.caller();
    let ttl = seed::session_ttl(&body)
        .map_err(Error::from)?
        .unwrap_or(fileshare::SESSION_TTL_SECS);
    let folder = fileshare::create_session(&state, &caller, ttl).await?;
    let body = session_json(&state, &caller, &folder).await?;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn list_sessions(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
) -> SeedResult<Response> {
    let caller = me?.caller();
    let mut out = Vec::new();
    for folder in fileshare::sessions(&state, &caller).await? {
        out.push(session_json(&state, &caller, &folder).await?);
    }
    Ok(Json(out).into_response())
}

async fn get_session(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    Path(sid): Path<String>,
) -> SeedResult<Response> {
    let caller = me?.caller();
    let folder = fileshare::session(&state, &caller, &sid).await?;
    Ok(Json(session_json(&state, &caller, &folder).await?).into_response())
}

async fn session_files(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    Path(sid): Path<String>,
) -> SeedResult<Response> {
    let caller = me?.caller();
    let folder = fileshare::session(&state, &caller, &sid).await?;
    let body = session_json(&state, &caller, &folder).await?;
    Ok(Json(body["files"].clone()).into_response())
}

async fn delete_session(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    Path(sid): Path<String>,
) -> SeedResult<Response> {
    let caller = me?.caller();
    fileshare::session(&state, &caller, &sid).await?;
    ferry_app::trash::delete_folder(&state, &caller, &sid, false).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Stores the form's `file` in the session: a new file, or (`replace`) a new version of the
/// file of that id.
async fn store_in_session(
    state: &AppState,
    caller: &ferry_app::Caller,
    sid: &str,
    replace: Option<&str>,
    req: Request,
) -> SeedResult<ferry_store::files::File> {
    let folder = fileshare::session(state, caller, sid).await?;
    let existing = match replace {
        Some(fid) => {
            let entry = files::get(state, caller, fid).await?;
            if entry.file.folder_id != folder.id {
                return Err(Error::NotFound.into());
            }
            Some(entry.file)
        }
        None => None,
    };
    let (staged, name, _) = receive(state, caller, req).await?;
    let (name, on_conflict) = match &existing {
        Some(f) => (f.name.clone(), OnConflict::NewVersion),
        None => (name, OnConflict::Rename),
    };
    let target = files::Target {
        folder: &folder,
        name: &name,
        on_conflict,
        expires_at: None,
        client_modified_at: None,
    };
    Ok(files::publish(state, caller, target, staged).await?)
}

async fn add_file(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    Path(sid): Path<String>,
    req: Request,
) -> SeedResult<Response> {
    let caller = me?.caller();
    let file = store_in_session(&state, &caller, &sid, None, req).await?;
    Ok((StatusCode::CREATED, Json(file_json(&file))).into_response())
}

async fn replace_file(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    Path((sid, fid)): Path<(String, String)>,
    req: Request,
) -> SeedResult<Response> {
    let caller = me?.caller();
    let file = store_in_session(&state, &caller, &sid, Some(&fid), req).await?;
    Ok(Json(file_json(&file)).into_response())
}

/// The session's file `fid`, or `NotFound`.
async fn file_in_session(
    state: &AppState,
    caller: &ferry_app::Caller,
    sid: &str,
    fid: &str,
) -> SeedResult<ferry_store::files::File> {
    let folder = fileshare::session(state, caller, sid).await?;
    let entry = files::get(state, caller, fid).await?;
    if entry.file.folder_id != folder.id {
        return Err(Error::NotFound.into());
    }
    Ok(entry.file)
}

async fn delete_file(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    Path((sid, fid)): Path<(String, String)>,
) -> SeedResult<Response> {
    let caller = me?.caller();
    file_in_session(&state, &caller, &sid, &fid).await?;
    ferry_app::trash::delete_file(&state, &caller, &fid, false).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST …/tokens` with an optional JSON body `{"max_downloads": n}` (default 1): a counted
/// download link to the file, valid while the session lives (at most the server's longest
/// link lifetime). Its token is the last part of the download URL, which needs no
/// credentials.
async fn create_token(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    Path((sid, fid)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> SeedResult<Response> {
    let caller = me?.caller();
    let file = file_in_session(&state, &caller, &sid, &fid).await?;
    let folder = fileshare::session(&state, &caller, &sid).await?;
    let max_downloads = seed::max_downloads(&body).map_err(Error::from)?;
    let left = folder
        .expires_at
        .map_or(i64::MAX, |at| (at - state.now_ms()) / 1000)
        .max(1);
    let request = ferry_app::links::NewLinkRequest {
        expires_in: Some(left.min(state.config.links.max_expires_in_secs.max(1))),
        max_downloads,
        watermark: false,
        password: None,
        show_location: false,
    };
    let link = ferry_app::links::create(&state, &caller, &file.id, request).await?;
    let public = ferry_app::links::url(&state, &link);
    let token = public.rsplit('/').next().unwrap_or_default().to_string();
    let url = format!(
        "{}/fileshare/sessions/{sid}/files/{fid}/tokens/{token}",
        state.config.public_url()
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": token, "url": url, "link_id": link.id,
            "expires": ferry_core::timefmt::rfc3339(link.expires_at),
            "max_downloads": link.max_downloads})),
    )
        .into_response())
}

/// Downloads through a token: the counted link itself answers (`/d/{token}`), so a token
/// delivers exactly what its link allows.
async fn redeem_token(
    Path((_sid, _fid, token)): Path<(String, String, String)>,
) -> SeedResult<Response> {
    if token.is_empty()
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(Error::NotFound.into());
    }
    Ok((
        StatusCode::TEMPORARY_REDIRECT,
        [(header::LOCATION, format!("/d/{token}"))],
    )
        .into_response())
}
