//! User accounts: creation (and the bootstrap admin), changes, unlocking, lookup and listing.
//! Every operation here but the bootstrap is for admins: system admins for every user, company
//! admins for the users of their company ([`access::administers`]).

use std::collections::HashMap;

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, Role, validate};
pub use ferry_store::uploads::Reserved;
use ferry_store::users::{NewUser, User, UserChanges};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::{Caller, Origin};
use crate::coherence::commit_change;
use crate::error::{Error, Result};
use crate::passwords;
use crate::state::AppState;

/// Largest quota accepted (4 EiB): anything above is certainly a mistake.
pub(crate) const MAX_QUOTA: i64 = 1 << 62;

/// A request to create a user, as received.
pub struct NewAccount<'a> {
    pub login: &'a str,
    pub password: String,
    pub name: Option<&'a str>,
    pub role: Option<&'a str>,
    pub quota_bytes: Option<i64>,
    /// The user's company; a company admin's users are always in its company.
    pub company_id: Option<&'a str>,
}

/// Changes to a user; `None` leaves a field as it is (`quota_bytes: Some(None)` removes it).
#[derive(Default)]
pub struct AccountChanges {
    pub name: Option<String>,
    pub password: Option<String>,
    pub role: Option<String>,
    pub quota_bytes: Option<Option<i64>>,
    pub disabled: Option<bool>,
    /// `Some(None)` takes the user out of their company.
    pub company_id: Option<Option<String>>,
    /// `Some(None)`: the account never expires.
    pub expires_at: Option<Option<i64>>,
}

fn parse_role(role: &str) -> Result<Role> {
    Role::parse(role).ok_or_else(|| {
        Error::invalid(
            "role",
            "invalid_value",
            "role must be `user`, `admin`, `company_admin` or `moderator`.",
        )
    })
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
        if let Some(r) = held.get_mut(user.id.as_str()) {
            r.bytes = r.bytes.min(user.used_bytes);
        }
    }
    Ok(held)
}

