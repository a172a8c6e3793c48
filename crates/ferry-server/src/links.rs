//! The body of a delivery through a download link: it counts what it sends and, when it ends
//! or is dropped (the client went away), has ferry-app settle the link's byte budget.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use ferry_app::links::Settlement;
use http_body::{Frame, SizeHint};

/// A response body that counts what it sends and settles the link's budget when it ends or
/// is dropped (the client went away): unsent bytes go back, a receipt is audited.
pub struct Metered {
    inner: Body,
    sent: i64,
    finished: bool,
    delivery: Option<Settlement>,
}

impl Metered {
    pub fn new(inner: Body, delivery: Settlement) -> Self {
        Metered {
            inner,
            sent: 0,
            finished: false,
            delivery: Some(delivery),
        }
    }
}

impl http_body::Body for Metered {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        match &poll {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    self.sent += d.len() as i64;
                }
            }
            Poll::Ready(None) => self.finished = true,
            _ => {}
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

impl Drop for Metered {
    fn drop(&mut self) {
        if let Some(delivery) = self.delivery.take() {
            let (sent, finished) = (self.sent, self.finished);
            tokio::spawn(delivery.settle(sent, finished));
        }
    }
}
