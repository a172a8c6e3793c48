//! WebDAV requests as the WebDAV door hands them to dav-server, which parses their XML bodies
//! (PROPFIND, PROPPATCH, LOCK) and `If`/`Lock-Token` headers; Ferry's `DavFileSystem` and
//! `DavLockSystem` only see the parsed result. Here over dav-server's in-memory file and lock
//! systems, with a folder and a file to address, after the door's own checks
//! (`Depth: infinity` on PROPFIND refused; an `If` that `ferry_core::wire::webdav` finds
//! unterminated refused). Properties: never a panic; never a 5xx; every body reads to the end.
//!
//! Input: a selector byte (method, path, depth), the length of an `If` header (0: none), the
//! header, then the body.
#![no_main]

use bytes::Bytes;
use dav_server::DavHandler;
use dav_server::memfs::MemFs;
use dav_server::memls::MemLs;
use ferry_core::wire::webdav::unterminated_if;
use http_body_util::{BodyExt, Full};
use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 4] = ["PROPFIND", "PROPPATCH", "LOCK", "UNLOCK"];
const PATHS: [&str; 4] = ["/", "/folder/", "/folder/file.txt", "/new.txt"];
const DEPTHS: [Option<&str>; 4] = [None, Some("0"), Some("1"), Some("infinity")];

fuzz_target!(|data: &[u8]| {
    let [selector, if_len, rest @ ..] = data else {
        return;
    };
    let if_len = usize::from(*if_len).min(rest.len());
    let (if_header, body) = rest.split_at(if_len);
    let method = METHODS[usize::from(selector & 3)];
    let path = PATHS[usize::from((selector >> 2) & 3)];
    let depth = DEPTHS[usize::from((selector >> 4) & 3)];
    // What the door answers itself (403 and 400), dav-server never sees.
    if method == "PROPFIND" && depth == Some("infinity") {
        return;
    }
    if !if_header.is_empty() && unterminated_if(if_header) {
        return;
    }
    futures::executor::block_on(async {
        let handler = DavHandler::builder()
            .filesystem(MemFs::new())
            .locksystem(MemLs::new())
            .build_handler();
        let setup = [
            ("MKCOL", "/folder/", Bytes::new()),
            ("PUT", "/folder/file.txt", Bytes::from_static(b"hello")),
        ];
        for (m, p, b) in setup {
            let req = http::Request::builder()
                .method(m)
                .uri(p)
                .body(Full::new(b))
                .unwrap();
            let res = handler.handle(req).await;
            assert!(res.status().is_success(), "{m} {p}: {}", res.status());
        }
        let mut req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/xml");
        if let Some(d) = depth {
            req = req.header("depth", d);
        }
        if !if_header.is_empty() {
            req = req.header("if", if_header);
        }
        if method == "UNLOCK" {
            req = req.header("lock-token", body);
        }
        // A header value the HTTP layer would not have accepted.
        let Ok(req) = req.body(Full::new(Bytes::copy_from_slice(body))) else {
            return;
        };
        let res = handler.handle(req).await;
        assert!(
            !res.status().is_server_error(),
            "{method} {path}: {}",
            res.status()
        );
        let _ = res.into_body().collect().await;
    });
});
