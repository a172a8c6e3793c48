//! Groups of users: creating, listing, renaming and deleting them, and their members. Who may
//! do what is decided in [`access`] (system admins manage groups; a user sees the groups they
//! belong to). Every change is audited in its own transaction.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, validate};
use ferry_store::groups::{Group, Member, NewGroup};
use ferry_store::users::User;
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::coherence::commit_change;
use crate::error::{Error, Result};
use crate::folders::checked_description;
use crate::state::AppState;

/// A group with its number of members.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    pub group: Group,
    pub member_count: i64,
}

/// Changes to a group; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct GroupPatch<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
}

fn name_taken(name: &str) -> Error {
    Error::NameConflict(format!("A group named `{name}` already exists."))
}

/// A unique violation on a group's name is a name conflict; anything else passes through.
fn on_conflict(e: ferry_store::StoreError, name: &str) -> Error {
    match e {
        ferry_store::StoreError::Conflict => name_taken(name),
        other => other.into(),
    }
}

async fn info(conn: &mut ferry_store::Conn, group: Group) -> Result<GroupInfo> {
    let member_count = ferry_store::groups::member_count(conn, &group.id).await?;
    Ok(GroupInfo {
        group,
        member_count,
    })
}

/// Creates a group (admins). A name taken in any case is `NameConflict`.
pub async fn create(
    app: &AppState,
    caller: &Caller,
    name: &str,
    description: Option<&str>,
) -> Result<GroupInfo> {
    if !access::may_manage_groups(caller) {
        return Err(Error::Forbidden);
    }
    let company_id = access::company_of_new_group(caller)?;
    let name = validate::stored_name("name", name)?;
    let description = checked_description(description)?.unwrap_or("");
    let id = IdKind::Group.generate();
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    if ferry_store::groups::by_name(&mut tx, &name)
        .await?
        .is_some()
    {
        return Err(name_taken(&name));
    }
    ferry_store::groups::insert(
        &mut tx,
        &NewGroup {
            id: &id,
            name: &name,
            description,
            company_id: company_id.as_deref(),
            now,
        },
    )
    .await
    .map_err(|e| on_conflict(e, &name))?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::GroupCreated,
        (TargetKind::Group, &id),
    )
    .at(now)
    .details(json!({"name": name}))
    .append(&mut tx)
    .await?;
    let group = ferry_store::groups::get(&mut tx, &id)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("group vanished")))?;
    tx.commit().await?;
    Ok(GroupInfo {
        group,
        member_count: 0,
    })
}

/// The groups the caller sees (admins: all; company admins: their company's; others: those
/// they belong to), by name then id,
/// after the `(name_key, id)` cursor; `limit + 1` rows, so the caller can tell if more follow.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    after: Option<(String, String)>,
    limit: i64,
) -> Result<Vec<GroupInfo>> {
    let scope = access::group_scope(caller);
    let mut conn = app.store.conn().await?;
    let groups = ferry_store::groups::list_scoped(
        &mut conn,
        scope,
        after.as_ref().map(|(k, id)| (k.as_str(), id.as_str())),
        limit + 1,
    )
    .await?;
    let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    let counts = ferry_store::groups::member_counts(&mut conn, &ids).await?;
    Ok(groups
        .into_iter()
        .map(|g| GroupInfo {
            member_count: counts.get(g.id.as_str()).copied().unwrap_or(0),
            group: g,
        })
        .collect())
}

/// One group the caller sees.
pub async fn get(app: &AppState, caller: &Caller, id: &str) -> Result<GroupInfo> {
    let group = access::group(app, caller, id).await?;
    let mut conn = app.store.conn().await?;
    info(&mut conn, group).await
}

