//! Admin user management: `/users`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_core::audit::Action;
use ferry_core::timefmt::{now_ms, rfc3339};
use ferry_core::{IdKind, Role, validate};
use ferry_store::users::{NewUser, User, UserChanges};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::AdminUser;
use crate::http::context::Ctx;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};
use crate::passwords;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update))
        .routes(routes!(unlock))
}

/// Largest quota accepted (4 EiB): anything above is certainly a mistake.
const MAX_QUOTA: i64 = 1 << 62;

/// The wire form of a user.
pub fn user_view(u: &User) -> api::User {
    api::User {
        id: u.id.clone(),
        login: u.login.clone(),
        name: u.name.clone(),
        role: u.role().as_str().into(),
        disabled: u.is_disabled(),
        locked: u.is_locked(now_ms()),
        quota: api::Quota {
            limit_bytes: u.quota_bytes,
            used_bytes: u.used_bytes,
        },
        created_at: rfc3339(u.created_at),
        updated_at: rfc3339(u.updated_at),
    }
}

fn parse_role(role: &str) -> ApiResult<Role> {
    Role::parse(role).ok_or_else(|| {
        ApiError::invalid("role", "invalid_value", "role must be `user` or `admin`.")
    })
}

fn check_quota(quota: Option<i64>) -> ApiResult<Option<i64>> {
    match quota {
        Some(q) => Ok(Some(validate::in_range("quota_bytes", q, 0..=MAX_QUOTA)?)),
        None => Ok(None),
    }
}

/// A validated request to create a user.
pub struct NewAccount<'a> {
    pub login: &'a str,
    pub password: String,
    pub name: Option<&'a str>,
    pub role: Role,
    pub quota_bytes: Option<i64>,
}

/// Creates a user (and the bootstrap admin on first start).
pub async fn insert_user(
    state: &AppState,
    ctx: &Ctx,
    actor: Option<&User>,
    account: NewAccount<'_>,
) -> ApiResult<User> {
    let NewAccount {
        login,
        password,
        name,
        role,
        quota_bytes,
    } = account;
    let id = IdKind::User.generate();
    let hash = passwords::hash(password).await?;
    let mut tx = state.store.begin().await?;
    let inserted = ferry_store::users::conflict_as_false(
        ferry_store::users::insert(
            &mut tx,
            &NewUser {
                id: &id,
                login,
                name: name.unwrap_or(login),
                role,
                password_hash: &hash,
                quota_bytes,
                now: now_ms(),
            },
        )
        .await,
    )?;
    if !inserted {
        return Err(ApiError::NameConflict(format!(
            "The login `{login}` is taken."
        )));
    }
    audit::success(ctx, actor, Action::UserCreated, ("user", &id))
        .details(json!({"login": login, "role": role.as_str(), "quota_bytes": quota_bytes}))
        .append(&mut tx)
        .await?;
    let user = ferry_store::users::get(&mut tx, &id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("user vanished")))?;
    tx.commit().await?;
    Ok(user)
}

/// Create a user.
#[utoipa::path(post, path = "/users", tag = "users", request_body = api::CreateUser,
    security(("bearer" = [])),
    responses(
        (status = 201, body = api::User),
        (status = 400, description = "`invalid_login`, `invalid_password`, `invalid_value`...", body = api::ErrorBody),
        (status = 403, description = "Not an admin", body = api::ErrorBody),
        (status = 409, description = "`name_conflict`: login taken", body = api::ErrorBody),
    ))]
async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<api::CreateUser>,
) -> ApiResult<impl IntoResponse> {
    validate::login(&body.login)?;
    validate::password(&body.password)?;
    if let Some(name) = &body.name {
        validate::display_name(name)?;
    }
    let role = body
        .role
        .as_deref()
        .map(parse_role)
        .transpose()?
        .unwrap_or(Role::User);
    let quota = check_quota(body.quota_bytes)?;
    let account = NewAccount {
        login: &body.login,
        password: body.password,
        name: body.name.as_deref(),
        role,
        quota_bytes: quota,
    };
    let user = insert_user(&state, &ctx, Some(&admin), account).await?;
    Ok((StatusCode::CREATED, axum::Json(user_view(&user))))
}

