//! What differs between SQLite and PostgreSQL, in one place: locks that serialise writers,
//! row claims for workers on several nodes, and numbered placeholders for dynamic SQL.
//!
//! Dynamic SQL numbers its placeholders here instead of using `sqlx::QueryBuilder`: for
//! `sqlx::Any` the builder writes `?`, which PostgreSQL does not accept, while `$N` works on
//! both backends. Values are still always bound, never formatted into the SQL.

use crate::{Conn, Result};

pub(crate) fn is_postgres(conn: &Conn) -> bool {
    conn.backend_name().eq_ignore_ascii_case("postgresql")
}

/// Holds a lock named `key` until the transaction ends. On SQLite every write transaction is
/// `BEGIN IMMEDIATE`, which already serialises writers, so there is nothing to do.
pub(crate) async fn lock_until_commit(conn: &mut Conn, key: &str) -> Result<()> {
    if is_postgres(conn) {
        // Wrapped in a subquery: Any cannot decode the `void` the lock function returns.
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS held")
            .bind(key)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Like [`lock_until_commit`], for a lock with a fixed number (the audit chain's, which
/// nodes of every version must agree on).
pub(crate) async fn lock_number_until_commit(conn: &mut Conn, key: i64) -> Result<()> {
    if is_postgres(conn) {
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS held")
            .bind(key)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The clause that lets several nodes claim rows from one queue without waiting for each
/// other (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time anyway).
pub(crate) fn skip_locked(conn: &Conn) -> &'static str {
    if is_postgres(conn) {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    }
}

/// Hands out `$1`, `$2`, … in order, for SQL built piece by piece.
#[derive(Debug, Default)]
pub(crate) struct Placeholders {
    next: usize,
}

impl Placeholders {
    /// Placeholders from `$first` on (after `first - 1` fixed ones).
    pub(crate) fn starting_at(first: usize) -> Placeholders {
        Placeholders { next: first - 1 }
    }

    /// The next placeholder.
    pub(crate) fn next(&mut self) -> String {
        self.next += 1;
        format!("${}", self.next)
    }

    /// `count` placeholders separated by commas, for an `IN (…)` list.
    pub(crate) fn list(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| self.next())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut p = Placeholders::default();
        assert_eq!(p.next(), "$1");
        assert_eq!(p.list(3), "$2, $3, $4");
        assert_eq!(p.next(), "$5");
        assert_eq!(Placeholders::default().list(0), "");
    }
}
