//! Admin support tools: one-time login keys and acting as a user (`ferry_app::support`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferry_api as api;
use ferry_app::{AppState, support};
use ferry_core::timefmt::rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::{AuthUser, session_view};
use crate::http::context::Ctx;
use crate::http::extract::ApiJson;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_login_key))
        .routes(routes!(login_with_key))
        .routes(routes!(impersonate))
}

/// Make a one-time login key for a user (admins; company admins for their company's users):
/// whoever holds it logs in once as the user within 24 hours, without the password (a
/// second factor is still asked for). Shown once; audited as `auth.login_key_created`.
#[utoipa::path(post, path = "/users/{user_id}/login-key", tag = "users",
    params(("user_id" = String, Path)), security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::LoginKey), (status = 401, body = api::ErrorBody),
        (status = 403, description = "`forbidden`, `permission_denied` (an admin the caller may not change, or a session acting as someone)", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: the account cannot log in (disabled, deleted or expired)", body = api::ErrorBody)))]
async fn create_login_key(
    State(state): State<AppState>,
    me: AuthUser,
    Path(user_id): Path<String>,
) -> ApiResult<(StatusCode, axum::Json<api::LoginKey>)> {
    let key = support::create_login_key(&state, &me.caller(), &user_id).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(api::LoginKey {
            key: key.key,
            expires_at: rfc3339(key.expires_at),
        }),
    ))
}

/// Log in with a one-time login key (used once; `otp` for an account with two-factor login).
/// An unknown, used or expired key is `401 invalid_credentials`.
#[utoipa::path(post, path = "/auth/login-key", tag = "auth", request_body = api::LoginKeyRequest,
    responses((status = 201, body = api::Session),
        (status = 400, description = "Malformed body", body = api::ErrorBody),
        (status = 401, description = "`invalid_credentials`, `account_disabled`, `account_deleted`, `account_expired`, `company_inactive`, `otp_required` or `invalid_otp`", body = api::ErrorBody),
        (status = 403, description = "`policy_denied`: outside the allowed addresses", body = api::ErrorBody),
        (status = 423, description = "`account_locked`", body = api::ErrorBody)))]
async fn login_with_key(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<api::LoginKeyRequest>,
) -> ApiResult<(StatusCode, axum::Json<api::Session>)> {
    let session = support::login_with_key(&state, &ctx, &body.key, body.otp.as_deref()).await?;
    Ok((StatusCode::CREATED, axum::Json(session_view(session))))
}

/// Act as a user for support (admins; company admins for their company's users): a session
/// of one hour as that user. Refused for admins, company admins and moderators, for oneself
/// and from a session that is itself acting as someone. Every event the session causes
/// carries `"impersonated_by"` (the admin's id); it cannot change the password, second
/// factor, tokens or logins. Audited as `auth.impersonation_started`.
#[utoipa::path(post, path = "/users/{user_id}/impersonate", tag = "users",
    params(("user_id" = String, Path)), security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::Session), (status = 401, body = api::ErrorBody),
        (status = 403, description = "`forbidden`, `permission_denied`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: the account cannot log in (disabled, deleted or expired)", body = api::ErrorBody)))]
async fn impersonate(
    State(state): State<AppState>,
    me: AuthUser,
    Path(user_id): Path<String>,
) -> ApiResult<(StatusCode, axum::Json<api::Session>)> {
    let session = support::impersonate(&state, &me.caller(), &user_id).await?;
    Ok((StatusCode::CREATED, axum::Json(session_view(session))))
}
