//! Folders: `/folders`, the tree below them, and `/resolve`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::folder_copy::{self, Copied};
use ferry_app::folders::{self, Destination, FolderPatch, NewFolderRequest, Outcome};
use ferry_app::namespace::{self, Resolved};
use ferry_app::trash::{self, Deleted};
use ferry_app::{AppState, Caller, Result as AppResult};
use ferry_core::OnConflict;
use ferry_store::folders::Folder;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::conditional::{if_match_revision, is_current};
use crate::http::extract::{ApiJson, ApiQuery, Page, SortedPage, paginate, parse_time};
use crate::http::views::{
    file_entry_view, file_view, folder_entry_view, folder_view, metadata_etag, trash_view,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(children))
        .routes(routes!(list_files))
        .routes(routes!(move_folder))
        .routes(routes!(copy_folder))
        .routes(routes!(resolve))
}

/// The wire forms of `folders`, with their quotas when asked for.
async fn folder_views(
    state: &AppState,
    caller: &Caller,
    entries: &[folders::Entry],
    with_quota: bool,
) -> AppResult<Vec<api::Folder>> {
    let rows: Vec<Folder> = entries.iter().map(|e| e.folder.clone()).collect();
    let mut quotas = if with_quota {
        folders::quotas(state, &rows)
            .await?
            .into_iter()
            .map(Some)
            .collect()
    } else {
        Vec::new()
    };
    quotas.resize_with(rows.len(), || None);
    Ok(entries
        .iter()
        .zip(quotas)
        .map(|(e, q)| folder_view(caller, &e.folder, &e.path, q))
        .collect())
}

/// `on_conflict` of a move, copy or restore as the body names it (default `rename`; these
/// never make versions).
pub(crate) fn on_conflict(value: Option<&str>) -> Result<OnConflict, ApiError> {
    match value {
        None => Ok(OnConflict::Rename),
        Some(v) => OnConflict::parse(v)
            .filter(|c| *c != OnConflict::NewVersion)
            .ok_or_else(|| {
                ApiError::invalid(
                    "on_conflict",
                    "invalid_value",
                    "on_conflict must be `rename` or `fail`.",
                )
            }),
    }
}

/// A metadata response with its ETag.
pub(crate) fn with_etag<T: serde::Serialize>(
    revision: i64,
    status: StatusCode,
    body: T,
) -> Response {
    (
        status,
        [(header::ETAG, metadata_etag(revision))],
        axum::Json(body),
    )
        .into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Add `quota` (the owner's limit and this folder's use) to each folder.
    include_quota: Option<bool>,
    /// 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// The caller's root: the top-level folders they can access (admins: all), by name.
#[utoipa::path(get, path = "/folders", tag = "folders", params(ListQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::FolderList), (status = 400, body = api::ErrorBody), (status = 401, body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<api::FolderList>> {
    let page = Page {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after: Option<(String, String)> = page.cursor()?;
    let caller = me.caller();
    let rows = folders::list(&state, &caller, after, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |e| {
        (
            ferry_core::validate::name_key(&e.folder.name),
            e.folder.id.clone(),
        )
    });
    let folders = folder_views(&state, &caller, &rows, q.include_quota.unwrap_or(false)).await?;
    Ok(axum::Json(api::FolderList {
        folders,
        next_cursor,
    }))
}

/// Create a folder: top-level (owned by the caller) or, with `parent_id`, a subfolder (needs
/// `write` on the parent; it belongs to the top-level folder's owner).
#[utoipa::path(post, path = "/folders", tag = "folders", request_body = api::CreateFolder,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Folder),
        (status = 400, description = "`invalid_name`, `invalid_value`, `malformed_json`, `missing_field`...", body = api::ErrorBody),
        (status = 403, description = "`permission_denied`", body = api::ErrorBody),
        (status = 404, description = "The parent is not visible", body = api::ErrorBody),
        (status = 409, description = "`name_conflict` (names are unique among siblings without regard to case), `depth_limit_exceeded` (64 levels)", body = api::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::CreateFolder>,
) -> ApiResult<impl IntoResponse> {
    let caller = me.caller();
    let new = NewFolderRequest {
        name: &body.name,
        parent_id: body.parent_id.as_deref(),
        retention_days: body.retention_days,
        visibility: body.visibility.as_deref(),
        description: body.description.as_deref(),
        expires_at: body
            .expires_at
            .as_deref()
            .map(|t| parse_time("expires_at", t))
            .transpose()?,
    };
    let entry = folders::create(&state, &caller, new).await?;
    let mut response = with_etag(
        entry.folder.revision,
        StatusCode::CREATED,
        folder_entry_view(&caller, &entry),
    );
    response.headers_mut().insert(
        header::LOCATION,
        format!("/api/v1/folders/{}", entry.folder.id)
            .parse()
            .expect("ids are header-safe"),
    );
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct GetQuery {
    include_quota: Option<bool>,
    /// `size`: add the recursive size and counts of files and folders.
    #[param(pattern = "^size$")]
    include: Option<String>,
}

/// Get a folder with the caller's role and permissions. Sends an `ETag`; `If-None-Match`
/// answers `304` (not with `include`, whose figures change without the folder changing).
#[utoipa::path(get, path = "/folders/{folder_id}", tag = "folders", params(("folder_id" = String, Path), GetQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Folder), (status = 304, description = "Not modified"),
        (status = 400, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<GetQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let with_size = match q.include.as_deref() {
        None => false,
        Some("size") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "include",
                "invalid_value",
                "include must be `size`.",
            ));
        }
    };
    let with_quota = q.include_quota.unwrap_or(false);
    let caller = me.caller();
    let entry = folders::get(&state, &caller, &id).await?;
    let etag = metadata_etag(entry.folder.revision);
    if !with_size && !with_quota && is_current(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let mut views = folder_views(&state, &caller, std::slice::from_ref(&entry), with_quota).await?;
    let mut view = views.remove(0);
    if with_size {
        let size = folders::size(&state, &entry.folder).await?;
        view.size = Some(api::FolderSize {
            bytes: size.bytes,
            files: size.files,
            folders: size.folders,
        });
    }
    Ok(with_etag(entry.folder.revision, StatusCode::OK, view))
}

