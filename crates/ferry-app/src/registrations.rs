//! Self-registration (`accounts.registration`): someone signs up with their e-mail address and
//! a password; a single-use link mailed to that address confirms it. With `open` the
//! confirmation makes the account; with `approval` the sign-up waits for a system admin, who
//! approves (the account is made) or denies it, and the person hears of it by mail. With
//! `closed` (the default) there are no sign-ups.
//!
//! A sign-up answers the same whether the address has an account, a sign-up waiting, or was
//! just sent a mail (so logins cannot be probed); only the audit log says which. Until it is
//! approved a sign-up is no user at all, so nothing else in Ferry has to know about it.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::ids::random_bytes;
use ferry_core::{IdKind, Role, validate};
use ferry_store::registrations::{NewRegistration, Registration};
use ferry_store::users::{NewUser, User};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::auth::token_hash;
use crate::caller::{Caller, Origin};
use crate::config::RegistrationMode;
use crate::error::{Error, Result};
use crate::mail::{self, letters};
use crate::notices::{self, NoticeKind};
use crate::passwords;
use crate::state::AppState;

/// How long a confirmation link works.
pub const TOKEN_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// At most one confirmation mail per address in this long.
pub const THROTTLE_MS: i64 = 60 * 1000;
/// Longest token worth looking up (ours are 64 hex digits).
const MAX_TOKEN_LEN: usize = 128;
/// Sign-ups one listing shows.
const LIST_LIMIT: i64 = 200;

/// A sign-up, as `POST /auth/register` receives it.
pub struct SignUp<'a> {
    pub login: &'a str,
    pub password: String,
    pub name: Option<&'a str>,
}

/// Where a confirmed sign-up stands.
pub enum Confirmed {
    /// The account exists (`open`).
    Active(Box<User>),
    /// It waits for an admin (`approval`).
    Pending,
}

/// The configured mode, refusing sign-ups when they are closed.
fn mode(app: &AppState) -> Result<RegistrationMode> {
    match app.config.accounts.registration {
        RegistrationMode::Closed => Err(Error::RegistrationClosed),
        mode => Ok(mode),
    }
}

