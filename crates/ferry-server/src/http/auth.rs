//! Sessions (`/auth/session`), `GET /me`, and the `AuthUser` extractor (admin checks are the access policy's, in ferry-app).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ferry_api as api;
use ferry_app::{AppState, Caller, Error, auth};
use ferry_core::timefmt::rfc3339;
use ferry_store::users::User;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::context::Ctx;
use crate::http::extract::ApiJson;
use crate::http::views::user_view_of;

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
    /// Where the request came from.
    pub origin: ferry_app::Origin,
}

impl AuthUser {
    /// The application's caller for this request.
    pub fn caller(&self) -> Caller {
        Caller::user(self.user.clone(), self.origin.clone())
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
            let (user, token_id) = auth::resolve_token(state, credentials.trim()).await?;
            AuthUser {
                user,
                token_id: Some(token_id),
                origin: ctx.0,
            }
        } else if scheme.eq_ignore_ascii_case("basic") {
            let decoded = STANDARD
                .decode(credentials.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(Error::Unauthorized)?;
            let (login, password) = decoded.split_once(':').ok_or(Error::Unauthorized)?;
            let user = auth::authenticate(state, &ctx, login, password).await?;
            AuthUser {
                user,
                token_id: None,
                origin: ctx.0,
            }
        } else {
            return Err(Error::Unauthorized.into());
        };
        parts.extensions.insert(me.clone());
        Ok(me)
    }
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
    let session = auth::login(&state, &ctx, &body.login, &body.password).await?;
    let user = &session.user;
    let session = api::Session {
        access_token: session.access_token,
        token_type: "Bearer".into(),
        expires_at: rfc3339(session.expires_at),
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
    Ok(axum::Json(user_view_of(&state, &me.user).await?))
}
