//! The transfer engine: resumable, parallel, verified uploads and downloads, paced by
//! `--limit-rate` and retried on failures that may pass. The commands in `cli/` decide what
//! to transfer and where, and print the outcome; everything about moving the bytes is here.

pub mod download;
pub mod files;
pub mod rate;
pub mod retry;
pub mod upload;
