//! Groups: `/groups` — groups of users and their members. System admins create, rename and
//! delete groups and manage members; any user sees the groups they belong to. Anyone else's
//! group is `404`; a group one sees but may not change is `403 permission_denied`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::groups::{self, GroupInfo, GroupPatch};
use ferry_core::timefmt::rfc3339;
use ferry_store::groups::Member;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(members))
        .routes(routes!(add_member, remove_member))
}

fn view(g: &GroupInfo) -> api::Group {
    api::Group {
        id: g.group.id.to_string(),
        name: g.group.name.clone(),
        description: g.group.description.clone(),
        member_count: g.member_count,
        company_id: g.group.company_id.clone(),
        created_at: rfc3339(g.group.created_at),
        updated_at: rfc3339(g.group.updated_at),
    }
}

fn member_view(m: &Member) -> api::GroupMember {
    api::GroupMember {
        id: m.id.to_string(),
        login: m.login.clone(),
        name: m.name.clone(),
    }
}

/// Create a group (admins).
#[utoipa::path(post, path = "/groups", tag = "groups", request_body = api::CreateGroup,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Group),
        (status = 400, description = "`invalid_name`, `invalid_value` (description)", body = api::ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = api::ErrorBody),
        (status = 409, description = "`name_conflict`: a group of that name (in any case) exists", body = api::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::CreateGroup>,
) -> ApiResult<impl IntoResponse> {
    let group = groups::create(
        &state,
        &me.caller(),
        &body.name,
        body.description.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(view(&group))))
}

/// The groups the caller belongs to (admins: all groups), by name without regard to case.
#[utoipa::path(get, path = "/groups", tag = "groups", params(Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::GroupList),
        (status = 400, description = "`invalid_value` (limit), `invalid_cursor`", body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::GroupList>> {
    let limit = page.limit()?;
    let after = page.cursor::<(String, String)>()?;
    let rows = groups::list(&state, &me.caller(), after, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |g| {
        (g.group.name_key.clone(), g.group.id.clone())
    });
    Ok(axum::Json(api::GroupList {
        groups: rows.iter().map(view).collect(),
        next_cursor,
    }))
}

/// One group.
#[utoipa::path(get, path = "/groups/{group_id}", tag = "groups",
    params(("group_id" = String, Path, description = "Group id (`grp_…`)")),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Group), (status = 404, body = api::ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::Group>> {
    let group = groups::get(&state, &me.caller(), &id).await?;
    Ok(axum::Json(view(&group)))
}

/// Rename a group or change its description (admins).
#[utoipa::path(patch, path = "/groups/{group_id}", tag = "groups",
    params(("group_id" = String, Path, description = "Group id (`grp_…`)")),
    request_body = api::UpdateGroup,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Group),
        (status = 400, description = "`invalid_name`, `invalid_value` (description)", body = api::ErrorBody),
        (status = 403, description = "`permission_denied`: a member who is not an admin", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`name_conflict`: another group has that name (in any case)", body = api::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::UpdateGroup>,
) -> ApiResult<axum::Json<api::Group>> {
    let patch = GroupPatch {
        name: body.name.as_deref(),
        description: body.description.as_deref(),
    };
    let group = groups::update(&state, &me.caller(), &id, patch).await?;
    Ok(axum::Json(view(&group)))
}

/// Delete a group and its memberships (admins).
#[utoipa::path(delete, path = "/groups/{group_id}", tag = "groups",
    params(("group_id" = String, Path, description = "Group id (`grp_…`)")),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204),
        (status = 403, description = "`permission_denied`: a member who is not an admin", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    groups::delete(&state, &me.caller(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A group's members, by login.
#[utoipa::path(get, path = "/groups/{group_id}/members", tag = "groups",
    params(("group_id" = String, Path, description = "Group id (`grp_…`)"), Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::GroupMemberList),
        (status = 400, description = "`invalid_value` (limit), `invalid_cursor`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody)))]
async fn members(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::GroupMemberList>> {
    let limit = page.limit()?;
    let after = page.cursor::<(String, String)>()?;
    let rows = groups::members(&state, &me.caller(), &id, after, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |m| (m.login.clone(), m.id.clone()));
    Ok(axum::Json(api::GroupMemberList {
        members: rows.iter().map(member_view).collect(),
        next_cursor,
    }))
}

/// Add a user to a group (admins). Adding a member again changes nothing.
#[utoipa::path(put, path = "/groups/{group_id}/members/{user_id}", tag = "groups",
    params(("group_id" = String, Path, description = "Group id (`grp_…`)"),
        ("user_id" = String, Path, description = "User id (`usr_…`)")),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Group, description = "The group, with the user as a member"),
        (status = 403, description = "`permission_denied`: a member who is not an admin", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such group, or no such user", body = api::ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<api::Group>> {
    let group = groups::add_member(&state, &me.caller(), &id, &user_id).await?;
    Ok(axum::Json(view(&group)))
}

/// Remove a user from a group (admins).
#[utoipa::path(delete, path = "/groups/{group_id}/members/{user_id}", tag = "groups",
    params(("group_id" = String, Path, description = "Group id (`grp_…`)"),
        ("user_id" = String, Path, description = "User id (`usr_…`)")),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204),
        (status = 403, description = "`permission_denied`: a member who is not an admin", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such group, or the user is not a member", body = api::ErrorBody)))]
async fn remove_member(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    groups::remove_member(&state, &me.caller(), &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
