//! Notices by mail: what the in-app notices tell, also sent to the recipient's address, queued
//! in the same transaction. Nothing is queued without mail configured or without an address,
//! and queuing never makes what it tells of fail.

use ferry_store::collaborations::Collaboration;
use ferry_store::files::File;

use super::{letters, portal, queue, queue_for_user};
use crate::error::Result;
use crate::state::AppState;
use crate::upload_links::Uploader;

/// A folder was shared: the invited user (with an address) or the invited address hears of
/// it. Groups get no mail.
pub(crate) async fn invitation(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    c: &Collaboration,
    inviter: &str,
) -> Result<()> {
    let url = portal(app);
    let letter = |has_account: bool| {
        letters::invitation(
            inviter,
            &c.folder_name,
            c.role().as_str(),
            &c.message,
            &url,
            has_account,
        )
    };
    match (&c.user_id, &c.email) {
        (Some(user_id), _) => queue_for_user(app, tx, "invitation", user_id, || letter(true)).await,
        (None, Some(address)) => queue(app, tx, "invitation", address, &letter(false)).await,
        (None, None) => Ok(()),
    }
}

/// A file arrived through an upload link: the file's owner hears of it.
pub(crate) async fn link_uploaded(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    file: &File,
    uploader: &Uploader,
) -> Result<()> {
    let url = portal(app);
    queue_for_user(app, tx, "link_uploaded", &file.owner_id, || {
        letters::link_uploaded(
            &file.name,
            file.size,
            uploader.name.as_deref(),
            uploader.email.as_deref(),
            &url,
        )
    })
    .await
}

/// An admin granted or refused the user's request for more quota: they hear of it by mail as
/// well as in their notices.
pub(crate) async fn quota_decided(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    user_id: &str,
    approved: bool,
    quota_bytes: i64,
    message: Option<&str>,
) -> Result<()> {
    let url = portal(app);
    queue_for_user(app, tx, "quota_decided", user_id, || {
        letters::quota_decided(approved, quota_bytes, message, &url)
    })
    .await
}
