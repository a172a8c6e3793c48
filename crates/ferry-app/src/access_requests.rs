//! Company visibility (issue #12): the directory of the folders a company's members show to
//! the company, and access requests. A member asks for access to a folder of the directory
//! (with a role, `viewer` unless they say otherwise); the folder's owner hears of it, and
//! whoever may share the folder approves, which shares it with the member (accepted at once:
//! they asked), or denies. Who may do what is decided in [`crate::access`]; every step is
//! audited, with its notices, in its own transaction.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{FolderRole, IdKind, OnConflict};
use ferry_store::access_requests::{AccessRequest, Listed, NewAccessRequest};
use ferry_store::collaborations::{self, NewCollaboration, PrincipalType, Status};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::notices::{self, NoticeKind};
use crate::sharing;
use crate::state::AppState;

/// The caller's directory: the folders members of their company show to it, oldest first,
/// each with the caller's role on it (decided in the caller) and their pending request. A
/// caller of no company has an empty directory.
pub async fn directory(
    app: &AppState,
    caller: &Caller,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Listed>> {
    let (Some(company), Some(user)) = (access::directory_company(caller), caller.user_ref()) else {
        return Ok(Vec::new());
    };
    let mut conn = app.store.conn().await?;
    let listed = ferry_store::access_requests::directory(
        &mut conn,
        company,
        &user.id,
        after.as_ref().map(|(t, i)| (*t, i.as_str())),
        limit + 1,
    )
    .await?;
    let folders: Vec<_> = listed.iter().map(|l| l.folder.clone()).collect();
    access::resolve_directory_roles(&mut conn, app.now_ms(), caller, &folders).await?;
    Ok(listed)
}

/// Asks for `role` (default `viewer`) on a folder of the caller's directory. One pending
/// request per folder and member: a second is `409 conflict`.
pub async fn request(
    app: &AppState,
    caller: &Caller,
    folder_id: &str,
    role: Option<&str>,
    message: Option<&str>,
) -> Result<AccessRequest> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let role = role
        .map(sharing::role)
        .transpose()?
        .unwrap_or(FolderRole::Viewer);
    let message = message.unwrap_or("");
    crate::quota_requests::check_message("message", message)?;
    let folder = access::requestable_folder(app, caller, folder_id).await?;
    let id = IdKind::AccessRequest.generate();
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let inserted = ferry_store::users::conflict_as_false(
        ferry_store::access_requests::insert(
            &mut tx,
            &NewAccessRequest {
                id: &id,
                folder_id: &folder.id,
                user_id: &user.id,
                role: role.as_str(),
                message,
                now,
            },
        )
        .await,
    )?;
    if !inserted {
        return Err(Error::Conflict(
            "You asked for access to this folder already; wait for the answer.".into(),
        ));
    }
    audit::success(
        &caller.origin,
        Some(user),
        Action::ShareAccessRequested,
        (TargetKind::Folder, &folder.id),
    )
    .at(now)
    .in_folder(&folder.id)
    .details(json!({"request_id": id, "role": role.as_str()}))
    .append(&mut tx)
    .await?;
    let data = json!({"request_id": id, "folder_id": folder.id, "folder_name": folder.name,
        "role": role.as_str(), "by": {"id": user.id, "login": user.login}, "message": message});
    notices::notify(
        &mut tx,
        &folder.owner_id,
        NoticeKind::AccessRequest,
        data,
        now,
    )
    .await?;
    let stored = ferry_store::access_requests::get(&mut tx, &id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(stored)
}

/// A folder's access requests, oldest first, for whoever may share it; `status` narrows them.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    folder_id: &str,
    status: Option<&str>,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<AccessRequest>> {
    if let Some(s) = status
        && !matches!(s, "pending" | "approved" | "denied")
    {
        return Err(Error::invalid(
            "status",
            "invalid_query",
            "status is pending, approved or denied.",
        ));
    }
    let folder = access::access_requests_folder(app, caller, folder_id).await?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::access_requests::on_folder(
        &mut conn,
        &folder.id,
        status,
        after.as_ref().map(|(t, i)| (*t, i.as_str())),
        limit + 1,
    )
    .await?)
}

