//! The command line client against a real server: the server runs in-process on
//! 127.0.0.1:0 with a temp data dir, the real `ferry` binary runs with its own config dir.

mod helpers;

mod admin;
mod archives;
mod audit;
mod auth;
mod backup;
mod comments;
mod companies;
mod errors;
mod files;
mod find;
mod groups;
mod links;
mod media;
mod sharing;
mod sync;
mod tls;
mod tokens;
mod transfer;
mod tree;
mod two_factor;
mod uploads;
mod versions;
mod webhooks;
