//! Sessions (`/auth/session`), `GET /me`, and the `AuthUser`/`AdminUser` extractors.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ferry_api as api;
use ferry_core::audit::Action;
use ferry_core::timefmt::{now_ms, rfc3339};
use ferry_core::{IdKind, secrets};
use ferry_store::users::User;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::http::context::Ctx;
use crate::http::extract::ApiJson;
use crate::http::users::user_view;
use crate::passwords;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(me))
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    /// The bearer token's id (None for HTTP Basic).
    pub token_id: Option<String>,
}

/// The authenticated caller, who must be an admin (`403 forbidden` otherwise).
#[derive(Debug, Clone)]
pub struct AdminUser(pub User);

/// SHA-256 of a token, the only form in which tokens are stored.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if let Some(me) = parts.extensions.get::<AuthUser>() {
            return Ok(me.clone());
        }
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let (scheme, credentials) = header.split_once(' ').ok_or(ApiError::Unauthorized)?;
        let me = if scheme.eq_ignore_ascii_case("bearer") {
            let token = credentials.trim();
            let mut conn = state.store.conn().await?;
            let (tok, user) = ferry_store::tokens::find(&mut conn, &token_hash(token))
                .await?
                .ok_or(ApiError::Unauthorized)?;
            // Disabled first: disabling also revokes the tokens, and their holder should
            // learn why they stopped working.
            if user.is_disabled() {
                return Err(ApiError::AccountDisabled);
            }
            if tok.revoked_at.is_some() {
                return Err(ApiError::Unauthorized);
            }
            if tok.expires_at <= now_ms() {
                return Err(ApiError::TokenExpired);
            }
            AuthUser {
                user,
                token_id: Some(tok.id),
            }
        } else if scheme.eq_ignore_ascii_case("basic") {
            let decoded = STANDARD
                .decode(credentials.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(ApiError::Unauthorized)?;
            let (login, password) = decoded.split_once(':').ok_or(ApiError::Unauthorized)?;
            let ctx = Ctx::from_request_parts(parts, state)
                .await
                .unwrap_or_default();
            let user = authenticate(state, &ctx, login, password).await?;
            AuthUser {
                user,
                token_id: None,
            }
        } else {
            return Err(ApiError::Unauthorized);
        };
        parts.extensions.insert(me.clone());
        Ok(me)
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let me = AuthUser::from_request_parts(parts, state).await?;
        if me.user.is_admin() {
            Ok(AdminUser(me.user))
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// Checks a login and password with lockout, auditing every failure. Success is audited by
/// the caller: a session login records `auth.login`; HTTP Basic, which authenticates every
/// request, records nothing more than the request's own events.
async fn authenticate(state: &AppState, ctx: &Ctx, login: &str, password: &str) -> ApiResult<User> {
    let now = now_ms();
    let user = {
        let mut conn = state.store.conn().await?;
        ferry_store::users::by_login(&mut conn, login).await?
    };
    let target_login = json!({ "login": login.chars().take(128).collect::<String>() });

    // A disabled account answers the same whatever the password, so it cannot be used to
    // test passwords. Its password is still checked first (and its result thrown away) so the
    // answer takes as long as any other.
    if let Some(u) = &user
        && u.is_disabled()
    {
        let _ = passwords::verify(password.to_string(), Some(u.password_hash.clone())).await;
        let mut tx = state.store.begin().await?;
        audit::success(ctx, Some(u), Action::AuthLoginFailed, ("user", &u.id))
            .failed()
            .details(json!({"login": u.login, "reason": "disabled"}))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        return Err(ApiError::AccountDisabled);
    }
    if let Some(u) = &user
        && u.is_locked(now)
    {
        let mut tx = state.store.begin().await?;
        audit::success(ctx, None, Action::AuthLoginFailed, ("user", &u.id))
            .failed()
            .details(json!({"login": u.login, "reason": "locked"}))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        let retry = (u.locked_until.unwrap_or(now) - now + 999) / 1000;
        return Err(ApiError::AccountLocked {
            retry_after_secs: retry.max(1),
        });
    }

    let ok = passwords::verify(
        password.to_string(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let mut tx = state.store.begin().await?;
    let Some(user) = user else {
        audit::success(ctx, None, Action::AuthLoginFailed, ("user", ""))
            .failed()
            .details(json!({"login": target_login["login"], "reason": "unknown_login"}))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        return Err(ApiError::InvalidCredentials);
    };
    if !ok {
        if user.locked_until.is_some_and(|t| t <= now) {
            // An expired lock starts a fresh count.
            ferry_store::users::clear_lock(&mut tx, &user.id, now).await?;
        }
        let lock_until = now + state.config.auth.lockout_secs * 1000;
        let locked = ferry_store::users::record_failed_login(
            &mut tx,
            &user.id,
            state.config.auth.max_failed_logins,
            lock_until,
        )
        .await?;
        audit::success(ctx, None, Action::AuthLoginFailed, ("user", &user.id))
            .failed()
            .details(json!({"login": user.login, "reason": "wrong_password"}))
            .append(&mut tx)
            .await?;
        if locked {
            audit::success(ctx, None, Action::AuthLocked, ("user", &user.id))
                .details(json!({"login": user.login, "until": rfc3339(lock_until)}))
                .append(&mut tx)
                .await?;
        }
        tx.commit().await?;
        return Err(ApiError::InvalidCredentials);
    }
    if user.failed_logins > 0 || user.locked_until.is_some() {
        ferry_store::users::clear_lock(&mut tx, &user.id, now).await?;
    }
    tx.commit().await?;
    Ok(user)
}

/// Log in and get an access token.
#[utoipa::path(post, path = "/auth/session", tag = "auth", request_body = api::LoginRequest,
    responses(
        (status = 201, body = api::Session),
        (status = 400, description = "Malformed body", body = api::ErrorBody),
        (status = 401, description = "`invalid_credentials` or `account_disabled`", body = api::ErrorBody),
        (status = 423, description = "`account_locked`", body = api::ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<api::LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let user = authenticate(&state, &ctx, &body.login, &body.password).await?;
    let token = secrets::new_access_token();
    let now = now_ms();
    let expires_at = now + state.config.auth.token_ttl_secs * 1000;
    let mut tx = state.store.begin().await?;
    let token_id = IdKind::Token.generate();
    ferry_store::tokens::insert(
        &mut tx,
        &token_id,
        &token_hash(&token),
        &user.id,
        now,
        expires_at,
    )
    .await?;
    audit::success(&ctx, Some(&user), Action::AuthLogin, ("user", &user.id))
        .details(json!({"token_id": token_id}))
        .append(&mut tx)
        .await?;
    tx.commit().await?;
    let session = api::Session {
        access_token: token,
        token_type: "Bearer".into(),
        expires_at: rfc3339(expires_at),
        user: api::UserSummary {
            id: user.id.clone(),
            login: user.login.clone(),
            name: user.name.clone(),
            role: user.role().as_str().into(),
        },
    };
    Ok((StatusCode::CREATED, axum::Json(session)))
}

/// Log out: revoke the token used for this request.
#[utoipa::path(delete, path = "/auth/session", tag = "auth",
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = api::ErrorBody)))]
async fn logout(State(state): State<AppState>, ctx: Ctx, me: AuthUser) -> ApiResult<StatusCode> {
    let mut tx = state.store.begin().await?;
    if let Some(token_id) = &me.token_id {
        ferry_store::tokens::revoke(&mut tx, token_id, now_ms()).await?;
    }
    audit::success(
        &ctx,
        Some(&me.user),
        Action::AuthLogout,
        ("user", &me.user.id),
    )
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The current user with their quota.
#[utoipa::path(get, path = "/me", tag = "auth",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::User), (status = 401, body = api::ErrorBody)))]
async fn me(me: AuthUser) -> axum::Json<api::User> {
    axum::Json(user_view(&me.user))
}