/// Approves a pending request with `role` (default: the role asked for; a manager gives at
/// most `editor`), sharing the folder with the member, mounted in their root under its name
/// (numbered when taken); or denies it. Either way the member hears of it. A request answered
/// already, or a member who meanwhile holds an accepted share, is `409 conflict`.
pub async fn decide(
    app: &AppState,
    caller: &Caller,
    id: &str,
    approve: bool,
    role: Option<&str>,
) -> Result<AccessRequest> {
    let decider = caller.user_ref().ok_or(Error::Unauthorized)?;
    let (request, folder) = access::decidable_access_request(app, caller, id).await?;
    let asked = sharing::role(&request.role)?;
    let role = role.map(sharing::role).transpose()?.unwrap_or(asked);
    if approve {
        access::may_grant(caller, &folder, role)?;
    }
    let now = app.now_ms();
    let status = if approve { "approved" } else { "denied" };
    let mut tx = app.store.begin().await?;
    let claimed =
        ferry_store::access_requests::decide(&mut tx, id, status, role.as_str(), &decider.id, now)
            .await?;
    if !claimed {
        return Err(Error::Conflict("This request was answered already.".into()));
    }
    if approve {
        grant(app, &mut tx, caller, &request, role, now).await?;
    }
    let action = if approve {
        Action::ShareAccessApproved
    } else {
        Action::ShareAccessDenied
    };
    audit::success(
        &caller.origin,
        Some(decider),
        action,
        (TargetKind::Folder, &folder.id),
    )
    .at(now)
    .in_folder(&folder.id)
    .details(json!({"request_id": id, "user_id": request.user_id, "role": role.as_str()}))
    .append(&mut tx)
    .await?;
    let data = json!({"request_id": id, "folder_id": folder.id, "folder_name": folder.name,
        "status": status, "role": role.as_str(),
        "by": {"id": decider.id, "login": decider.login}});
    notices::notify(
        &mut tx,
        &request.user_id,
        NoticeKind::AccessRequestDecided,
        data,
        now,
    )
    .await?;
    let decided = ferry_store::access_requests::get(&mut tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(decided)
}

/// Shares the requested folder with the member who asked, accepted and mounted: a pending
/// or declined invitation of theirs gives way to it; an accepted share is a conflict.
async fn grant(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    caller: &Caller,
    request: &AccessRequest,
    role: FolderRole,
    now: i64,
) -> Result<()> {
    let decider = caller.user_ref().ok_or(Error::Unauthorized)?;
    let existing = collaborations::find(
        tx,
        &request.folder_id,
        PrincipalType::User,
        &request.user_id,
    )
    .await?;
    if let Some(existing) = existing {
        if existing.status == Status::Accepted {
            return Err(Error::Conflict(format!(
                "{} is a collaborator here already ({}); change the role instead.",
                request.user_login,
                existing.role().as_str()
            )));
        }
        collaborations::delete(tx, &existing.id).await?;
    }
    let share_id = IdKind::Share.generate();
    collaborations::insert(
        tx,
        &NewCollaboration {
            id: &share_id,
            folder_id: &request.folder_id,
            principal_type: PrincipalType::User,
            user_id: Some(&request.user_id),
            group_id: None,
            email: None,
            role,
            status: Status::Pending,
            message: &request.message,
            invited_by: Some((&decider.id, &decider.login)),
            expires_at: None,
            now,
        },
    )
    .await?;
    let name = sharing::free_mount_name(
        tx,
        &request.user_id,
        &request.folder_name,
        OnConflict::Rename,
    )
    .await?;
    collaborations::accept(tx, &share_id, &request.user_id, &name, now).await?;
    let granted = collaborations::get(tx, &share_id)
        .await?
        .ok_or(Error::NotFound)?;
    sharing::record(app, tx, caller, &granted, None, Some(role), "granted").await?;
    Ok(())
}
