//! Download links: signed tokens checked before any database access, and the settlement of
//! what a delivery really sent against the link's byte budget.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferry_core::audit::Action;
use ferry_core::timefmt::now_ms;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::audit;
use crate::caller::Origin;
use crate::state::AppState;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the link id's random part, of the expiry, and of the truncated MAC in a token.
const ID_BYTES: usize = 12;
const EXPIRY_BYTES: usize = 8;
const MAC_BYTES: usize = 16;

/// Name of the signing key in the secrets table.
pub const KEY_NAME: &str = "link_signing_key";

/// What a valid token says: which link, valid until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub link_id: String,
    pub expires_at: i64,
}

fn mac(key: &[u8], payload: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(payload);
    mac
}

/// `base64url(id ‖ expiry ‖ HMAC-SHA256(key, id ‖ expiry)[..16])`.
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

/// One delivery through a link: what was reserved, for the settlement when it ends.
pub struct Delivery {
    pub state: AppState,
    pub ctx: Origin,
    pub link_id: String,
    pub file_id: String,
    pub folder_id: String,
    /// Bytes reserved from the budget (the response's content length, or 1 for empty files).
    pub reserved: i64,
    /// Content bytes the response carries.
    pub content_len: i64,
    /// Bytes at the start of the response that an interrupted delivery already paid for.
    pub credit: i64,
    /// Where the first (or only) range starts, for resume credit.
    pub start: i64,
    pub client_key: String,
}

/// What a delivery costs: a finished one its reservation; a cut-off one what was sent beyond
/// the credit, scaled to the reservation (which differs from the content length for empty
/// files and watermarked copies).
pub fn charge(d: &Delivery, sent: i64, finished: bool) -> i64 {
    let finished = finished || sent >= d.content_len;
    let payable = (d.content_len - d.credit).max(1);
    if finished {
        d.reserved
    } else {
        let paid = (sent - d.credit).max(0) as i128 * d.reserved as i128 / payable as i128;
        (paid as i64).min(d.reserved)
    }
}

/// Settles a delivery when its body ends or is dropped: unsent bytes go back to the budget,
/// an interruption is remembered for the client's resume credit, a receipt is audited.
pub async fn settle(d: Delivery, sent: i64, finished: bool) {
    let finished = finished || sent >= d.content_len;
    let charged = charge(&d, sent, finished);
    if let Err(e) = record_settlement(&d, charged, sent, finished).await {
        tracing::error!(link_id = %d.link_id, error = %e, "settling a link delivery failed");
    }
}

async fn record_settlement(
    d: &Delivery,
    charged: i64,
    sent: i64,
    finished: bool,
) -> anyhow::Result<()> {
    let now = now_ms();
    let mut tx = d.state.store.begin().await?;
    let (link, exhausted) =
        ferry_store::links::settle(&mut tx, &d.link_id, d.reserved, charged, now).await?;
    if !finished && sent > 0 {
        ferry_store::links::record_interruption(
            &mut tx,
            &d.link_id,
            &d.client_key,
            d.start,
            d.start + sent,
            now,
        )
        .await?;
    }
    let used = link.as_ref().map(|l| l.downloads_used()).unwrap_or(0);
    audit::success(&d.ctx, None, Action::LinkDownloaded, ("link", &d.link_id))
        .in_folder(&d.folder_id)
        .details(json!({"file_id": d.file_id, "bytes": sent, "complete": finished, "downloads_used": used}))
        .append(&mut tx)
        .await?;
    if exhausted {
        audit::success(&d.ctx, None, Action::LinkExhausted, ("link", &d.link_id))
            .in_folder(&d.folder_id)
            .details(json!({"file_id": d.file_id, "downloads_used": used}))
            .append(&mut tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The key that signs links, loaded (or created) once at start.
pub async fn load_key(store: &ferry_store::Store) -> anyhow::Result<Arc<Vec<u8>>> {
    let mut conn = store.conn().await?;
    let key = ferry_store::secrets::get_or_create(
        &mut conn,
        KEY_NAME,
        || ferry_core::ids::random_bytes::<32>().to_vec(),
        now_ms(),
    )
    .await?;
    Ok(Arc::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_resist_tampering() {
        let key = b"0123456789abcdef0123456789abcdef";
        let id = "lnk_00112233445566778899aabb";
        let token = sign(key, id, 1_800_000_000_000);
        let claims = verify(key, &token).unwrap();
        assert_eq!(
            claims,
            Claims {
                link_id: id.into(),
                expires_at: 1_800_000_000_000
            }
        );
        assert!(verify(b"another key", &token).is_none());
        // Flip each character in turn: nothing altered verifies.
        for i in 0..token.len() {
            let mut t: Vec<u8> = token.clone().into_bytes();
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            assert!(
                verify(key, std::str::from_utf8(&t).unwrap()).is_none(),
                "position {i}"
            );
        }
        assert!(verify(key, "").is_none());
        assert!(verify(key, "not base64 !").is_none());
    }
}