/// Rename a folder, change its description, its retention rule or (top-level folders) its
/// expiry (`manage`). `If-Match`
/// with the folder's ETag refuses the change with `412` if the folder changed meanwhile.
#[utoipa::path(patch, path = "/folders/{folder_id}", tag = "folders", params(("folder_id" = String, Path)),
    request_body = api::UpdateFolder,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Folder),
        (status = 400, body = api::ErrorBody), (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody), (status = 409, description = "`name_conflict`", body = api::ErrorBody),
        (status = 412, description = "`precondition_failed`", body = api::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<api::UpdateFolder>,
) -> ApiResult<Response> {
    let caller = me.caller();
    let patch = FolderPatch {
        name: body.name.as_deref(),
        description: body.description.as_deref(),
        retention_days: body.retention_days,
        expires_at: body
            .expires_at
            .as_ref()
            .map(|t| {
                t.as_deref()
                    .map(|t| parse_time("expires_at", t))
                    .transpose()
            })
            .transpose()?,
        size_limit_bytes: body.size_limit_bytes,
        visibility: body.visibility.as_deref(),
    };
    let entry = folders::update(&state, &caller, &id, patch, if_match_revision(&headers)).await?;
    Ok(with_etag(
        entry.folder.revision,
        StatusCode::OK,
        folder_entry_view(&caller, &entry),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeleteQuery {
    /// Purge at once instead of moving to the trash (not when a retention rule holds it).
    pub permanent: Option<bool>,
}

/// Delete a folder with everything below it, as one trash item (a top-level folder: its
/// owner). When a retention rule applies anywhere in or above it the item is held (`200` with
/// the trash item); otherwise it is in the trash (`204`).
#[utoipa::path(delete, path = "/folders/{folder_id}", tag = "folders", params(("folder_id" = String, Path), DeleteQuery),
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "Held by a retention rule", body = api::TrashItem),
        (status = 204, description = "In the trash, or purged with `permanent=true`"),
        (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`file_held`: `permanent` while a retention rule applies", body = api::ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> ApiResult<Response> {
    let permanent = q.permanent.unwrap_or(false);
    match trash::delete_folder(&state, &me.caller(), &id, permanent).await? {
        Deleted::Held(item) => Ok(axum::Json(trash_view(&item)).into_response()),
        Deleted::Gone => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// A folder's subfolders, in `sort` order.
#[utoipa::path(get, path = "/folders/{folder_id}/children", tag = "folders", params(("folder_id" = String, Path), SortedPage),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::FolderList), (status = 400, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn children(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<SortedPage>,
) -> ApiResult<axum::Json<api::FolderList>> {
    let limit = page.limit()?;
    let sort = page.sort()?;
    let caller = me.caller();
    let rows = folders::children(&state, &caller, &id, sort, page.after()?, limit).await?;
    let (rows, next_cursor) = page.paginate(rows, limit, |e| {
        ferry_store::folders::sort_value(&e.folder, sort)
    });
    Ok(axum::Json(api::FolderList {
        folders: rows.iter().map(|e| folder_entry_view(&caller, e)).collect(),
        next_cursor,
    }))
}

/// The folder's live files (not deleted, not expired), in `sort` order.
#[utoipa::path(get, path = "/folders/{folder_id}/files", tag = "folders", params(("folder_id" = String, Path), SortedPage),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::FileList), (status = 400, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn list_files(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<SortedPage>,
) -> ApiResult<axum::Json<api::FileList>> {
    let limit = page.limit()?;
    let sort = page.sort()?;
    let caller = me.caller();
    let (rows, path) = folders::files(&state, &caller, &id, sort, page.after()?, limit).await?;
    let (rows, next_cursor) =
        page.paginate(rows, limit, |f| ferry_store::files::sort_value(f, sort));
    let marked =
        ferry_app::favorites::marked(&state, &caller, &rows.iter().collect::<Vec<_>>()).await?;
    Ok(axum::Json(api::FileList {
        files: rows
            .iter()
            .map(|f| {
                let mut view = file_view(f, &path);
                view.favorite = marked.contains(f.id.as_str());
                view
            })
            .collect(),
        next_cursor,
    }))
}

/// Move a folder (with everything below it) under another folder, or to the top level with
/// `parent_id: null` (owner only). Atomic and cycle-safe; `If-Match` honoured.
#[utoipa::path(post, path = "/folders/{folder_id}/move", tag = "folders", params(("folder_id" = String, Path)),
    request_body = api::MoveFolder,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, description = "The moved folder, or `{\"ok\": true}` for a dry run", body = api::FolderMoveResult),
        (status = 400, body = api::ErrorBody), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`invalid_move` (into itself or below), `name_conflict`, `depth_limit_exceeded`", body = api::ErrorBody),
        (status = 412, description = "`precondition_failed`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded` (into another owner's tree)", body = api::ErrorBody)))]
