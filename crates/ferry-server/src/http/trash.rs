//! The trash: `/trash`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::trash::{self, RestoreTo, Restored};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};
use crate::http::folders::{on_conflict, with_etag};
use crate::http::views::{file_entry_view, folder_entry_view, trash_view};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, empty))
        .routes(routes!(purge))
        .routes(routes!(restore))
}

/// What was deleted from the folders the caller manages (admins: everything), newest first.
#[utoipa::path(get, path = "/trash", tag = "trash", params(Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::TrashList), (status = 400, body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::TrashList>> {
    let limit = page.limit()?;
    let after: Option<(i64, String)> = page.cursor()?;
    let rows = trash::list(&state, &me.caller(), after, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |t| (t.deleted_at, t.id.clone()));
    Ok(axum::Json(api::TrashList {
        items: rows.iter().map(trash_view).collect(),
        next_cursor,
    }))
}

/// Restore a trash item to where it was deleted from, or under `parent_id`. A name taken
/// meanwhile becomes `name (1)` (or `409` with `on_conflict: fail`).
#[utoipa::path(post, path = "/trash/{item_id}/restore", tag = "trash", params(("item_id" = String, Path)),
    request_body = api::RestoreItem,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, description = "The restored File or Folder", body = api::RestoredItem),
        (status = 400, body = api::ErrorBody), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`original_parent_missing`, `name_conflict`", body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded`", body = api::ErrorBody)))]
async fn restore(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    body: Option<ApiJson<api::RestoreItem>>,
) -> ApiResult<Response> {
    let caller = me.caller();
    let body = body.map(|b| b.0).unwrap_or_default();
    let to = RestoreTo {
        parent_id: body.parent_id.as_deref(),
        name: body.name.as_deref(),
        on_conflict: on_conflict(body.on_conflict.as_deref())?,
    };
    Ok(match trash::restore(&state, &caller, &id, to).await? {
        Restored::File(e) => with_etag(e.file.revision, StatusCode::OK, file_entry_view(&e)),
        Restored::Folder(e) => with_etag(
            e.folder.revision,
            StatusCode::OK,
            folder_entry_view(&caller, &e),
        ),
    })
}

/// Purge one trash item now (held items: admins only).
#[utoipa::path(delete, path = "/trash/{item_id}", tag = "trash", params(("item_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Purged"), (status = 404, body = api::ErrorBody),
        (status = 410, description = "`file_held`: held by a retention rule", body = api::ErrorBody)))]
async fn purge(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    trash::purge(&state, &me.caller(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Empty the caller's own trash of everything purgeable (held items stay until their hold
/// ends). More than `tasks.inline_max_items` items are emptied by a task: `202 {"task"}`.
#[utoipa::path(delete, path = "/trash", tag = "trash",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Emptied"),
        (status = 202, description = "A big trash: a task empties it", body = api::Queued)))]
async fn empty(State(state): State<AppState>, me: AuthUser) -> ApiResult<Response> {
    Ok(match trash::empty(&state, &me.caller()).await? {
        trash::Emptied::Done(_) => StatusCode::NO_CONTENT.into_response(),
        trash::Emptied::Queued(task) => crate::http::tasks::accepted(&task),
    })
}
