//! Upload links (file requests): a signed link (signed like download links) through which
//! anyone may add files to one folder, and list or read nothing. Each upload takes one file
//! and its bytes from the link's `max_files` / `max_bytes` in one conditional UPDATE (given
//! back when the upload fails, is aborted or expires), never overwrites, and is recorded on
//! the file, in the audit log (`link.uploaded`) and as a notice to the folder's owner.

use ferry_blob::Staged;
use ferry_core::audit::{Action, TargetKind};
use ferry_core::timefmt::rfc3339;
use ferry_core::{IdKind, OnConflict, Permission, validate};
use ferry_store::files::File;
use ferry_store::folders::Folder;
use ferry_store::upload_links::{NewUploadLink, UploadLink};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::{Caller, Origin};
use crate::error::{Error, Result};
use crate::files::{NewContent, Source, add_file};
use crate::link_access;
use crate::links::{self, LinkState};
use crate::mail;
use crate::notices::{self, NoticeKind};
use crate::state::AppState;

/// Links last this long when the client names no `expires_in` (capped by the server's limit).
const DEFAULT_EXPIRES_IN: i64 = 900;

/// What a new upload link asks for.
#[derive(Debug, Clone, Default)]
pub struct NewUploadLinkRequest {
    pub expires_in: Option<i64>,
    /// At most this many files (1..=10000; `None`: unlimited).
    pub max_files: Option<i64>,
    /// At most this many bytes in all (1 or more; `None`: unlimited).
    pub max_bytes: Option<i64>,
    /// Uploads need this password (as for download links).
    pub password: Option<String>,
    /// Each upload goes into a new subfolder named from the time and the uploader's name.
    pub subfolder_per_upload: bool,
}

/// Who says they are uploading (both optional, both as given).
#[derive(Debug, Clone, Default)]
pub struct Uploader {
    pub name: Option<String>,
    pub email: Option<String>,
}

impl Uploader {
    /// Checks and trims what the uploader said: a name of at most 100 characters, an e-mail
    /// of at most 254 with an `@`, neither with control characters. Empty is absent.
    pub fn checked(name: Option<String>, email: Option<String>) -> Result<Uploader> {
        let clean =
            |field: &'static str, v: Option<String>, max: usize| -> Result<Option<String>> {
                let Some(v) = v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) else {
                    return Ok(None);
                };
                if v.chars().count() > max || v.chars().any(char::is_control) {
                    return Err(Error::invalid(
                        field,
                        "invalid_value",
                        format!(
                            "{field} must be at most {max} characters, without control characters."
                        ),
                    ));
                }
                Ok(Some(v))
            };
        let name = clean("uploader_name", name, 100)?;
        let email = clean("uploader_email", email, 254)?;
        if email.as_deref().is_some_and(|e| !e.contains('@')) {
            return Err(Error::invalid(
                "uploader_email",
                "invalid_value",
                "uploader_email must be an e-mail address.",
            ));
        }
        Ok(Uploader { name, email })
    }
}

/// The absolute, signed URL of an upload link (its landing page in the portal).
pub fn url(app: &AppState, link: &UploadLink) -> String {
    format!("{}/s/{}", app.config.public_url(), token(app, link))
}

/// The signed token of an upload link.
pub fn token(app: &AppState, link: &UploadLink) -> String {
    links::sign(&app.link_key, &link.id, link.expires_at)
}

/// A link's state now, by the rule download links use (`exhausted`: nothing more fits).
pub fn state_of(link: &UploadLink, now: i64) -> LinkState {
    if link.revoked_at.is_some() {
        LinkState::Revoked
    } else if link.expires_at <= now {
        LinkState::Expired
    } else if link.used_up() {
        LinkState::Exhausted
    } else {
        LinkState::Active
    }
}

