//! Company visibility (migration 0037): the directory of a company's folders shown to its
//! members, and the access requests members make, which a manager of the folder approves or
//! denies.

use ferry_core::{AccessRequestId, FolderId, UserId};

use crate::{Conn, Result};

/// An access request, with the names a listing shows.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessRequest {
    #[sqlx(try_from = "String")]
    pub id: AccessRequestId,
    #[sqlx(try_from = "String")]
    pub folder_id: FolderId,
    pub folder_name: String,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    pub user_login: String,
    /// The role asked for; once approved, the role granted.
    pub role: String,
    pub message: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    pub decided_by: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

const SELECT: &str = "SELECT r.id, r.folder_id, f.name AS folder_name, r.user_id, \
                      u.login AS user_login, r.role, r.message, r.status, r.decided_by, \
                      r.created_at, r.decided_at \
                      FROM access_requests r JOIN folders f ON f.id = r.folder_id \
                      JOIN users u ON u.id = r.user_id";

/// What a new request is.
pub struct NewAccessRequest<'a> {
    pub id: &'a str,
    pub folder_id: &'a str,
    pub user_id: &'a str,
    pub role: &'a str,
    pub message: &'a str,
    pub now: i64,
}

/// Stores a pending request; `StoreError::Conflict` if the user has one pending on the folder.
pub async fn insert(conn: &mut Conn, r: &NewAccessRequest<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO access_requests (id, folder_id, user_id, role, message, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
    )
    .bind(r.id)
    .bind(r.folder_id)
    .bind(r.user_id)
    .bind(r.role)
    .bind(r.message)
    .bind(r.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<AccessRequest>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// A folder's requests, oldest first after the `(created_at, id)` cursor; `status` narrows
/// them.
pub async fn on_folder(
    conn: &mut Conn,
    folder_id: &str,
    status: Option<&str>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<AccessRequest>> {
    let (at, id) = after.unwrap_or((i64::MIN, ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE r.folder_id = $1 AND (CAST($2 AS TEXT) IS NULL OR r.status = $2) \
         AND (r.created_at, r.id) > ($3, $4) ORDER BY r.created_at, r.id LIMIT $5"
    )))
    .bind(folder_id)
    .bind(status)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Decides a pending request (`approved` with the role granted, or `denied`); `false` if it
/// was decided already. The update is the claim: of two managers deciding at once, one decides.
pub async fn decide(
    conn: &mut Conn,
    id: &str,
    status: &str,
    role: &str,
    decided_by: &str,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE access_requests SET status = $2, role = $3, decided_by = $4, decided_at = $5 \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(status)
    .bind(role)
    .bind(decided_by)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A folder of the directory, with the id of the viewer's pending request on it, if any.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    #[sqlx(flatten)]
    pub folder: crate::folders::Folder,
    pub pending_request_id: Option<String>,
}

/// The directory of `company_id`: its members' live top-level folders with visibility
/// `company`, oldest first after the `(created_at, id)` cursor, with `viewer_id`'s pending
/// request on each.
pub async fn directory(
    conn: &mut Conn,
    company_id: &str,
    viewer_id: &str,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Listed>> {
    let (at, id) = after.unwrap_or((i64::MIN, ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {}, r.id AS pending_request_id FROM folders f JOIN users u ON u.id = f.owner_id \
         LEFT JOIN access_requests r ON r.folder_id = f.id AND r.user_id = $2 \
         AND r.status = 'pending' \
         WHERE f.visibility = 'company' AND f.parent_id IS NULL AND f.trash_id IS NULL \
         AND u.company_id = $1 AND (f.created_at, f.id) > ($3, $4) \
         ORDER BY f.created_at, f.id LIMIT $5",
        crate::folders::COLUMNS
    )))
    .bind(company_id)
    .bind(viewer_id)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
