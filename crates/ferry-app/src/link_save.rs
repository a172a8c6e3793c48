//! Save to my storage (seed 001 `links/add_to_storage`): a signed-in recipient of a link adds
//! what it gives (the linked file, or a folder link's folder or an item under it) to one of
//! their own folders. No bytes are copied: the copies reference the same blobs and the
//! destination's owner pays the quota. It counts as one download of every file saved: the
//! bytes are reserved from each file's budget before the copy (all or nothing, `LinkExhausted`
//! when one cannot pay) and given back if the copy fails.

use ferry_core::OnConflict;

use crate::access::{self, LinkItem};
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::files::{self, copy_permitted_file};
use crate::folder_copy::copy_permitted_folder;
use crate::folder_links;
use crate::folders::{self, Destination, Outcome};
use crate::links::{self, Delivery};
use crate::state::AppState;

/// Where a saved copy goes.
pub struct SaveRequest<'a> {
    /// The recipient's folder (needs `write`).
    pub folder_id: &'a str,
    /// Folder links: the file or folder under the link's folder to save (`""`: the link's
    /// folder). Ignored for file links.
    pub path: &'a str,
    /// The copy's name; default: the original's.
    pub name: Option<&'a str>,
    pub on_conflict: OnConflict,
}

/// What was saved.
pub enum Saved {
    File(files::Entry),
    Folder(folders::Entry),
}

/// Saves what the link behind `token` gives into the caller's folder. `access`: link access
/// tokens from the request, for a link with a password.
pub async fn save(
    app: &AppState,
    caller: &Caller,
    token: &str,
    access: &[String],
    request: SaveRequest<'_>,
) -> Result<Saved> {
    caller.user_ref().ok_or(Error::Unauthorized)?;
    // Saving adds to the caller's storage: an upload as far as their policies go (the link's
    // download is its creator's to allow, see `links::open` and `folder_links`).
    access::require_caller_policy(app, caller, access::Guarded::Upload).await?;
    match links::open(app, token, access).await {
        Ok((link, file)) => {
            // The recipient of a watermarked link gets marked copies only, never the original.
            if link.watermark() {
                return Err(Error::WatermarkUnsupported);
            }
            save_file(app, caller, &link, file, &link.id, &request).await
        }
        Err(Error::NotFound) => {
            let opened = folder_links::open(app, token, access).await?;
            access::link_allows(app, &opened.link.creator_id, access::Guarded::Download).await?;
            let item = {
                let mut conn = app.store.conn().await?;
                access::through_folder_link(&mut conn, &opened.folder, request.path, app.now_ms())
                    .await?
            };
            match item {
                LinkItem::File(..) => {
                    let (link, file) = folder_links::file(app, &opened, request.path).await?;
                    save_file(app, caller, &link, file, &opened.link.id, &request).await
                }
                LinkItem::Folder(folder, _) => {
                    let reserved =
                        folder_links::reserve_folder(app, &opened, &folder, &caller.origin).await?;
                    let copied = copy_permitted_folder(
                        app,
                        caller,
                        &folder,
                        request.folder_id,
                        request.name,
                        request.on_conflict,
                    )
                    .await;
                    folder_links::settle_whole(reserved, copied.is_ok()).await;
                    Ok(Saved::Folder(copied?))
                }
            }
        }
        Err(e) => Err(e),
    }
}

/// Saves one file reached through `link` (the link that counts it), the receipt filed under
/// `receipt_link_id`.
async fn save_file(
    app: &AppState,
    caller: &Caller,
    link: &ferry_store::links::Link,
    file: ferry_store::files::File,
    receipt_link_id: &str,
    request: &SaveRequest<'_>,
) -> Result<Saved> {
    let client_key = links::client_key(&caller.origin);
    let (reserved, credit) = links::reserve(app, link, &client_key, 0, file.size, false).await?;
    let to = Destination {
        parent_id: Some(request.folder_id),
        name: request.name,
        on_conflict: request.on_conflict,
        dry_run: false,
        revision: None,
    };
    let copied = copy_permitted_file(app, caller, &file, to).await;
    let delivery = Delivery {
        state: app.clone(),
        ctx: caller.origin.clone(),
        link_id: link.id.to_string(),
        receipt_link_id: receipt_link_id.to_string(),
        file_id: file.id.to_string(),
        folder_id: file.folder_id.to_string(),
        reserved,
        content_len: file.size,
        credit,
        start: 0,
        unit_bytes: link.unit_bytes,
        file_size: file.size,
        contiguous: false,
        client_key,
    };
    match copied {
        Ok(Outcome::Done(entry)) => {
            links::settle(delivery, file.size, true).await;
            Ok(Saved::File(entry))
        }
        Ok(Outcome::WouldSucceed) => {
            links::release(app, &link.id, reserved).await?;
            Err(Error::internal(anyhow::anyhow!(
                "a save is never a dry run"
            )))
        }
        Err(e) => {
            links::release(app, &link.id, reserved).await?;
            Err(e)
        }
    }
}
