//! Quota-increase requests (seed 001): a user asks their admins for a new quota; an admin of
//! the user (system admins; a company admin for its company's users) grants it, which sets
//! the quota in the same transaction, or refuses it. The user hears of it in their notices,
//! and by mail when they have an address.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, validate};
use ferry_store::quota_requests::{NewQuotaRequest, QuotaRequest};
use ferry_store::users::UserChanges;
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::coherence::commit_change;
use crate::error::{Error, Result};
use crate::mail;
use crate::notices::{self, NoticeKind};
use crate::state::AppState;

/// Longest message of a request or a decision, in bytes.
const MAX_MESSAGE: usize = 2048;
/// Requests one listing shows.
const LIST_LIMIT: i64 = 200;

/// A request's or a decision's message: at most [`MAX_MESSAGE`] bytes, no control characters
/// but newlines (access requests check theirs alike).
pub(crate) fn check_message(field: &str, message: &str) -> Result<()> {
    if message.len() > MAX_MESSAGE || message.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(
            field,
            "invalid_value",
            format!("A message is at most {MAX_MESSAGE} bytes, without control characters."),
        ));
    }
    Ok(())
}

/// Asks for a new quota of `quota_bytes` (more than the current one). One pending request
/// per user: a second is `409 conflict`.
pub async fn request(
    app: &AppState,
    caller: &Caller,
    quota_bytes: i64,
    message: &str,
) -> Result<QuotaRequest> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let quota_bytes = validate::in_range("quota_bytes", quota_bytes, 1..=crate::users::MAX_QUOTA)?;
    check_message("message", message)?;
    match user.quota_bytes {
        None => {
            return Err(Error::Conflict("Your quota is unlimited already.".into()));
        }
        Some(current) if quota_bytes <= current => {
            return Err(Error::invalid(
                "quota_bytes",
                "invalid_value",
                format!("Ask for more than your current quota of {current} bytes."),
            ));
        }
        Some(_) => {}
    }
    let id = IdKind::QuotaRequest.generate();
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let inserted = ferry_store::users::conflict_as_false(
        ferry_store::quota_requests::insert(
            &mut tx,
            &NewQuotaRequest {
                id: &id,
                user_id: &user.id,
                quota_bytes,
                previous_quota_bytes: user.quota_bytes,
                message,
                now,
            },
        )
        .await,
    )?;
    if !inserted {
        return Err(Error::Conflict(
            "You have a request waiting for an answer already.".into(),
        ));
    }
    audit::success(
        &caller.origin,
        Some(user),
        Action::QuotaRequested,
        (TargetKind::User, &user.id),
    )
    .at(now)
    .details(json!({"request_id": id, "quota_bytes": quota_bytes,
        "previous_quota_bytes": user.quota_bytes}))
    .append(&mut tx)
    .await?;
    let stored = ferry_store::quota_requests::get(&mut tx, &id)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("quota request vanished")))?;
    tx.commit().await?;
    Ok(stored)
}

/// The caller's own requests, newest first.
pub async fn mine(app: &AppState, caller: &Caller) -> Result<Vec<QuotaRequest>> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let mut conn = app.store.conn().await?;
    Ok(
        ferry_store::quota_requests::list(&mut conn, Some(&user.id), None, None, LIST_LIMIT)
            .await?,
    )
}

/// The requests of the users the caller administers, newest first (`status` narrows them).
pub async fn list(
    app: &AppState,
    caller: &Caller,
    status: Option<&str>,
) -> Result<Vec<QuotaRequest>> {
    let scope = access::administers(caller)?;
    if let Some(s) = status
        && !matches!(s, "pending" | "approved" | "denied")
    {
        return Err(Error::invalid(
            "status",
            "invalid_query",
            "status is pending, approved or denied.",
        ));
    }
    let mut conn = app.store.conn().await?;
    Ok(
        ferry_store::quota_requests::list(&mut conn, None, scope.company(), status, LIST_LIMIT)
            .await?,
    )
}

/// A request the caller may decide: one of a user they administer (others `404`).
async fn decidable(app: &AppState, caller: &Caller, id: &str) -> Result<QuotaRequest> {
    access::administers(caller)?;
    if !IdKind::QuotaRequest.matches(id) {
        return Err(Error::NotFound);
    }
    let request = {
        let mut conn = app.store.conn().await?;
        ferry_store::quota_requests::get(&mut conn, id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let user = access::managed_user(app, caller, &request.user_id).await?;
    access::may_change_user(caller, &user)?;
    Ok(request)
}

/// Grants (`approve`) or refuses a pending request; granting sets the user's quota to what
/// they asked for, in the same transaction. A request decided already is `409 conflict`.
pub async fn decide(
    app: &AppState,
    caller: &Caller,
    id: &str,
    approve: bool,
    message: Option<&str>,
) -> Result<QuotaRequest> {
    if let Some(m) = message {
        check_message("message", m)?;
    }
    let request = decidable(app, caller, id).await?;
    let admin = caller.user_ref().ok_or(Error::Unauthorized)?;
    let now = app.now_ms();
    let status = if approve { "approved" } else { "denied" };
    let mut tx = app.store.begin().await?;
    if !ferry_store::quota_requests::decide(&mut tx, id, status, &admin.id, message, now).await? {
        return Err(Error::Conflict("This request was answered already.".into()));
    }
    if approve {
        let changes = UserChanges {
            quota_bytes: Some(Some(request.quota_bytes)),
            ..UserChanges::default()
        };
        ferry_store::users::update(&mut tx, &request.user_id, &changes, now)
            .await?
            .ok_or(Error::NotFound)?;
    }
    let action = if approve {
        Action::QuotaRequestApproved
    } else {
        Action::QuotaRequestDenied
    };
    audit::success(
        &caller.origin,
        Some(admin),
        action,
        (TargetKind::User, &request.user_id),
    )
    .at(now)
    .details(json!({"request_id": id, "quota_bytes": request.quota_bytes}))
    .append(&mut tx)
    .await?;
    notices::notify(
        &mut tx,
        &request.user_id,
        NoticeKind::QuotaDecided,
        json!({"request_id": id, "status": status, "quota_bytes": request.quota_bytes,
            "message": message}),
        now,
    )
    .await?;
    mail::notices::quota_decided(
        app,
        &mut tx,
        &request.user_id,
        approve,
        request.quota_bytes,
        message,
    )
    .await?;
    let decided = ferry_store::quota_requests::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    // The quota is part of the user row the token cache keeps.
    commit_change(app, tx).await?;
    Ok(decided)
}
