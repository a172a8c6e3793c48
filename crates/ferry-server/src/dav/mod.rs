//! WebDAV (RFC 4918, class 1 and 2) at `/dav/`: the caller's root as a tree. A thin door:
//! it authenticates, answers what dav-server would answer differently from Ferry's rules
//! (`Depth: infinity`, downloads), and hands the rest to dav-server over a filesystem
//! ([`fs::FerryFs`]) and a lock system ([`locks::DbLocks`]) that call ferry-app.

pub mod fs;
pub mod locks;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use dav_server::{DavHandler, DavMethod, DavMethodSet};
use ferry_app::namespace::Resolved;
use ferry_app::{AppState, access, auth, files, webdav};
use ferry_core::wire::webdav::unterminated_if;

use crate::error::ApiError;
use crate::http::auth::{AuthUser, changes_something};
use crate::http::context::Ctx;

/// Where WebDAV is served.
pub const PREFIX: &str = "/dav";

/// The `/dav` routes. Bodies are streamed (PUT) or read by dav-server with its own limit
/// (64 KiB of XML), so axum's body limit does not apply.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(PREFIX, any(handle))
        .route("/dav/", any(handle))
        .route("/dav/{*path}", any(handle))
        .layer(DefaultBodyLimit::disable())
}

async fn handle(State(state): State<AppState>, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let me = match authenticate(&mut parts, &state).await {
        Ok(me) => me,
        Err(e) => return challenge(e),
    };
    let caller = me.caller();

    // RFC 4918 §9.1: a server may refuse `Depth: infinity`, with 403 and this precondition.
    // (dav-server answers 501, and walks the whole tree for a litmus client.)
    if parts.method.as_str() == "PROPFIND"
        && parts
            .headers
            .get("depth")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|d| d.trim().eq_ignore_ascii_case("infinity"))
    {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <D:error xmlns:D=\"DAV:\"><D:propfind-finite-depth/></D:error>\n",
        )
            .into_response();
    }

    // dav-server's `If:` parser indexes past the end of an unterminated `<…` or `[…` (a
    // panic, so a 500); such a header is malformed: 400.
    if parts
        .headers
        .get_all("if")
        .iter()
        .any(|v| unterminated_if(v.as_bytes()))
    {
        return StatusCode::BAD_REQUEST.into_response();
    }

    // Files are downloaded exactly as `GET /files/{id}/content` does it (ranges, ETag,
    // presigned redirects, the download audited); everything else goes to dav-server.
    if (parts.method == Method::GET || parts.method == Method::HEAD)
        && let Some(path) = decoded_path(parts.uri.path())
        && let Ok(Some(Resolved::File(entry))) = webdav::resolve(&state, &caller, &path).await
    {
        let served = async {
            let (file, _) = files::downloadable(&state, &caller, &entry.file.id).await?;
            // The ETag is `getetag`'s (see `fs::Meta::file`), so that a client's
            // conditional requests mean the same on every method.
            let mut blob = crate::http::content::Blob::of(&file);
            blob.etag = format!("\"{}\"", fs::file_etag(&file));
            crate::http::files::serve_content(&state, &caller, &file, blob, &parts.headers).await
        };
        return served.await.unwrap_or_else(IntoResponse::into_response);
    }

    let credentials = fs::DavCaller {
        caller: caller.clone(),
        method: parts.method.clone(),
    };
    // No SabreDAV-style PATCH: its `X-Update-Range: append` opens the file without a seek,
    // which would read as a whole new content. `PUT` with `Content-Range` does the same job
    // (see `fs::PutFile`).
    let mut methods = DavMethodSet::all();
    methods.remove(DavMethod::Patch);
    let is_options = parts.method == Method::OPTIONS;
    let handler = DavHandler::builder()
        .strip_prefix(PREFIX)
        .methods(methods)
        .filesystem(Box::new(fs::FerryFs { app: state.clone() }))
        .locksystem(Box::new(locks::DbLocks {
            app: state.clone(),
            caller,
            prefix: PREFIX,
        }))
        .build_handler();
    let req = Request::from_parts(parts, body);
    let mut res = handler
        .handle_guarded(req, me.user.id.to_string(), credentials)
        .await;
    if is_options {
        // dav-server also claims class 3 and partial updates, which Ferry does not offer.
        res.headers_mut()
            .insert("dav", HeaderValue::from_static("1, 2"));
    }
    res.map(Body::new)
}

/// The path under `/dav` with its percent-encoding undone, for the download shortcut (the
/// same decoding dav-server applies; anything it would refuse is left to it).
fn decoded_path(raw: &str) -> Option<String> {
    let rest = raw.strip_prefix(PREFIX)?;
    let mut path = String::with_capacity(rest.len());
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        let name = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .ok()?;
        // `.`, `..` and encoded slashes are dav-server's to resolve (or refuse).
        if name == "." || name == ".." || name.contains(['/', '\0']) {
            return None;
        }
        path.push('/');
        path.push_str(&name);
    }
    Some(path)
}

/// HTTP Basic (a password, or an API token as the password, for clients that only know
/// Basic) or a bearer token, with the JSON API's checks: lockout, policies, token scopes
/// (PROPFIND, GET, HEAD and OPTIONS read; every other method writes).
async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<AuthUser, ApiError> {
    if let Some((login, password)) = basic_credentials(parts) {
        let origin = Ctx::from_request_parts(parts, state)
            .await
            .unwrap_or_default()
            .0;
        // A token is tried first so that it never counts as a failed password.
        if let Ok(bearer) = auth::resolve_token(state, &origin, &password).await
            && bearer.user.login.eq_ignore_ascii_case(&login)
        {
            access::token_permits(bearer.token.scopes, changes_something(&parts.method))?;
            return Ok(AuthUser::of_bearer(bearer, origin));
        }
    }
    AuthUser::from_request_parts(parts, state).await
}

fn basic_credentials(parts: &Parts) -> Option<(String, String)> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (login, password) = decoded.split_once(':')?;
    Some((login.to_string(), password.to_string()))
}

/// The error response; a `401` asks for Basic credentials, which every WebDAV client knows.
fn challenge(e: ApiError) -> Response {
    let mut res = e.into_response();
    if res.status() == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Ferry\""),
        );
    }
    res
}
