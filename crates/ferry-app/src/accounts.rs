//! The account life cycle: an admin deletes an account (it stops working at once and can be
//! restored during `accounts.delete_grace_days`), and the purge at the end of the grace
//! period hands its folders to another user or removes them. The user row itself stays, so
//! the audit trail keeps naming who did what; its login is freed for a new account.

use ferry_core::audit::{Action, TargetKind};
use ferry_store::users::User;
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::coherence::commit_change;
use crate::error::{Error, Result};
use crate::state::AppState;

/// Accounts purged per pass.
const PURGE_BATCH: i64 = 20;

/// The user `who` (an id or a login) names, if the caller administers them.
async fn managed_by_id_or_login(app: &AppState, caller: &Caller, who: &str) -> Result<User> {
    let found = {
        let mut conn = app.store.conn().await?;
        crate::sharing::find_user(&mut conn, who).await?
    };
    let found = found.ok_or(Error::NotFound)?;
    access::managed_user(app, caller, &found.id).await
}

/// Deletes an account (admins; company admins for their company's users): its logins and
/// tokens stop at once, and it is purged after the grace period, its folders going to
/// `transfer_to` (an id or login of a user the caller administers) or removed.
pub async fn delete(
    app: &AppState,
    caller: &Caller,
    id: &str,
    transfer_to: Option<&str>,
) -> Result<User> {
    let target = access::managed_user(app, caller, id).await?;
    access::may_change_user(caller, &target)?;
    if caller.user_ref().is_some_and(|me| me.id == target.id) {
        return Err(Error::invalid(
            "user_id",
            "cannot_modify_self",
            "Admins cannot delete themselves.",
        ));
    }
    if target.is_deleted() {
        return Err(Error::Conflict("The account is deleted already.".into()));
    }
    let receiver = match transfer_to {
        None => None,
        Some(who) => {
            let not_usable = || {
                Error::invalid(
                    "transfer_to",
                    "invalid_value",
                    format!("`{who}` cannot receive the folders: name another user you manage."),
                )
            };
            let receiver = managed_by_id_or_login(app, caller, who)
                .await
                .map_err(|_| not_usable())?;
            if receiver.id == target.id || receiver.is_deleted() {
                return Err(not_usable());
            }
            Some(receiver)
        }
    };
    let now = app.now_ms();
    let purge_at = now + app.config.accounts.delete_grace_days.max(0) * 86_400_000;
    let mut tx = app.store.begin().await?;
    if !ferry_store::users::schedule_deletion(
        &mut tx,
        &target.id,
        now,
        purge_at,
        receiver.as_ref().map(|r| r.id.as_str()),
    )
    .await?
    {
        return Err(Error::Conflict("The account is deleted already.".into()));
    }
    let revoked = ferry_store::tokens::revoke_all_for_user(&mut tx, &target.id, now).await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::UserDeleted,
        (TargetKind::User, &target.id),
    )
    .at(now)
    .details(json!({
        "login": target.login,
        "purge_at": ferry_core::timefmt::rfc3339(purge_at),
        "transfer_to": receiver.as_ref().map(|r| &r.id),
        "sessions_revoked": revoked,
    }))
    .append(&mut tx)
    .await?;
    let user = ferry_store::users::get(&mut tx, &target.id)
        .await?
        .ok_or(Error::NotFound)?;
    commit_change(app, tx).await?;
    Ok(user)
}

/// Restores a deleted account before its purge. Its tokens stay revoked: the user logs in
/// again.
pub async fn restore(app: &AppState, caller: &Caller, id: &str) -> Result<User> {
    let target = access::managed_user(app, caller, id).await?;
    access::may_change_user(caller, &target)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    if !ferry_store::users::restore(&mut tx, &target.id, now).await? {
        return Err(Error::Conflict(if target.is_deleted() {
            "The account is purged already; it cannot be restored.".into()
        } else {
            "The account is not deleted.".into()
        }));
    }
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::UserRestored,
        (TargetKind::User, &target.id),
    )
    .at(now)
    .append(&mut tx)
    .await?;
    let user = ferry_store::users::get(&mut tx, &target.id)
        .await?
        .ok_or(Error::NotFound)?;
    commit_change(app, tx).await?;
    Ok(user)
}

/// The background part: purges the accounts whose grace period has ended. An account whose
/// folders cannot be handed over (the receiver's quota is full) waits for the next pass,
/// with a warning in the log; nothing is removed instead.
pub async fn purge_due(app: &AppState) -> anyhow::Result<usize> {
    let due = {
        let mut conn = app.store.conn().await?;
        ferry_store::users::due_for_purge(&mut conn, app.now_ms(), PURGE_BATCH).await?
    };
    let mut purged = 0;
    for user in &due {
        match purge(app, user).await {
            Ok(true) => purged += 1,
            Ok(false) => {}
            Err(Error::QuotaExceeded { .. }) => tracing::warn!(
                user_id = %user.id,
                transfer_to = ?user.transfer_to,
                "a deleted account's folders do not fit the receiver's quota; will retry"
            ),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(purged)
}

/// Purges one account: its folders first (handed over or removed, each in a transaction of
/// its own, so an interrupted purge resumes where it stopped), then what else it has.
async fn purge(app: &AppState, user: &User) -> Result<bool> {
    let caller = Caller::system("account purge");
    let receiver = match &user.transfer_to {
        Some(to) => {
            let mut conn = app.store.conn().await?;
            ferry_store::users::get(&mut conn, to)
                .await?
                .filter(|r| !r.is_deleted())
        }
        None => None,
    };
    let mut handed_over = 0;
    let mut removed = 0;
    loop {
        let folders = {
            let mut conn = app.store.conn().await?;
            ferry_store::folders::list_top(&mut conn, Some(&user.id), None, 100).await?
        };
        if folders.is_empty() {
            break;
        }
        for folder in &folders {
            match &receiver {
                Some(to) => {
                    crate::sharing::transfer(app, &caller, &folder.id, &to.id).await?;
                    handed_over += 1;
                }
                None => {
                    crate::jobs::remove_tree(app, &caller, &folder.id).await?;
                    removed += 1;
                }
            }
        }
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    // The handover left the deleted owner an editor of each folder; that goes with the rest.
    ferry_store::users::remove_belongings(&mut tx, &user.id).await?;
    let freed = format!("deleted.{}", user.id);
    if !ferry_store::users::mark_purged(&mut tx, &user.id, &freed, now).await? {
        return Ok(false);
    }
    audit::success(
        &caller.origin,
        None,
        Action::UserPurged,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .details(json!({
        "login": user.login,
        "transfer_to": receiver.as_ref().map(|r| &r.id),
        "folders_handed_over": handed_over,
        "folders_removed": removed,
    }))
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await?;
    Ok(true)
}
