//! Sessions: checking a login and password (with per-account lockout and an audit record of
//! every failure), issuing and revoking bearer tokens, and resolving a token to its user.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::timefmt::rfc3339;
use ferry_core::{IdKind, secrets};
use ferry_store::users::User;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit;
use crate::caller::{Caller, Origin};
use crate::error::{Error, Result};
use crate::passwords;
use crate::state::AppState;

/// SHA-256 of a token, the only form in which tokens are stored.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new session's token, shown to the client once.
pub struct Session {
    pub access_token: String,
    pub token_id: String,
    pub expires_at: i64,
    pub user: User,
}

/// The user a bearer token belongs to, with the token's id.
pub async fn resolve_token(app: &AppState, token: &str) -> Result<(User, String)> {
    let mut conn = app.store.conn().await?;
    let (tok, user) = ferry_store::tokens::find(&mut conn, &token_hash(token))
        .await?
        .ok_or(Error::Unauthorized)?;
    // Disabled first: disabling also revokes the tokens, and their holder should learn why
    // they stopped working.
    if user.is_disabled() {
        return Err(Error::AccountDisabled);
    }
    if tok.revoked_at.is_some() {
        return Err(Error::Unauthorized);
    }
    if tok.expires_at <= app.now_ms() {
        return Err(Error::TokenExpired);
    }
    Ok((user, tok.id))
}

/// Checks a login and password with lockout, auditing every failure. Success is audited by
/// the caller: a session login records `auth.login`; HTTP Basic, which authenticates every
/// request, records nothing more than the request's own events.
pub async fn authenticate(
    state: &AppState,
    ctx: &Origin,
    login: &str,
    password: &str,
) -> Result<User> {
    let now = state.now_ms();
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
        audit::success(
            ctx,
            Some(u),
            Action::AuthLoginFailed,
            (TargetKind::User, &u.id),
        )
        .at(state.now_ms())
        .failed()
        .details(json!({"login": u.login, "reason": "disabled"}))
        .append(&mut tx)
        .await?;
        tx.commit().await?;
        return Err(Error::AccountDisabled);
    }
    if let Some(u) = &user
        && u.is_locked(now)
    {
        let mut tx = state.store.begin().await?;
        audit::success(
            ctx,
            None,
            Action::AuthLoginFailed,
            (TargetKind::User, &u.id),
        )
        .at(state.now_ms())
        .failed()
        .details(json!({"login": u.login, "reason": "locked"}))
        .append(&mut tx)
        .await?;
        tx.commit().await?;
        let retry = (u.locked_until.unwrap_or(now) - now + 999) / 1000;
        return Err(Error::AccountLocked {
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
        audit::success(ctx, None, Action::AuthLoginFailed, (TargetKind::User, ""))
            .at(state.now_ms())
            .failed()
            .details(json!({"login": target_login["login"], "reason": "unknown_login"}))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        return Err(Error::InvalidCredentials);
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
        audit::success(
            ctx,
            None,
            Action::AuthLoginFailed,
            (TargetKind::User, &user.id),
        )
        .at(state.now_ms())
        .failed()
        .details(json!({"login": user.login, "reason": "wrong_password"}))
        .append(&mut tx)
        .await?;
        if locked {
            audit::success(ctx, None, Action::AuthLocked, (TargetKind::User, &user.id))
                .at(state.now_ms())
                .details(json!({"login": user.login, "until": rfc3339(lock_until)}))
                .append(&mut tx)
                .await?;
        }
        tx.commit().await?;
        return Err(Error::InvalidCredentials);
    }
    if user.failed_logins > 0 || user.locked_until.is_some() {
        ferry_store::users::clear_lock(&mut tx, &user.id, now).await?;
    }
    tx.commit().await?;
    Ok(user)
}

/// Logs in: checks the password and issues a bearer token.
pub async fn login(
    app: &AppState,
    origin: &Origin,
    login: &str,
    password: &str,
) -> Result<Session> {
    let user = authenticate(app, origin, login, password).await?;
    let token = secrets::new_access_token();
    let now = app.now_ms();
    let expires_at = now + app.config.auth.token_ttl_secs * 1000;
    let mut tx = app.store.begin().await?;
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
    audit::success(
        origin,
        Some(&user),
        Action::AuthLogin,
        (TargetKind::User, &user.id),
    )
    .at(app.now_ms())
    .details(json!({"token_id": token_id}))
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Session {
        access_token: token,
        token_id,
        expires_at,
        user,
    })
}

/// Logs out: revokes the token the request used (none for HTTP Basic).
pub async fn logout(app: &AppState, caller: &Caller, token_id: Option<&str>) -> Result<()> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let mut tx = app.store.begin().await?;
    if let Some(token_id) = token_id {
        ferry_store::tokens::revoke(&mut tx, token_id, app.now_ms()).await?;
    }
    audit::success(
        &caller.origin,
        Some(user),
        Action::AuthLogout,
        (TargetKind::User, &user.id),
    )
    .at(app.now_ms())
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
