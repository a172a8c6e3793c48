//! The audit-event catalogue: every action Ferry records.

/// An auditable action. The string form is part of the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AuthLogin,
    AuthLoginFailed,
    AuthLogout,
    AuthLocked,
    /// Someone asked for a password reset mail (whether or not the login exists).
    AuthPasswordResetRequested,
    /// A password was set with a reset token.
    AuthPasswordReset,
    UserCreated,
    UserUpdated,
    UserUnlocked,
    FolderCreated,
    UploadCreated,
    UploadCompleted,
    UploadFailed,
    UploadExpired,
    UploadAborted,
    FileDownloaded,
    FileDeleted,
    FileHeld,
    FileRestored,
    FilePurged,
    /// The virus scanner found something in a file's content: it is quarantined.
    FileInfected,
    LinkCreated,
    LinkRevoked,
    /// A link's settings changed (`PATCH /links/{id}`: `show_location`).
    LinkUpdated,
    LinkDownloaded,
    LinkExhausted,
    /// A wrong password was given to unlock a link.
    LinkUnlockFailed,
    /// A file arrived through an upload link.
    LinkUploaded,
    PermissionChanged,
    WebhookCreated,
    WebhookDeleted,
    WebhookUpdated,
    WebhookSecretRotated,
    WebhookDisabled,
    FolderRenamed,
    FolderUpdated,
    FolderMoved,
    FolderCopied,
    FolderDeleted,
    FolderHeld,
    FolderRestored,
    FolderPurged,
    FileRenamed,
    FileUpdated,
    FileMoved,
    FileCopied,
    FileVersionCreated,
    FileVersionRestored,
    FileVersionDeleted,
    TrashEmptied,
    GroupCreated,
    GroupUpdated,
    GroupDeleted,
    GroupMemberAdded,
    GroupMemberRemoved,
    CommentCreated,
    CommentUpdated,
    CommentDeleted,
    TokenCreated,
    TokenRevoked,
    DeviceWiped,
    DeviceWipeConfirmed,
    CompanyCreated,
    CompanyUpdated,
    CompanyDeleted,
    PolicyChanged,
    /// Two-factor login was turned on (a TOTP secret confirmed).
    Auth2faEnabled,
    /// Two-factor login was turned off, by the user or reset by an admin.
    Auth2faDisabled,
    /// A recovery code stood in for a TOTP code at login.
    Auth2faRecoveryUsed,
    /// An account was deleted; it is purged after the grace period.
    UserDeleted,
    UserRestored,
    /// A deleted account's grace period ended: its folders were handed over or removed.
    UserPurged,
    /// An extra login (a second address to log in with) was added to an account.
    UserLoginAdded,
    UserLoginRemoved,
    /// An admin made a one-time login key for a user.
    AuthLoginKeyCreated,
    /// An admin started acting as another user (support); the session's events name both.
    AuthImpersonationStarted,
    /// A user asked for more quota; an admin granted or refused it.
    QuotaRequested,
    QuotaRequestApproved,
    QuotaRequestDenied,
    /// Someone signed up (`accounts.registration`), whether or not a confirmation mail went out.
    AuthRegistrationRequested,
    /// A sign-up's address was confirmed: an account now (`open`) or waiting for an admin.
    AuthRegistrationConfirmed,
    /// An admin approved a confirmed sign-up (the account is made) or refused it.
    UserRegistrationApproved,
    UserRegistrationDenied,
    /// A stored blob no longer holds what its SHA-256 says, or is missing (the scrubber or
    /// `ferry admin fsck` found it).
    BlobCorrupt,
    /// A company member asked for access to a folder of the company's directory; a manager of
    /// the folder approved (with a share, see `permission.changed`) or denied it.
    ShareAccessRequested,
    ShareAccessApproved,
    ShareAccessDenied,
    /// A user's profile picture was set or replaced (by the user or an admin of theirs), or
    /// removed.
    UserPictureChanged,
    UserPictureRemoved,
    /// A company's logo was set or replaced, or removed.
    CompanyLogoChanged,
    CompanyLogoRemoved,
}

