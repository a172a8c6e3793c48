//! Sessions: checking a login and password (with per-account lockout and an audit record of
//! every failure), issuing and revoking bearer tokens, and resolving a token to its user.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::timefmt::rfc3339;
use ferry_core::{IdKind, Role, TokenKind, TokenScope, TokenScopes, secrets};
use ferry_store::tokens::{NewToken, Token};
use ferry_store::users::User;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::access;
use crate::audit;
use crate::caller::{Caller, Origin};
use crate::coherence::commit_change;
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

/// What a bearer token stands for in one request.
#[derive(Debug, Clone)]
pub struct Bearer {
    /// The token's user, acting with the role the token's scopes allow: an admin's token
    /// without the `admin` scope acts as a plain user.
    pub user: User,
    pub token: Token,
}

/// How often a token's last use is written down (its list shows the minute, not the request).
const LAST_USE_EVERY_MS: i64 = 60_000;

/// The user a bearer token belongs to, with the token, from the token cache when it can.
pub async fn resolve_token(app: &AppState, origin: &Origin, token: &str) -> Result<Bearer> {
    let hash = token_hash(token);
    let (tok, mut user) = match app.tokens.get(&hash) {
        Some(found) => found,
        None => {
            let epoch = app.tokens.epoch();
            let mut conn = app.store.conn().await?;
            let found = ferry_store::tokens::find(&mut conn, &hash)
                .await?
                .ok_or(Error::Unauthorized)?;
            app.tokens
                .insert(epoch, hash.clone(), found.0.clone(), found.1.clone());
            found
        }
    };
    // The account first: disabling and deleting also revoke the tokens, and their holder
    // should learn why they stopped working.
    access::account_usable(&user, app.now_ms())?;
    // A wiped device learns it until it confirms (which revokes the token).
    if tok.wiped_at.is_some() && tok.wipe_confirmed_at.is_none() {
        return Err(Error::DeviceWiped);
    }
    if tok.revoked_at.is_some() {
        return Err(Error::Unauthorized);
    }
    let now = app.now_ms();
    if tok.is_expired_at(now) {
        return Err(Error::TokenExpired);
    }
    if tok
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USE_EVERY_MS)
    {
        note_use(app, &hash, &tok.id, now, origin.ip.clone()).await;
    }
    // An inactive company's tokens stop working, as do tokens used from outside a policy's
    // address ranges.
    access::admit(app, &user, origin).await?;
    if !tok.scopes.contains(TokenScope::Admin) && user.role() != Role::User {
        user = user.acting_as(Role::User);
    }
    Ok(Bearer { user, token: tok })
}

/// Writes down a token's use. A failure costs only the record, never the request.
async fn note_use(app: &AppState, hash: &str, token_id: &str, now: i64, ip: Option<String>) {
    app.tokens.note_use(hash, now, ip.clone());
    let written = async {
        let mut conn = app.store.conn().await?;
        ferry_store::tokens::touch(&mut conn, token_id, now, ip.as_deref()).await
    };
    if let Err(e) = written.await {
        tracing::warn!(error = %e, token_id, "could not record a token's last use");
    }
}

