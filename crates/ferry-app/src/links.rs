//! Download links: signed tokens checked before any database access, and the settlement of
//! what a delivery really sent against the link's byte budget.

use std::sync::Arc;

use ferry_core::audit::{Action, TargetKind};
use ferry_core::timefmt::now_ms;
use serde_json::json;

use ferry_core::timefmt::rfc3339;
use ferry_core::{IdKind, Permission, validate};
use ferry_store::files::File;
use ferry_store::links::{Link, NewLink};
use sha2::Digest;

use crate::access;
use crate::audit;
use crate::caller::{Caller, Origin};
use crate::error::{Error, Result};
use crate::link_access;
use crate::state::AppState;

/// Name of the signing key in the secrets table.
pub const KEY_NAME: &str = "link_signing_key";

/// Link tokens: signed and checked in ferry-core (pure, and fuzzed there).
pub use ferry_core::tokens::link::{Claims, sign, verify};

/// One delivery through a link: what was reserved, for the settlement when it ends.
pub struct Delivery {
    pub state: AppState,
    pub ctx: Origin,
    /// The link whose budget pays (for a file reached through a folder link: that file's
    /// link).
    pub link_id: String,
    /// The link the receipt is filed under (the folder link, for a file reached through one).
    pub receipt_link_id: String,
    pub file_id: String,
    pub folder_id: String,
    /// Bytes reserved from the budget (the response's content length, or 1 for empty files).
    pub reserved: i64,
    /// Content bytes the response carries.
    pub content_len: i64,
    /// Bytes at the start of the response that an interrupted delivery already paid for.
    pub credit: i64,
    /// Where the first (or only) range starts, for resume credit.
    pub start: i64,
    /// The link's unit: the file's size (at least 1).
    pub unit_bytes: i64,
    /// The file's size (what a receipt's spans must cover to be complete).
    pub file_size: i64,
    /// The response is one run of the file's bytes from `start` (not several ranges, not a
    /// rendered copy): only then does what was sent name a span of the file.
    pub contiguous: bool,
    pub client_key: String,
}

/// Re-requests of bytes a client already received in a completed delivery that cost
/// nothing, per delivery: at most 64 KiB and a sixteenth of the file (a probe of a byte or a
/// header, never a second copy of a small file).
pub const FREE_PROBE_BYTES: i64 = 64 << 10;

/// The free re-request allowance of one completed delivery of a file of `size` bytes.
pub fn free_probe_allowance(size: i64) -> i64 {
    FREE_PROBE_BYTES.min(size / 16)
}

/// What a delivery costs: a finished one its reservation; a cut-off one what was sent beyond
/// the credit, scaled to the reservation (which differs from the content length for empty
/// files and watermarked copies).
pub fn charge(d: &Delivery, sent: i64, finished: bool) -> i64 {
    let finished = finished || sent >= d.content_len;
    let payable = (d.content_len - d.credit).max(1);
    if finished {
        d.reserved
    } else {
        let paid = (sent - d.credit).max(0) as i128 * d.reserved as i128 / payable as i128;
        (paid as i64).min(d.reserved)
    }
}

/// A delivery through a link, to settle when its body ends or is dropped.
pub enum Settlement {
    /// One file (through a file link, or a file of a folder link).
    File(Delivery),
    /// A folder link's zip.
    Archive(crate::folder_links::ArchiveDelivery),
    /// A signed-in user's archive (no link): its files are audited as downloaded once the
    /// delivery reaches the archive's end.
    ArchiveAudit(crate::archives::PendingAudit),
}

impl Settlement {
    /// Settles the delivery: `sent` bytes went out; `finished`: the body reached its end.
    pub async fn settle(self, sent: i64, finished: bool) {
        match self {
            Settlement::File(d) => settle(d, sent, finished).await,
            Settlement::Archive(d) => crate::folder_links::settle_archive(d, sent, finished).await,
            Settlement::ArchiveAudit(audit) => audit.settle(sent, finished).await,
        }
    }
}

