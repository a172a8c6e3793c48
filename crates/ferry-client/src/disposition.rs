//! Reading the file name out of a `Content-Disposition` header: the parser lives in
//! `ferry_core::wire::disposition`, next to the server's encoder (and fuzzed with it).

pub use ferry_core::wire::disposition::filename;
