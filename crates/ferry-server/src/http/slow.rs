//! Slow request bodies: after a grace period, a body whose average rate falls below the
//! configured minimum is cut off. The idle timeout alone restarts with every chunk, so a
//! client sending one byte every few seconds could otherwise hold a part upload open forever.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// The minimum average rate a body must keep once `grace` has passed.
#[derive(Debug, Clone, Copy)]
pub struct MinRate {
    pub bytes_per_sec: u64,
    pub grace: Duration,
}

/// Wraps every request body in the rate check (a no-op when the rate is 0).
pub async fn middleware(State(rate): State<MinRate>, req: Request, next: Next) -> Response {
    if rate.bytes_per_sec == 0 {
        return next.run(req).await;
    }
    let req = req.map(|inner| {
        Body::new(RateChecked {
            inner,
            rate,
            started: None,
            received: 0,
        })
    });
    next.run(req).await
}

struct RateChecked {
    inner: Body,
    rate: MinRate,
    /// When the handler first asked for the body (not when the request arrived: a handler
    /// may do its checks first).
    started: Option<Instant>,
    received: u64,
}

impl RateChecked {
    fn too_slow(&self, started: Instant) -> bool {
        let elapsed = started.elapsed();
        elapsed > self.rate.grace
            && (self.received as f64) < self.rate.bytes_per_sec as f64 * elapsed.as_secs_f64()
    }
}

impl http_body::Body for RateChecked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let started = *self.started.get_or_insert_with(Instant::now);
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &poll
            && let Some(data) = frame.data_ref()
        {
            self.received += data.len() as u64;
            if self.too_slow(started) {
                let message = format!(
                    "request body slower than {} bytes/s after {:?}",
                    self.rate.bytes_per_sec, self.rate.grace
                );
                return Poll::Ready(Some(Err(axum::Error::new(message))));
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
