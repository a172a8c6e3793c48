//! Simple (single-request) upload: `POST /folders/{id}/files` with a raw body or a multipart
//! `file` field. The body streams to staging while it is hashed; nothing is held in memory.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_blob::{BlobError, ByteStream, Staged};
use ferry_core::audit::Action;
use ferry_core::timefmt::now_ms;
use ferry_core::{IdKind, Permission, validate};
use ferry_store::files::NewFile;
use ferry_store::folders::Folder;
use ferry_store::users::User;
use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::context::Ctx;
use crate::http::extract::ApiQuery;
use crate::http::files::file_view;
use crate::http::folders::load_for;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload))
}

/// Longest `ttl`: ten years.
const MAX_TTL_SECS: i64 = 10 * 365 * 86_400;

/// What to do when a live file of the same name exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnConflict {
    /// Store as `name (1).ext`, `name (2).ext`, ...
    Rename,
    /// Answer `409 name_conflict`.
    Fail,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The file's name (required for a raw body; defaults to the multipart file name).
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^/\\\x00-\x1f\x7f-\x9f\s.\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff][^/\\\x00-\x1f\x7f-\x9f\s\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    filename: Option<String>,
    /// Seconds until the file expires (`410 file_expired` afterwards).
    #[param(minimum = 1, maximum = 315360000)]
    ttl: Option<i64>,
    /// `rename` (default) or `fail`.
    on_conflict: Option<OnConflict>,
}

/// Upload a whole file in one request.
#[utoipa::path(post, path = "/folders/{folder_id}/files", tag = "files",
    params(("folder_id" = String, Path), UploadQuery),
    request_body(content(
        (Vec<u8> = "application/octet-stream"),
        (Vec<u8> = "multipart/form-data"),
    ), description = "The raw bytes, or a form with a `file` field and an optional `ttl` field"),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::File),
        (status = 400, description = "`invalid_name`, `missing_field`, `invalid_value`, `unsupported_content_type`, `invalid_multipart`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`name_conflict` with `on_conflict=fail`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded` or `file_too_large`; nothing is stored", body = api::ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    me: AuthUser,
    Path(folder_id): Path<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    req: Request,
) -> ApiResult<impl IntoResponse> {
    let folder = load_for(&state, &me.user, &folder_id, Permission::Write).await?;
    let mut ttl = q
        .ttl
        .map(|t| validate::in_range("ttl", t, 1..=MAX_TTL_SECS))
        .transpose()?;
    let on_conflict = q.on_conflict.unwrap_or(OnConflict::Rename);
    let mime = crate::http::extract::media_type(req.headers());
    let budget = Budget::for_user(&me.user, state.config.limits.max_file_size);

    let (staged, name) = match mime.as_deref() {
        Some("multipart/form-data") => {
            let mut form = Multipart::from_request(req, &state)
                .await
                .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
            let mut staged: Option<(Staged, String)> = None;
            let result: ApiResult<()> = async {
                while let Some(field) = form.next_field().await.map_err(multipart_error)? {
                    match field.name() {
                        Some("file") if staged.is_some() => {
                            return Err(ApiError::invalid(
                                "file",
                                "invalid_multipart",
                                "Send exactly one `file` field.",
                            ));
                        }
                        Some("file") => {
                            let name = q
                                .filename
                                .clone()
                                .or_else(|| field.file_name().map(str::to_string));
                            let name = name.ok_or_else(|| {
                                ApiError::invalid(
                                    "filename",
                                    "missing_field",
                                    "The `file` field needs a file name.",
                                )
                            })?;
                            validate::name("filename", &name)?;
                            let body: ByteStream<'_> =
                                Box::pin(field.map_err(|e| Box::new(e) as ferry_blob::BoxError));
                            let s = budget.stage(&state, body).await?;
                            staged = Some((s, name));
                        }
                        Some("ttl") => {
                            let text = field.text().await.map_err(multipart_error)?;
                            let t: i64 = text.trim().parse().map_err(|_| {
                                ApiError::invalid(
                                    "ttl",
                                    "invalid_value",
                                    "ttl must be a whole number of seconds.",
                                )
                            })?;
                            ttl = Some(validate::in_range("ttl", t, 1..=MAX_TTL_SECS)?);
                        }
                        _ => {}
                    }
                }
                Ok(())
            }
            .await;
            match (result, staged) {
                (Ok(()), Some(s)) => s,
                (Ok(()), None) => {
                    return Err(ApiError::invalid(
                        "file",
                        "missing_field",
                        "The form has no `file` field.",
                    ));
                }
                (Err(e), s) => {
                    if let Some((s, _)) = s {
                        state.blobs.discard(s).await;
                    }
                    return Err(e);
                }
            }
        }
        None | Some("application/octet-stream") => {
            let name = q.filename.clone().ok_or_else(|| {
                ApiError::invalid(
                    "filename",
                    "missing_field",
                    "Query parameter `filename` is required.",
                )
            })?;
            validate::name("filename", &name)?;
            if let Some(len) = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
            {
                budget.check(len)?;
            }
            let body: ByteStream<'_> = Box::pin(
                req.into_body()
                    .into_data_stream()
                    .map_err(|e| Box::new(e) as ferry_blob::BoxError),
            );
            (budget.stage(&state, body).await?, name)
        }
        Some(_) => {
            return Err(ApiError::UnsupportedContentType {
                expected: "application/octet-stream or multipart/form-data",
            });
        }
    };
    let expires_at = ttl.map(|t| now_ms() + t * 1000);
    let file = publish(
        &state,
        &ctx,
        &me.user,
        &folder,
        staged,
        &name,
        on_conflict,
        expires_at,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/files/{}", file.id))],
        axum::Json(file_view(&file)),
    ))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::bad_request("invalid_multipart", e.body_text())
}

