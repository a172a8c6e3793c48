//! API tests: a real server on a real socket, driven through `ferry-client` (and raw HTTP
//! where the point is a malformed request). Every test runs on SQLite and on PostgreSQL.

mod helpers;
mod inline_blobs;

mod account_mail;

mod audit;
mod expiry;
mod link_passwords;
mod links;
mod logins;
mod mail;
mod me;
mod media;
mod media_search;
mod organisations;
mod pictures;
mod retention;
mod scan;
mod scrub;

mod accounts;
mod archives;
mod auth;
mod changes;
mod comments;
mod dav;
mod dav_clients;
mod directory;
mod files;
mod folder_links;
mod folder_size_limits;
mod folders;
mod groups;
mod metrics_access;
mod multipart_sweep;
mod ops;
mod portal;
mod quota_requests;
mod rate_limits;
mod redirects;
mod seed_chunked;
mod seed_fileshare;
mod server;
mod sharing;
mod support;
mod tasks;
mod temporary_links;
mod thumbnails;
mod tls;
mod tokens;
mod tree;
mod tus;
mod two_factor;
mod upload_links;
mod upload_list;
mod uploads;
mod users;
mod versions;
mod webhooks;
