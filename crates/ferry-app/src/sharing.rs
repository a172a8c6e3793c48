//! Sharing: collaborations that give a user, a group or an e-mail address a role on a folder,
//! invitations a user accepts (mounting the folder in their root) or declines, role changes,
//! removal and leaving. Who may do what is decided in [`crate::access`]; every change is
//! audited as `permission.changed` in its own transaction.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{FolderRole, IdKind, OnConflict, Permission, validate};
use ferry_store::collaborations::{self, Collaboration, NewCollaboration, PrincipalType, Status};
use ferry_store::folders::Namespace;
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::mail;
use crate::namespace::free_name;
use crate::notices::{self, NoticeKind};
use crate::state::AppState;

/// Who an invitation is for, as the request names them.
pub enum Invitee<'a> {
    /// A login or a `usr_` id.
    User(&'a str),
    Group(&'a str),
    Email(&'a str),
}

/// A new collaboration as asked for.
pub struct Invite<'a> {
    pub invitee: Invitee<'a>,
    pub role: &'a str,
    pub message: Option<&'a str>,
    pub expires_at: Option<i64>,
}

/// Longest invitation message, in bytes.
const MAX_MESSAGE_BYTES: usize = 2048;

/// A role one may give: any but `owner`.
pub(crate) fn role(value: &str) -> Result<FolderRole> {
    match FolderRole::parse(value) {
        Some(FolderRole::Owner) => Err(Error::invalid(
            "role",
            "invalid_value",
            "A folder has one owner; hand it over with POST /folders/{id}/transfer.",
        )),
        Some(role) => Ok(role),
        None => Err(Error::invalid(
            "role",
            "invalid_value",
            "role must be viewer, uploader, editor or manager.",
        )),
    }
}

/// Shares a folder the caller may share (`share`: managers and owners).
pub async fn invite(
    app: &AppState,
    caller: &Caller,
    folder_id: &str,
    invite: Invite<'_>,
) -> Result<Collaboration> {
    let inviter = caller.user_ref().ok_or(Error::Unauthorized)?;
    let folder = access::folder(app, caller, folder_id, Permission::Read).await?;
    access::permit(caller, &folder, Permission::Share)?;
    let role = role(invite.role)?;
    access::may_grant(caller, &folder, role)?;
    let message = invite.message.unwrap_or("");
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(Error::invalid(
            "message",
            "invalid_value",
            "message must be at most 2048 bytes.",
        ));
    }
    let now = app.now_ms();
    if invite.expires_at.is_some_and(|at| at <= now) {
        return Err(Error::invalid(
            "expires_at",
            "invalid_value",
            "expires_at must be in the future.",
        ));
    }
    let mut tx = app.store.begin().await?;
    // Who it is for: an address that is a user's login is that user's invitation.
    let (principal, key, status) = match invite.invitee {
        Invitee::User(who) => {
            let user = find_user(&mut tx, who)
                .await?
                .ok_or_else(|| Error::invalid("user", "not_found", format!("No user `{who}`.")))?;
            (PrincipalType::User, user.id.into(), Status::Pending)
        }
        Invitee::Group(id) => {
            if !IdKind::Group.matches(id) || !collaborations::group_exists(&mut tx, id).await? {
                return Err(Error::invalid(
                    "group",
                    "not_found",
                    format!("No group `{id}`."),
                ));
            }
            // A group's members see the folder at once: there is no one to accept for it.
            (PrincipalType::Group, id.to_string(), Status::Accepted)
        }
        Invitee::Email(address) => {
            let address = email(address)?;
            match ferry_store::users::by_login(&mut tx, &address).await? {
                Some(user) => (PrincipalType::User, user.id.into(), Status::Pending),
                None => (PrincipalType::Email, address, Status::Pending),
            }
        }
    };
    let status = if app.config.sharing.auto_accept {
        Status::Accepted
    } else {
        status
    };
    if principal == PrincipalType::User && key == folder.owner_id {
        return Err(Error::Conflict(
            "The folder's owner has every right on it already.".into(),
        ));
    }
    if let Some(existing) = collaborations::find(&mut tx, &folder.id, principal, &key).await? {
        if existing.status != Status::Declined {
            return Err(Error::Conflict(format!(
                "{} is already a collaborator here ({}); change the role instead.",
                existing.principal_name,
                existing.role().as_str()
            )));
        }
        collaborations::delete(&mut tx, &existing.id).await?;
    }
    let id = IdKind::Share.generate();
    collaborations::insert(
        &mut tx,
        &NewCollaboration {
            id: &id,
            folder_id: &folder.id,
            principal_type: principal,
            user_id: (principal == PrincipalType::User).then_some(key.as_str()),
            group_id: (principal == PrincipalType::Group).then_some(key.as_str()),
            email: (principal == PrincipalType::Email).then_some(key.as_str()),
            role,
            status,
            message,
            invited_by: Some((&inviter.id, &inviter.login)),
            expires_at: invite.expires_at,
            now,
        },
    )
    .await?;
    let created = collaborations::get(&mut tx, &id)
        .await?
        .ok_or(Error::NotFound)?;
    record(app, &mut tx, caller, &created, None, Some(role), "granted").await?;
    if let (Some(user_id), Status::Pending) = (&created.user_id, created.status) {
        let data = json!({"collaboration_id": created.id, "folder_id": created.folder_id,
            "folder_name": created.folder_name, "role": role.as_str(),
            "invited_by": {"id": inviter.id, "login": inviter.login},
            "message": created.message});
        notices::notify(&mut tx, user_id, NoticeKind::Invitation, data, now).await?;
    }
    mail::notices::invitation(app, &mut tx, &created, &inviter.login).await?;
    tx.commit().await?;
    Ok(created)
}

