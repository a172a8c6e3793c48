//! The Ferry v1 wire types, shared by the server (which documents them in OpenAPI) and the
//! client. Field names and shapes follow `docs/api-contract.md` to the letter.
//!
//! One module per resource; every type is re-exported here, so callers name them
//! `ferry_api::Folder`, `ferry_api::CreateUpload`, whatever module they live in.
#![forbid(unsafe_code)]

mod analytics;
mod archives;
mod audit;
mod auth;
mod changes;
mod comments;
mod companies;
mod errors;
mod files;
mod folders;
mod groups;
mod links;
mod mail;
mod me;
mod notices;
mod ops;
mod patch;
mod registrations;
mod sharing;
mod tasks;
mod tokens;
mod uploads;
mod users;
mod webhooks;

pub use analytics::{Usage, UsageNow, UsagePeriod};
pub use archives::ArchiveRequest;
pub use audit::{AuditVerification, Event, EventList, Target};
pub use auth::{
    LoginKey, LoginKeyRequest, LoginRequest, OtpCode, PasswordResetConfirm, PasswordResetRequest,
    RecoveryCodes, Session, TwoFactorEnrolment, TwoFactorStatus,
};
pub use changes::{Change, ChangeList};
pub use comments::{Comment, CommentList, CommentTask, CommentUser, CreateComment, UpdateComment};
pub use companies::{
    Branding, BrandingPatch, Company, CompanyInput, CompanyList, Policy, QuotaLimit,
};
pub use errors::{ErrorBody, ErrorDetail};
pub use files::{
    BatchError, BatchRequest, BatchResult, BatchResults, File, FileList, FileMoveResult,
    FileVersion, FileVersionList, Gps, Media, MoveFile, Resolved, RestoreItem, RestoredItem,
    Retention, Scan, SearchResults, TemporaryLink, TrashItem, TrashList, UpdateFile,
    UploadedViaLink,
};
pub use folders::{
    CreateFolder, DryRun, Folder, FolderList, FolderMoveResult, FolderSize, MoveFolder,
    UpdateFolder,
};
pub use groups::{CreateGroup, Group, GroupList, GroupMember, GroupMemberList, UpdateGroup};
pub use links::{
    CreateLink, CreateUploadLink, Link, LinkAccess, LinkFileItem, LinkFolderItem, LinkInfo,
    LinkItems, LinkList, SaveLink, UnlockLink, UpdateLink,
};
pub use mail::{Mail, MailList};
pub use me::{
    AccountLogin, AccountLoginList, AddLogin, ChangePassword, CreateQuotaRequest,
    DecideQuotaRequest, PutSetting, QuotaRequest, QuotaRequestList, Setting, SettingList, UpdateMe,
};
pub use notices::{Notice, NoticeList};
pub use ops::{Health, ReadyDetails};
pub use registrations::{
    RegisterConfirm, RegisterRequest, Registration, RegistrationConfirmed, RegistrationList,
};
pub use sharing::{
    AcceptInvitation, Collaboration, CollaborationList, CreateCollaboration, InvitationList,
    Inviter, Principal, TransferFolder, UpdateCollaboration,
};
pub use sharing::{
    AccessRequest, AccessRequestList, ApproveAccessRequest, CreateAccessRequest, DirectoryFolder,
    DirectoryList,
};
pub use tasks::{Queued, Task, TaskError, TaskProgress};
pub use tokens::{CreateToken, IssuedToken, Token, TokenList};
pub use uploads::{CompleteUpload, CreateUpload, PartReceipt, Upload, UploadList, UploadPart};
pub use users::{
    CreateUser, DeleteUser, LoginExists, Owner, Quota, UpdateUser, User, UserList, UserQuota,
    UserSummary,
};
pub use webhooks::{
    CreateWebhook, UpdateWebhook, Webhook, WebhookAttempt, WebhookDelivery, WebhookDeliveryList,
    WebhookList,
};