/// How many bytes an upload may bring: the smaller of the quota left and the size limit.
struct Budget {
    quota_left: Option<u64>,
    limit: Option<i64>,
    used: i64,
    max_file_size: u64,
}

impl OnConflict {
    pub fn as_str(self) -> &'static str {
        match self {
            OnConflict::Rename => "rename",
            OnConflict::Fail => "fail",
        }
    }

    pub fn parse(s: &str) -> Option<OnConflict> {
        match s {
            "rename" => Some(OnConflict::Rename),
            "fail" => Some(OnConflict::Fail),
            _ => None,
        }
    }
}

impl Budget {
    fn for_user(user: &User, max_file_size: i64) -> Budget {
        Budget {
            quota_left: user
                .quota_bytes
                .map(|q| q.saturating_sub(user.used_bytes).max(0) as u64),
            limit: user.quota_bytes,
            used: user.used_bytes,
            max_file_size: max_file_size.max(0) as u64,
        }
    }

    fn max(&self) -> u64 {
        self.quota_left
            .map_or(self.max_file_size, |q| q.min(self.max_file_size))
    }

    fn error(&self, size: u64) -> ApiError {
        if size > self.max_file_size {
            ApiError::FileTooLarge {
                limit: self.max_file_size as i64,
            }
        } else {
            ApiError::QuotaExceeded {
                limit: self.limit,
                used: self.used,
            }
        }
    }

    /// Refuses a declared length up front, before reading the body.
    fn check(&self, len: u64) -> ApiResult<()> {
        if len > self.max() {
            Err(self.error(len))
        } else {
            Ok(())
        }
    }

    async fn stage(&self, state: &AppState, body: ByteStream<'_>) -> ApiResult<Staged> {
        match state.blobs.stage(body, self.max()).await {
            Err(BlobError::TooLarge { limit }) => Err(self.error(limit.saturating_add(1))),
            other => Ok(other?),
        }
    }
}

/// Turns staged bytes into a file in `folder`: charges the quota, then records the file.
#[allow(clippy::too_many_arguments)]
pub async fn publish(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    folder: &Folder,
    staged: Staged,
    name: &str,
    on_conflict: OnConflict,
    expires_at: Option<i64>,
) -> ApiResult<ferry_store::files::File> {
    let mut tx = state.store.begin().await?;
    // The folder owner pays for the file (admins uploading elsewhere do not).
    if !ferry_store::users::reserve_quota(&mut tx, &folder.owner_id, staged.size as i64).await? {
        let owner = ferry_store::users::get(&mut tx, &folder.owner_id).await?;
        drop(tx);
        state.blobs.discard(staged).await;
        return Err(ApiError::QuotaExceeded {
            limit: owner.as_ref().and_then(|o| o.quota_bytes),
            used: owner.map_or(0, |o| o.used_bytes),
        });
    }
    let new = NewContent {
        name,
        on_conflict,
        sha256: staged.sha256.clone(),
        size: staged.size as i64,
        expires_at,
        method: "simple",
    };
    match add_file(
        state,
        &mut tx,
        ctx,
        user,
        folder,
        new,
        Source::Staged(staged),
    )
    .await
    {
        Ok(file) => {
            tx.commit().await?;
            Ok(file)
        }
        Err((e, source)) => {
            drop(tx);
            if let Some(Source::Staged(staged)) = source {
                state.blobs.discard(staged).await;
            }
            Err(e)
        }
    }
}