/// Creates an upload link into a folder (needs `share` on it).
pub async fn create(
    app: &AppState,
    caller: &Caller,
    folder_id: &str,
    request: NewUploadLinkRequest,
) -> Result<UploadLink> {
    let folder = access::folder(app, caller, folder_id, Permission::Share).await?;
    let creator = caller.user_ref().ok_or(Error::Unauthorized)?;
    let now = app.now_ms();
    let max_expires = app.config.links.max_expires_in_secs.max(1);
    // Upload links carry nothing to mark: only the right to share and the lifetime apply.
    let terms = access::link_terms(
        app,
        caller,
        request.expires_in,
        DEFAULT_EXPIRES_IN.min(max_expires),
    )
    .await?;
    let expires_in = validate::in_range(
        "expires_in",
        terms
            .expires_in
            .unwrap_or(DEFAULT_EXPIRES_IN.min(max_expires)),
        1..=max_expires,
    )?;
    let max_files = request
        .max_files
        .map(|m| validate::in_range("max_files", m, 1..=10_000))
        .transpose()?;
    let max_bytes = request
        .max_bytes
        .map(|m| validate::in_range("max_bytes", m, 1..=i64::MAX / 2))
        .transpose()?;
    let password_hash = link_access::password_hash(request.password).await?;
    let link_id = IdKind::Link.generate();
    let expires_at = now + expires_in * 1000;
    let mut tx = app.store.begin().await?;
    ferry_store::upload_links::insert(
        &mut tx,
        &NewUploadLink {
            id: &link_id,
            folder_id: &folder.id,
            creator_id: &creator.id,
            expires_at,
            max_files,
            max_bytes,
            subfolder_per_upload: request.subfolder_per_upload,
            password_hash: password_hash.as_deref(),
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
    .at(app.now_ms())
    .in_folder(&folder.id)
    .details(
        json!({"kind": "upload", "folder_id": folder.id, "expires_at": rfc3339(expires_at),
            "max_files": max_files, "max_bytes": max_bytes, "password": password_hash.is_some(),
            "subfolder_per_upload": request.subfolder_per_upload}),
    )
    .append(&mut tx)
    .await?;
    let link = ferry_store::upload_links::get(&mut tx, &link_id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(link)
}

/// The upload link behind a token, without its password: signature first (a forged token is
/// `NotFound` without a database read), then expiry and revocation. `NotFound` too for a
/// token of a download link.
pub async fn open_unchecked(app: &AppState, token: &str) -> Result<UploadLink> {
    let claims = links::verify(&app.link_key, token).ok_or(Error::NotFound)?;
    if claims.expires_at <= app.now_ms() {
        return Err(Error::LinkExpired);
    }
    let link = {
        let mut conn = app.store.conn().await?;
        ferry_store::upload_links::get(&mut conn, &claims.link_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    if link.revoked_at.is_some() {
        return Err(Error::LinkRevoked);
    }
    access::link_creator(app, &link.creator_id).await?;
    Ok(link)
}

/// Whether a token is an upload link's (a cheap look, for doors that serve both kinds).
pub async fn is_upload_link(app: &AppState, token: &str) -> Result<bool> {
    let Some(claims) = links::verify(&app.link_key, token) else {
        return Ok(false);
    };
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::upload_links::get(&mut conn, &claims.link_id)
        .await?
        .is_some())
}

/// What an upload through a link works with: the link, its folder, and its creator.
pub struct Opened {
    pub link: UploadLink,
    pub folder: Folder,
    /// The link's creator (who makes the subfolders of a link that makes them).
    pub creator: Caller,
    /// The caller uploads run as: the link's holder, no user (audited without an actor).
    pub caller: Caller,
}

/// Opens an upload link for an upload: [`open_unchecked`], then the password (one of
/// `access` must grant this link: `LinkPasswordRequired`), then, for a new upload
/// (`creating`), whether anything is left (`LinkExhausted`; an upload under way has its room
/// already), then the folder (see [`access::upload_link_target`]).
pub async fn open(
    app: &AppState,
    origin: &Origin,
    token: &str,
    access: &[String],
    creating: bool,
) -> Result<Opened> {
    let link = open_unchecked(app, token).await?;
    if link.password_required()
        && !link_access::grants(&app.link_key, access, &link.id, app.now_ms())
    {
        return Err(Error::LinkPasswordRequired);
    }
    if creating && link.used_up() {
        return Err(Error::LinkExhausted);
    }
    access::link_allows(app, &link.creator_id, access::Guarded::Upload).await?;
    let (folder, creator) = access::upload_link_target(app, &link, origin).await?;
    let mut caller = Caller::system("upload_link");
    caller.origin = origin.clone();
    Ok(Opened {
        link,
        folder,
        creator,
        caller,
    })
}

/// Takes one file of `size` bytes from the link inside `tx` (one conditional UPDATE):
/// `LinkExhausted` when it cannot, `LinkRevoked` / `LinkExpired` when the link ended.
pub(crate) async fn take(
    tx: &mut ferry_store::Tx,
    app: &AppState,
    link_id: &str,
    size: i64,
) -> Result<()> {
    let now = app.now_ms();
    if ferry_store::upload_links::reserve(tx, link_id, size, now).await? {
        return Ok(());
    }
    let current = ferry_store::upload_links::get(tx, link_id).await?;
    Err(match current {
        Some(l) if l.revoked_at.is_some() => Error::LinkRevoked,
        Some(l) if l.expires_at <= now => Error::LinkExpired,
        _ => Error::LinkExhausted,
    })
}

/// Records, inside `tx`, that `file` came through the link: the uploader on the file,
/// `link.uploaded` in the audit log, a notice to the folder's owner. Returns the file as now
/// stored.
pub(crate) async fn record_arrival(
    tx: &mut ferry_store::Tx,
    app: &AppState,
    origin: &Origin,
    link_id: &str,
    file: &File,
    uploader: &Uploader,
    method: &str,
) -> Result<File> {
    ferry_store::upload_links::mark_file(
        tx,
        &file.id,
        link_id,
        uploader.name.as_deref(),
        uploader.email.as_deref(),
    )
    .await?;
    let details = json!({"file_id": file.id, "name": file.name, "size": file.size,
        "folder_id": file.folder_id, "uploader_name": uploader.name,
        "uploader_email": uploader.email, "method": method});
    audit::success(
        origin,
        None,
        Action::LinkUploaded,
        (TargetKind::Link, link_id),
    )
    .at(app.now_ms())
    .in_folder(&file.folder_id)
    .details(details.clone())
    .append(tx)
    .await?;
    let mut data = details;
    data["link_id"] = json!(link_id);
    notices::notify(
        tx,
        &file.owner_id,
        NoticeKind::LinkUploaded,
        data,
        app.now_ms(),
    )
    .await?;
    mail::notices::link_uploaded(app, tx, file, uploader).await?;
    ferry_store::files::get(tx, &file.id)
        .await?
        .ok_or(Error::NotFound)
}

/// Where an upload through the link lands: the link's folder, or a new subfolder of it named
/// from the time and the uploader's name when the link makes one per upload.
pub async fn destination(app: &AppState, opened: &Opened, uploader: &Uploader) -> Result<Folder> {
    if !opened.link.subfolder_per_upload() {
        return Ok(opened.folder.clone());
    }
    let time = rfc3339(app.now_ms());
    // `2026-12-07T01:23:45.678Z` → `2026-12-07 01.23.45`: no `:` (Windows names).
    let stamp = time
        .get(..19)
        .unwrap_or(&time)
        .replace('T', " ")
        .replace(':', ".");
    let who = uploader
        .name
        .as_deref()
        .map(|n| n.replace(['/', '\\'], "-"))
        .unwrap_or_else(|| "anonymous".into());
    let base = format!("{stamp} {who}");
    for n in 1..=20 {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{base} ({n})")
        };
        let name = validate::stored_name("uploader_name", &name)
            .unwrap_or_else(|_| format!("{stamp} upload ({n})"));
        let created = crate::folders::create(
            app,
            &opened.creator,
            crate::folders::NewFolderRequest {
                name: &name,
                parent_id: Some(&opened.folder.id),
                retention_days: None,
                visibility: None,
                description: None,
                expires_at: None,
            },
        )
        .await;
        match created {
            Ok(entry) => return Ok(entry.folder),
            Err(Error::NameConflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict("Could not name a new subfolder.".into()))
}

/// A simple upload through a link: takes a file of the staged size from the link (refused
/// with `LinkExhausted` past its limits; the bytes are discarded), puts the file in its
/// destination under a free name, charges the folder owner's quota, and records the arrival,
/// all in one transaction after the take.
pub async fn upload(
    app: &AppState,
    opened: &Opened,
    uploader: &Uploader,
    name: &str,
    staged: Staged,
) -> Result<File> {
    let size = staged.size as i64;
    let link_id = opened.link.id.clone();
    {
        let mut tx = app.store.begin().await?;
        if let Err(e) = take(&mut tx, app, &link_id, size).await {
            drop(tx);
            app.blobs.discard(staged).await;
            return Err(e);
        }
        tx.commit().await?;
    }
    let result = async {
        let folder = destination(app, opened, uploader).await?;
        let mut tx = app.store.begin().await?;
        crate::folders::charge(&mut tx, &folder.owner_id, size).await?;
        Ok::<_, Error>((folder, tx))
    }
    .await;
    let (folder, mut tx) = match result {
        Ok(ok) => ok,
        Err(e) => {
            app.blobs.discard(staged).await;
            give_back(app, &link_id, size).await;
            return Err(e);
        }
    };
    let new = NewContent {
        name,
        on_conflict: OnConflict::Rename,
        sha256: staged.sha256.clone(),
        size,
        expires_at: None,
        client_modified_at: None,
        method: "simple",
        paid_by: &folder.owner_id,
    };
    let added = add_file(
        app,
        &mut tx,
        &opened.caller,
        &folder,
        new,
        Source::Staged(staged),
    )
    .await;
    let file = match added {
        Ok(file) => file,
        Err((e, source)) => {
            drop(tx);
            if let Some(Source::Staged(staged)) = source {
                app.blobs.discard(staged).await;
            }
            give_back(app, &link_id, size).await;
            return Err(e);
        }
    };
    let recorded = record_arrival(
        &mut tx,
        app,
        &opened.caller.origin,
        &link_id,
        &file,
        uploader,
        "simple",
    )
    .await;
    match recorded {
        Ok(file) => {
            tx.commit().await?;
            Ok(file)
        }
        Err(e) => {
            drop(tx);
            give_back(app, &link_id, size).await;
            Err(e)
        }
    }
}

/// Returns a take that did not become a file.
async fn give_back(app: &AppState, link_id: &str, size: i64) {
    let result = async {
        let mut tx = app.store.begin().await?;
        ferry_store::upload_links::release(&mut tx, link_id, size).await?;
        tx.commit().await?;
        Ok::<_, Error>(())
    }
    .await;
    if let Err(e) = result {
        tracing::error!(link_id, error = %e, "giving back an upload link's reservation failed");
    }
}

/// What a landing page shows of an upload link (no password needed, nothing counted), with
/// the errors an upload would get for an expired, revoked or used-up link.
pub async fn info(app: &AppState, token: &str) -> Result<(UploadLink, Folder)> {
    let link = open_unchecked(app, token).await?;
    if link.used_up() {
        return Err(Error::LinkExhausted);
    }
    let (folder, _) = access::upload_link_target(app, &link, &Origin::default()).await?;
    Ok((link, folder))
}

/// The caller's upload links (admins: everyone's), newest first, before `before`; `limit + 1`
/// rows.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    state: Option<LinkState>,
    folder_id: Option<&str>,
    before: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<UploadLink>> {
    let scope = access::link_scope(caller);
    let filter = ferry_store::upload_links::ListFilter {
        creator_id: scope.creator.as_deref(),
        company_id: scope.company.as_deref(),
        folder_id,
        state: state.map(LinkState::as_str),
        now: app.now_ms(),
    };
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::upload_links::list(
        &mut conn,
        &filter,
        before.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?)
}
