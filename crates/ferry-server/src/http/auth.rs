//! Sessions (`/auth/session`), `/me` (the caller's profile, password and settings), and the
//! `AuthUser` extractor (admin checks are the access policy's, in ferry-app).

use axum::extract::{FromRequestParts, MatchedPath, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ferry_api as api;
use ferry_app::{AppState, Caller, Error, access, auth};
use ferry_core::timefmt::rfc3339;
use ferry_store::users::User;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::context::{ClientIp, Ctx};
use crate::http::extract::ApiJson;
use crate::http::rate_limit::UserLimit;
use crate::http::views::user_view_of;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
        .routes(routes!(me, update_me))
        .routes(routes!(change_password))
        .routes(routes!(settings))
        .routes(routes!(setting, put_setting, delete_setting))
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    /// The bearer token's id (None for HTTP Basic).
    pub token_id: Option<String>,
    /// Where the request came from.
    pub origin: ferry_app::Origin,
    /// The folder the token is restricted to, if it is.
    pub restricted_to: Option<String>,
}

impl AuthUser {
    /// The caller a bearer token stands for; a session an admin opened as its user says so
    /// in the origin, so that every event names the admin.
    pub fn of_bearer(bearer: auth::Bearer, mut origin: ferry_app::Origin) -> Self {
        origin.impersonated_by = bearer.token.impersonator_id.clone();
        AuthUser {
            user: bearer.user,
            token_id: Some(bearer.token.id.to_string()),
            origin,
            restricted_to: bearer.token.folder_id,
        }
    }

    /// The application's caller for this request.
    pub fn caller(&self) -> Caller {
        Caller::user(self.user.clone(), self.origin.clone())
            .restricted_to(self.restricted_to.clone())
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if let Some(me) = parts.extensions.get::<AuthUser>() {
            return Ok(me.clone());
        }
        let ctx = Ctx::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(Error::Unauthorized)?;
        let (scheme, credentials) = header.split_once(' ').ok_or(Error::Unauthorized)?;
        let me = if scheme.eq_ignore_ascii_case("bearer") {
            let bearer = auth::resolve_token(state, &ctx, credentials.trim()).await?;
            let changes = changes_something(&parts.method);
            access::token_permits(bearer.token.scopes, changes)?;
            if bearer.token.folder_id.is_some() {
                let route = parts
                    .extensions
                    .get::<MatchedPath>()
                    .map_or_else(|| parts.uri.path(), |m| m.as_str());
                access::restricted_token_allows(changes, route)?;
            }
            AuthUser::of_bearer(bearer, ctx.0)
        } else if scheme.eq_ignore_ascii_case("basic") {
            let decoded = STANDARD
                .decode(credentials.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(Error::Unauthorized)?;
            let (login, password) = decoded.split_once(':').ok_or(Error::Unauthorized)?;
            let user = auth::authenticate_basic(state, &ctx, login, password).await?;
            AuthUser {
                user,
                token_id: None,
                origin: ctx.0,
                restricted_to: None,
            }
        } else {
            return Err(Error::Unauthorized.into());
        };
        // The per-user rate limit, now that the user is known.
        if let Some(slot) = parts.extensions.get::<UserLimit>() {
            let ip = parts.extensions.get::<ClientIp>().map(|c| c.0);
            if let Some(outcome) = slot.limits.check_user(&me.user.id, ip) {
                *slot.outcome.lock().expect("rate limit slot") = Some(outcome);
                if outcome.refused {
                    return Err(outcome.error());
                }
            }
        }
        parts.extensions.insert(me.clone());
        Ok(me)
    }
}

/// Whether a request with this method may change something (what a token's `write` scope
/// allows); WebDAV's reading methods count as reads.
pub(crate) fn changes_something(method: &axum::http::Method) -> bool {
    !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS" | "PROPFIND")
}

/// Log in and get an access token.
#[utoipa::path(post, path = "/auth/session", tag = "auth", request_body = api::LoginRequest,
    responses(
        (status = 201, body = api::Session),
        (status = 400, description = "Malformed body", body = api::ErrorBody),
        (status = 401, description = "`invalid_credentials`, `account_disabled`, `account_deleted`, `account_expired`, `otp_required` (send `otp` too) or `invalid_otp`", body = api::ErrorBody),
        (status = 423, description = "`account_locked`", body = api::ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<api::LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let session = auth::login(
        &state,
        &ctx,
        &body.login,
        &body.password,
        body.otp.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(session_view(session))))
}

/// A new session as the API shows it (the token, once).
pub fn session_view(session: auth::Session) -> api::Session {
    let user = &session.user;
    api::Session {
        access_token: session.access_token,
        token_type: "Bearer".into(),
        expires_at: rfc3339(session.expires_at),
        user: api::UserSummary {
            id: user.id.to_string(),
            login: user.login.clone(),
            name: user.name.clone(),
            role: user.role().as_str().into(),
        },
    }
}

/// Ask for a password reset mail. Always `202` once mail is configured, whether or not the
/// login exists (nothing can be learnt about accounts here): an account with an e-mail address
/// as its login gets a single-use link, valid for 30 minutes, at most one a minute.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth",
    request_body = api::PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted; a mail is on its way if the account has an address"),
        (status = 400, description = "Malformed body", body = api::ErrorBody),
        (status = 503, description = "`mail_not_configured`: this server sends no e-mail", body = api::ErrorBody),
    ))]