/// Where verified bytes come from.
pub enum Source {
    /// A simple upload's staging file.
    Staged(Staged),
    /// A resumable upload session's data.
    Session(String),
}

/// Verified content about to become a file.
pub struct NewContent<'a> {
    pub name: &'a str,
    pub on_conflict: OnConflict,
    pub sha256: String,
    pub size: i64,
    pub expires_at: Option<i64>,
    /// `simple`, `resumable` or `tus`, for the audit record.
    pub method: &'static str,
}

/// Records a file in `folder` inside `tx` (the quota is already charged to the folder owner):
/// picks the name, publishes the blob and appends `upload.completed`. On a name conflict with
/// `fail` the source is handed back untouched.
pub async fn add_file(
    state: &AppState,
    tx: &mut ferry_store::Tx,
    ctx: &Ctx,
    user: &User,
    folder: &Folder,
    new: NewContent<'_>,
    source: Source,
) -> Result<ferry_store::files::File, (ApiError, Option<Source>)> {
    let now = now_ms();
    let fail = |e: ApiError| (e, None);
    ferry_store::folders::lock(tx, &folder.id)
        .await
        .map_err(|e| fail(e.into()))?;
    let name = match free_name(tx, &folder.id, new.name, new.on_conflict).await {
        Ok(n) => n,
        Err(e) => return Err((e, Some(source))),
    };
    // Reference first, then publish, inside the transaction: the blob row stays locked, so a
    // concurrent garbage collection of the same content cannot delete what we publish.
    ferry_store::files::reference_blob(tx, &new.sha256, new.size, now)
        .await
        .map_err(|e| fail(e.into()))?;
    let published = match source {
        Source::Staged(staged) => state.blobs.publish(staged).await,
        Source::Session(id) => state.blobs.session_publish(&id, &new.sha256).await,
    };
    published.map_err(|e| fail(e.into()))?;
    let id = IdKind::File.generate();
    let mime = mime_guess::from_path(&name)
        .first_or_octet_stream()
        .to_string();
    ferry_store::files::insert(
        tx,
        &NewFile {
            id: &id,
            folder_id: &folder.id,
            owner_id: &folder.owner_id,
            name: &name,
            size: new.size,
            sha256: &new.sha256,
            mime_type: &mime,
            expires_at: new.expires_at,
            now,
        },
    )
    .await
    .map_err(|e| fail(e.into()))?;
    audit::success(ctx, Some(user), Action::UploadCompleted, ("file", &id))
        .in_folder(&folder.id)
        .details(json!({"name": name, "size": new.size, "checksum_sha256": new.sha256, "method": new.method}))
        .append(tx)
        .await
        .map_err(|e| fail(e.into()))?;
    ferry_store::files::get(tx, &id)
        .await
        .map_err(|e| fail(e.into()))?
        .ok_or_else(|| fail(ApiError::NotFound))
}

/// `name` if free, else `name (1).ext`, `name (2).ext`... (or `409` with `fail`).
pub async fn free_name(
    conn: &mut ferry_store::Conn,
    folder_id: &str,
    name: &str,
    on_conflict: OnConflict,
) -> ApiResult<String> {
    if !ferry_store::files::name_taken(conn, folder_id, name).await? {
        return Ok(name.to_string());
    }
    if on_conflict == OnConflict::Fail {
        return Err(ApiError::NameConflict(format!(
            "A file named `{name}` already exists here."
        )));
    }
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    for n in 1..1000 {
        let candidate = format!("{stem} ({n}){ext}");
        if candidate.len() > validate::MAX_NAME_BYTES {
            break;
        }
        if !ferry_store::files::name_taken(conn, folder_id, &candidate).await? {
            return Ok(candidate);
        }
    }
    Err(ApiError::NameConflict(format!(
        "No free name like `{name}` is left here."
    )))
}