/// `POST /auth/register`: stores an unconfirmed sign-up and mails its confirmation link,
/// unless the address has an account or a sign-up in progress already. Always `Ok` once the
/// input is valid, registration is open and mail is configured.
pub async fn register(app: &AppState, origin: &Origin, sign_up: SignUp<'_>) -> Result<()> {
    let mode = mode(app)?;
    if !mail::configured(app) {
        return Err(Error::MailNotConfigured);
    }
    let login = sign_up.login.trim();
    validate::login(login)?;
    if mail::address(login).is_none() {
        return Err(Error::invalid(
            "login",
            "invalid_login",
            "Sign up with your e-mail address: the confirmation link is mailed there.",
        ));
    }
    validate::password(&sign_up.password)?;
    let name = sign_up.name.map(str::trim).filter(|n| !n.is_empty());
    if let Some(name) = name {
        validate::display_name(name)?;
    }
    // Hashed before the transaction (Argon2 takes tens of milliseconds), and always, so that
    // a taken address answers no faster than a free one.
    let hash = passwords::hash(sign_up.password).await?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let why = if ferry_store::user_logins::taken(&mut tx, login).await? {
        Some("login_taken")
    } else {
        match ferry_store::registrations::open_for_login(&mut tx, login, now).await? {
            Some(r) if r.status == "pending" => Some("pending"),
            Some(r) if now - r.created_at < THROTTLE_MS => Some("throttled"),
            _ => None,
        }
    };
    let mut id = None;
    if why.is_none() {
        let token = hex::encode(random_bytes::<32>());
        let new_id = IdKind::Registration.generate();
        let name = name.unwrap_or(login);
        ferry_store::registrations::insert(
            &mut tx,
            &NewRegistration {
                id: &new_id,
                login,
                name,
                password_hash: &hash,
                token_hash: &token_hash(&token),
                now,
                expires_at: now + TOKEN_TTL_MS,
            },
        )
        .await?;
        let url = format!("{}/register?token={token}", app.config.public_url());
        let letter = letters::registration_confirm(
            name,
            &url,
            TOKEN_TTL_MS / 3_600_000,
            mode == RegistrationMode::Approval,
        );
        mail::queue(app, &mut tx, "registration", login, &letter).await?;
        id = Some(new_id);
    }
    let shown: String = login.chars().take(128).collect();
    audit::success(
        origin,
        None,
        Action::AuthRegistrationRequested,
        (TargetKind::User, ""),
    )
    .at(now)
    .details(
        json!({"login": shown, "registration_id": id, "mailed": why.is_none(),
        "reason": why}),
    )
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /auth/register/confirm`: uses the token from the mailed link. With `open` the
/// account is made at once; with `approval` the sign-up waits for an admin, and every system
/// admin gets a `registration.pending` notice.
pub async fn confirm(app: &AppState, origin: &Origin, token: &str) -> Result<Confirmed> {
    let mode = mode(app)?;
    let token = token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(Error::RegistrationTokenInvalid);
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let registration = ferry_store::registrations::confirm(&mut tx, &token_hash(token), now)
        .await?
        .ok_or(Error::RegistrationTokenInvalid)?;
    let confirmed = match mode {
        RegistrationMode::Open => {
            let user = approve_in(app, &mut tx, origin, None, &registration).await?;
            Confirmed::Active(Box::new(user))
        }
        _ => {
            for admin in ferry_store::users::active_admin_ids(&mut tx).await? {
                notices::notify(
                    &mut tx,
                    &admin,
                    NoticeKind::RegistrationPending,
                    json!({"registration_id": registration.id, "login": registration.login,
                        "name": registration.name}),
                    now,
                )
                .await?;
            }
            Confirmed::Pending
        }
    };
    let status = match confirmed {
        Confirmed::Active(_) => "approved",
        Confirmed::Pending => "pending",
    };
    let target = match &confirmed {
        Confirmed::Active(u) => u.id.as_str(),
        Confirmed::Pending => "",
    };
    audit::success(
        origin,
        None,
        Action::AuthRegistrationConfirmed,
        (TargetKind::User, target),
    )
    .at(now)
    .details(
        json!({"registration_id": registration.id, "login": registration.login,
        "status": status}),
    )
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(confirmed)
}

/// Makes the account of a confirmed sign-up inside `tx` (a plain user without a company or
/// quota of its own) and marks the sign-up approved by `admin` (`None`: by the server, in
/// `open` mode). A login someone took meanwhile is `409 name_conflict`.
async fn approve_in(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    origin: &Origin,
    admin: Option<&User>,
    registration: &Registration,
) -> Result<User> {
    let now = app.now_ms();
    let user = crate::users::insert_in(
        tx,
        origin,
        admin,
        &NewUser {
            id: &IdKind::User.generate(),
            login: &registration.login,
            name: &registration.name,
            role: Role::User,
            password_hash: &registration.password_hash,
            quota_bytes: None,
            company_id: None,
            now,
        },
    )
    .await?;
    let by = admin.map(|a| a.id.as_str());
    if !ferry_store::registrations::decide(
        tx,
        &registration.id,
        "approved",
        by,
        Some(&user.id),
        now,
    )
    .await?
    {
        return Err(Error::Conflict("This sign-up was decided already.".into()));
    }
    Ok(user)
}

/// Sign-ups, newest first (`status` narrows them): system admins only.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    status: Option<&str>,
) -> Result<Vec<Registration>> {
    access::require_admin(caller)?;
    if let Some(s) = status
        && !matches!(s, "unconfirmed" | "pending" | "approved" | "denied")
    {
        return Err(Error::invalid(
            "status",
            "invalid_query",
            "status is unconfirmed, pending, approved or denied.",
        ));
    }
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::registrations::list(&mut conn, status, LIST_LIMIT).await?)
}

/// Approves (the account is made) or denies a confirmed sign-up waiting for an admin (system
/// admins only); the person hears of it by mail. One not waiting is `409 conflict`.
pub async fn decide(
    app: &AppState,
    caller: &Caller,
    id: &str,
    approve: bool,
) -> Result<Registration> {
    let admin = access::require_admin(caller)?;
    if !IdKind::Registration.matches(id) {
        return Err(Error::NotFound);
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let registration = ferry_store::registrations::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if registration.status != "pending" {
        return Err(Error::Conflict(
            "Only a confirmed sign-up waiting for an admin can be decided.".into(),
        ));
    }
    let (action, target) = if approve {
        let user = approve_in(app, &mut tx, &caller.origin, Some(admin), &registration).await?;
        (Action::UserRegistrationApproved, user.id.into())
    } else {
        if !ferry_store::registrations::decide(&mut tx, id, "denied", Some(&admin.id), None, now)
            .await?
        {
            return Err(Error::Conflict("This sign-up was decided already.".into()));
        }
        (Action::UserRegistrationDenied, String::new())
    };
    audit::success(
        &caller.origin,
        Some(admin),
        action,
        (TargetKind::User, &target),
    )
    .at(now)
    .details(json!({"registration_id": id, "login": registration.login}))
    .append(&mut tx)
    .await?;
    let letter = letters::registration_decided(&registration.name, approve, &mail::portal(app));
    mail::queue(
        app,
        &mut tx,
        "registration_decided",
        &registration.login,
        &letter,
    )
    .await?;
    let decided = ferry_store::registrations::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(decided)
}
