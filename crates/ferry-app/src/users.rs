//! User accounts: creation (and the bootstrap admin), changes, unlocking, lookup and listing.
//! Every operation here but the bootstrap is for admins.

use std::collections::HashMap;

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, Role, validate};
pub use ferry_store::uploads::Reserved;
use ferry_store::users::{NewUser, User, UserChanges};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::{Caller, Origin};
use crate::error::{Error, Result};
use crate::passwords;
use crate::state::AppState;
use crate::token_cache::commit_auth_change;

/// Largest quota accepted (4 EiB): anything above is certainly a mistake.
const MAX_QUOTA: i64 = 1 << 62;

/// A request to create a user, as received.
pub struct NewAccount<'a> {
    pub login: &'a str,
    pub password: String,
    pub name: Option<&'a str>,
    pub role: Option<&'a str>,
    pub quota_bytes: Option<i64>,
}

/// Changes to a user; `None` leaves a field as it is (`quota_bytes: Some(None)` removes it).
#[derive(Default)]
pub struct AccountChanges {
    pub name: Option<String>,
    pub password: Option<String>,
    pub role: Option<String>,
    pub quota_bytes: Option<Option<i64>>,
    pub disabled: Option<bool>,
}

fn parse_role(role: &str) -> Result<Role> {
    Role::parse(role)
        .ok_or_else(|| Error::invalid("role", "invalid_value", "role must be `user` or `admin`."))
}

fn check_quota(quota: Option<i64>) -> Result<Option<i64>> {
    match quota {
        Some(q) => Ok(Some(validate::in_range("quota_bytes", q, 0..=MAX_QUOTA)?)),
        None => Ok(None),
    }
}

/// The space that each of these users' unfinished uploads (`open` or `completing`, paid for
/// by that user) hold, in one query; users with none are absent. This space is part of the
/// user's `used_bytes`, not on top of it: creating an upload adds its size there
/// (`ferry_store::users::reserve_quota`), completing it keeps that charge as the file's, and
/// aborting, failing or expiring it gives the charge back. So `bytes` never exceeds
/// `used_bytes` (it is capped there: a tus concatenation counts its partials twice for an
/// instant).
pub async fn reserved(app: &AppState, users: &[&User]) -> Result<HashMap<String, Reserved>> {
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let mut conn = app.store.conn().await?;
    let mut held = ferry_store::uploads::reserved_by(&mut conn, &ids).await?;
    for user in users {
        if let Some(r) = held.get_mut(&user.id) {
            r.bytes = r.bytes.min(user.used_bytes);
        }
    }
    Ok(held)
}

/// Creates a user (admins).
pub async fn create(app: &AppState, caller: &Caller, account: NewAccount<'_>) -> Result<User> {
    let admin = access::require_admin(caller)?;
    validate::login(account.login)?;
    validate::password(&account.password)?;
    if let Some(name) = account.name {
        validate::display_name(name)?;
    }
    let role = account
        .role
        .map(parse_role)
        .transpose()?
        .unwrap_or(Role::User);
    let quota = check_quota(account.quota_bytes)?;
    insert(
        app,
        &caller.origin,
        Some(admin),
        account.login,
        account.password,
        account.name,
        role,
        quota,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    app: &AppState,
    origin: &Origin,
    actor: Option<&User>,
    login: &str,
    password: String,
    name: Option<&str>,
    role: Role,
    quota_bytes: Option<i64>,
) -> Result<User> {
    let id = IdKind::User.generate();
    let hash = passwords::hash(password).await?;
    let mut tx = app.store.begin().await?;
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
                now: app.now_ms(),
            },
        )
        .await,
    )?;
    if !inserted {
        return Err(Error::NameConflict(format!(
            "The login `{login}` is taken."
        )));
    }
    audit::success(origin, actor, Action::UserCreated, (TargetKind::User, &id))
        .at(app.now_ms())
        .details(json!({"login": login, "role": role.as_str(), "quota_bytes": quota_bytes}))
        .append(&mut tx)
        .await?;
    let user = ferry_store::users::get(&mut tx, &id)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("user vanished")))?;
    tx.commit().await?;
    Ok(user)
}

/// What [`bootstrap_admin`] did.
pub enum Bootstrap {
    /// Users exist already (or another node created the admin at the same moment).
    NotNeeded,
    /// Created `admin` with this password (the configured one, or a random one).
    Created { password: String, generated: bool },
}

