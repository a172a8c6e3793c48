//! Folders: `/folders`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_core::audit::Action;
use ferry_core::timefmt::{now_ms, rfc3339};
use ferry_core::{IdKind, Permission, Visibility, validate};
use ferry_store::folders::{Folder, NewFolder};
use ferry_store::users::User;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::context::Ctx;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};
use crate::http::files::file_view;
use ferry_app::AppState;
use ferry_app::Error;
use ferry_app::audit;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(list_files))
}

/// What `user` may do in `folder`; empty means the folder is invisible to them (404).
/// Owners and admins may do everything; sharing with others comes with the sharing feature.
pub fn permissions(user: &User, folder: &Folder) -> Vec<Permission> {
    if folder.owner_id == user.id || user.is_admin() {
        Permission::ALL.to_vec()
    } else {
        Vec::new()
    }
}

/// Loads a folder the caller may access with `needed`; anything else is `404`.
pub async fn load_for(
    state: &AppState,
    user: &User,
    id: &str,
    needed: Permission,
) -> ApiResult<Folder> {
    if !IdKind::Folder.matches(id) {
        return Err(ApiError::App(Error::NotFound));
    }
    let mut conn = state.store.conn().await?;
    let folder = ferry_store::folders::get(&mut conn, id)
        .await?
        .ok_or(ApiError::App(Error::NotFound))?;
    if permissions(user, &folder).contains(&needed) {
        Ok(folder)
    } else {
        Err(ApiError::App(Error::NotFound))
    }
}

async fn folder_view(
    state: &AppState,
    user: &User,
    f: &Folder,
    with_quota: bool,
) -> ApiResult<api::Folder> {
    let quota = if with_quota {
        let mut conn = state.store.conn().await?;
        let owner = ferry_store::users::get(&mut conn, &f.owner_id).await?;
        Some(api::Quota {
            limit_bytes: owner.and_then(|o| o.quota_bytes),
            used_bytes: ferry_store::folders::used_bytes(&mut conn, &f.id).await?,
        })
    } else {
        None
    };
    Ok(api::Folder {
        id: f.id.clone(),
        name: f.name.clone(),
        visibility: f.visibility.clone(),
        retention_days: f.retention_days,
        owner: api::Owner {
            id: f.owner_id.clone(),
            login: f.owner_login.clone(),
        },
        permissions: permissions(user, f)
            .iter()
            .map(|p| p.as_str().into())
            .collect(),
        created_at: rfc3339(f.created_at),
        updated_at: rfc3339(f.updated_at),
        quota,
    })
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
    let owner = (!me.user.is_admin()).then_some(me.user.id.as_str());
    let rows = {
        let mut conn = state.store.conn().await?;
        ferry_store::folders::list(
            &mut conn,
            owner,
            after.as_ref().map(|(n, i)| (n.as_str(), i.as_str())),
            limit + 1,
        )
        .await?
    };
    let (rows, next_cursor) = paginate(rows, limit, |f| (f.name.clone(), f.id.clone()));
    let mut folders = Vec::with_capacity(rows.len());
    for f in &rows {
        folders.push(folder_view(&state, &me.user, f, q.include_quota.unwrap_or(false)).await?);
    }
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
    ctx: Ctx,
    me: AuthUser,
    ApiJson(body): ApiJson<api::CreateFolder>,
) -> ApiResult<impl IntoResponse> {
    validate::name("name", &body.name)?;
    let retention_days = validate::in_range(
        "retention_days",
        body.retention_days.unwrap_or(0),
        0..=validate::MAX_RETENTION_DAYS,
    )?;
    let visibility = match body.visibility.as_deref() {
        None => Visibility::Private,
        Some(v) => Visibility::parse(v).ok_or_else(|| {
            ApiError::invalid(
                "visibility",
                "invalid_value",
                "visibility must be `private`.",
            )
        })?,
    };
    let id = IdKind::Folder.generate();
    let mut tx = state.store.begin().await?;
    let result = ferry_store::folders::insert(
        &mut tx,
        &NewFolder {
            id: &id,
            owner_id: &me.user.id,
            name: &body.name,
            visibility: visibility.as_str(),
            retention_days,
            now: now_ms(),
        },
    )
    .await;
    match result {
        Err(ferry_store::StoreError::Conflict) => {
            return Err(ApiError::App(Error::NameConflict(format!(
                "You already have a folder named `{}`.",
                body.name
            ))));
        }
        other => other?,
    }
    audit::success(&ctx, Some(&me.user), Action::FolderCreated, ("folder", &id))
        .in_folder(&id)
        .details(json!({"name": body.name, "retention_days": retention_days}))
        .append(&mut tx)
        .await?;
    let folder = ferry_store::folders::get(&mut tx, &id)
        .await?
        .ok_or(ApiError::App(Error::NotFound))?;
    tx.commit().await?;
    let view = folder_view(&state, &me.user, &folder, false).await?;
    Ok((
        StatusCode::CREATED,
        [(
            axum::http::header::LOCATION,
            format!("/api/v1/folders/{id}"),
        )],
        axum::Json(view),
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
    let folder = load_for(&state, &me.user, &id, Permission::Read).await?;
    Ok(axum::Json(
        folder_view(&state, &me.user, &folder, q.include_quota.unwrap_or(false)).await?,
    ))
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
    let folder = load_for(&state, &me.user, &id, Permission::Read).await?;
    let limit = page.limit()?;
    let after: Option<(String, String)> = page.cursor()?;
    let mut conn = state.store.conn().await?;
    let rows = ferry_store::files::list_live(
        &mut conn,
        &folder.id,
        now_ms(),
        after.as_ref().map(|(n, i)| (n.as_str(), i.as_str())),
        limit + 1,
    )
    .await?;
    let (rows, next_cursor) = paginate(rows, limit, |f| (f.name.clone(), f.id.clone()));
    Ok(axum::Json(api::FileList {
        files: rows.iter().map(file_view).collect(),
        next_cursor,
    }))
}
