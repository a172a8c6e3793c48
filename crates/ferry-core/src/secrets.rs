//! Bearer tokens: random, shown once, stored only as their SHA-256.

use crate::ids::random_bytes;

/// Prefix that makes Ferry tokens recognisable to secret scanners.
pub const TOKEN_PREFIX: &str = "fry_";

/// A new random access token (256 bits) to hand to the client once.
pub fn new_access_token() -> String {
    format!("{TOKEN_PREFIX}{}", hex::encode(random_bytes::<32>()))
}

/// A new random password for the bootstrap admin (printable, 24 chars).
pub fn new_password() -> String {
    hex::encode(random_bytes::<12>())
}
