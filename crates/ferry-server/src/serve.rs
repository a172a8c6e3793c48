//! The accept loop and each connection's life. `axum::serve` sets no hyper timer, so it has no
//! header-read timeout; this loop adds what a server on the internet needs:
//! - a first-byte deadline: the HTTP/1-vs-HTTP/2 detection happens here, under
//!   `header_read_timeout`, so a socket that never sends a byte is closed;
//! - an idle timeout for HTTP/1 keep-alive and HTTP/2 connections alike (hyper has none for
//!   HTTP/2: a client that sends only the preface and SETTINGS would stay forever);
//! - a cap on open connections per client address, and backoff when `accept` fails (out of
//!   file descriptors);
//! - TLS when `server.tls` is set: the handshake happens under the same first-byte deadline,
//!   and ALPN (`h2`, `http/1.1`) picks the protocol;
//! - hyper's own protocol errors (400, 414, 431, written before any request reaches the router)
//!   rewritten into the contract's error body with an `X-Request-Id`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use bytes::Bytes;
use ferry_core::IdKind;
use http_body::{Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Reverse proxies: exempt from the per-address connection cap (every client behind them
    /// shares their address).
    pub trusted_proxies: crate::http::client_addr::TrustedProxies,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections_per_ip: usize,
    pub grace: Duration,
    /// TLS termination, when configured.
    pub tls: Option<Arc<crate::tls::Tls>>,
}

/// Serves until `shutdown` changes, then lets connections finish for up to `grace`.
pub async fn run(
    listener: TcpListener,
    app: Router,
    settings: Settings,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let builders = Arc::new(Builders::new(&settings));
    let per_ip = Arc::new(PerIp::new(settings.max_connections_per_ip));
    let connections = TaskTracker::new();
    let (close, close_rx) = watch::channel(false);
    let mut backoff = AcceptBackoff::default();
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    backoff.wait(&e).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        backoff.reset();
        let slot = if settings.trusted_proxies.contains(remote.ip()) {
            None
        } else if let Some(slot) = per_ip.acquire(remote.ip()) {
            Some(slot)
        } else {
            metrics::counter!("ferry_connections_refused_total", "reason" => "per_ip_limit")
                .increment(1);
            drop(stream);
            continue;
        };
        connections.spawn(connection(
            stream,
            remote,
            slot,
            app.clone(),
            builders.clone(),
            settings.clone(),
            close_rx.clone(),
        ));
    }
    drop(listener);
    let _ = close.send(true);
    connections.close();
    tokio::select! {
        _ = connections.wait() => {}
        _ = tokio::time::sleep(settings.grace) => {
            tracing::warn!("grace period over; closing remaining connections");
        }
    }
    Ok(())
}

/// One hyper builder per protocol: the protocol is known before hyper sees the connection.
struct Builders {
    http1: Builder<TokioExecutor>,
    http2: Builder<TokioExecutor>,
}

