//! Extra logins of an account: the caller's own (`/me/logins`) and, for admins, a managed
//! user's (`/users/{user_id}/logins`). The rules are ferry-app's (`ferry_app::logins`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::logins::{self, AccountLogin};
use ferry_core::timefmt::rfc3339;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::ApiJson;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_logins, add_my_login))
        .routes(routes!(remove_my_login))
        .routes(routes!(user_logins, add_user_login))
        .routes(routes!(remove_user_login))
}

fn view(l: &AccountLogin) -> api::AccountLogin {
    api::AccountLogin {
        login: l.login.clone(),
        primary: l.primary,
        created_at: rfc3339(l.created_at),
    }
}

fn list_view(logins: &[AccountLogin]) -> axum::Json<api::AccountLoginList> {
    axum::Json(api::AccountLoginList {
        logins: logins.iter().map(view).collect(),
    })
}

/// The caller's logins: its own first (`primary`), then its extra logins.
#[utoipa::path(get, path = "/me/logins", tag = "auth",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::AccountLoginList), (status = 401, body = api::ErrorBody)))]
async fn my_logins(
    State(state): State<AppState>,
    me: AuthUser,
) -> ApiResult<axum::Json<api::AccountLoginList>> {
    Ok(list_view(&logins::list(&state, &me.caller(), None).await?))
}

/// Add an extra login to the caller's account (at most 10): it logs in like the account's
/// own login and is unique across users in any case.
#[utoipa::path(post, path = "/me/logins", tag = "auth", request_body = api::AddLogin,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::AccountLogin), (status = 400, body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 409, description = "`name_conflict`: the login is taken; `conflict`: 10 extra logins already", body = api::ErrorBody)))]
async fn add_my_login(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::AddLogin>,
) -> ApiResult<(StatusCode, axum::Json<api::AccountLogin>)> {
    let added = logins::add(&state, &me.caller(), None, &body.login).await?;
    Ok((StatusCode::CREATED, axum::Json(view(&added))))
}

/// Remove an extra login of the caller's account (the account's own login stays: `409`).
#[utoipa::path(delete, path = "/me/logins/{login}", tag = "auth", params(("login" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Removed"), (status = 401, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: the account's own login", body = api::ErrorBody)))]
async fn remove_my_login(
    State(state): State<AppState>,
    me: AuthUser,
    Path(login): Path<String>,
) -> ApiResult<StatusCode> {
    logins::remove(&state, &me.caller(), None, &login).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A managed user's logins (admins; company admins for their company's users).
#[utoipa::path(get, path = "/users/{user_id}/logins", tag = "users",
    params(("user_id" = String, Path)), security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::AccountLoginList), (status = 401, body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn user_logins(
    State(state): State<AppState>,
    me: AuthUser,
    Path(user_id): Path<String>,
) -> ApiResult<axum::Json<api::AccountLoginList>> {
    Ok(list_view(
        &logins::list(&state, &me.caller(), Some(&user_id)).await?,
    ))
}

/// Add an extra login to a managed user's account.
#[utoipa::path(post, path = "/users/{user_id}/logins", tag = "users",
    params(("user_id" = String, Path)), request_body = api::AddLogin,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 201, body = api::AccountLogin), (status = 400, body = api::ErrorBody),
        (status = 401, body = api::ErrorBody), (status = 403, body = api::ErrorBody),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`name_conflict`: the login is taken; `conflict`: 10 extra logins already", body = api::ErrorBody)))]
async fn add_user_login(
    State(state): State<AppState>,
    me: AuthUser,
    Path(user_id): Path<String>,
    ApiJson(body): ApiJson<api::AddLogin>,
) -> ApiResult<(StatusCode, axum::Json<api::AccountLogin>)> {
    let added = logins::add(&state, &me.caller(), Some(&user_id), &body.login).await?;
    Ok((StatusCode::CREATED, axum::Json(view(&added))))
}

/// Remove an extra login of a managed user's account.
#[utoipa::path(delete, path = "/users/{user_id}/logins/{login}", tag = "users",
    params(("user_id" = String, Path), ("login" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Removed"), (status = 401, body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: the account's own login", body = api::ErrorBody)))]
async fn remove_user_login(
    State(state): State<AppState>,
    me: AuthUser,
    Path((user_id, login)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    logins::remove(&state, &me.caller(), Some(&user_id), &login).await?;
    Ok(StatusCode::NO_CONTENT)
}
