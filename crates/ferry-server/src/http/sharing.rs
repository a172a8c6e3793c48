//! Sharing: collaborators of a folder, role changes and removal, and the caller's invitations.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::sharing::{self, Invite, Invitee};
use ferry_core::timefmt::rfc3339;
use ferry_store::collaborations::Collaboration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate, parse_time};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(invite, list))
        .routes(routes!(update, remove))
        .routes(routes!(invitations))
        .routes(routes!(accept))
        .routes(routes!(decline))
        .routes(routes!(transfer))
}

pub fn collaboration_view(c: &Collaboration) -> api::Collaboration {
    api::Collaboration {
        id: c.id.to_string(),
        folder_id: c.folder_id.to_string(),
        folder_name: c.folder_name.clone(),
        principal: api::Principal {
            kind: c.principal_type.as_str().into(),
            id: c
                .user_id
                .clone()
                .or_else(|| c.group_id.clone())
                .or_else(|| c.email.clone())
                .unwrap_or_default(),
            name: c.principal_name.clone(),
        },
        role: c.role().as_str().into(),
        status: c.status.as_str().into(),
        mount_name: c.mount_name.clone(),
        message: c.message.clone(),
        invited_by: match (&c.invited_by_id, &c.invited_by_login) {
            (Some(id), Some(login)) => Some(api::Inviter {
                id: id.clone(),
                login: login.clone(),
            }),
            _ => None,
        },
        created_at: rfc3339(c.created_at),
        expires_at: c.expires_at.map(rfc3339),
    }
}

fn page_of(rows: Vec<Collaboration>, limit: i64) -> (Vec<api::Collaboration>, Option<String>) {
    let (rows, next) = paginate(rows, limit, |c| (c.created_at, c.id.clone()));
    (rows.iter().map(collaboration_view).collect(), next)
}

fn expiry(value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value.map(|t| parse_time("expires_at", t)).transpose()
}

/// Share a folder (needs `share`) with a user (login or id), a group or an e-mail address.
/// Users and addresses get an invitation (`pending`); a group's members see it at once.
#[utoipa::path(post, path = "/folders/{folder_id}/collaborators", tag = "sharing",
    params(("folder_id" = String, Path)), request_body = api::CreateCollaboration,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::Collaboration),
        (status = 400, description = "`invalid_value`, `not_found` (field `user` or `group`), `missing_field`", body = api::ErrorBody),
        (status = 403, description = "`permission_denied`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: already a collaborator", body = api::ErrorBody)))]
async fn invite(
    State(state): State<AppState>,
    me: AuthUser,
    Path(folder_id): Path<String>,
    ApiJson(body): ApiJson<api::CreateCollaboration>,
) -> ApiResult<Response> {
    let invitee = match (&body.user, &body.group, &body.email) {
        (Some(u), None, None) => Invitee::User(u),
        (None, Some(g), None) => Invitee::Group(g),
        (None, None, Some(e)) => Invitee::Email(e),
        _ => {
            return Err(ApiError::invalid(
                "user",
                "missing_field",
                "Give exactly one of user, group and email.",
            ));
        }
    };
    let invite = Invite {
        invitee,
        role: &body.role,
        message: body.message.as_deref(),
        expires_at: expiry(body.expires_at.as_deref())?,
    };
    let created = sharing::invite(&state, &me.caller(), &folder_id, invite).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(collaboration_view(&created)),
    )
        .into_response())
}

/// A folder's collaborators (for anyone who may read the folder), oldest first.
#[utoipa::path(get, path = "/folders/{folder_id}/collaborators", tag = "sharing",
    params(("folder_id" = String, Path), Page), security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::CollaborationList), (status = 400, body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    Path(folder_id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::CollaborationList>> {
    let limit = page.limit()?;
    let rows = sharing::list(&state, &me.caller(), &folder_id, page.cursor()?, limit).await?;
    let (collaborators, next_cursor) = page_of(rows, limit);
    Ok(axum::Json(api::CollaborationList {
        collaborators,
        next_cursor,
    }))
}

/// Change a collaboration's role or end (needs `share`; managers give at most `editor`).
#[utoipa::path(patch, path = "/collaborations/{collaboration_id}", tag = "sharing",
    params(("collaboration_id" = String, Path)), request_body = api::UpdateCollaboration,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Collaboration), (status = 400, body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::UpdateCollaboration>,
) -> ApiResult<axum::Json<api::Collaboration>> {
    let expires_at = body
        .expires_at
        .as_ref()
        .map(|t| expiry(t.as_deref()))
        .transpose()?;
    let updated =
        sharing::update(&state, &me.caller(), &id, body.role.as_deref(), expires_at).await?;
    Ok(axum::Json(collaboration_view(&updated)))
}

/// End a collaboration: a manager of the folder removes it, or its collaborator leaves.
#[utoipa::path(delete, path = "/collaborations/{collaboration_id}", tag = "sharing",
    params(("collaboration_id" = String, Path)), security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Removed"), (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    sharing::remove(&state, &me.caller(), &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The caller's pending invitations, oldest first.
#[utoipa::path(get, path = "/invitations", tag = "sharing", params(Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::InvitationList), (status = 400, body = api::ErrorBody)))]
async fn invitations(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::InvitationList>> {
    let limit = page.limit()?;
    let rows = sharing::invitations(&state, &me.caller(), page.cursor()?, limit).await?;
    let (invitations, next_cursor) = page_of(rows, limit);
    Ok(axum::Json(api::InvitationList {
        invitations,
        next_cursor,
    }))
}

/// Accept an invitation: the folder appears in the caller's root under `mount_name`.
#[utoipa::path(post, path = "/invitations/{invitation_id}/accept", tag = "sharing",
    params(("invitation_id" = String, Path)), request_body = api::AcceptInvitation,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Collaboration), (status = 400, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`name_conflict`: the mount name is taken", body = api::ErrorBody)))]
async fn accept(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::AcceptInvitation>,
) -> ApiResult<axum::Json<api::Collaboration>> {
    let accepted = sharing::accept(&state, &me.caller(), &id, body.mount_name.as_deref()).await?;
    Ok(axum::Json(collaboration_view(&accepted)))
}

/// Decline an invitation.
#[utoipa::path(post, path = "/invitations/{invitation_id}/decline", tag = "sharing",
    params(("invitation_id" = String, Path)), security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Collaboration), (status = 404, body = api::ErrorBody)))]
async fn decline(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::Collaboration>> {
    let declined = sharing::decline(&state, &me.caller(), &id).await?;
    Ok(axum::Json(collaboration_view(&declined)))
}

/// Hand a top-level folder to another user (its owner or an admin): the receiver's quota takes
/// its bytes, and the previous owner keeps it as an editor.
#[utoipa::path(post, path = "/folders/{folder_id}/transfer", tag = "sharing",
    params(("folder_id" = String, Path)), request_body = api::TransferFolder,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Folder),
        (status = 400, description = "`invalid_value` (a subfolder, or the owner already), `not_found` (field `to`)", body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded`: the receiver's quota", body = api::ErrorBody)))]
async fn transfer(
    State(state): State<AppState>,
    me: AuthUser,
    Path(folder_id): Path<String>,
    ApiJson(body): ApiJson<api::TransferFolder>,
) -> ApiResult<axum::Json<api::Folder>> {
    let caller = me.caller();
    let entry = sharing::transfer(&state, &caller, &folder_id, &body.to).await?;
    Ok(axum::Json(crate::http::views::folder_entry_view(
        &caller, &entry,
    )))
}
