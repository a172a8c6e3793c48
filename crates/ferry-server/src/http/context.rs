//! Per-request context: the request id, error bodies in the contract's format, metrics.

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use ferry_api::{ErrorBody, ErrorDetail};
use ferry_app::Origin;
use ferry_app::messages::{self, Language};
use ferry_core::IdKind;
use http_body::{Frame, SizeHint};
use tracing::Instrument;

use crate::error::ErrorPayload;
use crate::http::client_addr::TrustedProxies;

/// The request's id, as sent back in `X-Request-Id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A client-supplied request id is kept if it is 1..=64 visible ASCII characters.
fn client_request_id(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?;
    let ok = !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| s.to_string())
}

/// What the request-context middleware needs from the configuration.
#[derive(Debug, Clone)]
pub struct ContextSettings {
    pub trusted_proxies: TrustedProxies,
    pub access_log: bool,
}

/// The client's address, after `server.trusted_proxies` (see [`TrustedProxies::client`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// Assigns the request id and the client address, renders error bodies with the id, records
/// metrics and writes the access log line.
pub async fn middleware(
    State(settings): State<Arc<ContextSettings>>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| settings.trusted_proxies.client(c.0.ip(), req.headers()));
    if let Some(ip) = client {
        req.extensions_mut().insert(ClientIp(ip));
    }
    let path = req.uri().path().to_string();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(client_request_id)
        .unwrap_or_else(|| IdKind::Request.generate());
    req.extensions_mut().insert(RequestId(id.clone()));
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let language = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Language::English, Language::from_accept_language);
    let http1 = req.version() <= axum::http::Version::HTTP_11;
    let body_done = Arc::new(AtomicBool::new(false));
    let req = req.map(|b| {
        Body::new(Counted::new(b, "ferry_http_received_bytes_total").tracking(body_done.clone()))
    });

    // `instrument`, not `span.enter()`: an entered guard held across an await corrupts the
    // span stack when the task moves between threads (it crashed the server under load).
    let span = tracing::info_span!("request", request_id = %id, %method, %route);
    let mut res = next.run(req).instrument(span).await;

    if let Some(err) = res.extensions_mut().remove::<ErrorPayload>() {
        render_error(&mut res, err, &id, language);
    } else if (res.status().is_client_error() || res.status().is_server_error())
        && res.headers().get(header::CONTENT_TYPE).is_none()
    {
        // A rejection produced by axum itself (unknown route, wrong method...).
        let (code, message) = match res.status() {
            StatusCode::NOT_FOUND => ("not_found", "Not found."),
            StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Method not allowed."),
            StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", "The request body is too large.")
            }
            s if s.is_server_error() => ("internal_error", "Internal error."),
            _ => ("bad_request", "Bad request."),
        };
        let payload = ErrorPayload {
            code,
            message: message.into(),
            field: None,
            details: None,
        };
        render_error(&mut res, payload, &id, language);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    // Answered before the request body was read (an early error): the connection cannot be
    // reused, so say so instead of letting the client's next request hit a closed socket.
    if http1 && !body_done.load(Ordering::Relaxed) {
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }

    let status_code = res.status().as_u16();
    if settings.access_log {
        // The path, never the query: a query may carry a token or a file name.
        tracing::info!(
            target: "ferry::access",
            request_id = %id,
            method = %method,
            path = %path,
            status = status_code,
            duration_ms = started.elapsed().as_millis() as u64,
            client = client.map(|ip| ip.to_string()).unwrap_or_default(),
            "request"
        );
    }
    let status = status_code.to_string();
    let labels = [
        ("method", method),
        ("route", route.clone()),
        ("status", status),
    ];
    metrics::counter!("ferry_http_requests_total", &labels).increment(1);
    metrics::histogram!("ferry_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    res.map(|b| Body::new(Counted::new(b, "ferry_http_sent_bytes_total")))
}

/// Writes the error body, its `message` in `language` where the catalogue has one (see
/// [`ferry_app::messages`]); `Content-Language` says which language it is.
fn render_error(res: &mut Response, err: ErrorPayload, request_id: &str, language: Language) {
    let (message, language) = match messages::message(err.code, language) {
        Some(translated) => (translated.to_string(), language),
        None => (err.message, Language::English),
    };
    res.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(language.tag()),
    );
    let body = ErrorBody {
        error: ErrorDetail {
            code: err.code.into(),
            message,
            request_id: request_id.into(),
            field: err.field,
            details: err.details,
        },
    };
    let json = serde_json::to_vec(&body).expect("error bodies serialize");
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res.headers_mut().remove(header::CONTENT_LENGTH);
    *res.body_mut() = Body::from(json);
}

/// A body that counts the bytes passing through it into a Prometheus counter, keeping its
/// size hint (so `Content-Length` survives).
struct Counted {
    inner: Body,
    metric: &'static str,
    pending: u64,
    /// Set once the body has been read to its end.
    done: Option<Arc<AtomicBool>>,
}

impl Counted {
    fn new(inner: Body, metric: &'static str) -> Self {
        Counted {
            inner,
            metric,
            pending: 0,
            done: None,
        }
    }

    fn tracking(mut self, done: Arc<AtomicBool>) -> Self {
        if http_body::Body::is_end_stream(&self.inner) {
            done.store(true, Ordering::Relaxed);
        }
        self.done = Some(done);
        self
    }

    fn flush(&mut self) {
        if self.pending > 0 {
            metrics::counter!(self.metric).increment(self.pending);
            self.pending = 0;
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.flush();
    }
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(poll, Poll::Ready(None))
            && let Some(done) = &self.done
        {
            done.store(true, Ordering::Relaxed);
        }
        if let Poll::Ready(Some(Ok(frame))) = &poll
            && let Some(data) = frame.data_ref()
        {
            self.pending += data.len() as u64;
            // Flush every 4 MiB so long transfers show up while they run.
            if self.pending >= 4 << 20 {
                self.flush();
            }
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Where the request came from, for the audit log: the application's [`Origin`], taken from
/// the request.
#[derive(Debug, Clone, Default)]
pub struct Ctx(pub Origin);

impl std::ops::Deref for Ctx {
    type Target = Origin;

    fn deref(&self) -> &Origin {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Ctx(Origin {
            request_id: parts
                .extensions
                .get::<RequestId>()
                .map(|r| r.0.clone())
                .unwrap_or_default(),
            ip: parts
                .extensions
                .get::<ClientIp>()
                .map(|c| c.0.to_string())
                .or_else(|| {
                    parts
                        .extensions
                        .get::<ConnectInfo<SocketAddr>>()
                        .map(|c| c.0.ip().to_string())
                }),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            // Known once the token is resolved (see `http::auth::AuthUser`).
            impersonated_by: None,
        }))
    }
}
