//! Password reset by e-mail: a request mails a single-use link valid for 30 minutes; the
//! token in it sets a new password once and ends every session of the account.
//!
//! A request answers the same whether the login exists, is disabled, has no address or was
//! just sent a mail (so logins cannot be probed); only the audit log says which. Tokens are
//! random 256-bit values stored as their SHA-256, like access tokens.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::ids::random_bytes;
use ferry_core::validate;
use ferry_store::users::UserChanges;
use serde_json::json;

use crate::audit;
use crate::auth::token_hash;
use crate::caller::Origin;
use crate::coherence::commit_change;
use crate::error::{Error, Result};
use crate::mail::{self, letters};
use crate::passwords;
use crate::state::AppState;

/// How long a reset link works.
pub const TOKEN_TTL_MS: i64 = 30 * 60 * 1000;
/// At most one reset mail per account in this long: asking again and again fills nobody's
/// mailbox.
pub const THROTTLE_MS: i64 = 60 * 1000;
/// Longest token worth looking up (ours are 64 hex digits).
const MAX_TOKEN_LEN: usize = 128;

/// Why a request mailed nothing (for the audit log only; the caller never learns it).
fn reason(user: Option<&ferry_store::users::User>) -> Option<&'static str> {
    match user {
        None => Some("unknown_login"),
        Some(u) if u.is_deleted() => Some("deleted"),
        Some(u) if u.is_disabled() => Some("disabled"),
        Some(u) if mail::address_of(u).is_none() => Some("no_address"),
        Some(_) => None,
    }
}

/// `POST /auth/password-reset`: queues a reset mail to `login`'s address if there is such an
/// account that may have one. Always `Ok` once mail is configured.
pub async fn request(app: &AppState, origin: &Origin, login: &str) -> Result<()> {
    if !mail::configured(app) {
        return Err(Error::MailNotConfigured);
    }
    let shown: String = login.trim().chars().take(128).collect();
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let user = ferry_store::users::by_login(&mut tx, login.trim()).await?;
    let mut why = reason(user.as_ref());
    if let Some(u) = user.as_ref().filter(|_| why.is_none()) {
        let last = ferry_store::mail::last_reset_at(&mut tx, &u.id).await?;
        if last.is_some_and(|t| now - t < THROTTLE_MS) {
            why = Some("throttled");
        } else {
            let token = hex::encode(random_bytes::<32>());
            let expires_at = now + TOKEN_TTL_MS;
            ferry_store::mail::insert_reset(&mut tx, &token_hash(&token), &u.id, now, expires_at)
                .await?;
            let url = format!("{}/reset?token={token}", app.config.public_url());
            let name = if u.name.is_empty() { &u.login } else { &u.name };
            let letter = letters::password_reset(name, &url, TOKEN_TTL_MS / 60_000);
            mail::queue(app, &mut tx, "password_reset", &u.login, &letter).await?;
        }
    }
    let target = user.as_ref().map_or("", |u| u.id.as_str());
    audit::success(
        origin,
        None,
        Action::AuthPasswordResetRequested,
        (TargetKind::User, target),
    )
    .at(now)
    .details(json!({"login": shown, "mailed": why.is_none(), "reason": why}))
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /auth/password-reset/confirm`: sets the password of the token's account, uses the
/// token (and any other of that account) up, and ends every session of the account.
/// Returns how many sessions ended.
pub async fn confirm(
    app: &AppState,
    origin: &Origin,
    token: &str,
    new_password: String,
) -> Result<u64> {
    validate::password(&new_password).map_err(|e| Error::Invalid {
        code: e.code,
        message: e.message,
        field: Some("new_password".into()),
    })?;
    let token = token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(Error::ResetTokenInvalid);
    }
    // Hashed before the transaction: Argon2 takes tens of milliseconds.
    let hash = passwords::hash(new_password).await?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let user_id = ferry_store::mail::take_reset(&mut tx, &token_hash(token), now)
        .await?
        .ok_or(Error::ResetTokenInvalid)?;
    let user = ferry_store::users::get(&mut tx, &user_id)
        .await?
        .filter(|u| !u.is_disabled() && !u.is_deleted())
        .ok_or(Error::ResetTokenInvalid)?;
    let change = UserChanges {
        password_hash: Some(hash),
        ..UserChanges::default()
    };
    ferry_store::users::update(&mut tx, &user.id, &change, now)
        .await?
        .ok_or(Error::ResetTokenInvalid)?;
    // Whoever locked the account out by guessing is beside the point now.
    ferry_store::users::clear_lock(&mut tx, &user.id, now).await?;
    let revoked = ferry_store::tokens::revoke_all_for_user(&mut tx, &user.id, now).await?;
    audit::success(
        origin,
        Some(&user),
        Action::AuthPasswordReset,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .details(json!({"sessions_revoked": revoked}))
    .append(&mut tx)
    .await?;
    // Every node's token cache forgets the revoked sessions.
    commit_change(app, tx).await?;
    Ok(revoked)
}
