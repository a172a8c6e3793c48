//! The token cache: what a bearer token resolved to, kept in memory so that an authenticated
//! request does not read the tokens table every time (issue #15's metadata GETs).
//!
//! Coherence: every change that can make a cached answer wrong (a revocation, a wipe, a
//! disabled account, a changed role or password) is committed through
//! [`crate::coherence::commit_change`], which answers only once every node has cleared its
//! cache. An answer read from the database while a change commits could be
//! stale, so an entry is only kept if no change cleared the cache between the start of its
//! read and its insertion (the epoch check).
//! Entries also expire after `auth.token_cache_secs`, the bound for a change made behind the
//! server's back (`ferry admin reset-password` on a running SQLite server).
//!
//! HTTP Basic with a password is kept the same way: a login and password that verified are
//! remembered by their keyed hash ([`TokenCache::basic_key`]), so that a WebDAV client, which
//! sends them with every request, pays Argon2id once per `auth.token_cache_secs` rather than
//! about 25 ms per request. The key is random per process and never leaves it, so the hashes
//! are worthless to anyone without the process's memory (as Apache's `mod_authn_socache`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ferry_store::tokens::Token;
use ferry_store::users::User;

use crate::policies::Effective;

/// Entries kept at most; past it the cache starts over (an attack with random tokens cannot
/// fill it: only tokens that resolved are kept).
const MAX_ENTRIES: usize = 100_000;

/// Resolved tokens by the hash of the token.
pub struct TokenCache {
    ttl: Duration,
    inner: Mutex<Inner>,
    /// Keys [`TokenCache::basic_key`]; random per process.
    basic_secret: [u8; 32],
}

#[derive(Default)]
struct Inner {
    /// Bumped by every change; an answer read under an older epoch is not kept.
    epoch: u64,
    entries: HashMap<String, Entry>,
    /// Each user's effective policy (company, groups, user), read with the token on most
    /// requests; changed policies, memberships and companies clear it with the rest.
    policies: HashMap<String, Effective>,
    /// Users whose HTTP Basic login and password verified, by [`TokenCache::basic_key`].
    basic: HashMap<[u8; 32], (User, Instant)>,
}

struct Entry {
    token: Token,
    user: User,
    loaded: Instant,
}

/// The epoch a lookup started under, to hand back to [`TokenCache::insert`].
#[derive(Debug, Clone, Copy)]
pub struct Epoch(u64);

impl TokenCache {
    /// A cache whose entries live `ttl` (zero: no caching).
    pub fn new(ttl: Duration) -> TokenCache {
        TokenCache {
            ttl,
            inner: Mutex::default(),
            basic_secret: ferry_core::ids::random_bytes::<32>(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached answer for `hash`, if there is a fresh one.
    pub fn get(&self, hash: &str) -> Option<(Token, User)> {
        let inner = self.lock();
        let entry = inner.entries.get(hash)?;
        (entry.loaded.elapsed() < self.ttl).then(|| (entry.token.clone(), entry.user.clone()))
    }

    /// The epoch to read the database under.
    pub fn epoch(&self) -> Epoch {
        Epoch(self.lock().epoch)
    }

    /// Keeps an answer read under `epoch`, unless something changed since.
    pub fn insert(&self, epoch: Epoch, hash: String, token: Token, user: User) {
        if self.ttl.is_zero() {
            return;
        }
        let mut inner = self.lock();
        if inner.epoch != epoch.0 {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(
            hash,
            Entry {
                token,
                user,
                loaded: Instant::now(),
            },
        );
    }

    /// The cached effective policy of `user_id`, if there is one.
    pub fn policy(&self, user_id: &str) -> Option<Effective> {
        if self.ttl.is_zero() {
            return None;
        }
        self.lock().policies.get(user_id).cloned()
    }

    /// Keeps `user_id`'s effective policy read under `epoch`, unless something changed since.
    pub fn insert_policy(&self, epoch: Epoch, user_id: &str, policy: Effective) {
        let mut inner = self.lock();
        if self.ttl.is_zero() || inner.epoch != epoch.0 {
            return;
        }
        if inner.policies.len() >= MAX_ENTRIES {
            inner.policies.clear();
        }
        inner.policies.insert(user_id.to_string(), policy);
    }

    /// Notes the token's recorded last use in its cached entry.
    pub fn note_use(&self, hash: &str, at: i64, ip: Option<String>) {
        if let Some(entry) = self.lock().entries.get_mut(hash) {
            entry.token.last_used_at = Some(at);
            entry.token.last_used_ip = ip;
        }
    }

    /// What a Basic login and password are remembered by: HMAC-SHA-256 under this process's
    /// secret, the login lowercased as logins are matched.
    pub fn basic_key(&self, login: &str, password: &str) -> [u8; 32] {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.basic_secret)
            .expect("HMAC takes any key length");
        mac.update(login.to_lowercase().as_bytes());
        mac.update(&[0]);
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The user a Basic login and password verified for, if that is fresh.
    pub fn basic(&self, key: &[u8; 32]) -> Option<User> {
        let inner = self.lock();
        let (user, loaded) = inner.basic.get(key)?;
        (loaded.elapsed() < self.ttl).then(|| user.clone())
    }

    /// Remembers that a Basic login and password verified for `user` (read under `epoch`),
    /// unless something changed since.
    pub fn insert_basic(&self, epoch: Epoch, key: [u8; 32], user: User) {
        let mut inner = self.lock();
        if self.ttl.is_zero() || inner.epoch != epoch.0 {
            return;
        }
        if inner.basic.len() >= MAX_ENTRIES {
            inner.basic.clear();
        }
        inner.basic.insert(key, (user, Instant::now()));
    }

    /// Forgets everything (something changed).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.entries.clear();
        inner.policies.clear();
        inner.basic.clear();
    }
}
