//! Passwords on download links: unlocking a link with its password gives a short-lived link
//! access token, signed with the link key and valid for that one link only, so a download
//! checks it without a database read. Wrong passwords are counted per link in the database
//! (every node agrees) and refused for a while once there are too many.

use ferry_core::audit::{Action, TargetKind};
use ferry_store::unlock_attempts::{self, Counted};
use serde_json::json;

use crate::audit;
use crate::caller::Origin;
use crate::error::{Error, Result};
use crate::links;
use crate::passwords;
use crate::state::AppState;

/// Link passwords are 8..=256 characters.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=256;

/// A new link's password, checked and hashed (Argon2id); `None` for a link without one.
pub async fn password_hash(password: Option<String>) -> Result<Option<String>> {
    let Some(password) = password else {
        return Ok(None);
    };
    validate(&password)?;
    Ok(Some(crate::passwords::hash(password).await?))
}

/// Checks a new link password's length; the error names the field.
pub fn validate(password: &str) -> Result<()> {
    if PASSWORD_CHARS.contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(Error::invalid(
            "password",
            "invalid_password",
            "A link password must be 8 to 256 characters long.",
        ))
    }
}

/// Link access tokens: signed and checked in ferry-core (pure, and fuzzed there).
pub use ferry_core::tokens::access::{sign, verify};

/// Whether one of `tokens` (from the header and the cookies) is a valid, unexpired access
/// token for the link `link_id`, and for no other.
pub fn grants(key: &[u8], tokens: &[String], link_id: &str, now: i64) -> bool {
    tokens
        .iter()
        .any(|t| verify(key, t).is_some_and(|c| c.link_id == link_id && c.expires_at > now))
}

/// Refuses a link with a password unless one of `tokens` grants access to it.
pub fn require(app: &AppState, link: &ferry_store::links::Link, tokens: &[String]) -> Result<()> {
    if link.password_required() && !grants(&app.link_key, tokens, &link.id, app.now_ms()) {
        return Err(Error::LinkPasswordRequired);
    }
    Ok(())
}

/// An access token and when it expires (ms).
#[derive(Debug, Clone)]
pub struct Access {
    pub token: String,
    pub expires_at: i64,
}

/// A link that may have a password, as unlocking sees it.
pub(crate) struct Lockable<'a> {
    /// Which table counts the link's unlock attempts.
    pub counted: Counted,
    pub id: &'a str,
    pub expires_at: i64,
    pub password_hash: Option<String>,
    /// Where a failed attempt is audited, and what its details say.
    pub folder_id: &'a str,
    pub details: serde_json::Value,
}

