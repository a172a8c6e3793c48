//! Chains of folders (a folder and its ancestors, top-level folder first) this node keeps, so
//! that deciding a collaborator's role on a deep folder costs no walk up the tree.
//!
//! A kept chain is only a guess: [`crate::access`] uses it after reading, in one statement, the
//! folder's live row, the caller's live shares on every folder of the chain, and the tree's
//! generation, which every change to a folder's parent, name, owner, trash state (and the
//! other columns a chain carries) or deletion bumps in its own transaction (a trigger, see
//! migration 0049; on every node, since it is in the database). A chain kept at another
//! generation than the one read is not used (and the tree is walked again), so a move,
//! rename, delete or restore takes effect on the next request on any node. Shares and group
//! memberships are never kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use ferry_store::folders::Folder;

/// The most chains kept; past it the cache starts again empty.
const CAPACITY: usize = 20_000;

/// A chain as read at one generation of the tree.
pub struct Kept {
    pub generation: i64,
    pub chain: Vec<Folder>,
}

#[derive(Default)]
struct Chains {
    /// The newest generation seen: chains of older ones are dropped.
    generation: i64,
    by_folder: HashMap<String, Arc<Kept>>,
}

/// The chains this node keeps, by the id of their last folder.
#[derive(Default)]
pub struct TreeCache {
    chains: Mutex<Chains>,
}

impl TreeCache {
    pub fn new() -> TreeCache {
        TreeCache::default()
    }

    /// The chain kept for folder `id`, if any (to be checked against the generation).
    pub fn get(&self, id: &str) -> Option<Arc<Kept>> {
        self.locked().by_folder.get(id).cloned()
    }

    /// Keeps `chain` (ending with folder `id`) as read at `generation`.
    pub fn keep(&self, id: &str, generation: i64, chain: Vec<Folder>) {
        let mut chains = self.locked();
        if generation < chains.generation {
            // Read before a change another request has seen already: stale at once.
            return;
        }
        if generation > chains.generation {
            chains.by_folder.clear();
            chains.generation = generation;
        }
        if chains.by_folder.len() >= CAPACITY && !chains.by_folder.contains_key(id) {
            chains.by_folder.clear();
        }
        chains
            .by_folder
            .insert(id.to_string(), Arc::new(Kept { generation, chain }));
    }

    fn locked(&self) -> MutexGuard<'_, Chains> {
        self.chains.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(id: &str) -> Folder {
        Folder {
            id: id.into(),
            owner_id: "usr_a".into(),
            owner_login: "a".into(),
            parent_id: None,
            name: id.into(),
            description: String::new(),
            visibility: "private".into(),
            retention_days: 0,
            revision: 1,
            trash_id: None,
            expires_at: None,
            created_at: 0,
            updated_at: 0,
            size_limit_bytes: None,
        }
    }

    #[test]
    fn a_newer_generation_drops_older_chains_and_an_older_one_is_not_kept() {
        let cache = TreeCache::new();
        cache.keep("fld_a", 3, vec![folder("fld_a")]);
        assert_eq!(cache.get("fld_a").unwrap().generation, 3);
        cache.keep("fld_b", 4, vec![folder("fld_b")]);
        assert!(cache.get("fld_a").is_none());
        cache.keep("fld_a", 3, vec![folder("fld_a")]);
        assert!(cache.get("fld_a").is_none());
        assert_eq!(cache.get("fld_b").unwrap().chain.len(), 1);
    }
}