impl Builders {
    fn new(settings: &Settings) -> Self {
        let mut http1 = Builder::new(TokioExecutor::new()).http1_only();
        http1
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(settings.header_read_timeout)
            .keep_alive(true);
        let mut http2 = Builder::new(TokioExecutor::new()).http2_only();
        http2
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(Some(Duration::from_secs(20)))
            .keep_alive_timeout(Duration::from_secs(20));
        Builders { http1, http2 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http1,
    Http2,
}

const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Peeks at the first bytes: `None` when the client closed without sending anything.
async fn sniff(stream: &TcpStream) -> io::Result<Option<Protocol>> {
    let mut buf = [0u8; HTTP2_PREFACE.len()];
    loop {
        let n = stream.peek(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        if buf[..n] != HTTP2_PREFACE[..n] {
            return Ok(Some(Protocol::Http1));
        }
        if n == HTTP2_PREFACE.len() {
            return Ok(Some(Protocol::Http2));
        }
        // Part of the HTTP/2 preface: peek returns at once while those bytes wait, so wait a
        // little for the rest (the caller's deadline bounds this).
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    _slot: Option<Slot>,
    app: Router,
    builders: Arc<Builders>,
    settings: Settings,
    mut close: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let (stream, protocol) = match &settings.tls {
        None => {
            match tokio::time::timeout(settings.header_read_timeout, sniff(&stream)).await {
                Ok(Ok(Some(protocol))) => (Io::Plain(stream), protocol),
                // Silent past the deadline, closed, or broken: nothing to answer.
                _ => return,
            }
        }
        Some(tls) => {
            let handshake = tls.acceptor().accept(stream);
            let stream = match tokio::time::timeout(settings.header_read_timeout, handshake).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, %remote, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let protocol = if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                Protocol::Http2
            } else {
                Protocol::Http1
            };
            (Io::Tls(Box::new(stream)), protocol)
        }
    };
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
        rewrite: (protocol == Protocol::Http1).then(Rewrite::default),
    });
    let in_flight = activity.clone();
    let service = tower::service_fn(move |req: Request<hyper::body::Incoming>| {
        let guard = InFlight::enter(in_flight.clone());
        let mut req = req.map(Body::new);
        req.extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(remote));
        // Before routing: a method override changes which route matches.
        let req = crate::http::tus::method_override(req);
        let response = app.clone().oneshot(req);
        async move {
            let response = response.await?;
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(Guarded {
                    inner: body,
                    _guard: guard,
                })
            }))
        }
    });
    let service = hyper_util::service::TowerToHyperService::new(service);
    let builder = match protocol {
        Protocol::Http1 => &builders.http1,
        Protocol::Http2 => &builders.http2,
    };
    let conn = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, %remote, "connection ended with an error");
                }
                return;
            }
            _ = close.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            // Nothing in flight: close at once. (A graceful HTTP/2 shutdown would wait for the
            // client to answer a PING, which an idle attacker never does.)
            _ = activity.idle(settings.idle_timeout) => return,
        }
    }
}

/// When a connection last moved a byte, and how many requests on it are unfinished (a
/// request is finished when its response body has been sent or dropped).
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    /// Resolves once the connection has had no request in flight and no traffic for `limit`.
    async fn idle(&self, limit: Duration) {
        loop {
            let now = self.start.elapsed();
            let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let quiet = now.saturating_sub(last);
            if self.in_flight.load(Ordering::Relaxed) == 0 && quiet >= limit {
                return;
            }
            let wait = if quiet >= limit { limit } else { limit - quiet };
            tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
        }
    }
}

/// Counts one request as in flight for as long as it lives.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn enter(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its request in flight until it is done.
struct Guarded {
    inner: Body,
    _guard: InFlight,
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The connection's socket: notes activity, and on HTTP/1 rewrites hyper's bare error
/// responses.
struct Tracked {
    inner: Io,
    activity: Arc<Activity>,
    rewrite: Option<Rewrite>,
}

/// The connection's byte stream: plain TCP, or TLS over it.
enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A replacement response being written in place of hyper's.
#[derive(Default)]
struct Rewrite {
    pending: Option<(Vec<u8>, usize)>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        poll
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Some(rewrite) = &mut this.rewrite {
            if rewrite.pending.is_none()
                && this.activity.in_flight.load(Ordering::Relaxed) == 0
                && let Some(status) = bare_protocol_error(buf)
            {
                rewrite.pending = Some((protocol_error_response(status), 0));
            }
            if let Some((replacement, written)) = &mut rewrite.pending {
                while *written < replacement.len() {
                    let n =
                        ready!(Pin::new(&mut this.inner).poll_write(cx, &replacement[*written..]))?;
                    if n == 0 {
                        return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                    }
                    *written += n;
                }
                rewrite.pending = None;
                this.activity.touch();
                // hyper's own bytes count as written: they were replaced.
                return Poll::Ready(Ok(buf.len()));
            }
        }
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        // hyper then writes each response head in one contiguous buffer, which is what the
        // rewrite inspects.
        false
    }
}

