//! Favorites (`/files/{id}/favorite`, `/favorites`) and batches (`/batch/delete`,
//! `/batch/restore`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferry_api as api;
use ferry_app::{AppState, batch, favorites};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery, Page, encode_cursor};
use crate::http::views::file_entry_view;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(mark, unmark))
        .routes(routes!(list_favorites))
        .routes(routes!(batch_delete))
        .routes(routes!(batch_restore))
}

/// Mark a file as a favorite of the caller's (needs `read`).
#[utoipa::path(put, path = "/files/{file_id}/favorite", tag = "files", params(("file_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Marked"), (status = 404, body = api::ErrorBody)))]
async fn mark(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    favorites::mark(&state, &me.caller(), &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unmark a favorite.
#[utoipa::path(delete, path = "/files/{file_id}/favorite", tag = "files", params(("file_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Unmarked"), (status = 404, body = api::ErrorBody)))]
async fn unmark(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    favorites::mark(&state, &me.caller(), &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's favorites, newest mark first.
#[utoipa::path(get, path = "/favorites", tag = "files", params(Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::FileList), (status = 400, body = api::ErrorBody)))]
async fn list_favorites(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::FileList>> {
    let limit = page.limit()?;
    let after: Option<(i64, String)> = page.cursor()?;
    let (rows, next) = favorites::list(&state, &me.caller(), after, limit).await?;
    Ok(axum::Json(api::FileList {
        files: rows
            .iter()
            .map(|e| {
                let mut view = file_entry_view(e);
                view.favorite = true;
                view
            })
            .collect(),
        next_cursor: next.map(|position| encode_cursor(&position)),
    }))
}

/// One result per item: `ok` gives the status of a success.
fn results<T>(
    outcomes: Vec<(String, ferry_app::Result<T>)>,
    ok: impl Fn(&T) -> StatusCode,
) -> api::BatchResults {
    api::BatchResults {
        results: outcomes
            .into_iter()
            .map(|(id, outcome)| match outcome {
                Ok(done) => api::BatchResult {
                    id,
                    status: ok(&done).as_u16(),
                    error: None,
                },
                Err(e) => {
                    let e = ApiError::App(e);
                    api::BatchResult {
                        id,
                        status: e.status().as_u16(),
                        error: Some(api::BatchError {
                            code: e.code().into(),
                            message: e.to_string(),
                        }),
                    }
                }
            })
            .collect(),
    }
}

/// Delete up to 1000 files and folders, each as `DELETE` would (into the trash, or held);
/// one result per item, in order.
#[utoipa::path(post, path = "/batch/delete", tag = "trash", request_body = api::BatchRequest,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::BatchResults), (status = 400, description = "`invalid_value`: 0 or more than 1000 items", body = api::ErrorBody)))]
async fn batch_delete(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::BatchRequest>,
) -> ApiResult<axum::Json<api::BatchResults>> {
    let outcomes = batch::delete(&state, &me.caller(), &body.items).await?;
    // As the single DELETE: 200 with the item when held, 204 when in the trash.
    Ok(axum::Json(results(outcomes, |d| match d {
        batch::DeleteOutcome::Held => StatusCode::OK,
        batch::DeleteOutcome::Trashed => StatusCode::NO_CONTENT,
    })))
}

/// Restore up to 1000 trash items to where they were; one result per item, in order.
#[utoipa::path(post, path = "/batch/restore", tag = "trash", request_body = api::BatchRequest,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::BatchResults), (status = 400, description = "`invalid_value`: 0 or more than 1000 items", body = api::ErrorBody)))]
async fn batch_restore(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::BatchRequest>,
) -> ApiResult<axum::Json<api::BatchResults>> {
    let outcomes = batch::restore(&state, &me.caller(), &body.items).await?;
    Ok(axum::Json(results(outcomes, |_| StatusCode::OK)))
}
