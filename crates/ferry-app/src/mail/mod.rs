//! E-mail: the [`Mailer`] (SMTP through `mail.smtp_url`), queuing a mail into the durable
//! outbox in the transaction of what it tells of, and the letters themselves ([`letters`]).
//! [`send`] is the worker that empties the outbox, with retries, on any node.
//!
//! Without `mail.smtp_url` there is no mailer: notices simply queue nothing, and what cannot
//! work without mail (a password reset) answers `503 mail_not_configured`.
//!
//! A user's address is their login when the login is an e-mail address; users with other
//! logins get no mail.

pub mod letters;
pub mod notices;
pub mod send;

use std::time::Duration;

use ferry_core::IdKind;
use ferry_store::mail::{Mail, NewMail};
use ferry_store::users::User;
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::access;
use crate::caller::Caller;
use crate::config::MailConfig;
use crate::error::Result;
use crate::state::AppState;
pub use letters::Letter;

/// Sends mail over SMTP. Built once from the configuration; cheap to share.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

/// Why an attempt failed.
#[derive(Debug)]
pub struct SendError {
    /// The server refused the mail for good (a 5xx answer, an address it will never take):
    /// retrying cannot help.
    pub permanent: bool,
    pub message: String,
}

impl Mailer {
    /// The mailer `mail` describes; `None` without `smtp_url`. A URL or sender that cannot
    /// work is an error naming the setting (the URL shown without its password).
    pub fn from_config(mail: &MailConfig) -> Result<Option<Mailer>, String> {
        let Some(url) = mail
            .smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        let from: Mailbox = mail
            .from
            .parse()
            .map_err(|e| format!("mail.from `{}` is not a mail address: {e}", mail.from))?;
        let timeout = Duration::from_secs(mail.timeout_secs.max(1));
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| {
                format!(
                    "mail.smtp_url `{}` cannot be used: {e} (expected smtp://host:port or \
                     smtps://user:password@host)",
                    ferry_store::redact_url(url)
                )
            })?
            .timeout(Some(timeout))
            .build();
        Ok(Some(Mailer {
            transport,
            from,
            timeout,
        }))
    }

    /// Sends one mail with a plain-text and an HTML body (`multipart/alternative`).
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
    ) -> Result<(), SendError> {
        let permanent = |message: String| SendError {
            permanent: true,
            message,
        };
        let to: Mailbox = to
            .parse()
            .map_err(|e| permanent(format!("bad recipient: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(
                text.to_string(),
                html.to_string(),
            ))
            .map_err(|e| permanent(format!("cannot build the message: {e}")))?;
        // lettre's timeout is per network operation; this bounds the whole attempt.
        match tokio::time::timeout(self.timeout * 2, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            }),
            Err(_) => Err(SendError {
                permanent: false,
                message: "timed out".into(),
            }),
        }
    }
}

/// Whether mail can be sent at all (`mail.smtp_url` is set).
pub fn configured(app: &AppState) -> bool {
    app.mail.is_some()
}

/// The portal's address, where every notice mail points.
pub(crate) fn portal(app: &AppState) -> String {
    format!("{}/", app.config.public_url())
}

/// `value` if it is a mail address Ferry can send to.
pub fn address(value: &str) -> Option<&str> {
    value.parse::<Address>().ok().map(|_| value)
}

/// Where mail for `user` goes: their login when it is an address, and never to a disabled
/// account or a deleted one.
pub fn address_of(user: &User) -> Option<&str> {
    if user.is_disabled() || user.is_deleted() {
        return None;
    }
    address(&user.login)
}

/// Queues `letter` for `to` inside `tx` (sent once it commits). Does nothing when mail is not
/// configured or `to` is no address: notices by mail never make what they tell of fail.
pub(crate) async fn queue(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    kind: &str,
    to: &str,
    letter: &Letter,
) -> Result<()> {
    if !configured(app) || address(to).is_none() {
        return Ok(());
    }
    let id = IdKind::Mail.generate();
    ferry_store::mail::enqueue(
        tx,
        &NewMail {
            id: &id,
            kind,
            recipient: to,
            subject: &letter.subject,
            text_body: &letter.text,
            html_body: &letter.html,
            now: app.now_ms(),
        },
    )
    .await?;
    Ok(())
}

/// Like [`queue`], to the user `user_id` (nothing if they have no address or are disabled);
/// the letter is only written when it will be sent.
pub(crate) async fn queue_for_user(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    kind: &str,
    user_id: &str,
    letter: impl FnOnce() -> Letter,
) -> Result<()> {
    if !configured(app) {
        return Ok(());
    }
    let Some(user) = ferry_store::users::get(tx, user_id).await? else {
        return Ok(());
    };
    let Some(to) = address_of(&user) else {
        return Ok(());
    };
    let to = to.to_string();
    queue(app, tx, kind, &to, &letter()).await
}

/// The outbox, newest first, before the `(created_at, id)` cursor: admins only.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    before: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Mail>> {
    access::require_admin(caller)?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::mail::list(
        &mut conn,
        before.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?)
}

/// Mails waiting to be sent and mails given up, for the metrics.
pub async fn backlog(app: &AppState) -> Result<(i64, i64)> {
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::mail::backlog(&mut conn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_addresses_get_mail() {
        assert_eq!(address("alice@example.com"), Some("alice@example.com"));
        assert_eq!(address("alice"), None);
        assert_eq!(address("a b@example.com"), None);
    }

    #[test]
    fn a_mailer_needs_a_usable_url_and_sender() {
        let mut cfg = MailConfig::default();
        assert!(Mailer::from_config(&cfg).unwrap().is_none());
        cfg.smtp_url = Some("smtp://127.0.0.1:2525".into());
        assert!(Mailer::from_config(&cfg).unwrap().is_some());
        cfg.smtp_url = Some("smtps://user:secret@mail.example.com".into());
        assert!(Mailer::from_config(&cfg).unwrap().is_some());
        cfg.smtp_url = Some("http://user:secret@mail.example.com".into());
        let e = Mailer::from_config(&cfg).err().unwrap();
        assert!(e.contains("mail.smtp_url") && !e.contains("secret"), "{e}");
        cfg.smtp_url = Some("smtp://127.0.0.1:2525".into());
        cfg.from = "not an address".into();
        assert!(
            Mailer::from_config(&cfg)
                .err()
                .unwrap()
                .contains("mail.from")
        );
    }
}
