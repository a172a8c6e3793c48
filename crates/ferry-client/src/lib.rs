//! A typed HTTP client for the Ferry v1 API, over the wire types of `ferry-api`. The CLI and
//! the API tests use it.
//!
//! [`Client`] and its request machinery live in `client`, [`ClientError`] in `error`; each
//! resource's calls are an `impl Client` block in that resource's module.
#![forbid(unsafe_code)]

pub mod disposition;

mod archives;
mod audit;
mod auth;
mod changes;
mod client;
mod comments;
mod companies;
mod error;
mod files;
mod folders;
mod groups;
mod links;
mod search;
mod sharing;
mod tasks;
mod tree;
mod upload_links;
mod uploads;
mod users;
mod versions;
mod webhooks;

pub use client::{Client, all_pages};
pub use error::{ClientError, Result};
pub use files::Download;
pub use links::{download_url, link_token};
pub use search::SearchQuery;
pub use tasks::Started;
pub use upload_links::Uploader;