/// Settles a delivery when its body ends or is dropped: unsent bytes go back to the budget,
/// an interruption is remembered for the client's resume credit, a receipt is audited.
pub async fn settle(d: Delivery, sent: i64, finished: bool) {
    let finished = finished || sent >= d.content_len;
    let charged = charge(&d, sent, finished);
    if let Err(e) = record_settlement(&d, charged, sent, finished).await {
        tracing::error!(link_id = %d.link_id, error = %e, "settling a link delivery failed");
    }
}

async fn record_settlement(
    d: &Delivery,
    charged: i64,
    sent: i64,
    finished: bool,
) -> anyhow::Result<()> {
    let now = d.state.now_ms();
    let mut tx = d.state.store.begin().await?;
    let (link, exhausted) =
        ferry_store::links::settle(&mut tx, &d.link_id, d.reserved, charged, now).await?;
    if finished && sent > 0 && d.contiguous && charged > 0 {
        ferry_store::links::record_completed(
            &mut tx,
            &d.link_id,
            &d.client_key,
            d.start,
            d.start + sent,
            free_probe_allowance(d.unit_bytes),
            now,
        )
        .await?;
    }
    if !finished && sent > 0 {
        ferry_store::links::record_interruption(
            &mut tx,
            &d.link_id,
            &d.client_key,
            d.start,
            d.start + sent,
            now,
        )
        .await?;
    }
    let used = link.as_ref().map(|l| l.downloads_used()).unwrap_or(0);
    crate::link_receipts::gather(&mut tx, d, sent, finished, used, now).await?;
    if exhausted {
        audit::success(
            &d.ctx,
            None,
            Action::LinkExhausted,
            (TargetKind::Link, &d.receipt_link_id),
        )
        .at(d.state.now_ms())
        .in_folder(&d.folder_id)
        .details(json!({"file_id": d.file_id, "downloads_used": used}))
        .append(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The key that signs links, loaded (or created) once at start.
pub async fn load_key(store: &ferry_store::Store) -> anyhow::Result<Arc<Vec<u8>>> {
    let mut conn = store.conn().await?;
    let key = ferry_store::secrets::get_or_create(
        &mut conn,
        KEY_NAME,
        || ferry_core::ids::random_bytes::<32>().to_vec(),
        now_ms(),
    )
    .await?;
    Ok(Arc::new(key))
}

/// Links last this long when the client names no `expires_in` (capped by the server's limit).
const DEFAULT_EXPIRES_IN: i64 = 900;
/// Largest image a watermarked link serves (the mark is drawn on the decoded image).
pub const WATERMARK_MAX_BYTES: i64 = 64 << 20;

/// Whether a file of this type can carry a watermark.
pub fn watermarkable(mime: &str) -> bool {
    matches!(mime, "image/png" | "image/jpeg")
}

/// A link's lifecycle state (decided, and filtered on, in the store).
pub use ferry_store::links::LinkState;

/// The absolute, signed URL of a link.
pub fn url(app: &AppState, link: &Link) -> String {
    format!(
        "{}/d/{}",
        app.config.public_url(),
        sign(&app.link_key, &link.id, link.expires_at)
    )
}

/// What a new link asks for.
#[derive(Debug, Clone, Default)]
pub struct NewLinkRequest {
    pub expires_in: Option<i64>,
    pub max_downloads: Option<i64>,
    pub watermark: bool,
    /// Downloads need this password (8..=256 characters; stored as an Argon2id hash only).
    pub password: Option<String>,
    /// Recipients see GPS positions in media metadata (default: hidden).
    pub show_location: bool,
}

fn check_live(file: &File, now: i64) -> Result<()> {
    if file.is_held() {
        return Err(Error::FileHeld);
    }
    // In the trash (itself or with a folder above it): gone, as far as a link goes.
    if file.trash_id.is_some() {
        return Err(Error::NotFound);
    }
    if file.is_expired(now) {
        return Err(Error::FileExpired);
    }
    Ok(())
}

/// The lifetime of a link whose creator names none: 900 s, or the server's limit if lower.
pub(crate) fn default_expires_in(app: &AppState) -> i64 {
    DEFAULT_EXPIRES_IN.min(app.config.links.max_expires_in_secs.max(1))
}

/// A new link's expiry (ms) and download limit, checked: `expires_in` 1..=the server's
/// `links.max_expires_in_secs` (default 900 s), `max_downloads` 1..=10,000 or unlimited.
pub(crate) fn limits(
    app: &AppState,
    request: &NewLinkRequest,
    now: i64,
) -> Result<(i64, Option<i64>)> {
    let max_expires = app.config.links.max_expires_in_secs.max(1);
    let expires_in = validate::in_range(
        "expires_in",
        request.expires_in.unwrap_or(default_expires_in(app)),
        1..=max_expires,
    )?;
    let max_downloads = request
        .max_downloads
        .map(|m| validate::in_range("max_downloads", m, 1..=10_000))
        .transpose()?;
    Ok((now + expires_in * 1000, max_downloads))
}

/// Creates a download link for a file (needs `share` on its folder).
pub async fn create(
    app: &AppState,
    caller: &Caller,
    file_id: &str,
    request: NewLinkRequest,
) -> Result<Link> {
    let (file, folder) = access::file(app, caller, file_id, Permission::Share).await?;
    let creator = caller.user_ref().ok_or(Error::Unauthorized)?;
    let now = app.now_ms();
    check_live(&file, now)?;
    let mut request = request;
    let terms =
        access::link_terms(app, caller, request.expires_in, default_expires_in(app)).await?;
    request.expires_in = terms.expires_in;
    let (expires_at, max_downloads) = limits(app, &request, now)?;
    let carries_mark = watermarkable(&file.mime_type) && file.size <= WATERMARK_MAX_BYTES;
    if terms.force_watermark && !carries_mark {
        return Err(Error::PolicyDenied(
            "A policy requires links to carry a watermark, which only PNG and JPEG images can."
                .into(),
        ));
    }
    let watermark = request.watermark || terms.force_watermark;
    if watermark && !carries_mark {
        return Err(Error::WatermarkUnsupported);
    }
    let password_hash = link_access::password_hash(request.password).await?;
    let link_id = IdKind::Link.generate();
    let mut tx = app.store.begin().await?;
    ferry_store::links::insert(
        &mut tx,
        &NewLink {
            id: &link_id,
            file_id: &file.id,
            version: file.version,
            creator_id: &creator.id,
            expires_at,
            max_downloads,
            unit_bytes: file.size.max(1),
            watermark,
            password_hash: password_hash.as_deref(),
            show_location: request.show_location,
            now,
        },
    )
    .await?;
    audit::success(&caller.origin, Some(creator), Action::LinkCreated, (TargetKind::Link, &link_id))
        .at(app.now_ms())
        .in_folder(&folder.id)
        .details(json!({"file_id": file.id, "expires_at": rfc3339(expires_at), "max_downloads": max_downloads, "watermark": watermark, "password": password_hash.is_some(), "show_location": request.show_location}))
        .append(&mut tx)
        .await?;
    let link = ferry_store::links::get(&mut tx, &link_id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(link)
}

/// A file's links, newest first, before `before`; `limit + 1` rows (needs `share` on its
/// folder).
pub async fn for_file(
    app: &AppState,
    caller: &Caller,
    file_id: &str,
    before: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Link>> {
    let (file, _) = access::file(app, caller, file_id, Permission::Share).await?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::links::for_file(
        &mut conn,
        &file.id,
        before.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?)
}

/// Revokes a link: its creator may, and so may whoever may share the file.
pub async fn revoke(app: &AppState, caller: &Caller, link_id: &str) -> Result<()> {
    if !IdKind::Link.matches(link_id) {
        return Err(Error::NotFound);
    }
    let link = {
        let mut conn = app.store.conn().await?;
        ferry_store::links::get(&mut conn, link_id).await?
    };
    let Some(link) = link else {
        // Folder and upload links share the id space and the revocation.
        return revoke_folder_bound(app, caller, link_id).await;
    };
    let blocks = access::may_block_link(app, caller, &link.creator_id).await?;
    let folder_id = match access::file(app, caller, &link.file_id, Permission::Share).await {
        Ok((_, folder)) => folder.id,
        Err(Error::NotFound | Error::PermissionDenied)
            if blocks || access::is_link_creator(caller, &link.creator_id) =>
        {
            let mut conn = app.store.conn().await?;
            ferry_store::files::get(&mut conn, &link.file_id)
                .await?
                .ok_or(Error::NotFound)?
                .folder_id
        }
        Err(e) => return Err(e),
    };
    let mut tx = app.store.begin().await?;
    if ferry_store::links::revoke(&mut tx, link_id, app.now_ms()).await? {
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::LinkRevoked,
            (TargetKind::Link, link_id),
        )
        .at(app.now_ms())
        .in_folder(&folder_id)
        .details(json!({"file_id": link.file_id}))
        .append(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A link after [`update`]: a file's download link or a folder link.
#[derive(Debug, Clone)]
pub enum Updated {
    File(Link),
    Folder(ferry_store::folder_links::FolderLink),
}

/// Changes what a download or folder link shows: `show_location` (whether its recipients see
/// GPS positions in media metadata). Needs `share` on the linked file or folder, whoever
/// created the link (widening what a link shows is sharing). Upload links show no media:
/// `invalid_value`.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    link_id: &str,
    show_location: Option<bool>,
) -> Result<Updated> {
    if !IdKind::Link.matches(link_id) {
        return Err(Error::NotFound);
    }
    let (file_link, folder_link, upload_link) = {
        let mut conn = app.store.conn().await?;
        let file_link = ferry_store::links::get(&mut conn, link_id)
            .await?
            .filter(|l| l.folder_link_id.is_none());
        let folder_link = match file_link {
            Some(_) => None,
            None => ferry_store::folder_links::get(&mut conn, link_id).await?,
        };
        let upload_link = match (&file_link, &folder_link) {
            (None, None) => ferry_store::upload_links::get(&mut conn, link_id).await?,
            _ => None,
        };
        (file_link, folder_link, upload_link)
    };
    let folder_id = match (&file_link, &folder_link, &upload_link) {
        (Some(l), _, _) => {
            access::file(app, caller, &l.file_id, Permission::Share)
                .await?
                .1
                .id
        }
        (None, Some(l), _) => {
            access::folder(app, caller, &l.folder_id, Permission::Share)
                .await?
                .id
        }
        (None, None, Some(l)) => {
            access::folder(app, caller, &l.folder_id, Permission::Share).await?;
            return Err(Error::Invalid {
                code: "invalid_value",
                message: "Upload links show no media metadata.".into(),
                field: Some("show_location".into()),
            });
        }
        (None, None, None) => return Err(Error::NotFound),
    };
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    if let Some(show) = show_location {
        if file_link.is_some() {
            ferry_store::links::set_show_location(&mut tx, link_id, show).await?;
        } else {
            ferry_store::folder_links::set_show_location(&mut tx, link_id, show).await?;
        }
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::LinkUpdated,
            (TargetKind::Link, link_id),
        )
        .at(now)
        .in_folder(&folder_id)
        .details(json!({"show_location": show}))
        .append(&mut tx)
        .await?;
    }
    let updated = if file_link.is_some() {
        Updated::File(
            ferry_store::links::get(&mut tx, link_id)
                .await?
                .ok_or(Error::NotFound)?,
        )
    } else {
        Updated::Folder(
            ferry_store::folder_links::get(&mut tx, link_id)
                .await?
                .ok_or(Error::NotFound)?,
        )
    };
    tx.commit().await?;
    Ok(updated)
}

/// Which kind of link bound to a folder is revoked.
#[derive(Debug, Clone, Copy)]
enum FolderBound {
    Folder,
    Upload,
}

/// Revokes a folder link or an upload link: its creator may, and so may whoever may share
/// its folder. `NotFound` when the id is neither.
async fn revoke_folder_bound(app: &AppState, caller: &Caller, link_id: &str) -> Result<()> {
    let (kind, folder_id, creator_id) = {
        let mut conn = app.store.conn().await?;
        if let Some(l) = ferry_store::folder_links::get(&mut conn, link_id).await? {
            (FolderBound::Folder, l.folder_id, l.creator_id)
        } else if let Some(l) = ferry_store::upload_links::get(&mut conn, link_id).await? {
            (FolderBound::Upload, l.folder_id, l.creator_id)
        } else {
            return Err(Error::NotFound);
        }
    };
    let blocks = access::may_block_link(app, caller, &creator_id).await?;
    match access::folder(app, caller, &folder_id, Permission::Share).await {
        Ok(_) => {}
        Err(Error::NotFound) if access::is_link_creator(caller, &creator_id) => {}
        Err(Error::NotFound | Error::PermissionDenied) if blocks => {}
        Err(e) => return Err(e),
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let (revoked, kind) = match kind {
        FolderBound::Folder => (
            ferry_store::folder_links::revoke(&mut tx, link_id, now).await?,
            "folder",
        ),
        FolderBound::Upload => (
            ferry_store::upload_links::revoke(&mut tx, link_id, now).await?,
            "upload",
        ),
    };
    if revoked {
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::LinkRevoked,
            (TargetKind::Link, link_id),
        )
        .at(now)
        .in_folder(&folder_id)
        .details(json!({"kind": kind, "folder_id": folder_id}))
        .append(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The link and file a token opens for a download, checked in this order: signature (before
/// any database access: a forged token is `NotFound`), expiry, revocation, the file's own
/// state, and then the link's password: one of `access` (link access tokens from the request)
/// must grant this link, or it is `LinkPasswordRequired`.
pub async fn open(app: &AppState, token: &str, access: &[String]) -> Result<(Link, File)> {
    let (link, file) = open_unchecked(app, token).await?;
    link_access::require(app, &link, access)?;
    access::link_allows(app, &link.creator_id, access::Guarded::Download).await?;
    Ok((link, file))
}

/// [`open`] without the password: what a landing page and unlocking may know of a link.
pub async fn open_unchecked(app: &AppState, token: &str) -> Result<(Link, File)> {
    let claims = verify(&app.link_key, token).ok_or(Error::NotFound)?;
    let now = app.now_ms();
    if claims.expires_at <= now {
        return Err(Error::LinkExpired);
    }
    let (link, file, folder_expiry) = {
        let mut conn = app.store.conn().await?;
        let link = ferry_store::links::get(&mut conn, &claims.link_id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut file = ferry_store::files::get(&mut conn, &link.file_id)
            .await?
            .ok_or(Error::NotFound)?;
        // A link serves the version that was current when it was made.
        if file.version != link.version {
            let version = ferry_store::files::version(&mut conn, &file.id, link.version)
                .await?
                .ok_or(Error::LinkRevoked)?;
            file.size = version.size;
            file.sha256 = version.sha256;
            file.version = version.version;
        }
        let folder_expiry = ferry_store::folders::get(&mut conn, &file.folder_id)
            .await?
            .and_then(|f| f.expires_at);
        (link, file, folder_expiry)
    };
    if link.revoked_at.is_some() {
        return Err(Error::LinkRevoked);
    }
    access::link_creator(app, &link.creator_id).await?;
    check_live(&file, now)?;
    if folder_expiry.is_some_and(|at| at <= now) {
        return Err(Error::FolderExpired);
    }
    crate::scan::require_servable(app, &file.sha256).await?;
    Ok((link, file))
}

/// What a landing page shows of a link (no password needed, nothing counted): its file, with
/// the errors a download would get for an expired, revoked or used-up link.
pub async fn info(app: &AppState, token: &str) -> Result<(Link, File)> {
    let (link, file) = open_unchecked(app, token).await?;
    match LinkState::of(&link, app.now_ms()) {
        LinkState::Exhausted => Err(Error::LinkExhausted),
        LinkState::Expired => Err(Error::LinkExpired),
        LinkState::Revoked => Err(Error::LinkRevoked),
        LinkState::Active => Ok((link, file)),
    }
}

/// Which links `GET /links` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Download,
    /// Upload links (file requests): listed by `upload_links::list`, none here.
    Upload,
}

/// What `GET /links` asks for.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub kind: Option<LinkKind>,
    pub state: Option<LinkState>,
    /// Only links to files directly in this folder.
    pub folder_id: Option<String>,
}

/// The caller's links (admins: everyone's), newest first, before `before`; `limit + 1` rows.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    request: &ListRequest,
    before: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Link>> {
    if request.kind == Some(LinkKind::Upload) {
        return Ok(Vec::new());
    }
    let scope = access::link_scope(caller);
    let filter = ferry_store::links::ListFilter {
        creator_id: scope.creator.as_deref(),
        company_id: scope.company.as_deref(),
        folder_id: request.folder_id.as_deref(),
        state: request.state,
        now: app.now_ms(),
    };
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::links::list(
        &mut conn,
        &filter,
        before.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?)
}

/// Who is downloading, as far as resume credit goes: a hash of address and user agent.
pub fn client_key(origin: &Origin) -> String {
    hex::encode(sha2::Sha256::digest(format!(
        "{}|{}",
        origin.ip.as_deref().unwrap_or(""),
        origin.user_agent.as_deref().unwrap_or("")
    )))
}

/// Reserves a delivery's bytes (less what an interrupted delivery to the same client already
/// paid for); `LinkExhausted` if the budget cannot cover them. Returns the reservation and the
/// credit used. A small single-range request (`contiguous`) for bytes the same client already
/// received in a completed delivery is free, up to [`free_probe_allowance`] per delivery.
pub async fn reserve(
    app: &AppState,
    link: &Link,
    client_key: &str,
    start: i64,
    content_len: i64,
    contiguous: bool,
) -> Result<(i64, i64)> {
    let mut tx = app.store.begin().await?;
    if contiguous
        && (1..=free_probe_allowance(link.unit_bytes)).contains(&content_len)
        && ferry_store::links::take_probe(&mut tx, &link.id, client_key, start, content_len).await?
    {
        tx.commit().await?;
        return Ok((0, content_len));
    }
    let credit = ferry_store::links::take_credit(&mut tx, &link.id, client_key, start)
        .await?
        .min(content_len);
    // An empty file costs one unit per delivery.
    let reserved = if content_len == 0 {
        1
    } else {
        (content_len - credit).max(0)
    };
    if !ferry_store::links::reserve(&mut tx, &link.id, reserved).await? {
        let current = ferry_store::links::get(&mut tx, &link.id).await?;
        drop(tx);
        return Err(match current {
            Some(l) if l.revoked_at.is_some() => Error::LinkRevoked,
            _ => Error::LinkExhausted,
        });
    }
    tx.commit().await?;
    Ok((reserved, credit))
}

/// Gives a whole reservation back (the response could not even start).
pub async fn release(app: &AppState, link_id: &str, reserved: i64) -> Result<()> {
    let mut tx = app.store.begin().await?;
    ferry_store::links::settle(&mut tx, link_id, reserved, 0, app.now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_resist_tampering() {
        let key = b"0123456789abcdef0123456789abcdef";
        let id = "lnk_00112233445566778899aabb";
        let token = sign(key, id, 1_800_000_000_000);
        let claims = verify(key, &token).unwrap();
        assert_eq!(
            claims,
            Claims {
                link_id: id.into(),
                expires_at: 1_800_000_000_000
            }
        );
        assert!(verify(b"another key", &token).is_none());
        // Flip each character in turn: nothing altered verifies.
        for i in 0..token.len() {
            let mut t: Vec<u8> = token.clone().into_bytes();
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            assert!(
                verify(key, std::str::from_utf8(&t).unwrap()).is_none(),
                "position {i}"
            );
        }
        assert!(verify(key, "").is_none());
        assert!(verify(key, "not base64 !").is_none());
    }
}