impl Action {
    pub const ALL: [Action; 91] = [
        Action::AuthLogin,
        Action::AuthLoginFailed,
        Action::AuthLogout,
        Action::AuthLocked,
        Action::AuthPasswordResetRequested,
        Action::AuthPasswordReset,
        Action::UserCreated,
        Action::UserUpdated,
        Action::UserUnlocked,
        Action::FolderCreated,
        Action::UploadCreated,
        Action::UploadCompleted,
        Action::UploadFailed,
        Action::UploadExpired,
        Action::UploadAborted,
        Action::FileDownloaded,
        Action::FileDeleted,
        Action::FileHeld,
        Action::FileRestored,
        Action::FilePurged,
        Action::FileInfected,
        Action::LinkCreated,
        Action::LinkRevoked,
        Action::LinkUpdated,
        Action::LinkDownloaded,
        Action::LinkExhausted,
        Action::LinkUnlockFailed,
        Action::LinkUploaded,
        Action::PermissionChanged,
        Action::WebhookCreated,
        Action::WebhookDeleted,
        Action::WebhookUpdated,
        Action::WebhookSecretRotated,
        Action::WebhookDisabled,
        Action::FolderRenamed,
        Action::FolderUpdated,
        Action::FolderMoved,
        Action::FolderCopied,
        Action::FolderDeleted,
        Action::FolderHeld,
        Action::FolderRestored,
        Action::FolderPurged,
        Action::FileRenamed,
        Action::FileUpdated,
        Action::FileMoved,
        Action::FileCopied,
        Action::FileVersionCreated,
        Action::FileVersionRestored,
        Action::FileVersionDeleted,
        Action::TrashEmptied,
        Action::GroupCreated,
        Action::GroupUpdated,
        Action::GroupDeleted,
        Action::GroupMemberAdded,
        Action::GroupMemberRemoved,
        Action::CommentCreated,
        Action::CommentUpdated,
        Action::CommentDeleted,
        Action::TokenCreated,
        Action::TokenRevoked,
        Action::DeviceWiped,
        Action::DeviceWipeConfirmed,
        Action::CompanyCreated,
        Action::CompanyUpdated,
        Action::CompanyDeleted,
        Action::PolicyChanged,
        Action::Auth2faEnabled,
        Action::Auth2faDisabled,
        Action::Auth2faRecoveryUsed,
        Action::UserDeleted,
        Action::UserRestored,
        Action::UserPurged,
        Action::UserLoginAdded,
        Action::UserLoginRemoved,
        Action::AuthLoginKeyCreated,
        Action::AuthImpersonationStarted,
        Action::QuotaRequested,
        Action::QuotaRequestApproved,
        Action::QuotaRequestDenied,
        Action::AuthRegistrationRequested,
        Action::AuthRegistrationConfirmed,
        Action::UserRegistrationApproved,
        Action::UserRegistrationDenied,
        Action::BlobCorrupt,
        Action::ShareAccessRequested,
        Action::ShareAccessApproved,
        Action::ShareAccessDenied,
        Action::UserPictureChanged,
        Action::UserPictureRemoved,
        Action::CompanyLogoChanged,
        Action::CompanyLogoRemoved,
    ];

