//! Opaque, prefixed, random identifiers (`fld_3f9a…`), one type per kind.

use serde::{Deserialize, Serialize};

/// The kinds of object that carry an id, each with its wire prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    User,
    Folder,
    File,
    Upload,
    Link,
    Event,
    Webhook,
    Delivery,
    Request,
    Token,
    Task,
    Share,
    Group,
    Notice,
    Comment,
    Company,
    /// A mail in the outbox.
    Mail,
    /// A user's request for more quota.
    QuotaRequest,
    /// A self-registration (sign-up) waiting to be confirmed or decided.
    Registration,
    /// A company member's request for access to a folder.
    AccessRequest,
}

/// Random bytes per id: 96 bits, comfortably above the contract's 64.
const RANDOM_BYTES: usize = 12;

impl IdKind {
    /// The prefix, including the underscore.
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::User => "usr_",
            IdKind::Folder => "fld_",
            IdKind::File => "fil_",
            IdKind::Upload => "upl_",
            IdKind::Link => "lnk_",
            IdKind::Event => "evt_",
            IdKind::Webhook => "whk_",
            IdKind::Delivery => "dlv_",
            IdKind::Request => "req_",
            IdKind::Token => "tok_",
            IdKind::Task => "tsk_",
            IdKind::Share => "shr_",
            IdKind::Group => "grp_",
            IdKind::Notice => "ntc_",
            IdKind::Comment => "cmt_",
            IdKind::Company => "cmp_",
            IdKind::Mail => "eml_",
            IdKind::QuotaRequest => "qrq_",
            IdKind::Registration => "reg_",
            IdKind::AccessRequest => "acr_",
        }
    }

    /// A fresh random id of this kind.
    pub fn generate(self) -> String {
        format!(
            "{}{}",
            self.prefix(),
            hex::encode(random_bytes::<RANDOM_BYTES>())
        )
    }

    /// Whether `id` could be an id of this kind (prefix and lowercase hex body). Anything else
    /// can be answered with `404` without asking the database.
    pub fn matches(self, id: &str) -> bool {
        id.strip_prefix(self.prefix()).is_some_and(|body| {
            !body.is_empty()
                && body.len() <= 64
                && body
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }
}

/// Declares one id type per kind: a `String` underneath, but a `FolderId` cannot be passed where
/// a `FileId` is expected. `parse` checks the prefix and body (doors use it on untrusted input, so
/// a malformed id is a `404` without a database read); `From<String>` is for values the store
/// reads back, which were generated here, and for tests.
macro_rules! typed_ids {
    ($($(#[$doc:meta])* $name:ident => $kind:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The kind of object this id names.
            pub const KIND: IdKind = IdKind::$kind;

            /// A fresh random id.
            pub fn generate() -> Self {
                Self(Self::KIND.generate())
            }

            /// `Some` when `raw` is well-formed for this kind.
            pub fn parse(raw: &str) -> Option<Self> {
                Self::KIND.matches(raw).then(|| Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(raw: String) -> Self {
                Self(raw)
            }
        }

        impl From<&str> for $name {
            fn from(raw: &str) -> Self {
                Self(raw.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    )*};
}

typed_ids! {
    /// A user account (`usr_…`).
    UserId => User;
    /// A folder (`fld_…`).
    FolderId => Folder;
    /// A file (`fil_…`).
    FileId => File;
    /// An upload session (`upl_…`).
    UploadId => Upload;
    /// A link (`lnk_…`).
    LinkId => Link;
    /// An audit event (`evt_…`).
    EventId => Event;
    /// A webhook (`whk_…`).
    WebhookId => Webhook;
    /// A webhook delivery (`dlv_…`).
    DeliveryId => Delivery;
    /// A request (`req_…`).
    RequestId => Request;
    /// An API token or session (`tok_…`).
    TokenId => Token;
    /// A background task (`tsk_…`).
    TaskId => Task;
    /// A share of a folder (`shr_…`).
    ShareId => Share;
    /// A group (`grp_…`).
    GroupId => Group;
    /// A notice (`ntc_…`).
    NoticeId => Notice;
    /// A comment (`cmt_…`).
    CommentId => Comment;
    /// A company (`cmp_…`).
    CompanyId => Company;
    /// A mail in the outbox (`eml_…`).
    MailId => Mail;
    /// A quota request (`qrq_…`).
    QuotaRequestId => QuotaRequest;
    /// A self-registration waiting for its confirmation or an admin (`reg_…`).
    RegistrationId => Registration;
    /// A company member's request for access to a folder (`acr_…`).
    AccessRequestId => AccessRequest;
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the OS random number generator is unavailable");
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_match_their_kind_only() {
        let id = IdKind::Folder.generate();
        assert!(id.starts_with("fld_"));
        assert_eq!(id.len(), 4 + 2 * RANDOM_BYTES);
        assert!(IdKind::Folder.matches(&id));
        assert!(!IdKind::File.matches(&id));
        assert_ne!(id, IdKind::Folder.generate());
    }

    #[test]
    fn typed_ids_parse_only_their_own_kind() {
        let folder = FolderId::generate();
        assert_eq!(FolderId::parse(folder.as_str()), Some(folder.clone()));
        assert_eq!(FileId::parse(folder.as_str()), None);
        assert_eq!(FolderId::parse("fld_../x"), None);
        assert_eq!(folder, folder.as_str());
        assert_eq!(
            serde_json::to_string(&folder).unwrap(),
            format!("\"{folder}\"")
        );
    }

    #[test]
    fn malformed_ids_do_not_match() {
        for bad in ["fld_", "fld_XYZ", "fld_../x", "fil_00", "", "fld_0g"] {
            assert!(!IdKind::Folder.matches(bad), "{bad}");
        }
    }
}
