//! Folders: `/folders`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_app::folders::{self, FolderQuota, NewFolderRequest};
use ferry_app::{AppState, Caller, Result as AppResult, access};
use ferry_core::timefmt::rfc3339;
use ferry_store::folders::Folder;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};
use crate::http::views::file_view;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(list_files))
}

fn folder_view(caller: &Caller, f: &Folder, quota: Option<FolderQuota>) -> api::Folder {
    api::Folder {
        id: f.id.clone(),
        name: f.name.clone(),
        visibility: f.visibility.clone(),
        retention_days: f.retention_days,
        owner: api::Owner {
            id: f.owner_id.clone(),
            login: f.owner_login.clone(),
        },
        permissions: access::folder_permissions(caller, f)
            .iter()
            .map(|p| p.as_str().into())
            .collect(),
        created_at: rfc3339(f.created_at),
        updated_at: rfc3339(f.updated_at),
        quota: quota.map(|q| api::Quota {
            limit_bytes: q.limit_bytes,
            used_bytes: q.used_bytes,
        }),
    }
}

/// The wire forms of `folders`, with their quotas when asked for.
async fn folder_views(
    state: &AppState,
    caller: &Caller,
    folders: &[Folder],
    with_quota: bool,
) -> AppResult<Vec<api::Folder>> {
    let mut quotas = if with_quota {
        folders::quotas(state, folders)
            .await?
            .into_iter()
            .map(Some)
            .collect()
    } else {
        Vec::new()
    };
    quotas.resize_with(folders.len(), || None);
    Ok(folders
        .iter()
        .zip(quotas)
        .map(|(f, q)| folder_view(caller, f, q))
        .collect())
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

/// List the folders the caller can access (admins: all), by name.
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
    let (rows, next_cursor) = paginate(rows, limit, |f| (f.name.clone(), f.id.clone()));
    let folders = folder_views(&state, &caller, &rows, q.include_quota.unwrap_or(false)).await?;
    Ok(axum::Json(api::FolderList {
        folders,
        next_cursor,
    }))
}

/// Create a private folder.
#[utoipa::path(post, path = "/folders", tag = "folders", request_body = api::CreateFolder,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Folder),
        (status = 400, description = "`invalid_name`, `invalid_value`, `malformed_json`, `missing_field`...", body = api::ErrorBody),
        (status = 409, description = "`name_conflict`", body = api::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::CreateFolder>,
) -> ApiResult<impl IntoResponse> {
    let caller = me.caller();
    let new = NewFolderRequest {
        name: &body.name,
        retention_days: body.retention_days,
        visibility: body.visibility.as_deref(),
    };
    let folder = folders::create(&state, &caller, new).await?;
    Ok((
        StatusCode::CREATED,
        [(
            axum::http::header::LOCATION,
            format!("/api/v1/folders/{}", folder.id),
        )],
        axum::Json(folder_view(&caller, &folder, None)),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct GetQuery {
    include_quota: Option<bool>,
}

/// Get a folder with the caller's permissions.
#[utoipa::path(get, path = "/folders/{folder_id}", tag = "folders", params(("folder_id" = String, Path), GetQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Folder), (status = 404, body = api::ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<GetQuery>,
) -> ApiResult<axum::Json<api::Folder>> {
    let caller = me.caller();
    let folder = folders::get(&state, &caller, &id).await?;
    let mut views = folder_views(
        &state,
        &caller,
        std::slice::from_ref(&folder),
        q.include_quota.unwrap_or(false),
    )
    .await?;
    Ok(axum::Json(views.remove(0)))
}

/// The folder's live files (not held, not expired), by name.
#[utoipa::path(get, path = "/folders/{folder_id}/files", tag = "folders", params(("folder_id" = String, Path), Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::FileList), (status = 404, body = api::ErrorBody)))]
async fn list_files(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::FileList>> {
    let limit = page.limit()?;
    let after: Option<(String, String)> = page.cursor()?;
    let rows = folders::files(&state, &me.caller(), &id, after, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |f| (f.name.clone(), f.id.clone()));
    Ok(axum::Json(api::FileList {
        files: rows.iter().map(file_view).collect(),
        next_cursor,
    }))
}
