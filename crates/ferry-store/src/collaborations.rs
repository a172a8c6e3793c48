//! Collaborations: a role on a folder for a user, a group or an e-mail address (migration
//! 0013). A role holds for the folder and everything below it; the access policy in ferry-app
//! takes the highest one along the path ([`grants_on`] the folders of the path).

use ferry_core::FolderRole;
use ferry_core::validate::name_key;
use ferry_core::{FolderId, ShareId, UserId};

use crate::{Conn, Result};

/// Who a collaboration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    User,
    Group,
    Email,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "user",
            PrincipalType::Group => "group",
            PrincipalType::Email => "email",
        }
    }
}

impl TryFrom<String> for PrincipalType {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, String> {
        match s.as_str() {
            "user" => Ok(PrincipalType::User),
            "group" => Ok(PrincipalType::Group),
            "email" => Ok(PrincipalType::Email),
            _ => Err(format!("unknown principal type `{s}`")),
        }
    }
}

/// Where an invitation stands. Group shares are accepted when made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Accepted,
    Declined,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Accepted => "accepted",
            Status::Declined => "declined",
        }
    }
}

impl TryFrom<String> for Status {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, String> {
        match s.as_str() {
            "pending" => Ok(Status::Pending),
            "accepted" => Ok(Status::Accepted),
            "declined" => Ok(Status::Declined),
            _ => Err(format!("unknown collaboration status `{s}`")),
        }
    }
}

pub(crate) fn role_of(s: &str) -> Option<FolderRole> {
    FolderRole::parse(s)
}

/// A stored collaboration, with the names of its principal and folder.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Collaboration {
    #[sqlx(try_from = "String")]
    pub id: ShareId,
    #[sqlx(try_from = "String")]
    pub folder_id: FolderId,
    pub folder_name: String,
    /// The folder's owner (who manages the share along with its managers).
    #[sqlx(try_from = "String")]
    pub owner_id: UserId,
    #[sqlx(try_from = "String")]
    pub principal_type: PrincipalType,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub email: Option<String>,
    /// The user's login, the group's name or the address.
    pub principal_name: String,
    role: String,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub mount_name: Option<String>,
    pub message: String,
    pub invited_by_id: Option<String>,
    pub invited_by_login: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: Option<i64>,
}

impl Collaboration {
    pub fn role(&self) -> FolderRole {
        role_of(&self.role).unwrap_or(FolderRole::Viewer)
    }

    /// Whether it is an invitation still open at `now`.
    pub fn is_pending_at(&self, now: i64) -> bool {
        self.status == Status::Pending && self.expires_at.is_none_or(|at| at > now)
    }

    /// Whether it still grants anything at `now`.
    pub fn is_active(&self, now: i64) -> bool {
        self.status == Status::Accepted && self.expires_at.is_none_or(|at| at > now)
    }
}

const SELECT: &str = "SELECT c.id, c.folder_id, f.name AS folder_name, f.owner_id, \
    c.principal_type, c.user_id, c.group_id, c.email, \
    COALESCE(u.login, g.name, c.email, '') AS principal_name, c.role, c.status, c.mount_name, \
    c.message, c.invited_by_id, c.invited_by_login, c.created_at, c.updated_at, c.expires_at \
    FROM collaborations c JOIN folders f ON f.id = c.folder_id \
    LEFT JOIN users u ON u.id = c.user_id LEFT JOIN groups g ON g.id = c.group_id";

/// A new collaboration.
pub struct NewCollaboration<'a> {
    pub id: &'a str,
    pub folder_id: &'a str,
    pub principal_type: PrincipalType,
    pub user_id: Option<&'a str>,
    pub group_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub role: FolderRole,
    pub status: Status,
    pub message: &'a str,
    pub invited_by: Option<(&'a str, &'a str)>,
    pub expires_at: Option<i64>,
    pub now: i64,
}

pub async fn insert(conn: &mut Conn, new: &NewCollaboration<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO collaborations (id, folder_id, principal_type, user_id, group_id, email, \
         role, status, message, invited_by_id, invited_by_login, created_at, updated_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)",
    )
    .bind(new.id)
    .bind(new.folder_id)
    .bind(new.principal_type.as_str())
    .bind(new.user_id)
    .bind(new.group_id)
    .bind(new.email)
    .bind(new.role.as_str())
    .bind(new.status.as_str())
    .bind(new.message)
    .bind(new.invited_by.map(|(id, _)| id))
    .bind(new.invited_by.map(|(_, login)| login))
    .bind(new.now)
    .bind(new.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Collaboration>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The collaboration on `folder_id` for exactly this principal, if there is one (declined
/// ones included: a new invitation replaces it).
pub async fn find(
    conn: &mut Conn,
    folder_id: &str,
    principal_type: PrincipalType,
    key: &str,
) -> Result<Option<Collaboration>> {
    let column = match principal_type {
        PrincipalType::User => "c.user_id",
        PrincipalType::Group => "c.group_id",
        PrincipalType::Email => "c.email",
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.folder_id = $1 AND c.principal_type = $2 AND {column} = $3"
    )))
    .bind(folder_id)
    .bind(principal_type.as_str())
    .bind(key)
    .fetch_optional(conn)
    .await?)
}

