//! In-process locks keyed by name (an upload id, a part). Resumable uploads keep their bytes
//! on this node's disk, so these are the locks that order writers, hashers and completion.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// A lazily created lock per key, dropped when nobody holds it.
pub struct KeyedLocks<L> {
    map: Mutex<HashMap<String, Weak<L>>>,
}

impl<L: Default> Default for KeyedLocks<L> {
    fn default() -> Self {
        KeyedLocks {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<L: Default> KeyedLocks<L> {
    /// The lock for `key`, shared with everyone currently holding it.
    pub fn get(&self, key: &str) -> Arc<L> {
        let mut map = self.map.lock().expect("lock map poisoned");
        if let Some(lock) = map.get(key).and_then(Weak::upgrade) {
            return lock;
        }
        if map.len() > 1024 {
            map.retain(|_, w| w.strong_count() > 0);
        }
        let lock = Arc::new(L::default());
        map.insert(key.to_string(), Arc::downgrade(&lock));
        lock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_lock_until_released() {
        let locks: KeyedLocks<tokio::sync::Mutex<()>> = KeyedLocks::default();
        let a = locks.get("x");
        assert!(Arc::ptr_eq(&a, &locks.get("x")));
        assert!(!Arc::ptr_eq(&a, &locks.get("y")));
    }
}
