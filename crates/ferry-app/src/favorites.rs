//! Favorites: files a user marks for quick access (seed 001). A mark is the user's own: it
//! needs only `read` on the file, and others never see it.

use std::collections::HashSet;

use ferry_core::Permission;
use ferry_store::files::File;

use crate::access;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::files::Entry;
use crate::state::AppState;

pub async fn mark(app: &AppState, caller: &Caller, file_id: &str, on: bool) -> Result<()> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let (file, _) = access::file(app, caller, file_id, Permission::Read).await?;
    let mut tx = app.store.begin().await?;
    if on {
        ferry_store::favorites::add(&mut tx, &user.id, &file.id, app.now_ms()).await?;
    } else {
        ferry_store::favorites::remove(&mut tx, &user.id, &file.id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Which of these files the caller marked (one query).
pub async fn marked(app: &AppState, caller: &Caller, files: &[&File]) -> Result<HashSet<String>> {
    let Some(user) = caller.user_ref() else {
        return Ok(HashSet::new());
    };
    let known: Option<HashSet<String>> = files
        .iter()
        .map(|f| {
            caller
                .known_mark(&f.id)
                .map(|m| m.then(|| f.id.to_string()))
        })
        .collect::<Option<Vec<_>>>()
        .map(|marks| marks.into_iter().flatten().collect());
    if let Some(known) = known {
        return Ok(known);
    }
    let ids: Vec<&str> = files.iter().map(|f| f.id.as_str()).collect();
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::favorites::marked(&mut conn, &user.id, &ids).await?)
}

/// One page of the caller's favorites that they can still read, newest mark first, and the
/// `(marked_at, id)` position the next page starts after (`None` at the end). The position
/// comes from the stored marks, before unreadable ones are left out, so paging never stops
/// early.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<(Vec<Entry>, Option<(i64, String)>)> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let mut conn = app.store.conn().await?;
    let mut rows = ferry_store::favorites::list(
        &mut conn,
        &user.id,
        after.as_ref().map(|(t, i)| (*t, i.as_str())),
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|(at, f)| (*at, f.id.to_string()))
    } else {
        None
    };
    let mut out = Vec::with_capacity(rows.len());
    for (_, file) in rows {
        // A favorite whose folder the caller can no longer read is not shown.
        if let Ok((file, _)) = access::file(app, caller, &file.id, Permission::Read).await {
            out.push(Entry::of(&mut conn, caller, file).await?);
        }
    }
    Ok((out, next))
}
