//! Several logins per account (seed 001 `remove_login`): extra logins, such as a second
//! e-mail address, that log in to the account like its own login, find it for shares and
//! password resets, and are unique across users in any case.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::validate;
use ferry_store::user_logins::ExtraLogin;
use ferry_store::users::User;
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

/// Extra logins one account may have.
pub const MAX_EXTRA_LOGINS: usize = 10;

/// A login of an account: its own (`primary`) or an extra one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLogin {
    pub login: String,
    pub primary: bool,
    pub created_at: i64,
}

/// Whose logins a call is about: the caller's own, or an account an admin manages.
async fn account(app: &AppState, caller: &Caller, user_id: Option<&str>) -> Result<User> {
    match user_id {
        None => caller.user_ref().cloned().ok_or(Error::Unauthorized),
        Some(id) => {
            let user = access::managed_user(app, caller, id).await?;
            access::may_change_user(caller, &user)?;
            Ok(user)
        }
    }
}

/// Every login of the account: its own first, then the extra ones, oldest first.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    user_id: Option<&str>,
) -> Result<Vec<AccountLogin>> {
    let user = account(app, caller, user_id).await?;
    let mut conn = app.store.conn().await?;
    let extra = ferry_store::user_logins::of_user(&mut conn, &user.id).await?;
    let mut logins = vec![AccountLogin {
        login: user.login.clone(),
        primary: true,
        created_at: user.created_at,
    }];
    logins.extend(extra.into_iter().map(|e: ExtraLogin| AccountLogin {
        login: e.login,
        primary: false,
        created_at: e.created_at,
    }));
    Ok(logins)
}

/// Adds an extra login: `409 name_conflict` if any account has it already, in any case;
/// `409 conflict` past [`MAX_EXTRA_LOGINS`].
pub async fn add(
    app: &AppState,
    caller: &Caller,
    user_id: Option<&str>,
    login: &str,
) -> Result<AccountLogin> {
    access::may_manage_credentials(caller)?;
    validate::login(login)?;
    let user = account(app, caller, user_id).await?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::user_logins::lock_namespace(&mut tx).await?;
    if ferry_store::user_logins::taken(&mut tx, login).await? {
        return Err(Error::NameConflict(format!(
            "The login `{login}` is taken."
        )));
    }
    if ferry_store::user_logins::of_user(&mut tx, &user.id)
        .await?
        .len()
        >= MAX_EXTRA_LOGINS
    {
        return Err(Error::Conflict(format!(
            "An account has at most {MAX_EXTRA_LOGINS} extra logins."
        )));
    }
    ferry_store::user_logins::add(&mut tx, &user.id, login, now).await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::UserLoginAdded,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .details(json!({"login": login}))
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(AccountLogin {
        login: login.to_string(),
        primary: false,
        created_at: now,
    })
}

/// Removes an extra login (in any case). The account's own login cannot be removed
/// (`409 conflict`); a login the account does not have is `404`.
pub async fn remove(
    app: &AppState,
    caller: &Caller,
    user_id: Option<&str>,
    login: &str,
) -> Result<()> {
    access::may_manage_credentials(caller)?;
    let user = account(app, caller, user_id).await?;
    if user.login.eq_ignore_ascii_case(login) {
        return Err(Error::Conflict(
            "An account's own login cannot be removed; only its extra logins can.".into(),
        ));
    }
    let mut tx = app.store.begin().await?;
    let Some(removed) = ferry_store::user_logins::remove(&mut tx, &user.id, login).await? else {
        return Err(Error::NotFound);
    };
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::UserLoginRemoved,
        (TargetKind::User, &user.id),
    )
    .at(app.now_ms())
    .details(json!({"login": removed}))
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
