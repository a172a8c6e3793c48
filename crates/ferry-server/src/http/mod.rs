//! The HTTP surface: one router per resource, assembled under `/api/v1` with the OpenAPI
//! document generated from the same routes.

pub mod analytics;
pub mod archives;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod changes;
pub mod chunked;
pub mod client_addr;
pub mod comments;
pub mod companies;
pub mod conditional;
pub mod content;
pub mod context;
pub mod csv;
pub mod directory;
pub mod extract;
pub mod files;
pub mod fileshare;
pub mod folders;
pub mod groups;
pub mod links;
pub mod logins;
pub mod mail;
pub mod notices;
mod openapi;
pub mod ops;
pub mod pictures;
pub mod portal;
pub mod previews;
pub mod quota_requests;
pub mod rate_limit;
pub mod registrations;
pub mod search;
pub mod sharing;
pub mod slow;
pub mod support;
pub mod tasks;
pub mod tokens;
pub mod trash;
pub mod tus;
pub mod two_factor;
pub mod upload;
pub mod upload_links;
pub mod uploads;
pub mod users;
pub mod versions;
pub mod views;
pub mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use ferry_app::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ferry API",
        description = "Self-hosted file exchange: private folders, verified uploads, signed links, audit and webhooks. Every error has the body `{\"error\": {\"code\", \"message\", \"request_id\", \"field\"?, \"details\"?}}`; `message` is in the language `Accept-Language` prefers among English and German (`Content-Language` says which), the code never changes.\n\nAlso served, outside this document: tus 1.0 at `/api/v1/tus/` (creation, creation-with-upload, termination, checksum sha1/sha256, expiration, concatenation; `Upload-Metadata` carries `filename`, `folder_id` and optionally `checksum_sha256`), WebDAV (RFC 4918, classes 1 and 2) at `/dav/` (the caller's folders as a tree; Basic or bearer auth; see docs/webdav.md), seed 003's chunked upload sessions at `/api/2.0/files/{folder_id}/upload/create_session` (see docs/uploads.md), seed 004's `/fileshare/uploads` (see docs/uploads.md), and `/healthz`, `/readyz`, `/metrics` (Prometheus) at the server root.",
        version = "1"
    ),
    servers((url = "/api/v1")),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Sessions and the current user"),
        (name = "users", description = "Admin: user management"),
        (name = "groups", description = "Groups of users: admins manage them, members see them"),
        (name = "companies", description = "Companies (tenants): status, quota, default user quota, branding"),
        (name = "pictures", description = "Profile pictures and company logos: uploaded, re-encoded without metadata, served in sizes"),
        (name = "policies", description = "Rules on a company, a group or a user; the most restrictive wins"),
        (name = "folders", description = "The folder tree: folders, subfolders, their files, paths"),
        (name = "files", description = "File metadata, content, upload, move, copy and deletion"),
        (name = "trash", description = "Deleted files and folders: restore, purge, empty"),
        (name = "sharing", description = "Collaborators on folders, roles, invitations"),
        (name = "notices", description = "What a user should hear about: invitations and their answers"),
        (name = "comments", description = "Comments and tasks on files, with @mentions"),
        (name = "tasks", description = "Work that outlasts its request: a copy of a big tree, emptying a big trash"),
        (name = "uploads", description = "Resumable, parallel, verified uploads"),
        (name = "links", description = "Signed download links that count downloads exactly"),
        (name = "changes", description = "The change feed: what changed in what the caller can read, in commit order, paged or as Server-Sent Events"),
        (name = "audit", description = "Search, export and verify the tamper-evident audit log"),
        (name = "webhooks", description = "Signed HTTP callbacks for audit events, with retries and a delivery log"),
        (name = "mail", description = "Admin: the mail outbox (password resets, invitations, upload-link notices)"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        // An upload link's token, instead of credentials, on the resumable upload calls.
        components.add_security_scheme(
            "link_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Link-Token"))),
        );
    }
}

/// The `/api/v1` routes with their OpenAPI descriptions.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(users::router())
        .merge(logins::router())
        .merge(support::router())
        .merge(quota_requests::router())
        .merge(registrations::router())
        .merge(directory::router())
        .merge(analytics::router())
        .merge(tokens::router())
        .merge(two_factor::router())
        .merge(groups::router())
        .merge(companies::router())
        .merge(pictures::router())
        .merge(folders::router())
        .merge(files::router())
        .merge(previews::router())
        .merge(archives::router())
        .merge(trash::router())
        .merge(search::router())
        .merge(batch::router())
        .merge(versions::router().layer(DefaultBodyLimit::disable()))
        .merge(upload::router().layer(DefaultBodyLimit::disable()))
        .merge(uploads::router())
        .merge(links::router())
        .merge(upload_links::router().layer(DefaultBodyLimit::disable()))
        .merge(audit::router())
        .merge(changes::router())
        .merge(webhooks::router())
        .merge(mail::router())
        .merge(tasks::router())
        .merge(sharing::router())
        .merge(notices::router())
        .merge(comments::router())
}

/// The OpenAPI document served at `/api/v1/openapi.json`.
pub fn openapi_document() -> serde_json::Value {
    openapi::normalise(api_routes().split_for_parts().1)
}

/// The whole application. `trusted_proxies` is `server.trusted_proxies`, parsed.
pub fn app(state: AppState, trusted_proxies: client_addr::TrustedProxies) -> Router {
    let context = std::sync::Arc::new(context::ContextSettings {
        trusted_proxies,
        access_log: state.config.log.access,
    });
    let state_limits = state.config.rate_limits.clone();
    let shared_limits = ferry_app::rate_limits::shared(&state).then(|| state.clone());
    let (api_router, openapi) = api_routes().split_for_parts();
    let openapi = openapi::normalise(openapi);
    let body_idle = Duration::from_secs(state.config.server.body_idle_timeout_secs);
    let min_rate = slow::MinRate {
        bytes_per_sec: state.config.server.min_body_rate_bytes_per_sec,
        grace: Duration::from_secs(state.config.server.min_body_rate_grace_secs),
    };
    let tls = &state.config.server.tls;
    let hsts = (tls.enabled() && tls.hsts_max_age_secs > 0).then(|| {
        axum::http::HeaderValue::from_str(&format!("max-age={}", tls.hsts_max_age_secs))
            .expect("a number is a valid header value")
    });
    Router::new()
        .nest("/api/v1", api_router)
        .merge(tus::router().layer(DefaultBodyLimit::disable()))
        .merge(chunked::router().layer(DefaultBodyLimit::disable()))
        .merge(fileshare::router().layer(DefaultBodyLimit::disable()))
        .merge(crate::dav::router())
        .merge(SwaggerUi::new("/api/docs").external_url_unchecked("/api/v1/openapi.json", openapi))
        .merge(ops::router())
        .merge(links::public_router())
        .fallback(portal::fallback)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            min_rate,
            slow::middleware,
        ))
        .layer(RequestBodyTimeoutLayer::new(body_idle))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(rate_limit::RateLimits::new(&state_limits).shared(shared_limits)),
            rate_limit::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            context,
            context::middleware,
        ))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::map_response_with_state(
            hsts,
            strict_transport,
        ))
}

/// `Strict-Transport-Security` on every response while TLS is on.
async fn strict_transport(
    axum::extract::State(hsts): axum::extract::State<Option<axum::http::HeaderValue>>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    if let Some(value) = hsts {
        response
            .headers_mut()
            .insert(axum::http::header::STRICT_TRANSPORT_SECURITY, value);
    }
    response
}