/// The status of a response hyper wrote by itself for a request it could not parse: an
/// HTTP/1 head with status 400, 414 or 431, no content type and an empty body. The router's
/// responses never look like that (every error of ours has a JSON body), and none is written
/// while no request is in flight.
fn bare_protocol_error(buf: &[u8]) -> Option<u16> {
    let status = match buf.get(..13)? {
        b"HTTP/1.1 400 " | b"HTTP/1.0 400 " => 400,
        b"HTTP/1.1 414 " | b"HTTP/1.0 414 " => 414,
        b"HTTP/1.1 431 " | b"HTTP/1.0 431 " => 431,
        _ => return None,
    };
    let head = std::str::from_utf8(buf).ok()?.to_ascii_lowercase();
    let ends_after_head = head.ends_with("\r\n\r\n");
    let empty = head.contains("\r\ncontent-length: 0\r\n");
    (ends_after_head && empty && !head.contains("\r\ncontent-type:")).then_some(status)
}

fn protocol_error_response(status: u16) -> Vec<u8> {
    let (reason, code, message) = match status {
        414 => (
            "URI Too Long",
            "uri_too_long",
            "The request URI is too long.",
        ),
        431 => (
            "Request Header Fields Too Large",
            "headers_too_large",
            "The request headers are too large.",
        ),
        _ => (
            "Bad Request",
            "malformed_request",
            "The request is not valid HTTP/1.1.",
        ),
    };
    let request_id = IdKind::Request.generate();
    let body = serde_json::to_vec(&ferry_api::ErrorBody {
        error: ferry_api::ErrorDetail {
            code: code.into(),
            message: message.into(),
            request_id: request_id.clone(),
            field: None,
            details: None,
        },
    })
    .expect("error bodies serialize");
    let mut response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         x-request-id: {request_id}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    response
}

/// Open connections per client address.
struct PerIp {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl PerIp {
    fn new(max: usize) -> Self {
        PerIp {
            max: max.max(1),
            open: Mutex::default(),
        }
    }

    fn acquire(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().expect("per-ip table");
        let count = open.entry(ip).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Slot {
            table: self.clone(),
            ip,
        })
    }
}

/// One open connection, counted against its address until dropped.
struct Slot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().expect("per-ip table");
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Waits after a failed `accept` (typically `EMFILE`), doubling up to a second, and warns at
/// most once a second, so a server out of file descriptors neither spins nor floods its log.
#[derive(Default)]
struct AcceptBackoff {
    delay: Option<Duration>,
    last_warning: Option<Instant>,
}

impl AcceptBackoff {
    async fn wait(&mut self, error: &io::Error) {
        let delay = self.delay.map_or(Duration::from_millis(10), |d| {
            (d * 2).min(Duration::from_secs(1))
        });
        self.delay = Some(delay);
        if self
            .last_warning
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
        {
            tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "accept failed");
            self.last_warning = Some(Instant::now());
        }
        tokio::time::sleep(delay).await;
    }

    fn reset(&mut self) {
        self.delay = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_hypers_bare_error_heads_only() {
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 00:00:00 GMT\r\n\r\n";
        assert_eq!(bare_protocol_error(hyper_431), Some(431));
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_protocol_error(ours), None);
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(bare_protocol_error(with_body), None);
        assert_eq!(bare_protocol_error(b"HTTP/1.1 200 OK\r\n\r\n"), None);
    }

    #[test]
    fn a_replacement_is_the_contracts_error_body() {
        let response = String::from_utf8(protocol_error_response(431)).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "));
        assert!(head.contains("x-request-id: req_"));
        let body: ferry_api::ErrorBody = serde_json::from_str(body).unwrap();
        assert_eq!(body.error.code, "headers_too_large");
        assert!(head.contains(&format!(
            "content-length: {}",
            response.len() - head.len() - 4
        )));
    }

    #[test]
    fn the_per_ip_cap_counts_open_connections() {
        let table = Arc::new(PerIp::new(2));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let a = table.acquire(ip).unwrap();
        let _b = table.acquire(ip).unwrap();
        assert!(table.acquire(ip).is_none());
        assert!(table.acquire("192.0.2.2".parse().unwrap()).is_some());
        drop(a);
        assert!(table.acquire(ip).is_some());
    }
}
