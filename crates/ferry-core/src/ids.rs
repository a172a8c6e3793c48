//! Opaque, prefixed, random identifiers (`fld_3f9a…`).

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
    fn malformed_ids_do_not_match() {
        for bad in ["fld_", "fld_XYZ", "fld_../x", "fil_00", "", "fld_0g"] {
            assert!(!IdKind::Folder.matches(bad), "{bad}");
        }
    }
}
