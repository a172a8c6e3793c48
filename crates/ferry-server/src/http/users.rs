//! Admin user management: `/users`.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_api as api;
use ferry_app::AppState;
use ferry_app::users::{self, AccountChanges, NewAccount, Reserved};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::csv;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate, parse_time};
use crate::http::views::{user_view, user_view_of, user_views};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(unlock))
        .routes(routes!(restore))
        .routes(routes!(login_exists))
}

/// The query of `GET /users/exists`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ExistsQuery {
    /// The login to look for (an account's login or extra login, in any case); without it,
    /// `400 invalid_query`.
    login: Option<String>,
}

/// Whether an account has this login: for system and company admins only (anyone else is
/// `403` whatever the login, so logins cannot be probed). A company admin gets the account's
/// id only for its own company's users.
#[utoipa::path(get, path = "/users/exists", tag = "users", params(ExistsQuery),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::LoginExists),
        (status = 400, description = "`invalid_query`: no or an overlong login", body = api::ErrorBody),
        (status = 401, body = api::ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = api::ErrorBody)))]
async fn login_exists(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<ExistsQuery>,
) -> ApiResult<axum::Json<api::LoginExists>> {
    let found = users::login_exists(&state, &me.caller(), q.login.as_deref().unwrap_or("")).await?;
    Ok(axum::Json(api::LoginExists {
        exists: found.exists,
        user_id: found.user_id,
    }))
}

/// Create a user.
#[utoipa::path(post, path = "/users", tag = "users", request_body = api::CreateUser,
    security(("bearer" = [])),
    responses(
        (status = 201, body = api::User),
        (status = 400, description = "`invalid_login`, `invalid_password`, `invalid_value`...", body = api::ErrorBody),
        (status = 403, description = "Not an admin, or a role a company admin may not give", body = api::ErrorBody),
        (status = 404, description = "`company_id` names no company the caller administers", body = api::ErrorBody),
        (status = 409, description = "`name_conflict`: login taken", body = api::ErrorBody),
    ))]
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::CreateUser>,
) -> ApiResult<impl IntoResponse> {
    let account = NewAccount {
        login: &body.login,
        password: body.password,
        name: body.name.as_deref(),
        role: body.role.as_deref(),
        quota_bytes: body.quota_bytes,
        company_id: body.company_id.as_deref(),
    };
    let user = users::create(&state, &me.caller(), account).await?;
    // A new user has no uploads yet.
    Ok((
        StatusCode::CREATED,
        axum::Json(user_view(&user, Reserved::default())),
    ))
}

