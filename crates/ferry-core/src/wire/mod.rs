//! Parsers and builders for what crosses the wire as text: `Range`/`If-Range`, tus headers,
//! `Content-Disposition`, WebDAV's `If`, and the seed-compatible request bodies. The doors call
//! these and map the outcome to their own errors; they are pure and small so that the fuzz
//! targets (`fuzz/`) reach them without building a server.

pub mod disposition;
pub mod ranges;
pub mod seed;
pub mod tus;
pub mod webdav;
