//! Access tokens: a login's session, named API tokens and devices' permanent tokens. Only the
//! SHA-256 of a token is stored; the token itself is shown once.

use ferry_core::{TokenId, UserId};
use ferry_core::{TokenKind, TokenScopes};

use crate::users::User;
use crate::{Conn, Result};

/// The columns of a [`Token`], for every query that reads one.
const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.kind, t.name, t.scopes, t.folder_id, \
     t.created_at, t.expires_at, t.revoked_at, t.last_used_at, t.last_used_ip, t.wiped_at, \
     t.wipe_confirmed_at, t.impersonator_id";

/// A stored token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Token {
    #[sqlx(try_from = "String")]
    pub id: TokenId,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub kind: TokenKind,
    pub name: Option<String>,
    #[sqlx(try_from = "String")]
    pub scopes: TokenScopes,
    /// The folder the token is restricted to, with everything below it.
    pub folder_id: Option<String>,
    pub created_at: i64,
    /// `None`: until revoked.
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    /// When a remote wipe was ordered; the device learns it on its next request.
    pub wiped_at: Option<i64>,
    /// When the device confirmed the wipe (the token is revoked then).
    pub wipe_confirmed_at: Option<i64>,
    /// The admin who opened this session as its user (support), if one did.
    pub impersonator_id: Option<String>,
}

impl Token {
    /// Whether the token has expired at `now`.
    pub fn is_expired_at(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// What a new token is.
pub struct NewToken<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub user_id: &'a str,
    pub kind: TokenKind,
    pub name: Option<&'a str>,
    pub scopes: TokenScopes,
    pub folder_id: Option<&'a str>,
    pub expires_at: Option<i64>,
}

pub async fn insert(conn: &mut Conn, token: &NewToken<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO tokens (id, token_hash, user_id, kind, name, scopes, folder_id, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(token.id)
    .bind(token.token_hash)
    .bind(token.user_id)
    .bind(token.kind.as_str())
    .bind(token.name)
    .bind(token.scopes.to_stored())
    .bind(token.folder_id)
    .bind(now)
    .bind(token.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a new session as opened by `admin_id` acting as its user.
pub async fn set_impersonator(conn: &mut Conn, token_id: &str, admin_id: &str) -> Result<()> {
    sqlx::query("UPDATE tokens SET impersonator_id = $2 WHERE id = $1")
        .bind(token_id)
        .bind(admin_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A token row joined with its user: every authenticated request not answered from the token
/// cache runs this one query.
#[derive(sqlx::FromRow)]
struct TokenWithUser {
    #[sqlx(flatten)]
    token: TokenRow,
    #[sqlx(flatten)]
    user: User,
}

/// A [`Token`] under column aliases that do not collide with the user's.
#[derive(sqlx::FromRow)]
struct TokenRow {
    token_id: String,
    #[sqlx(try_from = "String")]
    token_kind: TokenKind,
    token_name: Option<String>,
    #[sqlx(try_from = "String")]
    token_scopes: TokenScopes,
    token_folder_id: Option<String>,
    token_created_at: i64,
    token_expires_at: Option<i64>,
    token_revoked_at: Option<i64>,
    token_last_used_at: Option<i64>,
    token_last_used_ip: Option<String>,
    token_wiped_at: Option<i64>,
    token_wipe_confirmed_at: Option<i64>,
    token_impersonator_id: Option<String>,
}

/// The token with this hash and its user, in one query. The lookup is by an indexed hash of
/// a 256-bit random value, so timing reveals nothing useful about other tokens.
pub async fn find(conn: &mut Conn, token_hash: &str) -> Result<Option<(Token, User)>> {
    let row: Option<TokenWithUser> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.id AS token_id, t.kind AS token_kind, t.name AS token_name, \
         t.scopes AS token_scopes, t.folder_id AS token_folder_id, \
         t.created_at AS token_created_at, t.expires_at AS token_expires_at, \
         t.revoked_at AS token_revoked_at, t.last_used_at AS token_last_used_at, \
         t.last_used_ip AS token_last_used_ip, t.wiped_at AS token_wiped_at, \
         t.wipe_confirmed_at AS token_wipe_confirmed_at, \
         t.impersonator_id AS token_impersonator_id, \
         {} \
         FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        crate::users::columns("u")
    )))
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        let t = r.token;
        let token = Token {
            id: t.token_id.into(),
            user_id: r.user.id.clone(),
            kind: t.token_kind,
            name: t.token_name,
            scopes: t.token_scopes,
            folder_id: t.token_folder_id,
            created_at: t.token_created_at,
            expires_at: t.token_expires_at,
            revoked_at: t.token_revoked_at,
            last_used_at: t.token_last_used_at,
            last_used_ip: t.token_last_used_ip,
            wiped_at: t.token_wiped_at,
            wipe_confirmed_at: t.token_wipe_confirmed_at,
            impersonator_id: t.token_impersonator_id,
        };
        (token, r.user)
    }))
}

/// One token by id.
pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Token>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A user's tokens that still work at `now` or wait for a wipe to be confirmed, oldest first.
pub async fn list_for_user(conn: &mut Conn, user_id: &str, now: i64) -> Result<Vec<Token>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.user_id = $1 AND t.revoked_at IS NULL \
         AND (t.expires_at IS NULL OR t.expires_at > $2) ORDER BY t.created_at, t.id"
    )))
    .bind(user_id)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Records a token's use (the token cache calls it at most once a minute per token).
pub async fn touch(conn: &mut Conn, id: &str, now: i64, ip: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE tokens SET last_used_at = $2, last_used_ip = $3 WHERE id = $1")
        .bind(id)
        .bind(now)
        .bind(ip)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn revoke(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Orders a remote wipe: the device's next request learns it. Returns false if the token was
/// revoked already.
pub async fn wipe(conn: &mut Conn, id: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE tokens SET wiped_at = COALESCE(wiped_at, $2) WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// The device confirmed its wipe: the token is done.
pub async fn confirm_wipe(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE tokens SET wipe_confirmed_at = $2, revoked_at = COALESCE(revoked_at, $2) \
         WHERE id = $1 AND wiped_at IS NOT NULL",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes tokens that expired before `cutoff` (tokens that never expire stay until revoked;
/// revoked ones stay as long as the sessions they ended would have, for the record).
pub async fn delete_expired(conn: &mut Conn, cutoff: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM tokens WHERE expires_at < $1 OR revoked_at < $1")
            .bind(cutoff)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Revokes every live token of a user but `keep` (the session that changed the password);
/// returns how many were revoked.
pub async fn revoke_others(
    conn: &mut Conn,
    user_id: &str,
    keep: Option<&str>,
    now: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL \
         AND ($3 IS NULL OR id <> $3)",
    )
    .bind(user_id)
    .bind(now)
    .bind(keep)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Revokes every live token of a user (a password reset or a disabled account ends every
/// session); returns how many were revoked.
pub async fn revoke_all_for_user(conn: &mut Conn, user_id: &str, now: i64) -> Result<u64> {
    Ok(
        sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user_id)
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