/// `login`, or a `usr_` id.
pub(crate) async fn find_user(
    conn: &mut ferry_store::Conn,
    who: &str,
) -> Result<Option<ferry_store::users::User>> {
    if IdKind::User.matches(who) {
        return Ok(ferry_store::users::get(conn, who).await?);
    }
    Ok(ferry_store::users::by_login(conn, who).await?)
}

fn email(address: &str) -> Result<String> {
    let address = address.trim();
    let valid = address.len() <= 254
        && address.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !address.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err(Error::invalid(
            "email",
            "invalid_value",
            "email must be an address such as partner@example.com.",
        ));
    }
    Ok(address.to_lowercase())
}

/// `permission.changed` for a collaboration, in `tx`.
pub(crate) async fn record(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    caller: &Caller,
    c: &Collaboration,
    old: Option<FolderRole>,
    new: Option<FolderRole>,
    change: &str,
) -> Result<()> {
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::PermissionChanged,
        (TargetKind::Folder, &c.folder_id),
    )
    .at(app.now_ms())
    .in_folder(&c.folder_id)
    .details(json!({
        "change": change,
        "collaboration_id": c.id,
        "folder_id": c.folder_id,
        "principal": {"type": c.principal_type.as_str(),
                      "id": c.user_id.as_ref().or(c.group_id.as_ref()).or(c.email.as_ref()),
                      "name": c.principal_name},
        "old_role": old.map(FolderRole::as_str),
        "new_role": new.map(FolderRole::as_str),
    }))
    .append(tx)
    .await?;
    Ok(())
}

/// Tells whoever sent an invitation how it was answered.
async fn answer(
    tx: &mut ferry_store::Tx,
    c: &Collaboration,
    by: &ferry_store::users::User,
    kind: NoticeKind,
    now: i64,
) -> Result<()> {
    if let Some(inviter) = &c.invited_by_id {
        let data = json!({"collaboration_id": c.id, "folder_id": c.folder_id,
            "folder_name": c.folder_name, "role": c.role().as_str(),
            "by": {"id": by.id, "login": by.login}});
        notices::notify(tx, inviter, kind, data, now).await?;
    }
    Ok(())
}

/// A folder's collaborators, for anyone who may read the folder.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    folder_id: &str,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Collaboration>> {
    let folder = access::folder(app, caller, folder_id, Permission::Read).await?;
    let mut conn = app.store.conn().await?;
    Ok(collaborations::on_folder(
        &mut conn,
        &folder.id,
        after.as_ref().map(|(t, i)| (*t, i.as_str())),
        limit + 1,
    )
    .await?)
}

/// A collaboration the caller may manage (`share` on its folder); a visible one they may not
/// manage is `PermissionDenied`, anything else `NotFound`.
async fn managed(app: &AppState, caller: &Caller, id: &str) -> Result<Collaboration> {
    let collaboration = load(app, id).await?;
    let folder = access::folder(app, caller, &collaboration.folder_id, Permission::Read)
        .await
        .or(Err(Error::NotFound))?;
    access::permit(caller, &folder, Permission::Share)?;
    Ok(collaboration)
}

