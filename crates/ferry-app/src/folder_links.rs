//! Folder links: a folder whose live contents anyone holding the link may list and download,
//! one file at a time (`GET /d/{token}/{path}`) or as a zip. Counting is per file, with the
//! byte budget a file link has (`max_downloads × size` for each file version): the first
//! download of a file through the link makes a download link for it that keeps its budget,
//! and a zip reserves, from each file in it, the bytes of that file the requested range
//! covers, so a whole zip counts as one download of every file in it and a resumed zip pays
//! only for what it had not received. What may be reached is decided in
//! [`access::through_folder_link`].

use ferry_core::audit::{Action, TargetKind};
use ferry_core::timefmt::rfc3339;
use ferry_core::{IdKind, Permission};
use ferry_store::files::File;
use ferry_store::folder_links::{CountedFile, FolderLink, NewFolderLink};
use ferry_store::folders::{After, Folder};
use ferry_store::links::{Link, LinkState};
use serde_json::json;

use crate::access::{self, LinkItem};
use crate::archives::{Archive, ArchivedFile};
use crate::audit;
use crate::caller::{Caller, Origin};
use crate::error::{Error, Result};
use crate::link_access;
use crate::links::{self, NewLinkRequest};
use crate::state::AppState;

/// The signed token of a folder link.
pub fn token(app: &AppState, link: &FolderLink) -> String {
    links::sign(&app.link_key, &link.id, link.expires_at)
}

/// The absolute URL of a folder link: its landing page in the portal.
pub fn url(app: &AppState, link: &FolderLink) -> String {
    format!("{}/s/{}", app.config.public_url(), token(app, link))
}

/// A folder link's state now (never `exhausted`: each file is counted on its own).
pub fn state_of(link: &FolderLink, now: i64) -> LinkState {
    if link.revoked_at.is_some() {
        LinkState::Revoked
    } else if link.expires_at <= now {
        LinkState::Expired
    } else {
        LinkState::Active
    }
}

/// Downloads of one file version left through the link, given its file link if one was
/// made (`None`: unlimited).
pub fn downloads_left(link: &FolderLink, file_link: Option<&Link>) -> Option<i64> {
    link.max_downloads.map(|max| {
        let used = file_link.map_or(0, |l| l.downloads_used());
        (max - used).max(0)
    })
}

