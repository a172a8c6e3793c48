//! Rate-limit buckets shared by the nodes of an installation (migration 0046): the generic
//! cell rate algorithm (GCRA), one theoretical arrival time (`tat`) per bucket, taken in one
//! atomic upsert so that concurrent requests on any node are counted exactly once.

use crate::{Conn, Result};

/// A bucket's rule: one request per `interval_ms` on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub interval_ms: i64,
    pub burst: i64,
}

impl Rule {
    /// `per_minute` requests a minute, all of them at once if the bucket is full.
    pub fn per_minute(per_minute: u32) -> Rule {
        let per_minute = i64::from(per_minute.max(1));
        Rule {
            interval_ms: (60_000 / per_minute).max(1),
            burst: per_minute,
        }
    }

    /// How far ahead of now the arrival time may be before a request is refused.
    fn tolerance_ms(&self) -> i64 {
        self.interval_ms * (self.burst - 1)
    }
}

/// What taking from a bucket found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub allowed: bool,
    /// Requests that would still pass now.
    pub remaining: i64,
    /// Milliseconds until the bucket is full again; when refused, until a request passes.
    pub wait_ms: i64,
}

/// Takes one request from bucket `(scope, bucket)` at `now`. `nonce` must be unique to this
/// request: the row keeps the nonce of the last request it let through, which is how this one
/// learns whether it was (the upsert returns the row as it is after the write).
pub async fn take(
    conn: &mut Conn,
    scope: &str,
    bucket: &str,
    rule: Rule,
    now: i64,
    nonce: &str,
) -> Result<Taken> {
    // `start` is when the bucket's next request would be counted: its arrival time, or now if
    // that is past. A request passes when `start` is at most `tolerance` ahead of now.
    let (tat, granted): (i64, String) = sqlx::query_as(
        "INSERT INTO rate_buckets (scope, bucket, tat, granted) VALUES ($1, $2, $3 + $4, $6) \
         ON CONFLICT (scope, bucket) DO UPDATE SET \
         tat = CASE WHEN (CASE WHEN rate_buckets.tat > $3 THEN rate_buckets.tat ELSE $3 END) \
                    - $3 <= $5 \
               THEN (CASE WHEN rate_buckets.tat > $3 THEN rate_buckets.tat ELSE $3 END) + $4 \
               ELSE rate_buckets.tat END, \
         granted = CASE WHEN (CASE WHEN rate_buckets.tat > $3 THEN rate_buckets.tat ELSE $3 END) \
                    - $3 <= $5 \
               THEN $6 ELSE rate_buckets.granted END \
         RETURNING tat, granted",
    )
    .bind(scope)
    .bind(bucket)
    .bind(now)
    .bind(rule.interval_ms)
    .bind(rule.tolerance_ms())
    .bind(nonce)
    .fetch_one(conn)
    .await?;
    let ahead = tat - now;
    Ok(if granted == nonce {
        Taken {
            allowed: true,
            remaining: (rule.burst - (ahead + rule.interval_ms - 1) / rule.interval_ms).max(0),
            wait_ms: ahead,
        }
    } else {
        Taken {
            allowed: false,
            remaining: 0,
            wait_ms: (ahead - rule.tolerance_ms()).max(1),
        }
    })
}

/// Deletes the buckets that are full again at `now` (their arrival time has passed): taking
/// from them would start afresh anyway.
pub async fn forget_full(conn: &mut Conn, now: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM rate_buckets WHERE tat < $1")
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected())
}
