//! API and device tokens (contract: Tokens): created by their user with scopes, listed with
//! their last use, revoked, and for devices wiped remotely. A login's own session token is
//! listed too, so a stolen session can be ended from elsewhere.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, Permission, Role, TokenKind, TokenScope, TokenScopes, secrets, validate};
use ferry_store::tokens::{NewToken, Token};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::auth::token_hash;
use crate::caller::{Caller, Origin};
use crate::coherence::commit_change;
use crate::error::{Error, Result};
use crate::state::AppState;

/// Longest token name, in characters.
const MAX_NAME_CHARS: usize = 100;

/// What a user asks for.
pub struct TokenRequest {
    pub name: String,
    pub kind: String,
    pub scopes: Vec<String>,
    pub folder_id: Option<String>,
    pub expires_at: Option<i64>,
}

/// A new token with its secret, shown once.
pub struct IssuedToken {
    pub token: Token,
    pub secret: String,
}

/// Creates an API or device token for the caller.
pub async fn create(app: &AppState, caller: &Caller, request: TokenRequest) -> Result<IssuedToken> {
    access::may_manage_credentials(caller)?;
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let name = request.name.trim();
    validate::display_name(name)?;
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(
            "name",
            "invalid_name",
            format!("A token needs a name of 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    let kind = match TokenKind::parse(&request.kind) {
        Some(kind @ (TokenKind::Api | TokenKind::Device)) => kind,
        _ => {
            return Err(Error::invalid(
                "kind",
                "invalid_value",
                "kind must be \"api\" or \"device\" (sessions come from POST /auth/session).",
            ));
        }
    };
    let scopes =
        TokenScopes::from_names(request.scopes.iter().map(String::as_str)).ok_or_else(|| {
            Error::invalid(
                "scopes",
                "invalid_value",
                "scopes must name at least one of \"read\", \"write\" and \"admin\".",
            )
        })?;
    // A token can do no more than its maker: only someone acting with a role above a plain
    // user's may hand that role to a token.
    if scopes.contains(TokenScope::Admin) && user.role() == Role::User {
        return Err(Error::invalid(
            "scopes",
            "invalid_value",
            "Only an admin acting as one may give a token the \"admin\" scope.",
        ));
    }
    let folder_id = match request.folder_id.as_deref() {
        None => None,
        Some(folder_id) => {
            // A token sees no more than its maker: the folder must be one the caller reads.
            let folder = access::folder(app, caller, folder_id, Permission::Read)
                .await
                .map_err(|e| match e {
                    Error::NotFound => Error::invalid(
                        "folder_id",
                        "not_found",
                        format!("No folder `{folder_id}` that you can read."),
                    ),
                    other => other,
                })?;
            if scopes.contains(TokenScope::Admin) {
                return Err(Error::invalid(
                    "scopes",
                    "invalid_value",
                    "A token restricted to one folder cannot have the \"admin\" scope.",
                ));
            }
            Some(folder.id)
        }
    };
    let now = app.now_ms();
    if request.expires_at.is_some_and(|at| at <= now) {
        return Err(Error::invalid(
            "expires_at",
            "invalid_value",
            "expires_at must be in the future.",
        ));
    }
    let secret = secrets::new_access_token();
    let id = IdKind::Token.generate();
    let new = NewToken {
        id: &id,
        token_hash: &token_hash(&secret),
        user_id: &user.id,
        kind,
        name: Some(name),
        scopes,
        folder_id: folder_id.as_deref(),
        expires_at: request.expires_at,
    };
    let mut tx = app.store.begin().await?;
    ferry_store::tokens::insert(&mut tx, &new, now).await?;
    audit::success(
        &caller.origin,
        Some(user),
        Action::TokenCreated,
        (TargetKind::Token, &id),
    )
    .at(now)
    .details(
        json!({"name": name, "kind": kind.as_str(), "scopes": scopes.names(),
        "folder_id": folder_id}),
    )
    .append(&mut tx)
    .await?;
    let token = ferry_store::tokens::get(&mut tx, &id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(IssuedToken { token, secret })
}

/// `user_id`'s tokens that still work (or wait for a wipe to be confirmed).
pub async fn list(app: &AppState, caller: &Caller, user_id: &str) -> Result<Vec<Token>> {
    if !access::may_manage_tokens_of(caller, user_id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    if ferry_store::users::get(&mut conn, user_id).await?.is_none() {
        return Err(Error::NotFound);
    }
    Ok(ferry_store::tokens::list_for_user(&mut conn, user_id, app.now_ms()).await?)
}

/// A live token of `user_id` the caller may manage.
async fn load(app: &AppState, caller: &Caller, user_id: &str, id: &str) -> Result<Token> {
    if !access::may_manage_tokens_of(caller, user_id) || !IdKind::Token.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    ferry_store::tokens::get(&mut conn, id)
        .await?
        .filter(|t| t.user_id == user_id && t.revoked_at.is_none())
        .ok_or(Error::NotFound)
}

/// Revokes one of `user_id`'s tokens: it stops working on every node at once.
pub async fn revoke(app: &AppState, caller: &Caller, user_id: &str, id: &str) -> Result<()> {
    let token = load(app, caller, user_id, id).await?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::tokens::revoke(&mut tx, &token.id, now).await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::TokenRevoked,
        (TargetKind::Token, &token.id),
    )
    .at(now)
    .details(json!({"user_id": user_id, "kind": token.kind.as_str(), "name": token.name}))
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await
}

/// Orders a device token's remote wipe: its next request answers `401 device_wiped` until the
/// device confirms with [`confirm_wipe`].
pub async fn wipe(app: &AppState, caller: &Caller, user_id: &str, id: &str) -> Result<Token> {
    let token = load(app, caller, user_id, id).await?;
    if token.kind != TokenKind::Device {
        return Err(Error::Conflict(
            "Only device tokens can be wiped; revoke this token instead.".into(),
        ));
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::tokens::wipe(&mut tx, &token.id, now).await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::DeviceWiped,
        (TargetKind::Token, &token.id),
    )
    .at(now)
    .details(json!({"user_id": user_id, "name": token.name}))
    .append(&mut tx)
    .await?;
    let wiped = ferry_store::tokens::get(&mut tx, &token.id)
        .await?
        .ok_or(Error::NotFound)?;
    commit_change(app, tx).await?;
    Ok(wiped)
}

/// A wiped device confirms that it deleted the account's data; its token ends. Called with
/// the device's own token, which answers nothing else any more.
pub async fn confirm_wipe(app: &AppState, origin: &Origin, secret: &str) -> Result<()> {
    let (token, user) = {
        let mut conn = app.store.conn().await?;
        ferry_store::tokens::find(&mut conn, &token_hash(secret))
            .await?
            .ok_or(Error::Unauthorized)?
    };
    if token.wiped_at.is_none() || token.wipe_confirmed_at.is_some() {
        return Err(Error::Unauthorized);
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::tokens::confirm_wipe(&mut tx, &token.id, now).await?;
    audit::success(
        origin,
        Some(&user),
        Action::DeviceWipeConfirmed,
        (TargetKind::Token, &token.id),
    )
    .at(now)
    .details(json!({"name": token.name}))
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await
}
