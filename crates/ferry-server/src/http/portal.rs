//! The web portal's door: the single-page app built into `web/dist` and embedded in the binary
//! by `build.rs`. Hashed assets (`/assets/…`) are cached for a year; every other `GET` that is
//! not a server route and accepts `text/html` (a browser navigating) gets `index.html` (the app
//! routes it, `/s/{token}` included), under a strict Content-Security-Policy; anything else
//! unknown stays the API's JSON 404. Paths the server owns (`/api`, `/d/`, `/dav`, `/fileshare`)
//! never fall back to the app: they keep the API's JSON `404`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use ferry_app::Error;

/// One embedded file of `web/dist`.
pub struct Asset {
    /// The URL path, e.g. `/assets/index-3f2a1c.js`.
    pub path: &'static str,
    /// The bytes as built.
    pub body: &'static [u8],
    /// The same bytes gzipped at build time, when the portal build wrote a `.gz`.
    pub gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/portal_assets.rs"));

/// The portal's Content-Security-Policy: nothing inline, nothing from another origin.
/// `wasm-unsafe-eval` lets the upload worker compile its SHA-256 WebAssembly (hash-wasm);
/// it does not allow `eval` of JavaScript.
pub const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
worker-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; \
connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; \
base-uri 'none'; object-src 'none'";

/// Path prefixes that belong to the server: an unknown path below them is the API's 404.
const SERVER_PREFIXES: &[&str] = &["/api/", "/d/", "/dav/", "/fileshare/"];
const SERVER_PATHS: &[&str] = &["/api", "/d", "/dav", "/fileshare"];

/// The router's fallback: an embedded asset, the app's `index.html`, or the API's JSON 404.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    let owned_by_server = SERVER_PATHS.contains(&path)
        || SERVER_PREFIXES
            .iter()
            .any(|prefix| path.starts_with(prefix));
    if owned_by_server || (method != Method::GET && method != Method::HEAD) {
        return ApiError::App(Error::NotFound).into_response();
    }
    if let Some(asset) = find(path).filter(|_| path != "/index.html") {
        let cache = if path.starts_with("/assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=3600"
        };
        return serve(asset, cache, &headers, method == Method::HEAD);
    }
    let wants_html = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"));
    if !wants_html || path.starts_with("/assets/") || path.contains('.') && !path.starts_with("/s/")
    {
        // A missing file is a 404, not the app (a stale hashed name, a typo); so is a path
        // asked for by something other than a browser navigating (API clients, scripts).
        return ApiError::App(Error::NotFound).into_response();
    }
    match find("/index.html") {
        Some(index) => serve(index, "no-cache", &headers, method == Method::HEAD),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "The web portal was not built into this binary (web/dist was missing).\n",
        )
            .into_response(),
    }
}

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

fn serve(asset: &'static Asset, cache: &'static str, request: &HeaderMap, head: bool) -> Response {
    let accepts_gzip = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| coding.split(';').next().unwrap_or("").trim() == "gzip");
    let (body, gzipped) = match asset.gzip {
        Some(gz) if accepts_gzip => (gz, true),
        _ => (asset.body, false),
    };
    let mime = mime_guess::from_path(asset.path).first_or_octet_stream();
    let content_type = if mime.type_() == "text" || mime.subtype() == "javascript" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    let mut response = if head {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(body))
    };
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name, value: &str| {
        headers.insert(
            name,
            HeaderValue::from_str(value).expect("valid header value"),
        );
    };
    set(headers, header::CONTENT_TYPE, &content_type);
    set(headers, header::CONTENT_LENGTH, &body.len().to_string());
    set(headers, header::CACHE_CONTROL, cache);
    set(headers, header::VARY, "Accept-Encoding");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // A landing page's URL carries the link's token: never leak it in a Referer.
    set(headers, header::REFERRER_POLICY, "no-referrer");
    if gzipped {
        set(headers, header::CONTENT_ENCODING, "gzip");
    }
    if asset.path.ends_with(".html") {
        set(headers, header::CONTENT_SECURITY_POLICY, CSP);
        set(headers, header::X_FRAME_OPTIONS, "DENY");
    }
    response
}
