//! Two-factor login: `/me/2fa` (set up, confirm, turn off) and an admin's reset
//! `/users/{id}/2fa`. The login itself takes the code in `POST /auth/session`'s `otp`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_app::{AppState, two_factor};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::ApiJson;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status, begin, disable))
        .routes(routes!(confirm))
        .routes(routes!(reset))
}

/// Where the caller's two-factor login stands.
#[utoipa::path(get, path = "/me/2fa", tag = "auth",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::TwoFactorStatus), (status = 401, body = api::ErrorBody)))]
async fn status(
    State(state): State<AppState>,
    me: AuthUser,
) -> ApiResult<axum::Json<api::TwoFactorStatus>> {
    let status = two_factor::status(&state, &me.caller()).await?;
    Ok(axum::Json(api::TwoFactorStatus {
        enabled: status.enabled,
        pending: status.pending,
        recovery_codes_left: status.recovery_codes_left,
    }))
}

/// Start setting up two-factor login: a new TOTP secret for an authenticator app (replacing
/// one not yet confirmed). Logins are unchanged until `POST /me/2fa/confirm`.
#[utoipa::path(post, path = "/me/2fa", tag = "auth",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::TwoFactorEnrolment),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = api::ErrorBody),
        (status = 409, description = "`conflict`: two-factor login is on already", body = api::ErrorBody)))]
async fn begin(State(state): State<AppState>, me: AuthUser) -> ApiResult<impl IntoResponse> {
    let enrolment = two_factor::begin(&state, &me.caller()).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(api::TwoFactorEnrolment {
            secret: enrolment.secret,
            otpauth_uri: enrolment.otpauth_uri,
        }),
    ))
}

/// Confirm the new secret with a code from the app: two-factor login is on, and the answer
/// holds ten single-use recovery codes, shown only here.
#[utoipa::path(post, path = "/me/2fa/confirm", tag = "auth", request_body = api::OtpCode,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::RecoveryCodes),
        (status = 400, description = "`invalid_otp`: wrong, expired or used code", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = api::ErrorBody),
        (status = 409, description = "`conflict`: no secret waits for confirmation", body = api::ErrorBody)))]
async fn confirm(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::OtpCode>,
) -> ApiResult<axum::Json<api::RecoveryCodes>> {
    let recovery_codes = two_factor::confirm(&state, &me.caller(), &body.code).await?;
    Ok(axum::Json(api::RecoveryCodes { recovery_codes }))
}

/// Turn two-factor login off, with a current code or a recovery code.
#[utoipa::path(delete, path = "/me/2fa", tag = "auth", request_body = api::OtpCode,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204),
        (status = 400, description = "`invalid_otp`", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = api::ErrorBody),
        (status = 404, description = "Two-factor login is not on", body = api::ErrorBody)))]
async fn disable(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::OtpCode>,
) -> ApiResult<StatusCode> {
    two_factor::disable(&state, &me.caller(), &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turn a user's two-factor login off, for one who lost their app and recovery codes
/// (admins; company admins for their company's users).
#[utoipa::path(delete, path = "/users/{user_id}/2fa", tag = "users",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)")),
    responses((status = 204), (status = 401, body = api::ErrorBody),
        (status = 403, body = api::ErrorBody),
        (status = 404, description = "No such user, or two-factor login is not on", body = api::ErrorBody)))]
async fn reset(
    State(state): State<AppState>,
    me: AuthUser,
    Path(user_id): Path<String>,
) -> ApiResult<StatusCode> {
    two_factor::reset(&state, &me.caller(), &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