/// List users in creation order.
#[utoipa::path(get, path = "/users", tag = "users", params(Page),
    security(("bearer" = [])),
    responses((status = 200, body = api::UserList), (status = 403, body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::UserList>> {
    let limit = page.limit()?;
    let after: Option<(i64, String)> = page.cursor()?;
    let mut conn = state.store.conn().await?;
    let rows = ferry_store::users::list(
        &mut conn,
        after.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?;
    let (rows, next_cursor) = paginate(rows, limit, |u| (u.created_at, u.id.clone()));
    Ok(axum::Json(api::UserList {
        users: rows.iter().map(user_view).collect(),
        next_cursor,
    }))
}

async fn load(state: &AppState, id: &str) -> ApiResult<User> {
    if !IdKind::User.matches(id) {
        return Err(ApiError::NotFound);
    }
    let mut conn = state.store.conn().await?;
    ferry_store::users::get(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Get a user.
#[utoipa::path(get, path = "/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)")),
    responses((status = 200, body = api::User), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::User>> {
    Ok(axum::Json(user_view(&load(&state, &id).await?)))
}

/// Change a user's name, password, role, quota or disabled flag. Disabling takes effect at
/// once: the user's tokens stop working on their next request.
#[utoipa::path(patch, path = "/users/{user_id}", tag = "users", request_body = api::UpdateUser,
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)")),
    responses(
        (status = 200, body = api::User),
        (status = 400, description = "`invalid_value`, `invalid_password`, `cannot_modify_self`", body = api::ErrorBody),
        (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::UpdateUser>,
) -> ApiResult<axum::Json<api::User>> {
    load(&state, &id).await?;
    let mut changes = UserChanges::default();
    let mut changed = Vec::new();
    if let Some(name) = body.name {
        validate::display_name(&name)?;
        changes.name = Some(name);
        changed.push("name");
    }
    if let Some(password) = body.password {
        validate::password(&password)?;
        changes.password_hash = Some(passwords::hash(password).await?);
        changed.push("password");
    }
    if let Some(role) = body.role.as_deref() {
        let role = parse_role(role)?;
        if id == admin.id && role != Role::Admin {
            return Err(ApiError::invalid(
                "role",
                "cannot_modify_self",
                "Admins cannot demote themselves.",
            ));
        }
        changes.role = Some(role);
        changed.push("role");
    }
    if let Some(quota) = body.quota_bytes {
        changes.quota_bytes = Some(check_quota(quota)?);
        changed.push("quota_bytes");
    }
    if let Some(disabled) = body.disabled {
        if id == admin.id && disabled {
            return Err(ApiError::invalid(
                "disabled",
                "cannot_modify_self",
                "Admins cannot disable themselves.",
            ));
        }
        changes.disabled = Some(disabled);
        changed.push("disabled");
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let user = ferry_store::users::update(&mut tx, &id, &changes, now)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut details = json!({ "changed": changed });
    // A new password or a disabled account ends every existing session: re-enabling the
    // account later must not bring the old tokens back.
    if changes.password_hash.is_some() || changes.disabled == Some(true) {
        let revoked = ferry_store::tokens::revoke_all_for_user(&mut tx, &id, now).await?;
        details["sessions_revoked"] = json!(revoked);
    }
    if let Some(d) = changes.disabled {
        details["disabled"] = json!(d);
    }
    if let Some(r) = changes.role {
        details["role"] = json!(r.as_str());
    }
    if let Some(q) = changes.quota_bytes {
        details["quota_bytes"] = json!(q);
    }
    audit::success(&ctx, Some(&admin), Action::UserUpdated, ("user", &id))
        .details(details)
        .append(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(axum::Json(user_view(&user)))
}

/// Unlock an account locked by failed logins.
#[utoipa::path(post, path = "/users/{user_id}/unlock", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id (`usr_…`)")),
    responses((status = 200, body = api::User), (status = 403, body = api::ErrorBody), (status = 404, body = api::ErrorBody)))]
async fn unlock(
    State(state): State<AppState>,
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::User>> {
    load(&state, &id).await?;
    let mut tx = state.store.begin().await?;
    ferry_store::users::clear_lock(&mut tx, &id, now_ms()).await?;
    audit::success(&ctx, Some(&admin), Action::UserUnlocked, ("user", &id))
        .append(&mut tx)
        .await?;
    let user = ferry_store::users::get(&mut tx, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(axum::Json(user_view(&user)))
}