/// The query of `GET /users`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only the users of this company (`cmp_…`).
    company_id: Option<String>,
    /// A part of the login or the name, in any case.
    #[param(max_length = 255)]
    q: Option<String>,
    /// Only users with this role.
    #[param(pattern = "^(user|admin|company_admin|moderator)$")]
    role: Option<String>,
    /// Only users in this state (`locked`: by failed logins, now; `expired`: past their
    /// `expires_at`; `deleted`: waiting for their purge, or purged).
    #[param(pattern = "^(active|disabled|locked|expired|deleted)$")]
    status: Option<String>,
    /// 1..=1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Opaque; from the previous page's `next_cursor`.
    cursor: Option<String>,
    /// `json` (default: one page) or `csv`: every matching user at once, as a spreadsheet
    /// (`limit` and `cursor` do not apply).
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// List users in creation order (a company admin: its company's users), filtered by a part of
/// the login or name (`q`), role and status, with `total`: how many match on every page.
#[utoipa::path(get, path = "/users", tag = "users", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "One page of users, or with `format=csv` all of them as `text/csv`", content(
            (api::UserList = "application/json"),
            (String = "text/csv"))),
        (status = 400, description = "`invalid_value` (limit, role, status, q, format), `invalid_cursor`", body = api::ErrorBody),
        (status = 403, body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    let query = users::UserQuery {
        company_id: q.company_id,
        text: q.q,
        role: q.role,
        status: q.status,
    };
    match q.format.as_deref() {
        None | Some("json") => {}
        Some("csv") => return export(&state, &me, &query).await,
        Some(_) => {
            return Err(ApiError::invalid(
                "format",
                "invalid_value",
                "format must be `json` or `csv`.",
            ));
        }
    }
    let page = Page {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after: Option<(i64, String)> = page.cursor()?;
    let (rows, total) = users::list(&state, &me.caller(), &query, after, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |u| (u.created_at, u.id.clone()));
    Ok(axum::Json(api::UserList {
        users: user_views(&state, &rows.iter().collect::<Vec<_>>()).await?,
        next_cursor,
        total: Some(total),
    })
    .into_response())
}

const CSV_HEADER: &str = "id,login,name,role,status,company_id,quota_limit_bytes,used_bytes,\
two_factor,expires_at,created_at,updated_at\n";
/// Users read per query of an export.
const EXPORT_PAGE: i64 = 1000;

/// Every user `query` selects as CSV, in creation order. Built in memory: a user is about a
/// hundred bytes, so even 100,000 users are about 10 MB.
async fn export(state: &AppState, me: &AuthUser, query: &users::UserQuery) -> ApiResult<Response> {
    let mut out = String::from(CSV_HEADER);
    let mut after: Option<(i64, String)> = None;
    loop {
        let (mut rows, _) =
            users::list(state, &me.caller(), query, after.clone(), EXPORT_PAGE).await?;
        let more = rows.len() as i64 > EXPORT_PAGE;
        rows.truncate(EXPORT_PAGE as usize);
        for view in user_views(state, &rows.iter().collect::<Vec<_>>()).await? {
            let limit = view
                .quota
                .limit_bytes
                .map(|l| l.to_string())
                .unwrap_or_default();
            out.push_str(&csv::row(&[
                &view.id,
                &csv::inert(&view.login),
                &csv::inert(&view.name),
                &view.role,
                &view.status,
                view.company_id.as_deref().unwrap_or(""),
                &limit,
                &view.quota.used_bytes.to_string(),
                if view.two_factor { "true" } else { "false" },
                view.expires_at.as_deref().unwrap_or(""),
                &view.created_at,
                &view.updated_at,
            ]));
        }
        match (more, rows.last()) {
            (true, Some(last)) => after = Some((last.created_at, last.id.to_string())),
            _ => break,
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"users.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

/// Get a user.
#[utoipa::path(get, path = "/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)")),
    responses((status = 200, body = api::User), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::User>> {
    let user = users::get(&state, &me.caller(), &id).await?;
    Ok(axum::Json(user_view_of(&state, &user).await?))
}

/// Change a user's name, password, role, quota or disabled flag. Disabling takes effect at
/// once: the user's tokens stop working on their next request.
#[utoipa::path(patch, path = "/users/{user_id}", tag = "users", request_body = api::UpdateUser,
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)")),
    responses(
        (status = 200, body = api::User),
        (status = 400, description = "`invalid_value`, `invalid_password`, `cannot_modify_self`", body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 413, description = "`quota_exceeded`: the user's use does not fit the new company's quota", body = api::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::UpdateUser>,
) -> ApiResult<axum::Json<api::User>> {
    let changes = AccountChanges {
        name: body.name,
        password: body.password,
        role: body.role,
        quota_bytes: body.quota_bytes,
        disabled: body.disabled,
        company_id: body.company_id,
        expires_at: body
            .expires_at
            .map(|at| at.map(|t| parse_time("expires_at", &t)).transpose())
            .transpose()?,
    };
    let user = users::update(&state, &me.caller(), &id, changes).await?;
    Ok(axum::Json(user_view_of(&state, &user).await?))
}

/// Delete an account: its logins and tokens stop at once; it is purged after
/// `accounts.delete_grace_days` (restorable until then), its folders handed to `transfer_to`
/// or removed. The user stays listed with `"status": "deleted"`.
#[utoipa::path(delete, path = "/users/{user_id}", tag = "users",
    request_body = api::DeleteUser,
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)")),
    responses(
        (status = 200, description = "The deleted account", body = api::User),
        (status = 400, description = "`invalid_value` (`transfer_to`), `cannot_modify_self`", body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: deleted already", body = api::ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    body: Option<ApiJson<api::DeleteUser>>,
) -> ApiResult<axum::Json<api::User>> {
    let body = body.map(|ApiJson(b)| b).unwrap_or_default();
    let user =
        ferry_app::accounts::delete(&state, &me.caller(), &id, body.transfer_to.as_deref()).await?;
    Ok(axum::Json(user_view_of(&state, &user).await?))
}

/// Restore a deleted account before it is purged (its tokens stay revoked).
#[utoipa::path(post, path = "/users/{user_id}/restore", tag = "users",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)")),
    responses(
        (status = 200, body = api::User),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody),
        (status = 409, description = "`conflict`: not deleted, or purged already", body = api::ErrorBody)))]
async fn restore(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::User>> {
    let user = ferry_app::accounts::restore(&state, &me.caller(), &id).await?;
    Ok(axum::Json(user_view_of(&state, &user).await?))
}

/// Unlock an account locked by failed logins.
#[utoipa::path(post, path = "/users/{user_id}/unlock", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)")),
    responses((status = 200, body = api::User), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn unlock(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::User>> {
    let user = users::unlock(&state, &me.caller(), &id).await?;
    Ok(axum::Json(user_view_of(&state, &user).await?))
}
