//! Admin support tools (seed 001): one-time login keys an admin hands to a user, and acting
//! as a user ("impersonation") for support, always audited with the admin as the real actor.

use ferry_core::audit::{Action, TargetKind};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::auth::{self, Session};
use crate::caller::{Caller, Origin};
use crate::error::{Error, Result};
use crate::state::AppState;

/// How long a one-time login key may wait for its user.
pub const LOGIN_KEY_TTL_MS: i64 = 24 * 3600 * 1000;
/// How long a session an admin opens as a user lasts.
pub const IMPERSONATION_TTL_MS: i64 = 3600 * 1000;

/// A one-time login key, shown to the admin once.
pub struct LoginKey {
    pub key: String,
    pub expires_at: i64,
}

/// An account an admin wants to hand a way in to must be able to log in: `409 conflict`
/// otherwise (a `401` would tell the admin's client that its own session failed).
fn can_log_in(user: &ferry_store::users::User, now: i64) -> Result<()> {
    access::account_usable(user, now).map_err(|refused| {
        Error::Conflict(format!("This account cannot log in ({}).", refused.code()))
    })
}

/// Makes a one-time login key for a user the caller manages: whoever holds it logs in once as
/// the user without a password within 24 hours (the second factor is still asked for).
pub async fn create_login_key(app: &AppState, caller: &Caller, user_id: &str) -> Result<LoginKey> {
    access::may_manage_credentials(caller)?;
    let user = access::managed_user(app, caller, user_id).await?;
    access::may_change_user(caller, &user)?;
    can_log_in(&user, app.now_ms())?;
    let admin = caller.user_ref().ok_or(Error::Unauthorized)?;
    let key = ferry_core::secrets::new_access_token();
    let now = app.now_ms();
    let expires_at = now + LOGIN_KEY_TTL_MS;
    let mut tx = app.store.begin().await?;
    ferry_store::login_keys::insert(
        &mut tx,
        &auth::token_hash(&key),
        &user.id,
        &admin.id,
        now,
        expires_at,
    )
    .await?;
    audit::success(
        &caller.origin,
        Some(admin),
        Action::AuthLoginKeyCreated,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .details(json!({"login": user.login, "expires_at": ferry_core::timefmt::rfc3339(expires_at)}))
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(LoginKey { key, expires_at })
}

/// Logs in with a one-time login key (and `otp` if the account has two-factor login). A key
/// that is unknown, used or expired is `401 invalid_credentials`, like a wrong password.
pub async fn login_with_key(
    app: &AppState,
    origin: &Origin,
    key: &str,
    otp: Option<&str>,
) -> Result<Session> {
    let now = app.now_ms();
    let claimed = {
        let mut tx = app.store.begin().await?;
        let claimed = ferry_store::login_keys::take(&mut tx, &auth::token_hash(key), now).await?;
        tx.commit().await?;
        claimed
    };
    let Some((user_id, created_by)) = claimed else {
        return Err(Error::InvalidCredentials);
    };
    let user = {
        let mut conn = app.store.conn().await?;
        ferry_store::users::get(&mut conn, &user_id)
            .await?
            .ok_or(Error::InvalidCredentials)?
    };
    access::account_usable(&user, now)?;
    if user.has_two_factor() {
        crate::two_factor::check_at_login(app, origin, &user, otp).await?;
    }
    access::admit(app, &user, origin).await?;
    let ttl_ms = app.config.auth.token_ttl_secs * 1000;
    let details = json!({"via": "login_key", "key_created_by": created_by});
    auth::open_session(app, origin, user, ttl_ms, None, details).await
}

/// Opens a session as `user_id` for the calling admin (one hour). Every event that session
/// causes carries `"impersonated_by": <admin id>`, and it cannot change how the account logs
/// in (see [`access::may_manage_credentials`]).
pub async fn impersonate(app: &AppState, caller: &Caller, user_id: &str) -> Result<Session> {
    let user = access::managed_user(app, caller, user_id).await?;
    access::may_impersonate(caller, &user)?;
    can_log_in(&user, app.now_ms())?;
    let admin = caller.user_ref().ok_or(Error::Unauthorized)?;
    {
        let mut tx = app.store.begin().await?;
        audit::success(
            &caller.origin,
            Some(admin),
            Action::AuthImpersonationStarted,
            (TargetKind::User, &user.id),
        )
        .at(app.now_ms())
        .details(json!({"login": user.login}))
        .append(&mut tx)
        .await?;
        tx.commit().await?;
    }
    let ttl_ms = IMPERSONATION_TTL_MS.min(app.config.auth.token_ttl_secs * 1000);
    let origin = Origin {
        impersonated_by: Some(admin.id.to_string()),
        ..caller.origin.clone()
    };
    auth::open_session(
        app,
        &origin,
        user,
        ttl_ms,
        Some(admin),
        json!({"via": "impersonation"}),
    )
    .await
}
