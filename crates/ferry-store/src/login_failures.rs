//! Failed logins per (account, client address) (migration 0030): what locks one address out
//! of one account.

use crate::{Conn, Result};

/// Counts a failed login from `address`, locking that address out until `lock_until` when the
/// count reaches `max` (a lock that has ended starts a fresh count). Returns whether this
/// failure locked it.
pub async fn record(
    conn: &mut Conn,
    user_id: &str,
    address: &str,
    max: i64,
    lock_until: i64,
    now: i64,
) -> Result<bool> {
    sqlx::query(
        "DELETE FROM login_failures WHERE user_id = $1 AND address = $2 \
         AND locked_until IS NOT NULL AND locked_until <= $3",
    )
    .bind(user_id)
    .bind(address)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let (failures, locked_until): (i64, Option<i64>) = sqlx::query_as(
        "INSERT INTO login_failures (user_id, address, failures, locked_until, updated_at) \
         VALUES ($1, $2, 1, CASE WHEN 1 >= $3 THEN $4 END, $5) \
         ON CONFLICT (user_id, address) DO UPDATE SET \
         failures = login_failures.failures + 1, \
         locked_until = CASE WHEN login_failures.failures + 1 >= $3 THEN $4 \
                        ELSE login_failures.locked_until END, \
         updated_at = $5 \
         RETURNING failures, locked_until",
    )
    .bind(user_id)
    .bind(address)
    .bind(max)
    .bind(lock_until)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(failures >= max && locked_until == Some(lock_until))
}

/// Until when `address` is locked out of the account, if it is at `now`.
pub async fn locked_until(
    conn: &mut Conn,
    user_id: &str,
    address: &str,
    now: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT locked_until FROM login_failures \
         WHERE user_id = $1 AND address = $2 AND locked_until > $3",
    )
    .bind(user_id)
    .bind(address)
    .bind(now)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// Forgets the failures of one address (it logged in).
pub async fn clear(conn: &mut Conn, user_id: &str, address: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE user_id = $1 AND address = $2")
        .bind(user_id)
        .bind(address)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets the failures of every address (an admin unlocked the account).
pub async fn clear_all(conn: &mut Conn, user_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets counts that no lock holds and that nothing added to since `before`.
pub async fn forget_stale(conn: &mut Conn, before: i64, now: i64) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM login_failures WHERE updated_at < $1 \
         AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(before)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}