/// Unlocks the link behind `token` with `password`: an access token for that link, valid for
/// `links.access_token_secs` (never beyond the link's own expiry). Each attempt is counted
/// before the password is checked; a right one is given back, so only failures add up. A link
/// without a password needs none: any password unlocks it. Download, folder and upload links
/// all answer here.
pub async fn unlock(
    app: &AppState,
    origin: &Origin,
    token: &str,
    password: &str,
) -> Result<Access> {
    match links::open_unchecked(app, token).await {
        Ok((link, file)) => {
            let lockable = Lockable {
                counted: Counted::DownloadLinks,
                id: &link.id,
                expires_at: link.expires_at,
                password_hash: link.password_hash.clone(),
                folder_id: &file.folder_id,
                details: json!({"file_id": file.id}),
            };
            unlock_lockable(app, origin, lockable, password).await
        }
        Err(Error::NotFound) => match crate::folder_links::open_unchecked(app, token).await {
            Ok((link, _)) => {
                let lockable = Lockable {
                    counted: Counted::FolderLinks,
                    id: &link.id,
                    expires_at: link.expires_at,
                    password_hash: link.password_hash.clone(),
                    folder_id: &link.folder_id,
                    details: json!({"kind": "folder", "folder_id": link.folder_id}),
                };
                unlock_lockable(app, origin, lockable, password).await
            }
            Err(Error::NotFound) => {
                let link = crate::upload_links::open_unchecked(app, token).await?;
                let lockable = Lockable {
                    counted: Counted::UploadLinks,
                    id: &link.id,
                    expires_at: link.expires_at,
                    password_hash: link.password_hash.clone(),
                    folder_id: &link.folder_id,
                    details: json!({"kind": "upload", "folder_id": link.folder_id}),
                };
                unlock_lockable(app, origin, lockable, password).await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

async fn unlock_lockable(
    app: &AppState,
    origin: &Origin,
    link: Lockable<'_>,
    password: &str,
) -> Result<Access> {
    let now = app.now_ms();
    let access = |now: i64| {
        let expires_at =
            (now + app.config.links.access_token_secs.max(1) * 1000).min(link.expires_at);
        Access {
            token: sign(&app.link_key, link.id, expires_at),
            expires_at,
        }
    };
    let Some(hash) = link.password_hash.clone() else {
        return Ok(access(now));
    };
    let window_ms = app.config.links.unlock_window_secs.max(1) * 1000;
    let taken = {
        let mut tx = app.store.begin().await?;
        let taken = unlock_attempts::take(
            &mut tx,
            link.counted,
            link.id,
            now,
            window_ms,
            app.config.links.max_unlock_failures.max(1),
        )
        .await?;
        tx.commit().await?;
        taken
    };
    let window_start = match taken {
        Ok(start) => start,
        Err(retry_at) => {
            return Err(Error::TooManyAttempts {
                retry_after_secs: ((retry_at - now + 999) / 1000).max(1),
            });
        }
    };
    // Longer than any link password: wrong without spending Argon2 on it.
    let right = password.chars().count() <= *PASSWORD_CHARS.end()
        && passwords::verify(password.to_string(), Some(hash)).await;
    let mut tx = app.store.begin().await?;
    if right {
        unlock_attempts::give_back(&mut tx, link.counted, link.id, window_start).await?;
        tx.commit().await?;
        return Ok(access(app.now_ms()));
    }
    audit::success(
        origin,
        None,
        Action::LinkUnlockFailed,
        (TargetKind::Link, link.id),
    )
    .failed()
    .at(app.now_ms())
    .in_folder(link.folder_id)
    .details(link.details)
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Err(Error::InvalidLinkPassword)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const ID: &str = "lnk_00112233445566778899aabb";

    #[test]
    fn access_tokens_open_their_link_only_and_never_pass_for_link_tokens() {
        let token = sign(KEY, ID, 2_000);
        let claims = verify(KEY, &token).unwrap();
        assert_eq!((claims.link_id.as_str(), claims.expires_at), (ID, 2_000));
        assert!(grants(KEY, std::slice::from_ref(&token), ID, 1_999));
        assert!(
            !grants(KEY, std::slice::from_ref(&token), ID, 2_000),
            "expired"
        );
        assert!(!grants(
            KEY,
            std::slice::from_ref(&token),
            "lnk_00112233445566778899aabc",
            1_000
        ));
        assert!(verify(b"another key", &token).is_none());
        // The link's own token (which anyone with the URL has) is no access token, and the
        // other way round.
        let link_token = links::sign(KEY, ID, 2_000);
        assert!(verify(KEY, &link_token).is_none());
        assert!(links::verify(KEY, &token).is_none());
        for i in 0..token.len() {
            let mut t = token.clone().into_bytes();
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            assert!(
                verify(KEY, std::str::from_utf8(&t).unwrap()).is_none(),
                "{i}"
            );
        }
    }

    #[test]
    fn passwords_are_8_to_256_characters() {
        assert!(validate("1234567").is_err());
        assert!(validate("12345678").is_ok());
        assert!(validate(&"é".repeat(256)).is_ok());
        assert!(validate(&"x".repeat(257)).is_err());
    }
}
