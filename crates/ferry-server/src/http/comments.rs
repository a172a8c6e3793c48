//! Comments on files: `GET|POST /files/{file_id}/comments`, `PATCH|DELETE /comments/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::comments;
use ferry_core::timefmt::rfc3339;
use ferry_store::comments::Comment;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, remove))
}

pub fn comment_view(c: &Comment) -> api::Comment {
    api::Comment {
        id: c.id.to_string(),
        file_id: c.file_id.to_string(),
        author: api::CommentUser {
            id: c.author_id.to_string(),
            login: c.author_login.clone(),
        },
        body: c.body.clone(),
        created_at: rfc3339(c.created_at),
        updated_at: rfc3339(c.updated_at),
        task: match (&c.assignee_id, c.task_state()) {
            (Some(id), Some(state)) => Some(api::CommentTask {
                assignee: api::CommentUser {
                    id: id.clone(),
                    login: c.assignee_login.clone().unwrap_or_default(),
                },
                status: state.as_str().into(),
            }),
            _ => None,
        },
    }
}

/// A file's comments (for anyone who may read the file), oldest first.
#[utoipa::path(get, path = "/files/{file_id}/comments", tag = "comments",
    params(("file_id" = String, Path), Page), security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::CommentList), (status = 400, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`folder_expired`", body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    Path(file_id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::CommentList>> {
    let limit = page.limit()?;
    let rows = comments::list(&state, &me.caller(), &file_id, page.cursor()?, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |c| (c.created_at, c.id.clone()));
    Ok(axum::Json(api::CommentList {
        comments: rows.iter().map(comment_view).collect(),
        next_cursor,
    }))
}

/// Comment on a file the caller may read; with an `assignee` the comment is a task (`open`).
/// `@login` mentions notify the users named who may read the file.
#[utoipa::path(post, path = "/files/{file_id}/comments", tag = "comments",
    params(("file_id" = String, Path)), request_body = api::CreateComment,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::Comment),
        (status = 400, description = "`invalid_value` (field `body` or `assignee`)", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`folder_expired`", body = api::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    Path(file_id): Path<String>,
    ApiJson(body): ApiJson<api::CreateComment>,
) -> ApiResult<Response> {
    let created = comments::create(
        &state,
        &me.caller(),
        &file_id,
        &body.body,
        body.assignee.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(comment_view(&created))).into_response())
}

/// Edit a comment's body (its author) or set a task's status (its author, its assignee, or
/// anyone who may write in the folder).
#[utoipa::path(patch, path = "/comments/{comment_id}", tag = "comments",
    params(("comment_id" = String, Path)), request_body = api::UpdateComment,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Comment),
        (status = 400, description = "`invalid_value` (field `body` or `status`)", body = api::ErrorBody),
        (status = 403, description = "`permission_denied`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`folder_expired`", body = api::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::UpdateComment>,
) -> ApiResult<axum::Json<api::Comment>> {
    let updated = comments::update(
        &state,
        &me.caller(),
        &id,
        body.body.as_deref(),
        body.status.as_deref(),
    )
    .await?;
    Ok(axum::Json(comment_view(&updated)))
}

/// Delete a comment: its author, or a manager or owner of the folder.
#[utoipa::path(delete, path = "/comments/{comment_id}", tag = "comments",
    params(("comment_id" = String, Path)), security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "`permission_denied`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 410, description = "`folder_expired`", body = api::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    comments::delete(&state, &me.caller(), &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
