//! Extra logins of an account (migration 0034). An extra login logs in like the account's own
//! (see [`crate::users::by_login`]); logins are unique across users, extra or not, in any
//! case (`lower()`, as the users' own unique index).

use crate::{Conn, Result};
use ferry_core::UserId;

/// An extra login.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExtraLogin {
    pub login: String,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    pub created_at: i64,
}

/// Serialises everything that claims a login (new accounts, extra logins) until the
/// transaction ends, so that two claims of one login cannot both see it free.
pub async fn lock_namespace(conn: &mut Conn) -> Result<()> {
    crate::dialect::lock_until_commit(conn, "logins").await
}

/// Whether `login` is an account's login or an extra login, in any case. Call it after
/// [`lock_namespace`] in the transaction that claims the login.
pub async fn taken(conn: &mut Conn, login: &str) -> Result<bool> {
    let found: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM users WHERE lower(login) = lower($1)) + \
         (SELECT COUNT(*) FROM user_logins WHERE login_key = lower($1))",
    )
    .bind(login)
    .fetch_one(conn)
    .await?;
    Ok(found > 0)
}

/// The extra logins of `user_id`, oldest first.
pub async fn of_user(conn: &mut Conn, user_id: &str) -> Result<Vec<ExtraLogin>> {
    Ok(sqlx::query_as(
        "SELECT login, user_id, created_at FROM user_logins WHERE user_id = $1 \
         ORDER BY created_at, login",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// Adds an extra login (checked free with [`taken`] under [`lock_namespace`]).
pub async fn add(conn: &mut Conn, user_id: &str, login: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_logins (login_key, login, user_id, created_at) \
         VALUES (lower($1), $1, $2, $3)",
    )
    .bind(login)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes an extra login of `user_id` (in any case); the login as it was written, or `None`
/// if the account has no such extra login.
pub async fn remove(conn: &mut Conn, user_id: &str, login: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "DELETE FROM user_logins WHERE login_key = lower($1) AND user_id = $2 RETURNING login",
    )
    .bind(login)
    .bind(user_id)
    .fetch_optional(conn)
    .await?)
}
