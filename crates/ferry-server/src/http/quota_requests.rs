//! Quota-increase requests: users ask (`/me/quota-requests`), their admins answer
//! (`/quota-requests`). The rules are ferry-app's (`ferry_app::quota_requests`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferry_api as api;
use ferry_app::{AppState, quota_requests};
use ferry_core::timefmt::rfc3339;
use ferry_store::quota_requests::QuotaRequest;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_quota_requests, ask_for_quota))
        .routes(routes!(list_quota_requests))
        .routes(routes!(approve_quota_request))
        .routes(routes!(deny_quota_request))
}

fn view(r: QuotaRequest) -> api::QuotaRequest {
    api::QuotaRequest {
        id: r.id.to_string(),
        user_id: r.user_id.to_string(),
        user_login: r.user_login,
        quota_bytes: r.quota_bytes,
        previous_quota_bytes: r.previous_quota_bytes,
        message: r.message,
        status: r.status,
        decided_by: r.decided_by,
        decision_message: r.decision_message,
        created_at: rfc3339(r.created_at),
        decided_at: r.decided_at.map(rfc3339),
    }
}

fn list_view(rows: Vec<QuotaRequest>) -> axum::Json<api::QuotaRequestList> {
    axum::Json(api::QuotaRequestList {
        requests: rows.into_iter().map(view).collect(),
    })
}

/// The caller's own quota requests, newest first.
#[utoipa::path(get, path = "/me/quota-requests", tag = "auth",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::QuotaRequestList), (status = 401, body = api::ErrorBody)))]
async fn my_quota_requests(
    State(state): State<AppState>,
    me: AuthUser,
) -> ApiResult<axum::Json<api::QuotaRequestList>> {
    Ok(list_view(quota_requests::mine(&state, &me.caller()).await?))
}

/// Ask the admins for a new quota (more than the current one). One pending request at a time.
#[utoipa::path(post, path = "/me/quota-requests", tag = "auth",
    request_body = api::CreateQuotaRequest, security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::QuotaRequest),
        (status = 400, description = "`invalid_value`: not more than the current quota, or a bad message", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 409, description = "`conflict`: a request is pending already, or the quota is unlimited", body = api::ErrorBody)))]
async fn ask_for_quota(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::CreateQuotaRequest>,
) -> ApiResult<(StatusCode, axum::Json<api::QuotaRequest>)> {
    let stored =
        quota_requests::request(&state, &me.caller(), body.quota_bytes, &body.message).await?;
    Ok((StatusCode::CREATED, axum::Json(view(stored))))
}

/// The query of `GET /quota-requests`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only requests in this state.
    #[param(pattern = "^(pending|approved|denied)$")]
    status: Option<String>,
}

/// The quota requests of the users the caller administers (a company admin: its company's),
/// newest first, at most 200.
#[utoipa::path(get, path = "/quota-requests", tag = "users", params(ListQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::QuotaRequestList),
        (status = 400, description = "`invalid_query`: status", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody), (status = 403, body = api::ErrorBody)))]
async fn list_quota_requests(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<api::QuotaRequestList>> {
    Ok(list_view(
        quota_requests::list(&state, &me.caller(), q.status.as_deref()).await?,
    ))
}

/// Grant a pending request: the user's quota becomes what they asked for, and they get a
/// notice.
#[utoipa::path(post, path = "/quota-requests/{request_id}/approve", tag = "users",
    params(("request_id" = String, Path)), request_body = api::DecideQuotaRequest,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::QuotaRequest), (status = 400, body = api::ErrorBody),
        (status = 401, body = api::ErrorBody), (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: answered already", body = api::ErrorBody)))]
async fn approve_quota_request(
    State(state): State<AppState>,
    me: AuthUser,
    Path(request_id): Path<String>,
    ApiJson(body): ApiJson<api::DecideQuotaRequest>,
) -> ApiResult<axum::Json<api::QuotaRequest>> {
    answer(&state, &me, &request_id, true, body).await
}

/// Grants or refuses a request, and shows it as it is then.
async fn answer(
    state: &AppState,
    me: &AuthUser,
    request_id: &str,
    approve: bool,
    body: api::DecideQuotaRequest,
) -> ApiResult<axum::Json<api::QuotaRequest>> {
    let decided = quota_requests::decide(
        state,
        &me.caller(),
        request_id,
        approve,
        body.message.as_deref(),
    )
    .await?;
    Ok(axum::Json(view(decided)))
}

/// Refuse a pending request (the user gets a notice with the message).
#[utoipa::path(post, path = "/quota-requests/{request_id}/deny", tag = "users",
    params(("request_id" = String, Path)), request_body = api::DecideQuotaRequest,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::QuotaRequest), (status = 400, body = api::ErrorBody),
        (status = 401, body = api::ErrorBody), (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: answered already", body = api::ErrorBody)))]
async fn deny_quota_request(
    State(state): State<AppState>,
    me: AuthUser,
    Path(request_id): Path<String>,
    ApiJson(body): ApiJson<api::DecideQuotaRequest>,
) -> ApiResult<axum::Json<api::QuotaRequest>> {
    answer(&state, &me, &request_id, false, body).await
}
