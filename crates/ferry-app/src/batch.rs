//! Batch delete and restore: one result per item, each item its own use case (and its own
//! transaction), so one failure never leaves another half done.

use ferry_core::IdKind;

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::trash::{self, RestoreTo};

/// Most items in one batch.
pub const MAX_ITEMS: usize = 1000;

fn check(items: &[String]) -> Result<()> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(Error::invalid(
            "items",
            "invalid_value",
            format!("items must hold 1 to {MAX_ITEMS} ids."),
        ));
    }
    Ok(())
}

/// What deleting one item did: held by a retention rule, or gone to the trash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Held,
    Trashed,
}

fn outcome<T>(d: trash::Deleted<T>) -> DeleteOutcome {
    match d {
        trash::Deleted::Held(_) => DeleteOutcome::Held,
        trash::Deleted::Gone => DeleteOutcome::Trashed,
    }
}

/// Deletes each item (files and folders, as `DELETE` would); an item's error is its result.
pub async fn delete(
    app: &AppState,
    caller: &Caller,
    items: &[String],
) -> Result<Vec<(String, Result<DeleteOutcome>)>> {
    check(items)?;
    let mut out = Vec::with_capacity(items.len());
    for id in items {
        let result = if IdKind::File.matches(id) {
            trash::delete_file(app, caller, id, false)
                .await
                .map(outcome)
        } else if IdKind::Folder.matches(id) {
            trash::delete_folder(app, caller, id, false)
                .await
                .map(outcome)
        } else {
            Err(Error::NotFound)
        };
        out.push((id.clone(), result));
    }
    Ok(out)
}

/// Restores each trash item to its original place.
pub async fn restore(
    app: &AppState,
    caller: &Caller,
    items: &[String],
) -> Result<Vec<(String, Result<()>)>> {
    check(items)?;
    let mut out = Vec::with_capacity(items.len());
    for id in items {
        let result = trash::restore(app, caller, id, RestoreTo::default())
            .await
            .map(|_| ());
        out.push((id.clone(), result));
    }
    Ok(out)
}
