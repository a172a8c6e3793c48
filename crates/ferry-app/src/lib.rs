//! Ferry's application layer: the use cases every door (the JSON API, tus, and later WebDAV,
//! the seed-compatible paths and the portal) calls, transport-free. Every operation takes a
//! [`Caller`], checks access in the one policy module ([`access`]), opens its transaction,
//! writes, audits and commits. Its error is a domain error ([`Error`]), not an HTTP one; this
//! crate depends on no HTTP server crate.
#![forbid(unsafe_code)]

pub mod access;
pub mod access_requests;
pub mod accounts;
pub mod analytics;
pub mod archives;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod caller;
pub mod changes;
pub mod clock;
pub mod coherence;
pub mod comments;
pub mod companies;
pub mod config;
pub mod error;
pub mod favorites;
pub mod files;
pub mod fileshare;
pub mod folder_copy;
pub mod folder_links;
pub mod folders;
pub mod groups;
pub mod inline_blobs;
pub mod jobs;
pub mod link_access;
pub mod link_receipts;
pub mod link_save;
pub mod links;
pub mod locks;
pub mod logins;
pub mod mail;
pub mod me;
pub mod media;
pub mod media_audio;
pub mod messages;
pub mod namespace;
pub mod notices;
pub mod password_reset;
pub mod passwords;
pub mod pictures;
pub mod policies;
pub mod previews;
pub mod quota_requests;
pub mod rate_limits;
pub mod registrations;
pub mod render;
pub mod scan;
pub mod scrub;
pub mod search;
pub mod sharing;
pub mod state;
pub mod stats;
pub mod support;
pub mod tasks;
pub mod temporary_links;
pub mod thumbnails;
pub mod token_cache;
pub mod tokens;
pub mod trash;
pub mod tree_cache;
pub mod two_factor;
pub mod upload_links;
pub mod uploads;
pub mod users;
pub mod versions;
pub mod webdav;
pub mod webhooks;
pub mod workers;

pub use caller::{Actor, Caller, Origin};
pub use config::Config;
pub use error::{Error, Result};
pub use state::AppState;