/// The company `id` names, for a user to join: unknown is `NotFound`.
async fn joined_company(app: &AppState, id: &str) -> Result<ferry_store::companies::Company> {
    if !IdKind::Company.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    ferry_store::companies::get(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Creates a user (admins; a company admin's user joins its company). A user created in a
/// company without a quota of their own gets the company's default user quota.
pub async fn create(app: &AppState, caller: &Caller, account: NewAccount<'_>) -> Result<User> {
    let scope = access::administers(caller)?;
    let admin = caller.user_ref();
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
    access::may_assign_role(caller, role)?;
    let mut quota = check_quota(account.quota_bytes)?;
    let company_id = match access::company_for_user(caller, account.company_id.map(Some))? {
        Some(Some(c)) => Some(c),
        _ => scope.company().map(str::to_string),
    };
    if let Some(id) = &company_id {
        let company = joined_company(app, id).await?;
        quota = quota.or(company.default_user_quota_bytes);
    }
    insert(
        app,
        &caller.origin,
        admin,
        Account {
            login: account.login,
            password: account.password,
            name: account.name,
            role,
            quota_bytes: quota,
            company_id: company_id.as_deref(),
        },
    )
    .await
}

/// A checked account, ready to be stored.
struct Account<'a> {
    login: &'a str,
    password: String,
    name: Option<&'a str>,
    role: Role,
    quota_bytes: Option<i64>,
    company_id: Option<&'a str>,
}

async fn insert(
    app: &AppState,
    origin: &Origin,
    actor: Option<&User>,
    account: Account<'_>,
) -> Result<User> {
    let Account {
        login,
        password,
        name,
        role,
        quota_bytes,
        company_id,
    } = account;
    let hash = passwords::hash(password).await?;
    let mut tx = app.store.begin().await?;
    let user = insert_in(
        &mut tx,
        origin,
        actor,
        &NewUser {
            id: &IdKind::User.generate(),
            login,
            name: name.unwrap_or(login),
            role,
            password_hash: &hash,
            quota_bytes,
            company_id,
            now: app.now_ms(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Stores a checked account inside `tx` and audits `user.created`; a login anyone has
/// (an account's or an extra one, in any case) is `409 name_conflict`.
pub(crate) async fn insert_in(
    tx: &mut ferry_store::Tx,
    origin: &Origin,
    actor: Option<&User>,
    new: &NewUser<'_>,
) -> Result<User> {
    let login = new.login;
    // Extra logins share the accounts' namespace (see crate::logins).
    ferry_store::user_logins::lock_namespace(tx).await?;
    let inserted = !ferry_store::user_logins::taken(tx, login).await?
        && ferry_store::users::conflict_as_false(ferry_store::users::insert(tx, new).await)?;
    if !inserted {
        return Err(Error::NameConflict(format!(
            "The login `{login}` is taken."
        )));
    }
    audit::success(
        origin,
        actor,
        Action::UserCreated,
        (TargetKind::User, new.id),
    )
    .at(new.now)
    .details(
        json!({"login": login, "role": new.role.as_str(), "quota_bytes": new.quota_bytes,
            "company_id": new.company_id}),
    )
    .append(tx)
    .await?;
    ferry_store::users::get(tx, new.id)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("user vanished")))
}

/// What [`login_exists`] found.
pub struct LoginCheck {
    pub exists: bool,
    /// The account, when the caller administers it.
    pub user_id: Option<String>,
}

/// Whether an account has `login` as its login or an extra login, in any case (admins only,
/// [`access::may_check_logins`]).
pub async fn login_exists(app: &AppState, caller: &Caller, login: &str) -> Result<LoginCheck> {
    let scope = access::may_check_logins(caller)?;
    let login = login.trim();
    if login.is_empty() || login.len() > 254 {
        return Err(Error::invalid(
            "login",
            "invalid_query",
            "login is the login to look for (1 to 254 bytes).",
        ));
    }
    let mut conn = app.store.conn().await?;
    let user = ferry_store::users::by_login(&mut conn, login).await?;
    Ok(LoginCheck {
        exists: user.is_some(),
        user_id: user
            .filter(|u| scope.reaches(u.company_id.as_deref()))
            .map(|u| u.id.into()),
    })
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
        Account {
            login: "admin",
            password: password.clone(),
            name: Some("Administrator"),
            role: Role::Admin,
            quota_bytes: None,
            company_id: None,
        },
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

/// A user by id (admins; company admins, their company's users).
pub async fn get(app: &AppState, caller: &Caller, id: &str) -> Result<User> {
    access::managed_user(app, caller, id).await
}

/// What `GET /users` asks for; every field narrows the listing.
#[derive(Debug, Default)]
pub struct UserQuery {
    pub company_id: Option<String>,
    /// A part of the login or the name, in any case.
    pub text: Option<String>,
    pub role: Option<String>,
    /// `active`, `disabled`, `locked` or `deleted`.
    pub status: Option<String>,
}

/// One page of the users the caller administers that `query` selects, in creation order, with
/// how many it selects on every page together (a company admin: its company's users only).
pub async fn list(
    app: &AppState,
    caller: &Caller,
    query: &UserQuery,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<(Vec<User>, i64)> {
    let scope = access::administers(caller)?;
    let role = query.role.as_deref().map(parse_role).transpose()?;
    let status = query
        .status
        .as_deref()
        .map(|s| {
            ferry_store::users::UserStatus::parse(s).ok_or_else(|| {
                Error::invalid(
                    "status",
                    "invalid_value",
                    "status must be `active`, `disabled`, `locked`, `expired` or `deleted`.",
                )
            })
        })
        .transpose()?;
    let text = query.text.as_deref().filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.len() > 255) {
        return Err(Error::invalid(
            "q",
            "invalid_value",
            "q is at most 255 bytes.",
        ));
    }
    let company = match (scope.company(), query.company_id.as_deref()) {
        (None, requested) => requested,
        (Some(own), None) => Some(own),
        (Some(own), Some(requested)) if requested == own => Some(own),
        (Some(_), Some(_)) => return Ok((Vec::new(), 0)),
    };
    let filter = ferry_store::users::UserFilter {
        company_id: company,
        text,
        role,
        status,
        now: app.now_ms(),
    };
    let mut conn = app.store.conn().await?;
    let rows = ferry_store::users::list(
        &mut conn,
        &filter,
        after.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?;
    let total = ferry_store::users::count_matching(&mut conn, &filter).await?;
    Ok((rows, total))
}

/// Changes a user (admins). A new password or a disabled account ends every session the user
/// has: re-enabling the account later does not bring the old tokens back.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    body: AccountChanges,
) -> Result<User> {
    let target = access::managed_user(app, caller, id).await?;
    access::may_change_user(caller, &target)?;
    let admin = caller.user_ref();
    let me = admin.map(|a| a.id.as_str());
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
        access::may_assign_role(caller, role)?;
        if Some(id) == me && role != target.role() {
            return Err(Error::invalid(
                "role",
                "cannot_modify_self",
                "Admins cannot change their own role.",
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
        if Some(id) == me && disabled {
            return Err(Error::invalid(
                "disabled",
                "cannot_modify_self",
                "Admins cannot disable themselves.",
            ));
        }
        changes.disabled = Some(disabled);
        changed.push("disabled");
    }
    if let Some(company) =
        access::company_for_user(caller, body.company_id.as_ref().map(|c| c.as_deref()))?
    {
        if let Some(c) = &company {
            joined_company(app, c).await?;
        }
        if company != target.company_id {
            changes.company_id = Some(company);
            changed.push("company_id");
        }
    }
    if let Some(expires_at) = body.expires_at {
        if Some(id) == me && expires_at.is_some() {
            return Err(Error::invalid(
                "expires_at",
                "cannot_modify_self",
                "Admins cannot set their own account to expire.",
            ));
        }
        changes.expires_at = Some(expires_at);
        changed.push("expires_at");
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    if let Some(to) = &changes.company_id {
        move_use(&mut tx, id, to.as_deref()).await?;
    }
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
    if let Some(c) = &changes.company_id {
        details["company_id"] = json!(c);
    }
    if let Some(at) = changes.expires_at {
        details["expires_at"] = json!(at.map(ferry_core::timefmt::rfc3339));
    }
    audit::success(
        &caller.origin,
        admin,
        Action::UserUpdated,
        (TargetKind::User, id),
    )
    .at(app.now_ms())
    .details(details)
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await?;
    Ok(user)
}

/// Moves what a user stores from their company's use to `to`'s (refused with
/// `413 quota_exceeded` when it does not fit the new company's quota). The user's row is
/// read in the transaction, so a concurrent upload is counted in one company or the other.
async fn move_use(tx: &mut ferry_store::Tx, id: &str, to: Option<&str>) -> Result<()> {
    let user = ferry_store::users::get(tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if let Some(from) = &user.company_id {
        ferry_store::companies::release(tx, from, user.used_bytes).await?;
    }
    if let Some(to) = to
        && !ferry_store::companies::reserve(tx, to, user.used_bytes).await?
    {
        let (limit, used) = ferry_store::companies::usage(tx, to).await?;
        return Err(Error::QuotaExceeded { limit, used });
    }
    Ok(())
}

/// Lifts a lock left by failed logins (admins; company admins for their company's users).
pub async fn unlock(app: &AppState, caller: &Caller, id: &str) -> Result<User> {
    access::managed_user(app, caller, id).await?;
    let admin = caller.user_ref();
    let mut tx = app.store.begin().await?;
    ferry_store::users::clear_lock(&mut tx, id, app.now_ms()).await?;
    audit::success(
        &caller.origin,
        admin,
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
