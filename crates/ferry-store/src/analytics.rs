//! Usage per interval, counted from the audit log (uploads, downloads and their bytes, active
//! users): the log already holds every such event, so nothing else is written for it.

use crate::{Conn, Result, dialect};

/// What happened in one interval (`bucket` counts intervals from the start).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub bucket: i64,
    pub uploads: i64,
    pub upload_bytes: i64,
    pub downloads: i64,
    pub download_bytes: i64,
    pub active_users: i64,
}

/// Events by `company_id`'s users or in their folders; the whole log with `None`.
fn company_filter(company: Option<&str>) -> &'static str {
    match company {
        None => "",
        Some(_) => {
            " AND (actor_id IN (SELECT id FROM users WHERE company_id = $4) \
             OR folder_id IN (SELECT f.id FROM folders f JOIN users u ON u.id = f.owner_id \
             WHERE u.company_id = $4))"
        }
    }
}

/// The activity of `[from, to)` in intervals of `interval_ms`, for the intervals that had any.
pub async fn activity(
    conn: &mut Conn,
    from: i64,
    to: i64,
    interval_ms: i64,
    company: Option<&str>,
) -> Result<Vec<Activity>> {
    // A number kept in the event's JSON details, as each backend reads it.
    let postgres = dialect::is_postgres(conn);
    let field = |name: &str| {
        if postgres {
            format!("CAST(CAST(details AS jsonb)->>'{name}' AS BIGINT)")
        } else {
            format!("CAST(json_extract(details, '$.{name}') AS INTEGER)")
        }
    };
    let (size, bytes) = (field("size"), field("bytes"));
    let filter = company_filter(company);
    let downloads = "action IN ('file.downloaded', 'link.downloaded')";
    let sql = format!(
        "SELECT CAST((time - $1) / $3 AS BIGINT) AS bucket, \
         CAST(SUM(CASE WHEN action = 'upload.completed' THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN action = 'upload.completed' THEN {size} ELSE 0 END), 0) \
              AS BIGINT), \
         CAST(SUM(CASE WHEN {downloads} THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN {downloads} THEN {bytes} ELSE 0 END), 0) AS BIGINT) \
         FROM audit_events WHERE time >= $1 AND time < $2 AND outcome = 'success' \
         AND action IN ('upload.completed', 'file.downloaded', 'link.downloaded'){filter} \
         GROUP BY bucket ORDER BY bucket"
    );
    let mut q = sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(interval_ms);
    if let Some(c) = company {
        q = q.bind(c);
    }
    let counted = q.fetch_all(&mut *conn).await?;
    let sql = format!(
        "SELECT CAST((time - $1) / $3 AS BIGINT) AS bucket, COUNT(DISTINCT actor_id) \
         FROM audit_events WHERE time >= $1 AND time < $2 AND actor_id IS NOT NULL{filter} \
         GROUP BY bucket ORDER BY bucket"
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .bind(interval_ms);
    if let Some(c) = company {
        q = q.bind(c);
    }
    let active = q.fetch_all(conn).await?;
    let mut rows: Vec<Activity> = counted
        .into_iter()
        .map(
            |(bucket, uploads, upload_bytes, downloads, download_bytes)| Activity {
                bucket,
                uploads,
                upload_bytes,
                downloads,
                download_bytes,
                active_users: 0,
            },
        )
        .collect();
    for (bucket, users) in active {
        match rows.iter_mut().find(|r| r.bucket == bucket) {
            Some(row) => row.active_users = users,
            None => rows.push(Activity {
                bucket,
                active_users: users,
                ..Activity::default()
            }),
        }
    }
    rows.sort_by_key(|r| r.bucket);
    Ok(rows)
}