/// A folder's collaborations, oldest first after the `(created_at, id)` cursor.
pub async fn on_folder(
    conn: &mut Conn,
    folder_id: &str,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Collaboration>> {
    let (at, id) = after.unwrap_or((i64::MIN, ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.folder_id = $1 AND (c.created_at, c.id) > ($2, $3) \
         ORDER BY c.created_at, c.id LIMIT $4"
    )))
    .bind(folder_id)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A user's pending invitations (to them, or to their login as an e-mail address), oldest
/// first after the cursor.
pub async fn invitations(
    conn: &mut Conn,
    user_id: &str,
    login: &str,
    now: i64,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Collaboration>> {
    let (at, id) = after.unwrap_or((i64::MIN, ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.status = 'pending' AND f.trash_id IS NULL \
         AND (c.user_id = $1 OR (c.principal_type = 'email' AND lower(c.email) = lower($2))) \
         AND (c.expires_at IS NULL OR c.expires_at > $3) \
         AND (c.created_at, c.id) > ($4, $5) ORDER BY c.created_at, c.id LIMIT $6"
    )))
    .bind(user_id)
    .bind(login)
    .bind(now)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The user's accepted, unexpired shares mounted in their root (their own, and their
/// groups'), by mount name.
pub async fn mounts(conn: &mut Conn, user_id: &str, now: i64) -> Result<Vec<Collaboration>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.status = 'accepted' AND f.trash_id IS NULL \
         AND (c.expires_at IS NULL OR c.expires_at > $2) \
         AND (c.user_id = $1 OR c.group_id IN \
              (SELECT group_id FROM group_members WHERE user_id = $1)) \
         ORDER BY COALESCE(c.mount_key, lower(f.name)), c.id"
    )))
    .bind(user_id)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// The folders below which `user_id` may read (accepted, unexpired shares with a role that
