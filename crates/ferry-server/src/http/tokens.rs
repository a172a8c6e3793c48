//! API and device tokens: `/me/tokens`, an admin's `/users/{id}/tokens`, and a wiped device's
//! confirmation `/auth/wiped`.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_app::tokens::{self, TokenRequest};
use ferry_app::{AppState, Error};
use ferry_core::timefmt::rfc3339;
use ferry_store::tokens::Token;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::context::Ctx;
use crate::http::extract::{ApiJson, parse_time};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list_mine))
        .routes(routes!(revoke_mine))
        .routes(routes!(wipe_mine))
        .routes(routes!(list_for_user))
        .routes(routes!(revoke_for_user))
        .routes(routes!(wipe_for_user))
        .routes(routes!(confirm_wipe))
}

fn token_view(t: &Token, current: Option<&str>) -> api::Token {
    api::Token {
        id: t.id.to_string(),
        kind: t.kind.as_str().into(),
        name: t.name.clone(),
        scopes: t.scopes.names().into_iter().map(String::from).collect(),
        folder_id: t.folder_id.clone(),
        created_at: rfc3339(t.created_at),
        expires_at: t.expires_at.map(rfc3339),
        last_used_at: t.last_used_at.map(rfc3339),
        last_used_ip: t.last_used_ip.clone(),
        wiped_at: t.wiped_at.map(rfc3339),
        current: current == Some(t.id.as_str()),
    }
}

fn token_list(tokens: &[Token], current: Option<&str>) -> api::TokenList {
    api::TokenList {
        tokens: tokens.iter().map(|t| token_view(t, current)).collect(),
    }
}

/// Create an API or device token. The secret is in this answer only.
#[utoipa::path(post, path = "/me/tokens", tag = "tokens", request_body = api::CreateToken,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::IssuedToken),
        (status = 400, description = "`invalid_name`, `invalid_value`, `not_found` (folder_id)", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = api::ErrorBody),
    ))]
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::CreateToken>,
) -> ApiResult<impl IntoResponse> {
    let expires_at = body
        .expires_at
        .as_deref()
        .map(|t| parse_time("expires_at", t))
        .transpose()?;
    let request = TokenRequest {
        name: body.name,
        kind: body.kind,
        scopes: body.scopes,
        folder_id: body.folder_id,
        expires_at,
    };
    let issued = tokens::create(&state, &me.caller(), request).await?;
    let view = api::IssuedToken {
        token: token_view(&issued.token, None),
        secret: issued.secret,
    };
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// The caller's tokens that still work: sessions, API and device tokens, with their last use.
#[utoipa::path(get, path = "/me/tokens", tag = "tokens",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::TokenList), (status = 401, body = api::ErrorBody)))]
async fn list_mine(
    State(state): State<AppState>,
    me: AuthUser,
) -> ApiResult<axum::Json<api::TokenList>> {
    let list = tokens::list(&state, &me.caller(), &me.user.id).await?;
    Ok(axum::Json(token_list(&list, me.token_id.as_deref())))
}

/// Revoke one of the caller's tokens: it stops working on every node at once.
#[utoipa::path(delete, path = "/me/tokens/{token_id}", tag = "tokens",
    security(("bearer" = []), ("basic" = [])),
    params(("token_id" = String, Path, description = "Token id (`tok_…`)")),
    responses((status = 204), (status = 401, body = api::ErrorBody), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn revoke_mine(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    tokens::revoke(&state, &me.caller(), &me.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Wipe a device remotely: its next request answers `401 device_wiped` (with
/// `details.wipe: true`) until it confirms with `POST /auth/wiped`.
#[utoipa::path(post, path = "/me/tokens/{token_id}/wipe", tag = "tokens",
    security(("bearer" = []), ("basic" = [])),
    params(("token_id" = String, Path, description = "Token id (`tok_…`)")),
    responses((status = 200, body = api::Token), (status = 401, body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: not a device token", body = api::ErrorBody)))]
async fn wipe_mine(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::Token>> {
    let token = tokens::wipe(&state, &me.caller(), &me.user.id, &id).await?;
    Ok(axum::Json(token_view(&token, None)))
}

/// A user's tokens (admins).
#[utoipa::path(get, path = "/users/{user_id}/tokens", tag = "tokens", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)")),
    responses((status = 200, body = api::TokenList), (status = 401, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn list_for_user(
    State(state): State<AppState>,
    me: AuthUser,
    Path(user_id): Path<String>,
) -> ApiResult<axum::Json<api::TokenList>> {
    let list = tokens::list(&state, &me.caller(), &user_id).await?;
    Ok(axum::Json(token_list(&list, me.token_id.as_deref())))
}

/// Revoke a user's token (admins).
#[utoipa::path(delete, path = "/users/{user_id}/tokens/{token_id}", tag = "tokens",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)"),
        ("token_id" = String, Path, description = "Token id (`tok_…`)")),
    responses((status = 204), (status = 401, body = api::ErrorBody), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn revoke_for_user(
    State(state): State<AppState>,
    me: AuthUser,
    Path((user_id, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    tokens::revoke(&state, &me.caller(), &user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Wipe a user's device remotely (admins).
#[utoipa::path(post, path = "/users/{user_id}/tokens/{token_id}/wipe", tag = "tokens",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)"),
        ("token_id" = String, Path, description = "Token id (`tok_…`)")),
    responses((status = 200, body = api::Token), (status = 401, body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: not a device token", body = api::ErrorBody)))]
async fn wipe_for_user(
    State(state): State<AppState>,
    me: AuthUser,
    Path((user_id, id)): Path<(String, String)>,
) -> ApiResult<axum::Json<api::Token>> {
    let token = tokens::wipe(&state, &me.caller(), &user_id, &id).await?;
    Ok(axum::Json(token_view(&token, None)))
}

/// A wiped device confirms, with its own (wiped) bearer token, that it deleted the account's
/// data; the token ends.
#[utoipa::path(post, path = "/auth/wiped", tag = "tokens", security(("bearer" = [])),
    responses((status = 204), (status = 401, description = "`unauthorized`: not a wiped device's token", body = api::ErrorBody)))]
async fn confirm_wipe(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> ApiResult<StatusCode> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(Error::Unauthorized)?;
    tokens::confirm_wipe(&state, &ctx, secret).await?;
    Ok(StatusCode::NO_CONTENT)
}
