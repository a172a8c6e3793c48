//! Company visibility: the directory (`GET /directory`) and access requests
//! (`/folders/{id}/access-requests`, `/access-requests/{id}/approve|deny`). The rules are
//! ferry-app's (`ferry_app::access_requests`, decided in `ferry_app::access`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferry_api as api;
use ferry_app::{AppState, Caller, access, access_requests};
use ferry_core::timefmt::rfc3339;
use ferry_store::access_requests::{AccessRequest, Listed};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(directory))
        .routes(routes!(request_access, access_requests))
        .routes(routes!(approve_access_request))
        .routes(routes!(deny_access_request))
}

fn directory_view(caller: &Caller, l: &Listed) -> api::DirectoryFolder {
    let f = &l.folder;
    api::DirectoryFolder {
        id: f.id.to_string(),
        name: f.name.clone(),
        description: f.description.clone(),
        owner: api::Owner {
            id: f.owner_id.to_string(),
            login: f.owner_login.clone(),
        },
        created_at: rfc3339(f.created_at),
        role: access::folder_role(caller, f).map(|r| r.as_str().into()),
        pending_request_id: l.pending_request_id.clone(),
    }
}

fn request_view(r: &AccessRequest) -> api::AccessRequest {
    api::AccessRequest {
        id: r.id.to_string(),
        folder_id: r.folder_id.to_string(),
        folder_name: r.folder_name.clone(),
        user: api::Owner {
            id: r.user_id.to_string(),
            login: r.user_login.clone(),
        },
        role: r.role.clone(),
        message: r.message.clone(),
        status: r.status.clone(),
        decided_by: r.decided_by.clone(),
        created_at: rfc3339(r.created_at),
        decided_at: r.decided_at.map(rfc3339),
    }
}

/// The folders members of the caller's company show to it (`visibility: "company"`), oldest
/// first, with the caller's role on each (`null`: none; they may ask for access). Empty for a
/// caller of no company.
#[utoipa::path(get, path = "/directory", tag = "sharing", params(Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::DirectoryList), (status = 400, body = api::ErrorBody),
        (status = 401, body = api::ErrorBody)))]
async fn directory(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::DirectoryList>> {
    let caller = me.caller();
    let limit = page.limit()?;
    let rows = access_requests::directory(&state, &caller, page.cursor()?, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |l| (l.folder.created_at, l.folder.id.clone()));
    Ok(axum::Json(api::DirectoryList {
        folders: rows.iter().map(|l| directory_view(&caller, l)).collect(),
        next_cursor,
    }))
}

/// Ask for access to a folder of the caller's directory; its owner gets a notice.
#[utoipa::path(post, path = "/folders/{folder_id}/access-requests", tag = "sharing",
    params(("folder_id" = String, Path)), request_body = api::CreateAccessRequest,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::AccessRequest),
        (status = 400, description = "`invalid_value`: role or message", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 404, description = "`not_found`: not in the caller's directory", body = api::ErrorBody),
        (status = 409, description = "`conflict`: access already, or a request waiting", body = api::ErrorBody)))]
async fn request_access(
    State(state): State<AppState>,
    me: AuthUser,
    Path(folder_id): Path<String>,
    ApiJson(body): ApiJson<api::CreateAccessRequest>,
) -> ApiResult<(StatusCode, axum::Json<api::AccessRequest>)> {
    let stored = access_requests::request(
        &state,
        &me.caller(),
        &folder_id,
        body.role.as_deref(),
        body.message.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(request_view(&stored))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RequestQuery {
    /// Only requests in this state.
    #[param(pattern = "^(pending|approved|denied)$")]
    status: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// A folder's access requests, oldest first, for whoever may share it.
#[utoipa::path(get, path = "/folders/{folder_id}/access-requests", tag = "sharing",
    params(("folder_id" = String, Path), RequestQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::AccessRequestList),
        (status = 400, description = "`invalid_query`", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`permission_denied`: no `share` on the folder", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody)))]
async fn access_requests(
    State(state): State<AppState>,
    me: AuthUser,
    Path(folder_id): Path<String>,
    ApiQuery(q): ApiQuery<RequestQuery>,
) -> ApiResult<axum::Json<api::AccessRequestList>> {
    let page = Page {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let rows = access_requests::list(
        &state,
        &me.caller(),
        &folder_id,
        q.status.as_deref(),
        page.cursor()?,
        limit,
    )
    .await?;
    let (rows, next_cursor) = paginate(rows, limit, |r| (r.created_at, r.id.clone()));
    Ok(axum::Json(api::AccessRequestList {
        requests: rows.iter().map(request_view).collect(),
        next_cursor,
    }))
}

/// Approve a pending request: the folder is shared with the member (accepted, in their root
/// under its name) with the role asked for or the one given; they get a notice.
#[utoipa::path(post, path = "/access-requests/{request_id}/approve", tag = "sharing",
    params(("request_id" = String, Path)), request_body = api::ApproveAccessRequest,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::AccessRequest),
        (status = 400, description = "`invalid_value`: role", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`permission_denied`: no `share`, or a role above the caller's to give", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: answered already, or a collaborator already", body = api::ErrorBody)))]
async fn approve_access_request(
    State(state): State<AppState>,
    me: AuthUser,
    Path(request_id): Path<String>,
    ApiJson(body): ApiJson<api::ApproveAccessRequest>,
) -> ApiResult<axum::Json<api::AccessRequest>> {
    let caller = me.caller();
    let decided =
        access_requests::decide(&state, &caller, &request_id, true, body.role.as_deref()).await?;
    Ok(axum::Json(request_view(&decided)))
}

/// Deny a pending request; the member gets a notice.
#[utoipa::path(post, path = "/access-requests/{request_id}/deny", tag = "sharing",
    params(("request_id" = String, Path)), security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::AccessRequest), (status = 401, body = api::ErrorBody),
        (status = 403, description = "`permission_denied`: no `share` on the folder", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: answered already", body = api::ErrorBody)))]
async fn deny_access_request(
    State(state): State<AppState>,
    me: AuthUser,
    Path(request_id): Path<String>,
) -> ApiResult<axum::Json<api::AccessRequest>> {
    let decided = access_requests::decide(&state, &me.caller(), &request_id, false, None).await?;
    Ok(axum::Json(request_view(&decided)))
}
