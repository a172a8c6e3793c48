//! Roles, folder permissions and visibility.

use serde::{Deserialize, Serialize};

/// A user's global role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    /// A system admin: everything, everywhere.
    Admin,
    /// Manages the users, groups, policies and audit of its own company only.
    CompanyAdmin,
    /// May list and block (revoke) any public link; otherwise a user.
    Moderator,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::User, Role::Admin, Role::CompanyAdmin, Role::Moderator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::CompanyAdmin => "company_admin",
            Role::Moderator => "moderator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A company's state: only an active company's users may log in and serve links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompanyStatus {
    Active,
    Inactive,
    Expired,
}

impl CompanyStatus {
    pub const ALL: [CompanyStatus; 3] = [
        CompanyStatus::Active,
        CompanyStatus::Inactive,
        CompanyStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompanyStatus::Active => "active",
            CompanyStatus::Inactive => "inactive",
            CompanyStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<CompanyStatus> {
        CompanyStatus::ALL.into_iter().find(|r| r.as_str() == s)
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

/// Who can see a folder: `private` (its owner and collaborators), or `company` (a top-level
/// folder also listed in the directory of its owner's company, whose members may ask for
/// access).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Private,
    Company,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Company => "company",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "private" => Some(Visibility::Private),
            "company" => Some(Visibility::Company),
            _ => None,
        }
    }
}

/// What to do when a live file of the same name exists where a file is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Store as `name (1).ext`, `name (2).ext`, ...
    #[default]
    Rename,
    /// Refuse with `name_conflict`.
    Fail,
    /// Add the content as a new version of the live file of that name (its id stays).
    NewVersion,
}

impl OnConflict {
    pub fn as_str(self) -> &'static str {
        match self {
            OnConflict::Rename => "rename",
            OnConflict::Fail => "fail",
            OnConflict::NewVersion => "new_version",
        }
    }

    pub fn parse(s: &str) -> Option<OnConflict> {
        match s {
            "rename" => Some(OnConflict::Rename),
            "fail" => Some(OnConflict::Fail),
            "new_version" => Some(OnConflict::NewVersion),
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
    /// Deleted under a retention rule: kept, visible by id, restorable until the hold ends.
    Held,
    /// Deleted without a retention rule: in the trash, out of sight but there.
    Trashed,
}

impl FileState {
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Active => "active",
            FileState::Held => "held",
            FileState::Trashed => "trashed",
        }
    }

    pub fn parse(s: &str) -> Option<FileState> {
        match s {
            "active" => Some(FileState::Active),
            "held" => Some(FileState::Held),
            "trashed" => Some(FileState::Trashed),
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

/// What the virus scanner said of a file's content (one answer per content: identical bytes
/// are scanned once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStatus {
    /// Not scanned yet.
    Pending,
    /// Scanned; nothing found.
    Clean,
    /// Scanned; a signature matched. The content is quarantined.
    Infected,
    /// The last attempt failed (the scanner was down, or refused the stream); retried later.
    Error,
    /// Scanning is off (no `scan.clamd_address`).
    Skipped,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Pending => "pending",
            ScanStatus::Clean => "clean",
            ScanStatus::Infected => "infected",
            ScanStatus::Error => "error",
            ScanStatus::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<ScanStatus> {
        Some(match s {
            "pending" => ScanStatus::Pending,
            "clean" => ScanStatus::Clean,
            "infected" => ScanStatus::Infected,
            "error" => ScanStatus::Error,
            "skipped" => ScanStatus::Skipped,
            _ => return None,
        })
    }
}

impl TryFrom<String> for ScanStatus {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        ScanStatus::parse(&s).ok_or_else(|| format!("unknown scan status `{s}`"))
    }
}

/// What a listing of a folder's children is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The name, case-insensitively.
    #[default]
    Name,
    UpdatedAt,
    Size,
}

/// A listing order: a key and a direction; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// `name`, `-name`, `updated_at`, `-updated_at`, `size` or `-size`.
    pub fn parse(s: &str) -> Option<Sort> {
        let (descending, key) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let key = match key {
            "name" => SortKey::Name,
            "updated_at" => SortKey::UpdatedAt,
            "size" => SortKey::Size,
            _ => return None,
        };
        Some(Sort { key, descending })
    }
}

/// What a trashed item was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    File,
    Folder,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::File => "file",
            ItemKind::Folder => "folder",
        }
    }
}

impl TryFrom<String> for ItemKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "file" => Ok(ItemKind::File),
            "folder" => Ok(ItemKind::Folder),
            _ => Err(format!("unknown item kind `{s}`")),
        }
    }
}

/// Where a trash item stands: waiting for purge (restorable by whoever manages it) or held by
/// a retention rule (restorable, but not purgeable before the hold ends but by an admin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrashState {
    Trashed,
    Held,
}