async fn load(app: &AppState, id: &str) -> Result<Collaboration> {
    if !IdKind::Share.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    collaborations::get(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Changes a collaboration's role (and expiry, when given).
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    new_role: Option<&str>,
    expires_at: Option<Option<i64>>,
) -> Result<Collaboration> {
    let current = managed(app, caller, id).await?;
    let new_role = match new_role {
        Some(r) => role(r)?,
        None => current.role(),
    };
    let folder = access::folder(app, caller, &current.folder_id, Permission::Read).await?;
    access::may_grant(caller, &folder, new_role)?;
    access::may_grant(caller, &folder, current.role())?;
    let now = app.now_ms();
    if expires_at.flatten().is_some_and(|at| at <= now) {
        return Err(Error::invalid(
            "expires_at",
            "invalid_value",
            "expires_at must be in the future.",
        ));
    }
    let mut tx = app.store.begin().await?;
    if !collaborations::set_role(&mut tx, id, new_role, expires_at, now).await? {
        return Err(Error::NotFound);
    }
    let updated = collaborations::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    record(
        app,
        &mut tx,
        caller,
        &updated,
        Some(current.role()),
        Some(new_role),
        "role_changed",
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Ends a collaboration: a manager of the folder removes it, or its user leaves.
pub async fn remove(app: &AppState, caller: &Caller, id: &str) -> Result<()> {
    let collaboration = load(app, id).await?;
    let leaving = caller
        .user_ref()
        .is_some_and(|u| collaboration.user_id.as_deref() == Some(u.id.as_str()));
    let change = if leaving {
        "left"
    } else {
        let managed = managed(app, caller, id).await?;
        let folder = access::folder(app, caller, &managed.folder_id, Permission::Read).await?;
        access::may_grant(caller, &folder, managed.role())?;
        "removed"
    };
    let mut tx = app.store.begin().await?;
    if !collaborations::delete(&mut tx, id).await? {
        return Err(Error::NotFound);
    }
    record(
        app,
        &mut tx,
        caller,
        &collaboration,
        Some(collaboration.role()),
        None,
        change,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The caller's pending invitations.
pub async fn invitations(
    app: &AppState,
    caller: &Caller,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Collaboration>> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let mut conn = app.store.conn().await?;
    Ok(collaborations::invitations(
        &mut conn,
        &user.id,
        &user.login,
        app.now_ms(),
        after.as_ref().map(|(t, i)| (*t, i.as_str())),
        limit + 1,
    )
    .await?)
}

/// A pending invitation addressed to the caller; anything else is `NotFound`.
async fn own_invitation(app: &AppState, caller: &Caller, id: &str) -> Result<Collaboration> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let invitation = load(app, id).await?;
    let addressed = invitation.user_id.as_deref() == Some(user.id.as_str())
        || (invitation.principal_type == PrincipalType::Email
            && invitation
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&user.login)));
    if !addressed || invitation.status != Status::Pending || !invitation.is_pending_at(app.now_ms())
    {
        return Err(Error::NotFound);
    }
    Ok(invitation)
}

/// Accepts an invitation: the folder appears in the caller's root under `mount_name` (default:
/// its own name, renamed `name (1)` when taken; a name given and taken is `409 name_conflict`).
pub async fn accept(
    app: &AppState,
    caller: &Caller,
    id: &str,
    mount_name: Option<&str>,
) -> Result<Collaboration> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let invitation = own_invitation(app, caller, id).await?;
    let (wanted, on_conflict) = match mount_name {
        Some(n) => (validate::stored_name("mount_name", n)?, OnConflict::Fail),
        None => (invitation.folder_name.clone(), OnConflict::Rename),
    };
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let name = free_mount_name(&mut tx, &user.id, &wanted, on_conflict).await?;
    if !collaborations::accept(&mut tx, id, &user.id, &name, now).await? {
        return Err(Error::NotFound);
    }
    let accepted = collaborations::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    record(
        app,
        &mut tx,
        caller,
        &accepted,
        None,
        Some(accepted.role()),
        "accepted",
    )
    .await?;
    answer(
        &mut tx,
        &accepted,
        user,
        NoticeKind::InvitationAccepted,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(accepted)
}

/// A free name for a mount of `wanted` in `user_id`'s root (locked for the rest of `tx`):
/// `wanted` itself, or numbered `wanted (1)` with `Rename`; taken with `Fail` is
/// `409 name_conflict`.
pub(crate) async fn free_mount_name(
    tx: &mut ferry_store::Tx,
    user_id: &str,
    wanted: &str,
    on_conflict: OnConflict,
) -> Result<String> {
    let ns = Namespace::Top { owner_id: user_id };
    ferry_store::folders::lock(tx, ns).await?;
    // The root holds the user's own folders and their mounts: one namespace for both.
    let mut name = free_name(tx, ns, wanted, on_conflict, None).await?;
    let mut n: u32 = 0;
    while collaborations::mount_taken(tx, user_id, &name).await? {
        if on_conflict == OnConflict::Fail {
            return Err(Error::NameConflict(format!(
                "Something named `{name}` is already in your root."
            )));
        }
        n += 1;
        name = validate::numbered(wanted, n);
    }
    Ok(name)
}

/// Declines an invitation.
pub async fn decline(app: &AppState, caller: &Caller, id: &str) -> Result<Collaboration> {
    let invitation = own_invitation(app, caller, id).await?;
    let mut tx = app.store.begin().await?;
    if !collaborations::decline(&mut tx, &invitation.id, app.now_ms()).await? {
        return Err(Error::NotFound);
    }
    let declined = collaborations::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    record(
        app,
        &mut tx,
        caller,
        &declined,
        Some(declined.role()),
        None,
        "declined",
    )
    .await?;
    if let Some(user) = caller.user_ref() {
        answer(
            &mut tx,
            &declined,
            user,
            NoticeKind::InvitationDeclined,
            app.now_ms(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(declined)
}

/// Hands a top-level folder, with everything below it, to another user (the owner or an
/// admin may): their quota takes its bytes (`413` if it does not fit), it lands in their root
/// (renamed `name (1)` when the name is taken there), and the previous owner keeps it as an
/// editor, mounted in their root as before (what Box does).
pub async fn transfer(
    app: &AppState,
    caller: &Caller,
    folder_id: &str,
    to: &str,
) -> Result<crate::folders::Entry> {
    let folder = access::folder(app, caller, folder_id, Permission::Read).await?;
    access::permit(caller, &folder, Permission::Manage)?;
    if folder.parent_id.is_some() {
        return Err(Error::invalid(
            "folder_id",
            "invalid_value",
            "Only top-level folders change owner; move a subfolder instead.",
        ));
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let receiver = find_user(&mut tx, to)
        .await?
        .ok_or_else(|| Error::invalid("to", "not_found", format!("No user `{to}`.")))?;
    if receiver.id == folder.owner_id {
        return Err(Error::invalid(
            "to",
            "invalid_value",
            format!("{} owns this folder already.", receiver.login),
        ));
    }
    ferry_store::folders::lock_tree(&mut tx).await?;
    let folder = ferry_store::folders::get(&mut tx, &folder.id)
        .await?
        .filter(|f| f.is_live() && f.parent_id.is_none())
        .ok_or(Error::NotFound)?;
    let previous = folder.owner_id.clone();
    let ids = ferry_store::folders::whole_subtree(&mut tx, &folder.id).await?;
    // Its name in the receiver's root first (renamed among the previous owner's names, where
    // it is free), then the owner: no unique index ever sees a twin.
    let ns = Namespace::Top {
        owner_id: &receiver.id,
    };
    ferry_store::folders::lock(&mut tx, ns).await?;
    let name = free_name(
        &mut tx,
        ns,
        &folder.name,
        OnConflict::Rename,
        Some(&folder.id),
    )
    .await?;
    ferry_store::folders::relocate(&mut tx, &folder.id, None, &name, None, now).await?;
    // Owner before the byte count: see `folders::move_folder`.
    ferry_store::folders::set_owner(&mut tx, &ids, &receiver.id).await?;
    let bytes = ferry_store::folders::stored_bytes(&mut tx, &ids).await?;
    crate::folders::transfer_quota(&mut tx, &previous, &receiver.id, bytes).await?;
    // The receiver owns it now: a share they held on it has nothing left to give.
    if let Some(old) =
        collaborations::find(&mut tx, &folder.id, PrincipalType::User, &receiver.id).await?
    {
        collaborations::delete(&mut tx, &old.id).await?;
    }
    let share_id = IdKind::Share.generate();
    let inviter = caller.user_ref().map(|u| (u.id.as_str(), u.login.as_str()));
    collaborations::insert(
        &mut tx,
        &NewCollaboration {
            id: &share_id,
            folder_id: &folder.id,
            principal_type: PrincipalType::User,
            user_id: Some(&previous),
            group_id: None,
            email: None,
            role: FolderRole::Editor,
            status: Status::Pending,
            message: "",
            invited_by: inviter,
            expires_at: None,
            now,
        },
    )
    .await?;
    collaborations::accept(&mut tx, &share_id, &previous, &folder.name, now).await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::PermissionChanged,
        (TargetKind::Folder, &folder.id),
    )
    .at(now)
    .in_folder(&folder.id)
    .details(
        json!({"change": "transferred", "folder_id": folder.id, "from": previous,
        "to": receiver.id, "bytes": bytes,
        "principal": {"type": "user", "id": previous}, "old_role": "owner",
        "new_role": "editor"}),
    )
    .append(&mut tx)
    .await?;
    let moved = ferry_store::folders::get(&mut tx, &folder.id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(crate::folders::Entry {
        path: format!("/{}", moved.name),
        folder: moved,
    })
}