    /// The action named `name` (its wire form), if there is one.
    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::AuthLogin => "auth.login",
            Action::AuthLoginFailed => "auth.login_failed",
            Action::AuthLogout => "auth.logout",
            Action::AuthLocked => "auth.locked",
            Action::AuthPasswordResetRequested => "auth.password_reset_requested",
            Action::AuthPasswordReset => "auth.password_reset",
            Action::UserCreated => "user.created",
            Action::UserUpdated => "user.updated",
            Action::UserUnlocked => "user.unlocked",
            Action::FolderCreated => "folder.created",
            Action::UploadCreated => "upload.created",
            Action::UploadCompleted => "upload.completed",
            Action::UploadFailed => "upload.failed",
            Action::UploadExpired => "upload.expired",
            Action::UploadAborted => "upload.aborted",
            Action::FileDownloaded => "file.downloaded",
            Action::FileDeleted => "file.deleted",
            Action::FileHeld => "file.held",
            Action::FileRestored => "file.restored",
            Action::FilePurged => "file.purged",
            Action::FileInfected => "file.infected",
            Action::LinkCreated => "link.created",
            Action::LinkRevoked => "link.revoked",
            Action::LinkUpdated => "link.updated",
            Action::LinkDownloaded => "link.downloaded",
            Action::LinkExhausted => "link.exhausted",
            Action::LinkUnlockFailed => "link.unlock_failed",
            Action::LinkUploaded => "link.uploaded",
            Action::PermissionChanged => "permission.changed",
            Action::WebhookCreated => "webhook.created",
            Action::WebhookDeleted => "webhook.deleted",
            Action::WebhookUpdated => "webhook.updated",
            Action::WebhookSecretRotated => "webhook.secret_rotated",
            // Recorded when too many deliveries in a row were given up.
            Action::WebhookDisabled => "webhook.disabled",
            Action::FolderRenamed => "folder.renamed",
            Action::FolderUpdated => "folder.updated",
            Action::FolderMoved => "folder.moved",
            Action::FolderCopied => "folder.copied",
            Action::FolderDeleted => "folder.deleted",
            Action::FolderHeld => "folder.held",
            Action::FolderRestored => "folder.restored",
            Action::FolderPurged => "folder.purged",
            Action::FileRenamed => "file.renamed",
            Action::FileUpdated => "file.updated",
            Action::FileMoved => "file.moved",
            Action::FileCopied => "file.copied",
            Action::FileVersionCreated => "file.version_created",
            Action::FileVersionRestored => "file.version_restored",
            Action::FileVersionDeleted => "file.version_deleted",
            Action::TrashEmptied => "trash.emptied",
            Action::GroupCreated => "group.created",
            Action::GroupUpdated => "group.updated",
            Action::GroupDeleted => "group.deleted",
            Action::GroupMemberAdded => "group.member_added",
            Action::GroupMemberRemoved => "group.member_removed",
            Action::CommentCreated => "comment.created",
            Action::CommentUpdated => "comment.updated",
            Action::CommentDeleted => "comment.deleted",
            Action::TokenCreated => "token.created",
            Action::TokenRevoked => "token.revoked",
            Action::DeviceWiped => "device.wiped",
            Action::DeviceWipeConfirmed => "device.wipe_confirmed",
            Action::CompanyCreated => "company.created",
            Action::CompanyUpdated => "company.updated",
            Action::CompanyDeleted => "company.deleted",
            Action::PolicyChanged => "policy.changed",
            Action::Auth2faEnabled => "auth.2fa_enabled",
            Action::Auth2faDisabled => "auth.2fa_disabled",
            Action::Auth2faRecoveryUsed => "auth.2fa_recovery_used",
            Action::UserDeleted => "user.deleted",
            Action::UserRestored => "user.restored",
            Action::UserPurged => "user.purged",
            Action::UserLoginAdded => "user.login_added",
            Action::UserLoginRemoved => "user.login_removed",
            Action::AuthLoginKeyCreated => "auth.login_key_created",
            Action::AuthImpersonationStarted => "auth.impersonation_started",
            Action::QuotaRequested => "quota.requested",
            Action::QuotaRequestApproved => "quota.request_approved",
            Action::QuotaRequestDenied => "quota.request_denied",
            Action::AuthRegistrationRequested => "auth.registration_requested",
            Action::AuthRegistrationConfirmed => "auth.registration_confirmed",
            Action::UserRegistrationApproved => "user.registration_approved",
            Action::UserRegistrationDenied => "user.registration_denied",
            Action::ShareAccessRequested => "share.access_requested",
            Action::ShareAccessApproved => "share.access_approved",
            Action::ShareAccessDenied => "share.access_denied",
            Action::UserPictureChanged => "user.picture_changed",
            Action::UserPictureRemoved => "user.picture_removed",
            Action::CompanyLogoChanged => "company.logo_changed",
            Action::CompanyLogoRemoved => "company.logo_removed",
            Action::BlobCorrupt => "blob.corrupt",
        }
    }
}

/// Whether an audited attempt succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_unique_and_dotted() {
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.as_str()).collect();
        assert!(names.iter().all(|n| n.contains('.')));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }
}

/// What an audit event is about (its `target.type` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    User,
    Folder,
    File,
    Upload,
    Link,
    Webhook,
    Group,
    Token,
    Company,
    /// A policy, named `<company|group|user>:<id>`.
    Policy,
    /// A stored content, named by its SHA-256.
    Blob,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::User => "user",
            TargetKind::Folder => "folder",
            TargetKind::File => "file",
            TargetKind::Upload => "upload",
            TargetKind::Link => "link",
            TargetKind::Webhook => "webhook",
            TargetKind::Group => "group",
            TargetKind::Token => "token",
            TargetKind::Company => "company",
            TargetKind::Policy => "policy",
            TargetKind::Blob => "blob",
        }
    }
}