impl TrashState {
    pub fn as_str(self) -> &'static str {
        match self {
            TrashState::Trashed => "trashed",
            TrashState::Held => "held",
        }
    }
}

impl TryFrom<String> for TrashState {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "trashed" => Ok(TrashState::Trashed),
            "held" => Ok(TrashState::Held),
            _ => Err(format!("unknown trash state `{s}`")),
        }
    }
}

/// A caller's role on a folder (see the contract's Sharing section); it decides the
/// permissions. Admins act as owners everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FolderRole {
    Viewer,
    Uploader,
    Editor,
    Manager,
    Owner,
}

impl FolderRole {
    /// Every role, lowest first (the order "highest wins" goes by).
    pub const ALL: [FolderRole; 5] = [
        FolderRole::Viewer,
        FolderRole::Uploader,
        FolderRole::Editor,
        FolderRole::Manager,
        FolderRole::Owner,
    ];

    pub fn parse(s: &str) -> Option<FolderRole> {
        FolderRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FolderRole::Viewer => "viewer",
            FolderRole::Uploader => "uploader",
            FolderRole::Editor => "editor",
            FolderRole::Manager => "manager",
            FolderRole::Owner => "owner",
        }
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            FolderRole::Viewer => &[Read],
            FolderRole::Uploader => &[Write],
            FolderRole::Editor => &[Read, Write],
            FolderRole::Manager => &[Read, Write, Share],
            FolderRole::Owner => &Permission::ALL,
        }
    }
}

/// What a bearer token was issued as (see the contract's Tokens section).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A login's token (`POST /auth/session`): expires after `auth.token_ttl_secs`.
    Session,
    /// A named token for scripts, with scopes, optionally restricted to one folder.
    Api,
    /// A device's permanent token: never expires until revoked, can be wiped remotely.
    Device,
}

impl TokenKind {
    pub const ALL: [TokenKind; 3] = [TokenKind::Session, TokenKind::Api, TokenKind::Device];

    pub fn parse(s: &str) -> Option<TokenKind> {
        TokenKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Api => "api",
            TokenKind::Device => "device",
        }
    }
}

/// One thing a token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// Requests that change nothing (GET, HEAD, PROPFIND…).
    Read,
    /// Requests that change something.
    Write,
    /// The holder's admin role; without it an admin's token acts as a plain user.
    Admin,
}

impl TokenScope {
    pub const ALL: [TokenScope; 3] = [TokenScope::Read, TokenScope::Write, TokenScope::Admin];

    pub fn parse(s: &str) -> Option<TokenScope> {
        TokenScope::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
            TokenScope::Admin => "admin",
        }
    }
}

/// A token's set of scopes, stored as their names separated by spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenScopes {
    read: bool,
    write: bool,
    admin: bool,
}

impl TokenScopes {
    /// Everything the user may do (a login's session).
    pub const FULL: TokenScopes = TokenScopes {
        read: true,
        write: true,
        admin: true,
    };

    /// The scopes named in `names`; `None` if a name is unknown or none is given.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<TokenScopes> {
        let mut scopes = TokenScopes {
            read: false,
            write: false,
            admin: false,
        };
        for name in names {
            match TokenScope::parse(name)? {
                TokenScope::Read => scopes.read = true,
                TokenScope::Write => scopes.write = true,
                TokenScope::Admin => scopes.admin = true,
            }
        }
        (scopes.read || scopes.write || scopes.admin).then_some(scopes)
    }

    /// The stored form: `"read write"`. Unknown names in a stored value are ignored (a scope
    /// dropped in a later version grants nothing).
    pub fn parse_stored(s: &str) -> TokenScopes {
        let known = s
            .split_whitespace()
            .filter(|n| TokenScope::parse(n).is_some());
        TokenScopes::from_names(known).unwrap_or(TokenScopes {
            read: false,
            write: false,
            admin: false,
        })
    }

    pub fn contains(self, scope: TokenScope) -> bool {
        match scope {
            TokenScope::Read => self.read,
            TokenScope::Write => self.write,
            TokenScope::Admin => self.admin,
        }
    }

    pub fn names(self) -> Vec<&'static str> {
        TokenScope::ALL
            .into_iter()
            .filter(|s| self.contains(*s))
            .map(TokenScope::as_str)
            .collect()
    }

    pub fn to_stored(self) -> String {
        self.names().join(" ")
    }
}

impl TryFrom<String> for TokenKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        TokenKind::parse(&s).ok_or_else(|| format!("unknown token kind `{s}`"))
    }
}

impl TryFrom<String> for TokenScopes {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        Ok(TokenScopes::parse_stored(&s))
    }
}
