//! Temporary download links: a short-lived signed URL to one file's content for the user who
//! asked for it (Dropbox's `get_temporary_link`). A browser cannot put a bearer token on an
//! `<a href>`, so the portal asks for such a URL and lets the browser stream the download to
//! disk. The token names the user and the file, is signed with the link key and expires after
//! [`LIFETIME_MS`]; redeeming it checks the signature without a database read, then the
//! download runs as that user: access is decided again by [`crate::access`] (a share removed
//! since, a disabled account: refused) and it is audited as that user's `file.downloaded`.

use crate::caller::{Actor, Caller, Origin};
use crate::error::{Error, Result};
use crate::files;
use crate::state::AppState;

/// How long a temporary link works: 4 hours, as Dropbox's.
pub const LIFETIME_MS: i64 = 4 * 3600 * 1000;

/// A minted temporary link: its token and when it expires (ms).
#[derive(Debug, Clone)]
pub struct TemporaryLink {
    pub token: String,
    pub expires_at: i64,
}

/// Temporary link tokens: signed and checked in ferry-core (pure, and fuzzed there).
pub use ferry_core::tokens::temporary::{Claims, sign, verify};

/// Mints a temporary link to `file_id`'s content for the calling user, who must be able to
/// read it now (the same check as a download).
pub async fn mint(app: &AppState, caller: &Caller, file_id: &str) -> Result<TemporaryLink> {
    let Actor::User(user) = &caller.actor else {
        return Err(Error::PermissionDenied);
    };
    let (file, _) = files::downloadable(app, caller, file_id).await?;
    let expires_at = app.now_ms() + LIFETIME_MS;
    Ok(TemporaryLink {
        token: sign(&app.link_key, &user.id, &file.id, expires_at),
        expires_at,
    })
}

/// The caller a temporary link downloads `file_id` as: the user who minted it, if the token is
/// genuine, for this file, unexpired, and the account still active. A forged token or one for
/// another file is `NotFound`; an expired one `LinkExpired`. Access to the file is not decided
/// here: the download asks [`files::readable`] as this caller.
pub async fn redeem(app: &AppState, origin: &Origin, token: &str, file_id: &str) -> Result<Caller> {
    let claims = verify(&app.link_key, token).ok_or(Error::NotFound)?;
    if claims.file_id != file_id {
        return Err(Error::NotFound);
    }
    if claims.expires_at <= app.now_ms() {
        return Err(Error::LinkExpired);
    }
    let mut conn = app.store.conn().await?;
    let user = ferry_store::users::get(&mut conn, &claims.user_id)
        .await?
        .ok_or(Error::NotFound)?;
    crate::access::account_usable(&user, app.now_ms())?;
    Ok(Caller::user(user, origin.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn sign_and_verify() {
        let key = b"0123456789abcdef0123456789abcdef";
        let token = sign(key, "usr_00ff", "fil_abcd", 1_800_000_000_000);
        let claims = verify(key, &token).unwrap();
        assert_eq!(claims.user_id, "usr_00ff");
        assert_eq!(claims.file_id, "fil_abcd");
        assert_eq!(claims.expires_at, 1_800_000_000_000);
        assert!(verify(b"another key", &token).is_none());
        let mut raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
        for i in 0..raw.len() {
            raw[i] ^= 1;
            assert!(
                verify(key, &URL_SAFE_NO_PAD.encode(&raw)).is_none(),
                "byte {i}"
            );
            raw[i] ^= 1;
        }
        // A link token or a link access token never passes for a temporary link.
        assert!(verify(key, &links::sign(key, "lnk_00112233445566778899aabb", 1)).is_none());
        assert!(verify(key, "").is_none());
    }
}
