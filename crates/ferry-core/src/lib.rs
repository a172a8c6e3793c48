//! Ferry's domain: identifiers, roles and permissions, validation of user input, the audit
//! catalogue and time helpers, the parsers of what arrives on the wire (`wire`) and the signed
//! link tokens (`tokens`). No I/O lives here, so every rule can be unit-tested (and fuzzed) in
//! isolation.
#![forbid(unsafe_code)]

pub mod audit;
pub mod ids;
pub mod model;
pub mod secrets;
pub mod tasks;
pub mod timefmt;
pub mod tokens;
pub mod validate;
pub mod wire;

pub use ids::{
    AccessRequestId, CommentId, CompanyId, DeliveryId, EventId, FileId, FolderId, GroupId, IdKind,
    LinkId, MailId, NoticeId, QuotaRequestId, RegistrationId, RequestId, ShareId, TaskId, TokenId,
    UploadId, UserId, WebhookId,
};
pub use model::{
    CompanyStatus, FileState, FolderRole, ItemKind, OnConflict, Permission, Role, ScanStatus, Sort,
    SortKey, TokenKind, TokenScope, TokenScopes, TrashState, UploadStatus, Visibility,
};
pub use tasks::{TaskKind, TaskStatus};
pub use validate::Invalid;