/// reads: not `uploader`): the roots of what search finds for them besides their own.
pub async fn readable_roots(conn: &mut Conn, user_id: &str, now: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT c.folder_id FROM collaborations c \
         WHERE c.status = 'accepted' AND c.role <> 'uploader' \
         AND (c.expires_at IS NULL OR c.expires_at > $2) \
         AND (c.user_id = $1 OR c.group_id IN \
              (SELECT group_id FROM group_members WHERE user_id = $1))",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Changes the role (and expiry, when given); false if it is gone.
pub async fn set_role(
    conn: &mut Conn,
    id: &str,
    role: FolderRole,
    expires_at: Option<Option<i64>>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE collaborations SET role = $2, updated_at = $3, \
         expires_at = CASE WHEN $4 = 1 THEN $5 ELSE expires_at END WHERE id = $1",
    )
    .bind(id)
    .bind(role.as_str())
    .bind(now)
    .bind(i64::from(expires_at.is_some()))
    .bind(expires_at.flatten())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Accepts a pending invitation for `user_id` under `mount_name` (unique in their root:
/// [`crate::StoreError::Conflict`] otherwise); false if it is no longer pending.
pub async fn accept(
    conn: &mut Conn,
    id: &str,
    user_id: &str,
    mount_name: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE collaborations SET status = 'accepted', principal_type = \
         CASE WHEN principal_type = 'email' THEN 'user' ELSE principal_type END, \
         user_id = $2, mount_name = $3, mount_key = $4, updated_at = $5 \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(user_id)
    .bind(mount_name)
    .bind(name_key(mount_name))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Declines a pending invitation; false if it is no longer pending.
pub async fn decline(conn: &mut Conn, id: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE collaborations SET status = 'declined', updated_at = $2 \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(conn: &mut Conn, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM collaborations WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `mount_key` is taken in `user_id`'s root by a mounted share.
pub async fn mount_taken(conn: &mut Conn, user_id: &str, name: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM collaborations WHERE user_id = $1 AND mount_key = $2",
    )
    .bind(user_id)
    .bind(name_key(name))
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Of the folders `ids`, those shared with `user_id` (directly or through a group) by an
/// accepted share, with the name each is mounted under in their root.
pub async fn mount_names(
    conn: &mut Conn,
    user_id: &str,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let list = crate::dialect::Placeholders::starting_at(2).list(ids.len());
    let sql = format!(
        "SELECT c.folder_id, COALESCE(c.mount_name, f.name) FROM collaborations c \
         JOIN folders f ON f.id = c.folder_id WHERE c.status = 'accepted' \
         AND (c.user_id = $1 OR c.group_id IN \
              (SELECT group_id FROM group_members WHERE user_id = $1)) \
         AND c.folder_id IN ({list})"
    );
    let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)).bind(user_id);
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}

/// Whether the group exists.
pub async fn group_exists(conn: &mut Conn, id: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM groups WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// A role shared with a user on one folder, and where they mounted it.
#[derive(Debug, Clone)]
pub struct Grant {
    pub folder_id: String,
    pub role: FolderRole,
    /// The mount name, or the folder's own name for a group's share.
    pub mount_name: String,
}

/// The chain down to `folder_id` (top-level folder first, as
/// [`crate::folders::ancestry`] reads it) with the shares `user_id` holds along it (as
/// [`grants_on`] finds them), in one statement: what deciding a collaborator's role and
/// showing the folder's path need.
///
/// The statement answers with one row, the chain as a JSON array (one element per folder and
/// share), not a row per folder: every row costs the driver a hop between threads and a copy of
/// each value, several times what SQLite spends finding it (20 levels: about 140 us of a
/// request's CPU as rows, against about 55 us for the statement itself).
///
/// It also reads the tree's generation (see [`tree_generation`]) in the same statement, so
/// that a node may keep the chain while the generation stays the same.
pub async fn chain_with_grants(
    conn: &mut Conn,
    folder_id: &str,
    max_depth: usize,
    user_id: &str,
    now: i64,
) -> Result<ChainWithGrants> {
    /// One element of the array: a folder's columns, one share on it (or none), its depth.
    #[derive(serde::Deserialize)]
    struct Link(
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        String,
        i64,
        i64,
        Option<String>,
        Option<i64>,
        i64,
        i64,
        Option<i64>,
        Option<String>,
        Option<String>,
        i64,
    );
    let element = "f.id, f.owner_id, u.login, f.parent_id, f.name, f.description, f.visibility, \
                   f.retention_days, f.revision, f.trash_id, f.expires_at, f.created_at, \
                   f.updated_at, f.size_limit_bytes, g.role, COALESCE(g.mount_name, f.name), c.depth";
    let array = if crate::dialect::is_postgres(conn) {
        format!("CAST(json_agg(json_build_array({element})) AS TEXT)")
    } else {
        format!("json_group_array(json_array({element}))")
    };
    let sql = format!(
        "{chain} SELECT {array}, (SELECT generation FROM folder_tree_generation) \
         FROM chain c JOIN folders f ON f.id = c.id JOIN users u ON u.id = f.owner_id \
         LEFT JOIN collaborations g ON g.folder_id = f.id AND g.status = 'accepted' \
           AND (g.expires_at IS NULL OR g.expires_at > $4) \
           AND (g.user_id = $3 OR g.group_id IN \
                (SELECT group_id FROM group_members WHERE user_id = $3))",
        chain = crate::folders::CHAIN_CTE,
    );
    let (json, generation): (Option<String>, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(folder_id)
        .bind(max_depth as i64)
        .bind(user_id)
        .bind(now)
        .fetch_one(conn)
        .await?;
    let mut links: Vec<Link> = match json {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| crate::StoreError::Corrupt(format!("folder chain: {e}")))?,
        // PostgreSQL aggregates no rows (no such folder) to NULL.
        None => Vec::new(),
    };
    // Top-level folder first; a folder with several shares comes once per share, and a stable
    // sort keeps them next to each other.
    links.sort_by_key(|l| std::cmp::Reverse(l.16));
    let mut chain: Vec<crate::folders::Folder> = Vec::with_capacity(links.len());
    let mut grants = Vec::new();
    for l in links {
        let folder = crate::folders::Folder {
            id: l.0.into(),
            owner_id: l.1.into(),
            owner_login: l.2,
            parent_id: l.3,
            name: l.4,
            description: l.5,
            visibility: l.6,
            retention_days: l.7,
            revision: l.8,
            trash_id: l.9,
            expires_at: l.10,
            created_at: l.11,
            updated_at: l.12,
            size_limit_bytes: l.13,
        };
        if let (Some(role), Some(mount_name)) = (l.14, l.15)
            && let Some(role) = role_of(&role)
        {
            grants.push(Grant {
                folder_id: folder.id.to_string(),
                role,
                mount_name,
            });
        }
        if chain.last().is_none_or(|f| f.id != folder.id) {
            chain.push(folder);
        }
    }
    Ok(ChainWithGrants {
        chain,
        grants,
        generation,
    })
}

/// What [`chain_with_grants`] reads.
pub struct ChainWithGrants {
    /// The folder and its ancestors, top-level folder first.
    pub chain: Vec<crate::folders::Folder>,
    /// The caller's shares along the chain.
    pub grants: Vec<Grant>,
    /// The tree's generation when the chain was read.
    pub generation: i64,
}

/// One folder's live row, the shares `user_id` holds (directly or through a group) on any of
/// `chain_ids` (the folder's ancestors as a node keeps them, and itself), and the tree's
/// generation, in one statement of one indexed row lookup per id: the chain a node keeps is
/// the folder's current chain exactly when the generation is the one it was read at (every
/// change to the tree's shape, names or owners bumps it, see migration 0049). Shares and group
/// memberships are read here, never kept. A share's mount name is `None` when it has none of
/// its own (the shared folder's name, which the caller knows from the chain).
pub async fn folder_with_grants(
    conn: &mut Conn,
    id: &str,
    chain_ids: &[&str],
    user_id: &str,
    now: i64,
) -> Result<Option<FolderWithGrants>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        folder: crate::folders::Folder,
        generation: i64,
        grant_folder: Option<String>,
        grant_role: Option<String>,
        grant_mount: Option<String>,
    }
    let list = crate::dialect::Placeholders::starting_at(4).list(chain_ids.len().max(1));
    let sql = format!(
        "SELECT {columns}, t.generation, g.folder_id AS grant_folder, g.role AS grant_role, \
           g.mount_name AS grant_mount \
         FROM folders f JOIN users u ON u.id = f.owner_id \
         JOIN folder_tree_generation t ON t.id = 1 \
         LEFT JOIN collaborations g ON g.folder_id IN ({list}) AND g.status = 'accepted' \
           AND (g.expires_at IS NULL OR g.expires_at > $3) \
           AND (g.user_id = $2 OR g.group_id IN \
                (SELECT group_id FROM group_members WHERE user_id = $2)) \
         WHERE f.id = $1",
        columns = crate::folders::COLUMNS
    );
    let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(user_id)
        .bind(now);
    if chain_ids.is_empty() {
        query = query.bind(id);
    }
    for chain_id in chain_ids {
        query = query.bind(*chain_id);
    }
    let mut found: Option<FolderWithGrants> = None;
    for row in query.fetch_all(conn).await? {
        let entry = found.get_or_insert_with(|| FolderWithGrants {
            folder: row.folder,
            generation: row.generation,
            grants: Vec::new(),
        });
        if let (Some(folder_id), Some(role)) = (row.grant_folder, row.grant_role)
            && let Some(role) = role_of(&role)
        {
            entry.grants.push((folder_id, role, row.grant_mount));
        }
    }
    Ok(found)
}

/// What [`folder_with_grants`] reads.
pub struct FolderWithGrants {
    pub folder: crate::folders::Folder,
    pub generation: i64,
    /// Shares on the chain: the shared folder's id, the role, its own mount name if any.
    pub grants: Vec<(String, FolderRole, Option<String>)>,
}

/// The accepted, unexpired shares `user_id` holds (directly or through a group) on any of the
/// folders `ids`: one indexed query for a whole chain.
pub async fn grants_on(
    conn: &mut Conn,
    user_id: &str,
    ids: &[&str],
    now: i64,
) -> Result<Vec<Grant>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = crate::dialect::Placeholders::starting_at(3).list(ids.len());
    let sql = format!(
        "SELECT c.folder_id, c.role, COALESCE(c.mount_name, f.name) FROM collaborations c \
         JOIN folders f ON f.id = c.folder_id WHERE c.folder_id IN ({list}) \
         AND c.status = 'accepted' AND (c.expires_at IS NULL OR c.expires_at > $2) \
         AND (c.user_id = $1 OR c.group_id IN \
              (SELECT group_id FROM group_members WHERE user_id = $1))"
    );
    let mut query = sqlx::query_as::<_, (String, String, String)>(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(now);
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query
        .fetch_all(conn)
        .await?
        .into_iter()
        .filter_map(|(folder_id, role, mount_name)| {
            Some(Grant {
                folder_id,
                role: role_of(&role)?,
                mount_name,
            })
        })
        .collect())
}
