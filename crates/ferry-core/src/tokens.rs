//! The signed tokens links hand out, checked before any database access: link tokens (the
//! `/s/<token>` of download, folder and upload links), link access tokens (a link unlocked with
//! its password) and temporary download tokens. Each is `base64url(payload ‖ truncated
//! HMAC-SHA256)`; the shapes and MAC domains differ, so none verifies as another. Here, pure, so
//! the fuzz targets check them without a server; ferry-app re-exports each where it is used.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the link id's random part, of the expiry, and of the truncated MAC in a token.
const ID_BYTES: usize = 12;
const EXPIRY_BYTES: usize = 8;
const MAC_BYTES: usize = 16;

/// An HMAC-SHA256 with the link key, fed `payload` so far.
fn mac(key: &[u8], payload: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(payload);
    mac
}

/// Link tokens: `base64url(id ‖ expiry ‖ HMAC-SHA256(key, id ‖ expiry)[..16])`.
pub mod link {
    use super::*;

    /// What a valid link token (or link access token) says: which link, valid until when.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Claims {
        pub link_id: String,
        pub expires_at: i64,
    }

    /// The token of link `link_id` (`lnk_` and 24 hex digits, as link ids are).
    pub fn sign(key: &[u8], link_id: &str, expires_at: i64) -> String {
        let id = hex::decode(link_id.trim_start_matches("lnk_")).expect("link ids are hex");
        let mut payload = id;
        payload.extend_from_slice(&expires_at.to_be_bytes());
        let tag = mac(key, &payload).finalize().into_bytes();
        payload.extend_from_slice(&tag[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(payload)
    }

    /// Checks a token's signature (constant time). A forged or altered token is `None` without
    /// touching the database.
    pub fn verify(key: &[u8], token: &str) -> Option<Claims> {
        if token.len() > 128 {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        if raw.len() != ID_BYTES + EXPIRY_BYTES + MAC_BYTES {
            return None;
        }
        let (payload, tag) = raw.split_at(ID_BYTES + EXPIRY_BYTES);
        mac(key, payload).verify_truncated_left(tag).ok()?;
        let expires_at = i64::from_be_bytes(payload[ID_BYTES..].try_into().ok()?);
        Some(Claims {
            link_id: format!("lnk_{}", hex::encode(&payload[..ID_BYTES])),
            expires_at,
        })
    }
}

/// Link access tokens: `base64url(0xa1 ‖ link id ‖ expiry ‖ HMAC-SHA256(key, DOMAIN ‖ 0xa1 ‖ id
/// ‖ expiry)[..16])`.
pub mod access {
    use super::link::Claims;
    use super::*;

    /// The first byte of an access token (a link token has none: the two never verify as each
    /// other, whatever their bytes).
    const VERSION: u8 = 0xa1;
    /// What the MAC of an access token covers before its payload: a link token's MAC never
    /// serves as an access token's.
    const DOMAIN: &[u8] = b"ferry link access v1\0";
    const TOKEN_BYTES: usize = 1 + ID_BYTES + EXPIRY_BYTES + MAC_BYTES;

    /// An access token for link `link_id`, valid until `expires_at`.
    pub fn sign(key: &[u8], link_id: &str, expires_at: i64) -> String {
        let id = hex::decode(link_id.trim_start_matches("lnk_")).expect("link ids are hex");
        let mut payload = vec![VERSION];
        payload.extend_from_slice(&id);
        payload.extend_from_slice(&expires_at.to_be_bytes());
        let mut mac = mac(key, DOMAIN);
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        payload.extend_from_slice(&tag[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(payload)
    }

    /// The link an access token opens and until when, if its signature holds (constant time).
    pub fn verify(key: &[u8], token: &str) -> Option<Claims> {
        if token.len() > 128 {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if raw.len() != TOKEN_BYTES || raw[0] != VERSION {
            return None;
        }
        let (payload, tag) = raw.split_at(TOKEN_BYTES - MAC_BYTES);
        let mut mac = mac(key, DOMAIN);
        mac.update(payload);
        mac.verify_truncated_left(tag).ok()?;
        let expires_at = i64::from_be_bytes(payload[1 + ID_BYTES..].try_into().ok()?);
        Some(Claims {
            link_id: format!("lnk_{}", hex::encode(&payload[1..1 + ID_BYTES])),
            expires_at,
        })
    }
}

/// Temporary download tokens: `base64url(0xd1 ‖ expiry ‖ user id ‖ 0 ‖ file id ‖
/// HMAC-SHA256(key, DOMAIN ‖ …)[..16])`.
pub mod temporary {
    use super::*;

    /// The first byte of a temporary link token (link tokens and link access tokens have other
    /// shapes, and the MAC's domain differs too, so none verifies as another).
    const VERSION: u8 = 0xd1;
    const DOMAIN: &[u8] = b"ferry temporary download v1\0";
    /// Longest token accepted (two ids of at most 64 characters, an expiry, a MAC).
    const MAX_TOKEN_CHARS: usize = 256;

    /// What a valid token says.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Claims {
        pub user_id: String,
        pub file_id: String,
        pub expires_at: i64,
    }

    /// A token for `user_id` to download `file_id` until `expires_at`.
    pub fn sign(key: &[u8], user_id: &str, file_id: &str, expires_at: i64) -> String {
        let mut payload = vec![VERSION];
        payload.extend_from_slice(&expires_at.to_be_bytes());
        payload.extend_from_slice(user_id.as_bytes());
        payload.push(0);
        payload.extend_from_slice(file_id.as_bytes());
        let mut mac = mac(key, DOMAIN);
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        payload.extend_from_slice(&tag[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(payload)
    }

    /// The claims of a token whose signature holds (checked in constant time), expired or not.
    pub fn verify(key: &[u8], token: &str) -> Option<Claims> {
        if token.len() > MAX_TOKEN_CHARS {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if raw.len() < 1 + 8 + 1 + MAC_BYTES || raw[0] != VERSION {
            return None;
        }
        let (payload, tag) = raw.split_at(raw.len() - MAC_BYTES);
        let mut mac = mac(key, DOMAIN);
        mac.update(payload);
        mac.verify_truncated_left(tag).ok()?;
        let expires_at = i64::from_be_bytes(payload[1..9].try_into().ok()?);
        let ids = std::str::from_utf8(&payload[9..]).ok()?;
        let (user_id, file_id) = ids.split_once('\0')?;
        Some(Claims {
            user_id: user_id.to_string(),
            file_id: file_id.to_string(),
            expires_at,
        })
    }
}
