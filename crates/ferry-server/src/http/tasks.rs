//! Tasks: `GET /tasks/{task_id}`, and the `202` answer of work that became a task.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::tasks::{self, Task};
use ferry_core::timefmt::rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get))
}

/// A task the caller queued (admins: any task): its status, progress, and its result or error
/// once it is over.
#[utoipa::path(get, path = "/tasks/{task_id}", tag = "tasks", params(("task_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Task), (status = 404, body = api::ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::Task>> {
    let task = tasks::get(&state, &me.caller(), &id).await?;
    Ok(axum::Json(task_view(&task)))
}

pub fn task_view(t: &Task) -> api::Task {
    api::Task {
        id: t.id.to_string(),
        kind: t.kind.as_str().to_string(),
        status: t.status.as_str().to_string(),
        progress: api::TaskProgress {
            done: t.progress_done,
            total: t.progress_total,
        },
        result: tasks::result_of(t),
        error: tasks::error_of(t).and_then(|e| serde_json::from_value(e).ok()),
        created_at: rfc3339(t.created_at),
        finished_at: t.finished_at.map(rfc3339),
    }
}

/// `202 {"task": …}` with `Location: /api/v1/tasks/{id}`.
pub fn accepted(task: &Task) -> Response {
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/tasks/{}", task.id))],
        axum::Json(api::Queued {
            task: task_view(task),
        }),
    )
        .into_response()
}