async fn request_password_reset(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<api::PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    ferry_app::password_reset::request(&state, &ctx, &body.login).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the token from a reset mail. The token works once; every session
/// and token of the account ends.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth",
    request_body = api::PasswordResetConfirm,
    responses(
        (status = 204, description = "The password is set; every session of the account ended"),
        (status = 400, description = "`reset_token_invalid` (wrong, used or expired token), `invalid_password`, or a malformed body", body = api::ErrorBody),
    ))]
async fn confirm_password_reset(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<api::PasswordResetConfirm>,
) -> ApiResult<StatusCode> {
    ferry_app::password_reset::confirm(&state, &ctx, &body.token, body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Log out: revoke the token used for this request.
#[utoipa::path(delete, path = "/auth/session", tag = "auth",
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = api::ErrorBody)))]
async fn logout(State(state): State<AppState>, me: AuthUser) -> ApiResult<StatusCode> {
    auth::logout(&state, &me.caller(), me.token_id.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The current user with their quota. `quota.used_bytes` includes `quota.reserved_bytes`,
/// the space held by unfinished uploads into the user's folders (`GET /uploads` lists the
/// caller's; aborting one frees its space at once, otherwise it is freed when the upload
/// expires, `uploads.session_ttl_secs` after it was started).
#[utoipa::path(get, path = "/me", tag = "auth",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::User), (status = 401, body = api::ErrorBody)))]
async fn me(State(state): State<AppState>, me: AuthUser) -> ApiResult<axum::Json<api::User>> {
    let user = ferry_app::me::current(&state, &me.caller()).await?;
    Ok(axum::Json(my_view(&state, &me, &user).await?))
}

/// The caller's user view with their language and timezone.
pub(crate) async fn my_view(state: &AppState, me: &AuthUser, user: &User) -> ApiResult<api::User> {
    let mut view = user_view_of(state, user).await?;
    let profile = ferry_app::me::profile(state, &me.caller()).await?;
    view.language = profile.language;
    view.timezone = profile.timezone;
    Ok(view)
}

/// Change one's own name, language or timezone (`null` clears the language or timezone).
#[utoipa::path(patch, path = "/me", tag = "auth", request_body = api::UpdateMe,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::User), (status = 400, body = api::ErrorBody),
        (status = 401, body = api::ErrorBody)))]
async fn update_me(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::UpdateMe>,
) -> ApiResult<axum::Json<api::User>> {
    let changes = ferry_app::me::ProfileChanges {
        name: body.name,
        language: body.language,
        timezone: body.timezone,
    };
    let user = ferry_app::me::update_profile(&state, &me.caller(), changes).await?;
    Ok(axum::Json(my_view(&state, &me, &user).await?))
}

/// Change one's own password, giving the current one; every other session ends (this one
/// stays).
#[utoipa::path(post, path = "/me/password", tag = "auth", request_body = api::ChangePassword,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Changed; other sessions ended"),
        (status = 400, description = "`invalid_value` (field `current_password`: not right), `invalid_password`", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::ChangePassword>,
) -> ApiResult<StatusCode> {
    ferry_app::me::change_password(
        &state,
        &me.caller(),
        body.current_password,
        body.new_password,
        me.token_id.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn setting_view(s: &ferry_store::settings::Setting) -> api::Setting {
    api::Setting {
        key: s.key.clone(),
        value: serde_json::from_str(&s.value).unwrap_or_default(),
        updated_at: rfc3339(s.updated_at),
    }
}

/// Every setting of the caller, by key.
#[utoipa::path(get, path = "/me/settings", tag = "auth",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::SettingList), (status = 401, body = api::ErrorBody)))]
async fn settings(
    State(state): State<AppState>,
    me: AuthUser,
) -> ApiResult<axum::Json<api::SettingList>> {
    let rows = ferry_app::me::settings(&state, &me.caller()).await?;
    Ok(axum::Json(api::SettingList {
        settings: rows.iter().map(setting_view).collect(),
    }))
}

/// One setting of the caller.
#[utoipa::path(get, path = "/me/settings/{key}", tag = "auth", params(("key" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Setting), (status = 400, body = api::ErrorBody),
        (status = 401, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn setting(
    State(state): State<AppState>,
    me: AuthUser,
    axum::extract::Path(key): axum::extract::Path<String>,
) -> ApiResult<axum::Json<api::Setting>> {
    let stored = ferry_app::me::setting(&state, &me.caller(), &key).await?;
    Ok(axum::Json(setting_view(&stored)))
}

/// Set one setting of the caller to a JSON value (at most 16 KiB; at most 100 settings).
#[utoipa::path(put, path = "/me/settings/{key}", tag = "auth", params(("key" = String, Path)),
    request_body = api::PutSetting, security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Setting), (status = 400, body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 409, description = "`conflict`: 100 settings already", body = api::ErrorBody)))]
async fn put_setting(
    State(state): State<AppState>,
    me: AuthUser,
    axum::extract::Path(key): axum::extract::Path<String>,
    ApiJson(body): ApiJson<api::PutSetting>,
) -> ApiResult<axum::Json<api::Setting>> {
    let stored = ferry_app::me::put_setting(&state, &me.caller(), &key, &body.value).await?;
    Ok(axum::Json(setting_view(&stored)))
}

/// Remove one setting of the caller.
#[utoipa::path(delete, path = "/me/settings/{key}", tag = "auth", params(("key" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Removed"), (status = 400, body = api::ErrorBody),
        (status = 401, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn delete_setting(
    State(state): State<AppState>,
    me: AuthUser,
    axum::extract::Path(key): axum::extract::Path<String>,
) -> ApiResult<StatusCode> {
    ferry_app::me::delete_setting(&state, &me.caller(), &key).await?;
    Ok(StatusCode::NO_CONTENT)
}
