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
use axum::routing::{get, post};
use axum::{Json, Router};
use ferry_app::files::{self, Budget};
use ferry_app::{AppState, Error, fileshare};
use ferry_blob::{ByteStream, Staged};
use ferry_core::{OnConflict, validate};
use futures::TryStreamExt;
use serde_json::json;

use crate::error::ApiError;
use crate::http::auth::AuthUser;
use crate::http::content::Blob;

/// The seed's default time to live of an upload (its `models.upload.ttl`).
const DEFAULT_TTL_SECS: i64 = 3600;
/// The longest time to live accepted (as for the v1 simple upload).
const MAX_TTL_SECS: i64 = 10 * 365 * 86_400;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fileshare/uploads", post(upload))
        .route("/fileshare/uploads/{id}", get(download))
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

async fn upload(
    State(state): State<AppState>,
    me: Result<AuthUser, ApiError>,
    req: Request,
) -> SeedResult<Response> {
    let caller = me?.caller();
    let mut form = Multipart::from_request(req, &state)
        .await
        .map_err(|e| bad("file", &e.body_text()))?;
    let uploader = ferry_app::me::current(&state, &caller).await?;
    let budget = Budget::for_user(&uploader, state.config.limits.max_file_size);
    let mut staged: Option<(Staged, String)> = None;
    let mut ttl = DEFAULT_TTL_SECS;
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
                    staged = Some((budget.stage(&state, body).await?, name));
                }
                Some("ttl") => {
                    let text = field.text().await.map_err(|e| bad("ttl", &e.body_text()))?;
                    let t: i64 = text
                        .trim()
                        .parse()
                        .map_err(|_| bad("ttl", "ttl must be a whole number of seconds."))?;
                    ttl = validate::in_range("ttl", t, 1..=MAX_TTL_SECS).map_err(Error::from)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    let (staged, name) = match (result, staged) {
        (Ok(()), Some(s)) => s,
        (Ok(()), None) => return Err(bad("file", "The form has no `file` field.")),
        (Err(e), s) => {
            if let Some((s, _)) = s {
                state.blobs.discard(s).await;
            }
            return Err(e);
        }
    };
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