/// Renames a group and/or changes its description (admins).
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    patch: GroupPatch<'_>,
) -> Result<GroupInfo> {
    let group = access::group_to_manage(app, caller, id).await?;
    let name = patch
        .name
        .map(|n| validate::stored_name("name", n))
        .transpose()?;
    let description = checked_description(patch.description)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let before = ferry_store::groups::get_for_update(&mut tx, &group.id)
        .await?
        .ok_or(Error::NotFound)?;
    if let Some(name) = &name
        && let Some(other) = ferry_store::groups::by_name(&mut tx, name).await?
        && other.id != before.id
    {
        return Err(name_taken(name));
    }
    let updated =
        ferry_store::groups::update(&mut tx, &before.id, name.as_deref(), description, now)
            .await
            .map_err(|e| on_conflict(e, name.as_deref().unwrap_or("")))?
            .ok_or(Error::NotFound)?;
    let mut details = json!({"description": description.is_some()});
    if let Some(name) = &name
        && *name != before.name
    {
        details["from"] = json!(before.name);
        details["to"] = json!(name);
    }
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::GroupUpdated,
        (TargetKind::Group, &before.id),
    )
    .at(now)
    .details(details)
    .append(&mut tx)
    .await?;
    let out = info(&mut tx, updated).await?;
    tx.commit().await?;
    Ok(out)
}

/// Deletes a group and its memberships (admins).
pub async fn delete(app: &AppState, caller: &Caller, id: &str) -> Result<()> {
    let group = access::group_to_manage(app, caller, id).await?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let group = ferry_store::groups::get_for_update(&mut tx, &group.id)
        .await?
        .ok_or(Error::NotFound)?;
    let members = ferry_store::groups::member_count(&mut tx, &group.id).await?;
    if !ferry_store::groups::delete(&mut tx, &group.id).await? {
        return Err(Error::NotFound);
    }
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::GroupDeleted,
        (TargetKind::Group, &group.id),
    )
    .at(now)
    .details(json!({"name": group.name, "member_count": members}))
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await?;
    Ok(())
}

/// A user by id, for membership changes: an unknown user is `NotFound`.
async fn user(conn: &mut ferry_store::Conn, id: &str) -> Result<User> {
    if !IdKind::User.matches(id) {
        return Err(Error::NotFound);
    }
    ferry_store::users::get(conn, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Makes a user a member of a group (admins); adding a member again changes nothing.
pub async fn add_member(
    app: &AppState,
    caller: &Caller,
    id: &str,
    user_id: &str,
) -> Result<GroupInfo> {
    let group = access::group_to_manage(app, caller, id).await?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let group = ferry_store::groups::get_for_update(&mut tx, &group.id)
        .await?
        .ok_or(Error::NotFound)?;
    let member = user(&mut tx, user_id).await?;
    access::may_add_member(caller, &member)?;
    let group = if ferry_store::groups::add_member(&mut tx, &group.id, &member.id, now).await? {
        ferry_store::groups::touch(&mut tx, &group.id, now).await?;
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::GroupMemberAdded,
            (TargetKind::Group, &group.id),
        )
        .at(now)
        .details(json!({"user_id": member.id, "login": member.login}))
        .append(&mut tx)
        .await?;
        ferry_store::groups::get(&mut tx, &group.id)
            .await?
            .ok_or(Error::NotFound)?
    } else {
        group
    };
    let out = info(&mut tx, group).await?;
    commit_change(app, tx).await?;
    Ok(out)
}

/// Removes a member from a group (admins); a user who is not a member is `NotFound`.
pub async fn remove_member(app: &AppState, caller: &Caller, id: &str, user_id: &str) -> Result<()> {
    let group = access::group_to_manage(app, caller, id).await?;
    if !IdKind::User.matches(user_id) {
        return Err(Error::NotFound);
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let group = ferry_store::groups::get_for_update(&mut tx, &group.id)
        .await?
        .ok_or(Error::NotFound)?;
    if !ferry_store::groups::remove_member(&mut tx, &group.id, user_id).await? {
        return Err(Error::NotFound);
    }
    ferry_store::groups::touch(&mut tx, &group.id, now).await?;
    let login = ferry_store::users::get(&mut tx, user_id)
        .await?
        .map(|u| u.login);
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::GroupMemberRemoved,
        (TargetKind::Group, &group.id),
    )
    .at(now)
    .details(json!({"user_id": user_id, "login": login}))
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await?;
    Ok(())
}

/// A group's members by login then id, after the `(login, id)` cursor; `limit + 1` rows.
pub async fn members(
    app: &AppState,
    caller: &Caller,
    id: &str,
    after: Option<(String, String)>,
    limit: i64,
) -> Result<Vec<Member>> {
    let group = access::group(app, caller, id).await?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::groups::members(
        &mut conn,
        &group.id,
        after.as_ref().map(|(l, id)| (l.as_str(), id.as_str())),
        limit + 1,
    )
    .await?)
}