/// Checks a login and password with lockout, auditing every failure, and the second factor
/// of an account that has one: `otp` is its TOTP or recovery code. Success is audited by the
/// caller: a session login records `auth.login`; HTTP Basic, which authenticates every
/// request, records nothing more than the request's own events (and, sending no code, is
/// refused for an account with two-factor login: such accounts use tokens).
pub async fn authenticate(
    state: &AppState,
    ctx: &Origin,
    login: &str,
    password: &str,
    otp: Option<&str>,
) -> Result<User> {
    let now = state.now_ms();
    let user = {
        let mut conn = state.store.conn().await?;
        ferry_store::users::by_login(&mut conn, login).await?
    };
    let target_login = json!({ "login": login.chars().take(128).collect::<String>() });

    // A disabled, deleted or expired account answers the same whatever the password, so it
    // cannot be used to test passwords. Its password is still checked first (and its result
    // thrown away) so the answer takes as long as any other.
    if let Some(u) = &user
        && let Err(refused) = access::account_usable(u, now)
    {
        let _ = passwords::verify(password.to_string(), Some(u.password_hash.clone())).await;
        audit_failure(
            state,
            ctx,
            Some(u),
            &u.id,
            json!({"login": u.login, "reason": refused.code()}),
        )
        .await?;
        return Err(refused);
    }
    if let Some(u) = &user {
        let until = {
            let mut conn = state.store.conn().await?;
            ferry_store::login_failures::locked_until(&mut conn, &u.id, address(ctx), now).await?
        };
        if let Some(until) = until {
            audit_failure(
                state,
                ctx,
                None,
                &u.id,
                json!({"login": u.login, "reason": "locked"}),
            )
            .await?;
            return Err(Error::AccountLocked {
                retry_after_secs: ((until - now + 999) / 1000).max(1),
            });
        }
        throttle(state, u).await;
    }

    let ok = passwords::verify(
        password.to_string(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let Some(user) = user else {
        audit_failure(
            state,
            ctx,
            None,
            "",
            json!({"login": target_login["login"], "reason": "unknown_login"}),
        )
        .await?;
        return Err(Error::InvalidCredentials);
    };
    if !ok {
        record_failure(state, ctx, &user, "wrong_password").await?;
        return Err(Error::InvalidCredentials);
    }
    if user.has_two_factor() {
        crate::two_factor::check_at_login(state, ctx, &user, otp).await?;
    }
    {
        let mut conn = state.store.conn().await?;
        ferry_store::users::reset_failures(&mut conn, &user.id).await?;
        ferry_store::login_failures::clear(&mut conn, &user.id, address(ctx)).await?;
    }
    // Checked after the password, so that a wrong password says nothing about the company.
    if let Err(refused) = access::admit(state, &user, ctx).await {
        audit_failure(
            state,
            ctx,
            Some(&user),
            &user.id,
            json!({"login": user.login, "reason": refused.code()}),
        )
        .await?;
        return Err(refused);
    }
    Ok(user)
}

/// HTTP Basic with a login and password, sent with every request: [`authenticate`] once,
/// then, while nothing that could change the answer happened (the token cache's coherence),
/// only what depends on the moment and the request: the account still usable now, and the
/// company's rules for this address. Anything refused there goes through [`authenticate`]
/// again, which audits it.
pub async fn authenticate_basic(
    state: &AppState,
    ctx: &Origin,
    login: &str,
    password: &str,
) -> Result<User> {
    let key = state.tokens.basic_key(login, password);
    if let Some(user) = state.tokens.basic(&key)
        && access::account_usable(&user, state.now_ms()).is_ok()
        && access::admit(state, &user, ctx).await.is_ok()
    {
        return Ok(user);
    }
    let epoch = state.tokens.epoch();
    let user = authenticate(state, ctx, login, password, None).await?;
    state.tokens.insert_basic(epoch, key, user.clone());
    Ok(user)
}

/// Audits a refused login (`auth.login_failed`) in a transaction of its own.
async fn audit_failure(
    state: &AppState,
    ctx: &Origin,
    actor: Option<&User>,
    user_id: &str,
    details: serde_json::Value,
) -> Result<()> {
    let mut tx = state.store.begin().await?;
    audit::success(
        ctx,
        actor,
        Action::AuthLoginFailed,
        (TargetKind::User, user_id),
    )
    .at(state.now_ms())
    .failed()
    .details(details)
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The client address failed logins are counted by (`""` when unknown).
fn address(origin: &Origin) -> &str {
    origin.ip.as_deref().unwrap_or("")
}

/// The longest a login waits because of failures from every address together.
const MAX_THROTTLE_MS: u64 = 10_000;

/// Slows a login down once the account has had `auth.max_failed_logins` consecutive failures
/// from all addresses together: 250 ms, doubling with each further failure, at most 10 s. A
/// guesser spread over many addresses is slowed down; the real user is never locked out by it.
async fn throttle(state: &AppState, user: &User) {
    let over = user.failed_logins - state.config.auth.max_failed_logins;
    if over < 0 {
        return;
    }
    let delay = 250u64
        .saturating_mul(1 << over.min(16))
        .min(MAX_THROTTLE_MS);
    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
}

/// Counts a wrong password or second-factor code: against the client address (locked out of
/// the account after `auth.max_failed_logins`) and against the account (which only slows
/// further attempts down), and audits it.
pub(crate) async fn record_failure(
    state: &AppState,
    ctx: &Origin,
    user: &User,
    reason: &str,
) -> Result<()> {
    let now = state.now_ms();
    let lock_until = now + state.config.auth.lockout_secs * 1000;
    let mut tx = state.store.begin().await?;
    ferry_store::users::record_failed_login(&mut tx, &user.id).await?;
    let locked = ferry_store::login_failures::record(
        &mut tx,
        &user.id,
        address(ctx),
        state.config.auth.max_failed_logins,
        lock_until,
        now,
    )
    .await?;
    if locked {
        ferry_store::users::note_lock(&mut tx, &user.id, lock_until).await?;
    }
    audit::success(
        ctx,
        None,
        Action::AuthLoginFailed,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .failed()
    .details(json!({"login": user.login, "reason": reason}))
    .append(&mut tx)
    .await?;
    if locked {
        audit::success(ctx, None, Action::AuthLocked, (TargetKind::User, &user.id))
            .at(now)
            .details(json!({"login": user.login, "until": rfc3339(lock_until),
                "address": address(ctx)}))
            .append(&mut tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Logs in: checks the password (and the second factor, if the account has one) and issues
/// a bearer token.
pub async fn login(
    app: &AppState,
    origin: &Origin,
    login: &str,
    password: &str,
    otp: Option<&str>,
) -> Result<Session> {
    let user = authenticate(app, origin, login, password, otp).await?;
    let ttl_ms = app.config.auth.token_ttl_secs * 1000;
    open_session(app, origin, user, ttl_ms, None, json!({})).await
}

/// Issues a session token for `user`, valid `ttl_ms`, audited as `auth.login` with
/// `details` (plus the token's id). `impersonator`: the admin opening it as the user (whose
/// `origin` names them too, so the event carries `impersonated_by`).
pub(crate) async fn open_session(
    app: &AppState,
    origin: &Origin,
    user: User,
    ttl_ms: i64,
    impersonator: Option<&User>,
    details: serde_json::Value,
) -> Result<Session> {
    let token = secrets::new_access_token();
    let now = app.now_ms();
    let expires_at = now + ttl_ms;
    let mut tx = app.store.begin().await?;
    let token_id = IdKind::Token.generate();
    let new = NewToken {
        id: &token_id,
        token_hash: &token_hash(&token),
        user_id: &user.id,
        kind: TokenKind::Session,
        name: None,
        scopes: TokenScopes::FULL,
        folder_id: None,
        expires_at: Some(expires_at),
    };
    ferry_store::tokens::insert(&mut tx, &new, now).await?;
    let mut details = details;
    details["token_id"] = token_id.clone().into();
    if let Some(admin) = impersonator {
        ferry_store::tokens::set_impersonator(&mut tx, &token_id, &admin.id).await?;
    }
    audit::success(
        origin,
        Some(&user),
        Action::AuthLogin,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .details(details)
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
    commit_change(app, tx).await?;
    Ok(())
}