/// On an empty database, creates the `admin` user with `admin.password` or a random password.
pub async fn bootstrap_admin(app: &AppState) -> Result<Bootstrap> {
    let mut conn = app.store.conn().await?;
    if ferry_store::users::count(&mut conn).await? > 0 {
        return Ok(Bootstrap::NotNeeded);
    }
    drop(conn);
    let (password, generated) = match &app.config.admin.password {
        Some(p) => (p.clone(), false),
        None => (ferry_core::secrets::new_password(), true),
    };
    let origin = Origin::system("bootstrap");
    let created = insert(
        app,
        &origin,
        None,
        "admin",
        password.clone(),
        Some("Administrator"),
        Role::Admin,
        None,
    )
    .await;
    match created {
        Ok(_) => Ok(Bootstrap::Created {
            password,
            generated,
        }),
        Err(Error::NameConflict(_)) => Ok(Bootstrap::NotNeeded),
        Err(e) => Err(e),
    }
}

/// A user by id (admins).
pub async fn get(app: &AppState, caller: &Caller, id: &str) -> Result<User> {
    access::require_admin(caller)?;
    load(app, id).await
}

async fn load(app: &AppState, id: &str) -> Result<User> {
    if !IdKind::User.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    ferry_store::users::get(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Users in creation order after `after` (admins); `limit + 1` rows to tell if more follow.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<User>> {
    access::require_admin(caller)?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::users::list(
        &mut conn,
        after.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?)
}

/// Changes a user (admins). A new password or a disabled account ends every session the user
/// has: re-enabling the account later does not bring the old tokens back.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    body: AccountChanges,
) -> Result<User> {
    let admin = access::require_admin(caller)?;
    load(app, id).await?;
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
            return Err(Error::invalid(
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
            return Err(Error::invalid(
                "disabled",
                "cannot_modify_self",
                "Admins cannot disable themselves.",
            ));
        }
        changes.disabled = Some(disabled);
        changed.push("disabled");
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let user = ferry_store::users::update(&mut tx, id, &changes, now)
        .await?
        .ok_or(Error::NotFound)?;
    let mut details = json!({ "changed": changed });
    if changes.password_hash.is_some() || changes.disabled == Some(true) {
        let revoked = ferry_store::tokens::revoke_all_for_user(&mut tx, id, now).await?;
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
    audit::success(
        &caller.origin,
        Some(admin),
        Action::UserUpdated,
        (TargetKind::User, id),
    )
    .at(app.now_ms())
    .details(details)
    .append(&mut tx)
    .await?;
    commit_auth_change(app, tx).await?;
    Ok(user)
}

/// Lifts a lock left by failed logins (admins).
pub async fn unlock(app: &AppState, caller: &Caller, id: &str) -> Result<User> {
    let admin = access::require_admin(caller)?;
    load(app, id).await?;
    let mut tx = app.store.begin().await?;
    ferry_store::users::clear_lock(&mut tx, id, app.now_ms()).await?;
    audit::success(
        &caller.origin,
        Some(admin),
        Action::UserUnlocked,
        (TargetKind::User, id),
    )
    .at(app.now_ms())
    .append(&mut tx)
    .await?;
    let user = ferry_store::users::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(user)
}

/// Sets a user's password directly in the database, for an admin who lost theirs: run with
/// the server stopped (`ferry admin reset-password`). The account is also unlocked and
/// enabled, every session it had ends, and `user.updated` is audited as done by the system.
pub async fn reset_password_offline(
    store: &ferry_store::Store,
    login: &str,
    password: String,
) -> Result<User> {
    validate::password(&password)?;
    let user = {
        let mut conn = store.conn().await?;
        ferry_store::users::by_login(&mut conn, login)
            .await?
            .ok_or(Error::NotFound)?
    };
    let changes = UserChanges {
        password_hash: Some(passwords::hash(password).await?),
        disabled: Some(false),
        ..UserChanges::default()
    };
    let now = ferry_core::timefmt::now_ms();
    let mut tx = store.begin().await?;
    let updated = ferry_store::users::update(&mut tx, &user.id, &changes, now)
        .await?
        .ok_or(Error::NotFound)?;
    ferry_store::users::clear_lock(&mut tx, &user.id, now).await?;
    let revoked = ferry_store::tokens::revoke_all_for_user(&mut tx, &user.id, now).await?;
    audit::success(
        &Origin::system("reset-password"),
        None,
        Action::UserUpdated,
        (TargetKind::User, &user.id),
    )
    .details(json!({"changed": ["password"], "offline": true, "sessions_revoked": revoked}))
    .append(&mut tx)
    .await?;
    // A running server on PostgreSQL hears of it at once; on SQLite, its token cache forgets
    // within `auth.token_cache_secs`.
    ferry_store::coherence::notify(&mut tx, store, "changed:offline").await?;
    tx.commit().await?;
    Ok(updated)
}
