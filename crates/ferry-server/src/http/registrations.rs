//! Self-registration: `POST /auth/register` and its confirmation (anyone, when
//! `accounts.registration` allows it), and the sign-ups system admins decide
//! (`/registrations`). The rules are ferry-app's (`ferry_app::registrations`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::registrations::{self, Confirmed, SignUp};
use ferry_core::timefmt::rfc3339;
use ferry_store::registrations::Registration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::context::Ctx;
use crate::http::extract::{ApiJson, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(confirm_registration))
        .routes(routes!(list_registrations))
        .routes(routes!(approve_registration))
        .routes(routes!(deny_registration))
}

fn view(r: Registration) -> api::Registration {
    api::Registration {
        id: r.id.to_string(),
        login: r.login,
        name: r.name,
        status: r.status,
        created_at: rfc3339(r.created_at),
        confirmed_at: r.confirmed_at.map(rfc3339),
        decided_by: r.decided_by,
        decided_at: r.decided_at.map(rfc3339),
        user_id: r.user_id,
    }
}

/// Sign up with an e-mail address and a password. Always `202` when sign-ups are open,
/// whether or not the address has an account already (nothing can be learnt about accounts
/// here): a new address gets a single-use confirmation link, valid for 24 hours, at most one
/// a minute.
#[utoipa::path(post, path = "/auth/register", tag = "auth",
    request_body = api::RegisterRequest,
    responses(
        (status = 202, description = "Accepted; a confirmation mail is on its way unless the address has an account or a sign-up already"),
        (status = 400, description = "`invalid_login` (not an e-mail address), `invalid_password`, `invalid_name`, or a malformed body", body = api::ErrorBody),
        (status = 403, description = "`registration_closed`: this server takes no sign-ups (`accounts.registration = \"closed\"`)", body = api::ErrorBody),
        (status = 429, description = "`too_many_requests`: too many attempts from this address", body = api::ErrorBody),
        (status = 503, description = "`mail_not_configured`: this server sends no e-mail", body = api::ErrorBody),
    ))]
async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<api::RegisterRequest>,
) -> ApiResult<StatusCode> {
    let sign_up = SignUp {
        login: &body.login,
        password: body.password,
        name: body.name.as_deref(),
    };
    registrations::register(&state, &ctx, sign_up).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Confirm a sign-up with the token from its mail. With `accounts.registration = "open"` the
/// account exists now (`active`); with `approval` it waits for an admin (`pending`).
#[utoipa::path(post, path = "/auth/register/confirm", tag = "auth",
    request_body = api::RegisterConfirm,
    responses(
        (status = 200, body = api::RegistrationConfirmed),
        (status = 400, description = "`registration_token_invalid` (wrong, used or expired token), or a malformed body", body = api::ErrorBody),
        (status = 403, description = "`registration_closed`", body = api::ErrorBody),
        (status = 409, description = "`name_conflict`: the address got an account meanwhile", body = api::ErrorBody),
        (status = 429, description = "`too_many_requests`", body = api::ErrorBody),
    ))]
async fn confirm_registration(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<api::RegisterConfirm>,
) -> ApiResult<axum::Json<api::RegistrationConfirmed>> {
    let confirmed = registrations::confirm(&state, &ctx, &body.token).await?;
    Ok(axum::Json(match confirmed {
        Confirmed::Active(user) => api::RegistrationConfirmed {
            status: "active".into(),
            user: Some(api::UserSummary {
                id: user.id.to_string(),
                login: user.login.clone(),
                name: user.name.clone(),
                role: user.role().as_str().into(),
            }),
        },
        Confirmed::Pending => api::RegistrationConfirmed {
            status: "pending".into(),
            user: None,
        },
    }))
}

/// The query of `GET /registrations`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only sign-ups in this state.
    #[param(pattern = "^(unconfirmed|pending|approved|denied)$")]
    status: Option<String>,
}

/// Sign-ups, newest first, at most 200 (system admins).
#[utoipa::path(get, path = "/registrations", tag = "users", params(ListQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::RegistrationList),
        (status = 400, description = "`invalid_query`: status", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody), (status = 403, body = api::ErrorBody)))]
async fn list_registrations(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::Json<api::RegistrationList>> {
    let rows = registrations::list(&state, &me.caller(), q.status.as_deref()).await?;
    Ok(axum::Json(api::RegistrationList {
        registrations: rows.into_iter().map(view).collect(),
    }))
}

/// Approve a confirmed sign-up: the account is made, and the person gets a mail.
#[utoipa::path(post, path = "/registrations/{registration_id}/approve", tag = "users",
    params(("registration_id" = String, Path)), security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Registration),
        (status = 401, body = api::ErrorBody), (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: not waiting for an admin (unconfirmed or decided); `name_conflict`: the address got an account meanwhile", body = api::ErrorBody)))]
async fn approve_registration(
    State(state): State<AppState>,
    me: AuthUser,
    Path(registration_id): Path<String>,
) -> ApiResult<axum::Json<api::Registration>> {
    let decided = registrations::decide(&state, &me.caller(), &registration_id, true).await?;
    Ok(axum::Json(view(decided)))
}

/// Deny a confirmed sign-up: no account is made, and the person gets a mail.
#[utoipa::path(post, path = "/registrations/{registration_id}/deny", tag = "users",
    params(("registration_id" = String, Path)), security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Registration),
        (status = 401, body = api::ErrorBody), (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: not waiting for an admin (unconfirmed or decided)", body = api::ErrorBody)))]
async fn deny_registration(
    State(state): State<AppState>,
    me: AuthUser,
    Path(registration_id): Path<String>,
) -> ApiResult<axum::Json<api::Registration>> {
    let decided = registrations::decide(&state, &me.caller(), &registration_id, false).await?;
    Ok(axum::Json(view(decided)))
}
