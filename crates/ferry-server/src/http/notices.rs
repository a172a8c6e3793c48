//! Notices: `GET /notices`, `POST /notices/{id}/read`, `POST /notices/read-all`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::notices;
use ferry_core::timefmt::rfc3339;
use ferry_store::notices::Notice;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiQuery, Page, paginate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(read_all))
}

fn notice_view(n: &Notice) -> api::Notice {
    api::Notice {
        id: n.id.to_string(),
        kind: n.kind.clone(),
        created_at: rfc3339(n.created_at),
        read: n.read_at.is_some(),
        data: serde_json::from_str(&n.data).unwrap_or_default(),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct NoticeQuery {
    /// Only notices not yet read.
    unread: Option<bool>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// The caller's notices, newest first.
#[utoipa::path(get, path = "/notices", tag = "notices", params(NoticeQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::NoticeList), (status = 400, body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<axum::Json<api::NoticeList>> {
    let page = Page {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let rows = notices::list(
        &state,
        &me.caller(),
        q.unread.unwrap_or(false),
        page.cursor()?,
        limit,
    )
    .await?;
    let (rows, next_cursor) = paginate(rows, limit, |n| (n.created_at, n.id.clone()));
    Ok(axum::Json(api::NoticeList {
        notices: rows.iter().map(notice_view).collect(),
        next_cursor,
    }))
}

/// Mark one of the caller's notices read.
#[utoipa::path(post, path = "/notices/{notice_id}/read", tag = "notices",
    params(("notice_id" = String, Path)), security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Notice), (status = 404, body = api::ErrorBody)))]
async fn read(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::Notice>> {
    let notice = notices::read(&state, &me.caller(), &id).await?;
    Ok(axum::Json(notice_view(&notice)))
}

/// Mark every notice of the caller read.
#[utoipa::path(post, path = "/notices/read-all", tag = "notices",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "All read")))]
async fn read_all(State(state): State<AppState>, me: AuthUser) -> ApiResult<Response> {
    notices::read_all(&state, &me.caller()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