async fn move_folder(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<api::MoveFolder>,
) -> ApiResult<Response> {
    let caller = me.caller();
    let to = folder_destination(&body, if_match_revision(&headers))?;
    let moved = folders::move_folder(&state, &caller, &id, to).await?;
    Ok(folder_outcome(&caller, moved, StatusCode::OK))
}

/// A move or copy body as the use case takes it; `parent_id` must be given (`null` is the
/// top level), so a forgotten field never moves a folder to the top level.
fn folder_destination(
    body: &api::MoveFolder,
    revision: Option<i64>,
) -> Result<Destination<'_>, ApiError> {
    let parent_id = body.parent_id.as_ref().ok_or_else(|| {
        ApiError::invalid(
            "parent_id",
            "missing_field",
            "Give parent_id: a folder id, or null for the top level.",
        )
    })?;
    Ok(Destination {
        parent_id: parent_id.as_deref(),
        name: body.name.as_deref(),
        on_conflict: on_conflict(body.on_conflict.as_deref())?,
        dry_run: body.dry_run,
        revision,
    })
}

/// A dry run's `{"ok": true}`, or the moved or copied folder with its ETag.
fn folder_outcome(
    caller: &Caller,
    outcome: Outcome<folders::Entry>,
    status: StatusCode,
) -> Response {
    match outcome {
        Outcome::WouldSucceed => axum::Json(api::DryRun { ok: true }).into_response(),
        Outcome::Done(e) => with_etag(e.folder.revision, status, folder_entry_view(caller, &e)),
    }
}

/// Copy a folder with its subfolders and the current version of every file into another
/// folder. No bytes are copied; the target owner's quota pays for the copies. A tree of more
/// than `tasks.inline_max_items` files is copied by a task: `202 {"task"}` with a `Location`;
/// the copy appears whole when the task succeeds (never half a copy).
#[utoipa::path(post, path = "/folders/{folder_id}/copy", tag = "folders", params(("folder_id" = String, Path)),
    request_body = api::MoveFolder,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::Folder), (status = 200, description = "`{\"ok\": true}` for a dry run", body = api::DryRun),
        (status = 202, description = "A big tree: a task copies it", body = api::Queued),
        (status = 400, body = api::ErrorBody), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`invalid_move`, `name_conflict`, `depth_limit_exceeded`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded`", body = api::ErrorBody)))]
async fn copy_folder(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::MoveFolder>,
) -> ApiResult<Response> {
    let caller = me.caller();
    let to = folder_destination(&body, None)?;
    Ok(
        match folder_copy::copy_folder(&state, &caller, &id, to).await? {
            Copied::Done(e) => folder_outcome(&caller, Outcome::Done(e), StatusCode::CREATED),
            Copied::WouldSucceed => folder_outcome(&caller, Outcome::WouldSucceed, StatusCode::OK),
            Copied::Queued(task) => crate::http::tasks::accepted(&task),
        },
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ResolveQuery {
    /// `/Top/sub/file.txt`, from the caller's root; compared without case. Required.
    path: Option<String>,
}

/// What a path names, from the caller's root.
#[utoipa::path(get, path = "/resolve", tag = "folders", params(ResolveQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Resolved), (status = 400, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn resolve(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<ResolveQuery>,
) -> ApiResult<axum::Json<api::Resolved>> {
    let caller = me.caller();
    let path = q
        .path
        .ok_or_else(|| ApiError::invalid("path", "missing_field", "Give the path to look up."))?;
    Ok(axum::Json(
        match namespace::resolve(&state, &caller, &path).await? {
            Resolved::File(e) => api::Resolved {
                kind: "file".into(),
                file: Some(file_entry_view(&e)),
                folder: None,
            },
            Resolved::Folder(e) => api::Resolved {
                kind: "folder".into(),
                file: None,
                folder: Some(folder_entry_view(&caller, &e)),
            },
        },
    ))
}