/// Creates a download link for a folder (needs `share` on it). Folder links carry no
/// watermark (`WatermarkUnsupported`): a zip cannot hold a per-download marked copy.
pub async fn create(
    app: &AppState,
    caller: &Caller,
    folder_id: &str,
    request: NewLinkRequest,
) -> Result<FolderLink> {
    let folder = access::folder(app, caller, folder_id, Permission::Share).await?;
    let creator = caller.user_ref().ok_or(Error::Unauthorized)?;
    if request.watermark {
        return Err(Error::WatermarkUnsupported);
    }
    let mut request = request;
    let terms = access::link_terms(
        app,
        caller,
        request.expires_in,
        links::default_expires_in(app),
    )
    .await?;
    if terms.force_watermark {
        return Err(Error::PolicyDenied(
            "A policy requires links to carry a watermark, which a folder link cannot.".into(),
        ));
    }
    request.expires_in = terms.expires_in;
    let now = app.now_ms();
    let (expires_at, max_downloads) = links::limits(app, &request, now)?;
    let password_hash = link_access::password_hash(request.password).await?;
    let link_id = IdKind::Link.generate();
    let mut tx = app.store.begin().await?;
    ferry_store::folder_links::insert(
        &mut tx,
        &NewFolderLink {
            id: &link_id,
            folder_id: &folder.id,
            creator_id: &creator.id,
            expires_at,
            max_downloads,
            password_hash: password_hash.as_deref(),
            show_location: request.show_location,
            now,
        },
    )
    .await?;
    audit::success(
        &caller.origin,
        Some(creator),
        Action::LinkCreated,
        (TargetKind::Link, &link_id),
    )
    .at(now)
    .in_folder(&folder.id)
    .details(json!({"kind": "folder", "folder_id": folder.id,
        "expires_at": rfc3339(expires_at), "max_downloads": max_downloads,
        "password": password_hash.is_some(), "show_location": request.show_location}))
    .append(&mut tx)
    .await?;
    let link = ferry_store::folder_links::get(&mut tx, &link_id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(link)
}

/// The folder link behind a token and its folder, without the password: signature first (a
/// forged token is `NotFound` without a database read), then expiry, revocation, and the
/// folder (see [`access::folder_link_root`]). `NotFound` for other kinds of link.
pub async fn open_unchecked(app: &AppState, token: &str) -> Result<(FolderLink, Folder)> {
    let claims = links::verify(&app.link_key, token).ok_or(Error::NotFound)?;
    if claims.expires_at <= app.now_ms() {
        return Err(Error::LinkExpired);
    }
    let link = {
        let mut conn = app.store.conn().await?;
        ferry_store::folder_links::get(&mut conn, &claims.link_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    if link.revoked_at.is_some() {
        return Err(Error::LinkRevoked);
    }
    access::link_creator(app, &link.creator_id).await?;
    let folder = access::folder_link_root(app, &link).await?;
    Ok((link, folder))
}

/// An opened folder link: the link and its folder.
pub struct Opened {
    pub link: FolderLink,
    pub folder: Folder,
}

/// [`open_unchecked`], then the password: one of `access` (link access tokens from the
/// request) must grant this link, or it is `LinkPasswordRequired`.
pub async fn open(app: &AppState, token: &str, access: &[String]) -> Result<Opened> {
    let (link, folder) = open_unchecked(app, token).await?;
    if link.password_required()
        && !link_access::grants(&app.link_key, access, &link.id, app.now_ms())
    {
        return Err(Error::LinkPasswordRequired);
    }
    Ok(Opened { link, folder })
}

/// Where a listing continues: after this folder (`folder: true`) or file, by name key and id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemsCursor {
    pub folder: bool,
    pub key: String,
    pub id: String,
}

/// One page of a folder's contents through a link: folders first, then files, each by name.
pub struct Items {
    /// The listed folder's path from the link's folder (`""`: the link's folder).
    pub path: String,
    pub folders: Vec<Folder>,
    /// Each file with its file link, if a download through the link made one.
    pub files: Vec<(File, Option<Link>)>,
    pub next: Option<ItemsCursor>,
}

/// Lists the folder at `path` under the link's folder: at most `limit` items after `after`.
pub async fn items(
    app: &AppState,
    opened: &Opened,
    path: &str,
    after: Option<ItemsCursor>,
    limit: i64,
) -> Result<Items> {
    let now = app.now_ms();
    let mut conn = app.store.conn().await?;
    let (folder, path) =
        match access::through_folder_link(&mut conn, &opened.folder, path, now).await? {
            LinkItem::Folder(folder, path) => (folder, path),
            LinkItem::File(..) => return Err(Error::NotFound),
        };
    let by_name = ferry_core::Sort::default();
    let mut folders = Vec::new();
    if after.as_ref().is_none_or(|a| a.folder) {
        let cursor = after
            .as_ref()
            .map(|a| After::Text(a.key.clone(), a.id.clone()));
        folders = ferry_store::folders::children(
            &mut conn,
            &folder.id,
            by_name,
            cursor.as_ref(),
            limit + 1,
        )
        .await?;
        folders.retain(|f| f.expires_at.is_none_or(|at| at > now));
    }
    let mut found_files = Vec::new();
    let room = limit + 1 - folders.len() as i64;
    if room > 0 {
        let cursor = after
            .as_ref()
            .filter(|a| !a.folder)
            .map(|a| After::Text(a.key.clone(), a.id.clone()));
        found_files = ferry_store::files::list_live(
            &mut conn,
            &folder.id,
            now,
            by_name,
            cursor.as_ref(),
            room,
        )
        .await?;
    }
    let total = folders.len() + found_files.len();
    let mut next = None;
    if total as i64 > limit {
        // One more than asked for was read: the page ends before it.
        if found_files.pop().is_none() {
            folders.pop();
        }
        next = match (found_files.last(), folders.last()) {
            (Some(f), _) => Some(ItemsCursor {
                folder: false,
                key: ferry_core::validate::name_key(&f.name),
                id: f.id.to_string(),
            }),
            (None, Some(f)) => Some(ItemsCursor {
                folder: true,
                key: ferry_core::validate::name_key(&f.name),
                id: f.id.to_string(),
            }),
            (None, None) => None,
        };
    }
    let ids: Vec<&str> = found_files.iter().map(|f| f.id.as_str()).collect();
    let counted = ferry_store::folder_links::file_links(&mut conn, &opened.link.id, &ids).await?;
    let files = found_files
        .into_iter()
        .map(|f| {
            let link = counted
                .iter()
                .find(|l| l.file_id == f.id && l.version == f.version)
                .cloned();
            (f, link)
        })
        .collect();
    Ok(Items {
        path,
        folders,
        files,
        next,
    })
}

/// The file at `path` under the link's folder, and the download link that counts its
/// downloads through this folder link (made now if this is the first).
pub async fn file(app: &AppState, opened: &Opened, path: &str) -> Result<(Link, File)> {
    access::link_allows(app, &opened.link.creator_id, access::Guarded::Download).await?;
    let now = app.now_ms();
    let mut conn = app.store.conn().await?;
    let file = match access::through_folder_link(&mut conn, &opened.folder, path, now).await? {
        LinkItem::File(file, _) => file,
        LinkItem::Folder(..) => return Err(Error::NotFound),
    };
    // No transaction: the file link is read, or made by one statement that concurrent first
    // downloads agree on.
    let link = file_link(
        &mut conn,
        &opened.link,
        &file.id,
        file.version,
        file.size,
        now,
    )
    .await?;
    Ok((link, file))
}

async fn file_link(
    conn: &mut ferry_store::Conn,
    link: &FolderLink,
    file_id: &str,
    version: i64,
    size: i64,
    now: i64,
) -> Result<Link> {
    let counted = CountedFile {
        file_id,
        version,
        size,
    };
    Ok(
        ferry_store::folder_links::file_link(conn, link, counted, &IdKind::Link.generate(), now)
            .await?,
    )
}

/// The zip of the folder at `path` under the link's folder (`""`: the link's folder).
pub async fn archive(app: &AppState, opened: &Opened, path: &str) -> Result<Archive> {
    access::link_allows(app, &opened.link.creator_id, access::Guarded::Download).await?;
    let folder = {
        let mut conn = app.store.conn().await?;
        match access::through_folder_link(&mut conn, &opened.folder, path, app.now_ms()).await? {
            LinkItem::Folder(folder, _) => folder,
            LinkItem::File(..) => return Err(Error::NotFound),
        }
    };
    crate::archives::of_permitted_folder(app, &folder).await
}

/// What one file pays for a delivery of bytes `start..end` of an archive.
#[derive(Debug, Clone)]
struct Part {
    file_link_id: String,
    file_id: String,
    folder_id: String,
    data: std::ops::Range<u64>,
    /// The file's content bytes the delivery carries.
    bytes: i64,
    /// Of those, what an interrupted delivery to the same client already paid for.
    credit: i64,
    reserved: i64,
}

impl Part {
    /// Where, in the file, the delivery's share of it starts.
    fn file_offset(&self, range_start: u64) -> i64 {
        range_start.saturating_sub(self.data.start) as i64
    }
}

/// What a file of an archive delivers of `range`: its content bytes inside it; an empty file
/// counts 1 when its entry's content would start inside the range.
fn share_of(file: &ArchivedFile, range: &std::ops::Range<u64>) -> i64 {
    if file.data.is_empty() {
        i64::from(range.contains(&file.data.start))
    } else {
        let from = file.data.start.max(range.start);
        let to = file.data.end.min(range.end);
        to.saturating_sub(from) as i64
    }
}

/// A delivery of bytes `start..end` of a folder link's archive: what each file in that range
/// reserved from its budget, for the settlement when it ends.
pub struct ArchiveDelivery {
    state: AppState,
    ctx: Origin,
    client_key: String,
    link_id: String,
    archive_name: String,
    /// What the receipts say the files went out as: `archive`, or `save` (saved to the
    /// recipient's storage).
    via: &'static str,
    range: std::ops::Range<u64>,
    parts: Vec<Part>,
}

/// Reserves, from each file whose content bytes `start..end` of the archive carry, those
/// bytes (less what an interrupted delivery of that file to the same client already paid
/// for, as a file link's resume credit), in one transaction: if one file's budget cannot pay,
/// nothing is reserved and the delivery is `LinkExhausted` (`LinkRevoked` if the link was
/// revoked meanwhile).
pub async fn reserve_archive(
    app: &AppState,
    opened: &Opened,
    archive: &Archive,
    ctx: &Origin,
    range: std::ops::Range<u64>,
) -> Result<ArchiveDelivery> {
    reserve_files(
        app,
        opened,
        archive.files(),
        &archive.name,
        ctx,
        range,
        "archive",
    )
    .await
}

/// Reserves one whole download of every live file under `folder` (a folder under the link's
/// folder), as a zip of it would: for saving the folder to the recipient's storage.
pub(crate) async fn reserve_folder(
    app: &AppState,
    opened: &Opened,
    folder: &Folder,
    ctx: &Origin,
) -> Result<ArchiveDelivery> {
    let now = app.now_ms();
    let files = {
        let mut conn = app.store.conn().await?;
        let tree = ferry_store::archives::tree(&mut conn, &folder.id, now).await?;
        let ids: Vec<String> = tree.into_iter().map(|f| f.id.into()).collect();
        ferry_store::archives::files_in(
            &mut conn,
            &ids,
            now,
            crate::scan::only_clean(&app.config.scan),
        )
        .await?
    };
    // Each file counted whole, as if it were alone in an archive.
    let whole: Vec<ArchivedFile> = files
        .into_iter()
        .map(|f| ArchivedFile {
            data: 0..f.size.max(0) as u64,
            size: f.size.max(0) as u64,
            id: f.id.to_string(),
            folder_id: f.folder_id.to_string(),
            name: f.name,
            version: f.version,
        })
        .collect();
    reserve_files(app, opened, &whole, &folder.name, ctx, 0..u64::MAX, "save").await
}

/// Settles a whole reservation: `delivered` (every file), or given back (nothing).
pub(crate) async fn settle_whole(d: ArchiveDelivery, delivered: bool) {
    if delivered {
        settle_archive(d, i64::MAX, true).await
    } else {
        settle_archive(d, 0, false).await
    }
}

async fn reserve_files(
    app: &AppState,
    opened: &Opened,
    files: &[ArchivedFile],
    name: &str,
    ctx: &Origin,
    range: std::ops::Range<u64>,
    via: &'static str,
) -> Result<ArchiveDelivery> {
    let now = app.now_ms();
    let client_key = links::client_key(ctx);
    let mut tx = app.store.begin().await?;
    let mut parts = Vec::new();
    for f in files {
        let bytes = share_of(f, &range);
        if bytes == 0 {
            continue;
        }
        let link = file_link(&mut tx, &opened.link, &f.id, f.version, f.size as i64, now).await?;
        let mut part = Part {
            file_link_id: link.id.to_string(),
            file_id: f.id.clone(),
            folder_id: f.folder_id.clone(),
            data: f.data.clone(),
            bytes,
            credit: 0,
            reserved: bytes,
        };
        if !f.data.is_empty() {
            let offset = part.file_offset(range.start);
            part.credit = ferry_store::links::take_credit(&mut tx, &link.id, &client_key, offset)
                .await?
                .min(bytes);
            part.reserved = bytes - part.credit;
        }
        if part.reserved > 0
            && !ferry_store::links::reserve(&mut tx, &link.id, part.reserved).await?
        {
            drop(tx);
            return Err(if link.revoked_at.is_some() {
                Error::LinkRevoked
            } else {
                Error::LinkExhausted
            });
        }
        parts.push(part);
    }
    tx.commit().await?;
    Ok(ArchiveDelivery {
        state: app.clone(),
        ctx: ctx.clone(),
        client_key,
        link_id: opened.link.id.to_string(),
        archive_name: name.to_string(),
        via,
        range,
        parts,
    })
}

/// Settles an archive delivery of which `sent` bytes went out (`finished`: all of them): each
/// file pays for its content bytes that were sent beyond its credit (a finished delivery: all
/// it reserved) and gets the rest back; a file cut off mid-way is remembered for the client's
/// resume credit; each file that delivered anything gets a receipt (`link.downloaded` under
/// the folder link, `"via": "archive"`).
pub async fn settle_archive(d: ArchiveDelivery, sent: i64, finished: bool) {
    if let Err(e) = record_archive_settlement(&d, sent, finished).await {
        tracing::error!(link_id = %d.link_id, error = %e, "settling a folder link archive failed");
    }
}

async fn record_archive_settlement(
    d: &ArchiveDelivery,
    sent: i64,
    finished: bool,
) -> anyhow::Result<()> {
    let sent_range = d.range.start..d.range.start.saturating_add(sent.max(0) as u64);
    let finished = finished || sent_range.end >= d.range.end;
    let now = d.state.now_ms();
    let mut tx = d.state.store.begin().await?;
    for p in &d.parts {
        let delivered = if p.data.is_empty() {
            i64::from(finished || sent_range.end > p.data.start)
        } else {
            let from = p.data.start.max(sent_range.start);
            let to = p.data.end.min(sent_range.end);
            to.saturating_sub(from) as i64
        };
        let complete = finished || delivered >= p.bytes;
        let charged = if complete {
            p.reserved
        } else {
            (delivered - p.credit).clamp(0, p.reserved)
        };
        let (link, exhausted) =
            ferry_store::links::settle(&mut tx, &p.file_link_id, p.reserved, charged, now).await?;
        // What the client paid for from here on, now or before: its credit for a resume.
        let paid_span = delivered.max(p.credit);
        if !complete && paid_span > 0 {
            let start = p.file_offset(d.range.start);
            ferry_store::links::record_interruption(
                &mut tx,
                &p.file_link_id,
                &d.client_key,
                start,
                start + paid_span,
                now,
            )
            .await?;
        }
        if delivered == 0 {
            continue;
        }
        let used = link.as_ref().map(|l| l.downloads_used()).unwrap_or(0);
        let bytes = if p.data.is_empty() { 0 } else { delivered };
        audit::success(
            &d.ctx,
            None,
            Action::LinkDownloaded,
            (TargetKind::Link, &d.link_id),
        )
        .at(now)
        .in_folder(&p.folder_id)
        .details(
            json!({"file_id": p.file_id, "bytes": bytes, "complete": complete,
                "downloads_used": used, "via": d.via, "archive": d.archive_name}),
        )
        .append(&mut tx)
        .await?;
        if exhausted {
            audit::success(
                &d.ctx,
                None,
                Action::LinkExhausted,
                (TargetKind::Link, &d.link_id),
            )
            .at(now)
            .in_folder(&p.folder_id)
            .details(json!({"file_id": p.file_id, "downloads_used": used}))
            .append(&mut tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// What a landing page shows of a folder link (no password needed, nothing counted).
pub async fn info(app: &AppState, token: &str) -> Result<(FolderLink, Folder)> {
    open_unchecked(app, token).await
}

/// The caller's folder links (admins: everyone's), newest first, before `before`; `limit + 1`
/// rows.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    state: Option<LinkState>,
    folder_id: Option<&str>,
    before: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<FolderLink>> {
    let scope = access::link_scope(caller);
    let filter = ferry_store::folder_links::ListFilter {
        creator_id: scope.creator.as_deref(),
        company_id: scope.company.as_deref(),
        folder_id,
        state: state.map(LinkState::as_str),
        now: app.now_ms(),
    };
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::folder_links::list(
        &mut conn,
        &filter,
        before.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archived(data: std::ops::Range<u64>) -> ArchivedFile {
        ArchivedFile {
            id: "fil_x".into(),
            folder_id: "fld_x".into(),
            name: "x".into(),
            version: 1,
            size: data.end - data.start,
            data,
        }
    }

    #[test]
    fn a_file_pays_for_its_content_bytes_in_the_range_and_an_empty_file_once() {
        let f = archived(100..200);
        assert_eq!(share_of(&f, &(0..1000)), 100);
        assert_eq!(share_of(&f, &(150..1000)), 50);
        assert_eq!(share_of(&f, &(0..120)), 20);
        assert_eq!(share_of(&f, &(200..1000)), 0);
        assert_eq!(share_of(&f, &(0..100)), 0);
        // Ranges that split an archive anywhere charge an empty file exactly once.
        let empty = archived(300..300);
        let charged: i64 = [0..300, 300..301, 301..400]
            .iter()
            .map(|r| share_of(&empty, r))
            .sum();
        assert_eq!(charged, 1);
        assert_eq!(share_of(&empty, &(0..300)), 0);
    }
}
