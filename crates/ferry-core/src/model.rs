//! Roles, folder permissions and visibility.

use serde::{Deserialize, Serialize};

/// A user's global role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// What a caller may do in a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Read,
    Write,
    Share,
    Manage,
}

impl Permission {
    pub const ALL: [Permission; 4] = [
        Permission::Read,
        Permission::Write,
        Permission::Share,
        Permission::Manage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "write",
            Permission::Share => "share",
            Permission::Manage => "manage",
        }
    }
}

/// Who can see a folder. Only `private` exists until sharing lands: any other value
/// (`company`, which the contract reserves, included) is refused by [`Visibility::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}

/// What to do when a live file of the same name exists where a file is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnConflict {
    /// Store as `name (1).ext`, `name (2).ext`, ...
    #[default]
    Rename,
    /// Refuse with `name_conflict`.
    Fail,
}

impl OnConflict {
    pub fn as_str(self) -> &'static str {
        match self {
            OnConflict::Rename => "rename",
            OnConflict::Fail => "fail",
        }
    }

    pub fn parse(s: &str) -> Option<OnConflict> {
        match s {
            "rename" => Some(OnConflict::Rename),
            "fail" => Some(OnConflict::Fail),
            _ => None,
        }
    }
}

/// How a stored choice becomes a type (at the store boundary, `#[sqlx(try_from)]`).
impl TryFrom<String> for OnConflict {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        OnConflict::parse(&s).ok_or_else(|| format!("unknown on_conflict `{s}`"))
    }
}

/// Where an upload session stands. `open` takes parts; `completing` is verification in
/// progress; the other four are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadStatus {
    Open,
    Completing,
    Completed,
    Failed,
    Aborted,
    Expired,
}

impl UploadStatus {
    /// Every status, in the order of an upload's life.
    pub const ALL: [UploadStatus; 6] = [
        UploadStatus::Open,
        UploadStatus::Completing,
        UploadStatus::Completed,
        UploadStatus::Failed,
        UploadStatus::Aborted,
        UploadStatus::Expired,
    ];

    /// The statuses of uploads that still hold their reserved space.
    pub const UNFINISHED: [UploadStatus; 2] = [UploadStatus::Open, UploadStatus::Completing];

    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Open => "open",
            UploadStatus::Completing => "completing",
            UploadStatus::Completed => "completed",
            UploadStatus::Failed => "failed",
            UploadStatus::Aborted => "aborted",
            UploadStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<UploadStatus> {
        UploadStatus::ALL.into_iter().find(|u| u.as_str() == s)
    }

    /// Whether an upload in this status still holds its reserved space.
    pub fn is_unfinished(self) -> bool {
        UploadStatus::UNFINISHED.contains(&self)
    }
}

/// How a stored status becomes a type (at the store boundary, `#[sqlx(try_from)]`).
impl TryFrom<String> for UploadStatus {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        UploadStatus::parse(&s).ok_or_else(|| format!("unknown upload status `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_statuses_round_trip() {
        for s in UploadStatus::ALL {
            assert_eq!(UploadStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(UploadStatus::parse("OPEN"), None);
        assert_eq!(UploadStatus::parse(""), None);
        assert!(UploadStatus::Completing.is_unfinished());
        assert!(!UploadStatus::Expired.is_unfinished());
    }
}

/// Where a file stands: live, or deleted from a folder with retention and held until purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    Active,
    Held,
}

impl FileState {
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Active => "active",
            FileState::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Option<FileState> {
        match s {
            "active" => Some(FileState::Active),
            "held" => Some(FileState::Held),
            _ => None,
        }
    }
}

/// How a stored state becomes a type (at the store boundary, `#[sqlx(try_from)]`).
impl TryFrom<String> for FileState {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        FileState::parse(&s).ok_or_else(|| format!("unknown file state `{s}`"))
    }
}
