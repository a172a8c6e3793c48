//! Notices: what a user should hear about (an invitation to a folder, the answer to one they
//! sent, a mention or a task in a comment), written in the same transaction as what they tell
//! of; each user reads only their own.

use ferry_core::IdKind;
use ferry_store::notices::Notice;
use serde_json::Value;

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

/// What a notice tells of (its `kind` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Someone shared a folder with the user: an invitation to answer.
    Invitation,
    /// An invitation the user sent was accepted.
    InvitationAccepted,
    /// An invitation the user sent was declined.
    InvitationDeclined,
    /// Someone mentioned the user (`@login`) in a comment on a file they may read.
    CommentMention,
    /// Someone assigned the user a task comment.
    CommentAssigned,
    /// A file arrived through one of the user's upload links (in a folder they own).
    LinkUploaded,
    /// The virus scanner found something in one of the user's files: it is quarantined.
    FileInfected,
    /// An admin granted or refused the user's request for more quota.
    QuotaDecided,
    /// Someone confirmed a sign-up that waits for a system admin (`accounts.registration =
    /// "approval"`).
    RegistrationPending,
    /// A company member asked for access to a folder the user owns.
    AccessRequest,
    /// A manager of a folder answered the user's request for access to it.
    AccessRequestDecided,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Invitation => "invitation",
            NoticeKind::InvitationAccepted => "invitation.accepted",
            NoticeKind::InvitationDeclined => "invitation.declined",
            NoticeKind::CommentMention => "comment.mention",
            NoticeKind::CommentAssigned => "comment.assigned",
            NoticeKind::LinkUploaded => "link.uploaded",
            NoticeKind::FileInfected => "file.infected",
            NoticeKind::QuotaDecided => "quota.decided",
            NoticeKind::RegistrationPending => "registration.pending",
            NoticeKind::AccessRequest => "access_request",
            NoticeKind::AccessRequestDecided => "access_request.decided",
        }
    }
}

/// Leaves a notice for `user_id`, inside `tx`.
pub(crate) async fn notify(
    tx: &mut ferry_store::Tx,
    user_id: &str,
    kind: NoticeKind,
    data: Value,
    now: i64,
) -> Result<()> {
    let id = IdKind::Notice.generate();
    ferry_store::notices::insert(tx, &id, user_id, kind.as_str(), &data.to_string(), now).await?;
    Ok(())
}

/// The caller's notices, newest first; only unread ones with `unread`.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    unread: bool,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Notice>> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::notices::list(
        &mut conn,
        &user.id,
        unread,
        after.as_ref().map(|(t, i)| (*t, i.as_str())),
        limit + 1,
    )
    .await?)
}

/// Marks one of the caller's notices read (someone else's is `NotFound`).
pub async fn read(app: &AppState, caller: &Caller, id: &str) -> Result<Notice> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    if !IdKind::Notice.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    if !ferry_store::notices::mark_read(&mut conn, &user.id, id, app.now_ms()).await? {
        return Err(Error::NotFound);
    }
    ferry_store::notices::get(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Marks every notice of the caller read.
pub async fn read_all(app: &AppState, caller: &Caller) -> Result<u64> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::notices::mark_all_read(&mut conn, &user.id, app.now_ms()).await?)
}
