//! Seed 003's chunked upload sessions, for scripts written against that API:
//! `POST /api/2.0/files/{folder_id}/upload/create_session` opens a session (a Ferry upload that
//! takes its bytes in order, like tus), and the chunks go, in order, to the `location` it
//! answers with. Each chunk is answered with the session's progress; the last one with `201`
//! and the file. Credentials: bearer, Basic, or the seed's `asc_auth_key` cookie carrying a
//! Ferry API token. The bytes, quota, hash and publishing are ferry-app's resumable uploads;
//! this door only speaks the seed's shapes.

use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use ferry_app::uploads::{self, NewUpload, TusInfo};
use ferry_app::{AppState, Caller};
use ferry_blob::ByteStream;
use ferry_core::UploadStatus;
use ferry_core::wire::seed::CreateSession;
use ferry_store::uploads::Upload;
use futures::TryStreamExt;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;

/// The seed's routes (outside `/api/v1`, and so outside the OpenAPI document).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/2.0/files/{folder_id}/upload/create_session",
            post(create_session),
        )
        .route("/api/2.0/files/upload/sessions/{upload_id}", post(chunk))
}

/// The caller, from `Authorization` (bearer or Basic) or, as the seed authenticates, from an
/// `asc_auth_key` cookie holding a Ferry API token.
struct SeedUser(AuthUser);

impl FromRequestParts<AppState> for SeedUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if !parts.headers.contains_key(header::AUTHORIZATION)
            && let Some(key) = cookie(parts, "asc_auth_key")
            && let Ok(value) = HeaderValue::from_str(&format!("Bearer {key}"))
        {
            parts.headers.insert(header::AUTHORIZATION, value);
        }
        Ok(SeedUser(AuthUser::from_request_parts(parts, state).await?))
    }
}

/// The value of cookie `name`, if the request carries it.
fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
}

/// The session as the seed describes it.
fn session_data(state: &AppState, u: &Upload) -> Value {
    json!({
        "id": u.id,
        "location": format!("{}/api/2.0/files/upload/sessions/{}", state.config.public_url(), u.id),
        "created": ferry_core::timefmt::rfc3339(u.created_at),
        "expired": ferry_core::timefmt::rfc3339(u.expires_at),
        "bytes_uploaded": u.tus_offset,
        "bytes_total": u.size,
    })
}

async fn create_session(
    State(state): State<AppState>,
    SeedUser(me): SeedUser,
    Path(folder_id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let Json(body) = Json::<CreateSession>::from_request(req, &state)
        .await
        .map_err(|e| ApiError::bad_request("invalid_json", e.body_text()))?;
    let body = body.checked()?;
    let new = NewUpload {
        folder_id: Some(folder_id),
        filename: body.file_name,
        size: body.file_size,
        checksum_sha256: None,
        part_size: None,
        on_conflict: body.on_conflict,
        method: "chunked",
        tus: Some(TusInfo {
            concat: None,
            partials: None,
            metadata: None,
        }),
        already_reserved: 0,
        relative_path: body.relative_path,
        client_modified_at: body.client_modified_at,
    };
    let upload = uploads::create(&state, &me.caller(), new).await?;
    Ok(Json(json!({
        "response": {"success": true, "data": session_data(&state, &upload)},
        "count": 1,
        "status": 0,
        "statusCode": 200,
    }))
    .into_response())
}

/// A chunk's bytes: the raw body, or the first file of a form.
async fn chunk(
    State(state): State<AppState>,
    SeedUser(me): SeedUser,
    Path(upload_id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let caller = me.caller();
    let upload = uploads::load(&state, &caller, &upload_id).await?;
    // Only sessions that take their bytes in order (not the native protocol's parts).
    if upload.protocol != "tus" || upload.folder_id.is_none() {
        return Err(ferry_app::Error::NotFound.into());
    }
    let multipart =
        crate::http::extract::media_type(req.headers()).as_deref() == Some("multipart/form-data");
    let upload = if multipart {
        let mut form = Multipart::from_request(req, &state)
            .await
            .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
        let mut done = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?
        {
            if field.file_name().is_none() && field.name() != Some("file") {
                continue;
            }
            let body: ByteStream<'_> =
                Box::pin(field.map_err(|e| Box::new(e) as ferry_blob::BoxError));
            done = Some(append(&state, &caller, &upload, body).await?);
            break;
        }
        done.ok_or_else(|| {
            ApiError::invalid("file", "missing_field", "The form has no file in it.")
        })?
    } else {
        let body: ByteStream<'_> = Box::pin(
            req.into_body()
                .into_data_stream()
                .map_err(|e| Box::new(e) as ferry_blob::BoxError),
        );
        append(&state, &caller, &upload, body).await?
    };
    if upload.status == UploadStatus::Completed
        && let Some(file_id) = &upload.file_id
    {
        let entry = ferry_app::files::get(&state, &caller, file_id).await?;
        let f = &entry.file;
        let data = json!({
            "uploaded": true,
            "id": f.id,
            "folderId": f.folder_id,
            "title": f.name,
            "version": f.version,
            "pureContentLength": f.size,
            "contentLength": f.size.to_string(),
            "checksum_sha256": f.sha256,
            "created": ferry_core::timefmt::rfc3339(f.created_at),
            "updated": ferry_core::timefmt::rfc3339(f.updated_at),
            "path": format!("{}/{}", entry.folder_path.trim_end_matches('/'), f.name),
        });
        return Ok((
            StatusCode::CREATED,
            [(header::LOCATION, format!("/api/v1/files/{}", f.id))],
            Json(json!({"success": true, "data": data})),
        )
            .into_response());
    }
    let mut data = session_data(&state, &upload);
    data["uploaded"] = json!(false);
    Ok(Json(json!({"success": true, "data": data})).into_response())
}

/// Appends at the session's current offset: chunks come in order, one after the other.
async fn append(
    state: &AppState,
    caller: &Caller,
    upload: &Upload,
    body: ByteStream<'_>,
) -> ApiResult<Upload> {
    Ok(uploads::tus::append(state, caller, &upload.id, upload.tus_offset, body, None).await?)
}
