//! Retrying requests that failed for reasons that may pass: a dropped connection, a `5xx`, a
//! `429`, a part damaged on the way. Exponential backoff: 0.5 s, 1 s, 2 s, 4 s (with jitter).

use std::future::Future;
use std::time::Duration;

use ferry_client::ClientError;

/// How often an operation is tried in all.
pub const TRIES: u32 = 5;

/// Whether trying again may help.
pub fn retryable(e: &anyhow::Error) -> bool {
    for cause in e.chain() {
        if let Some(c) = cause.downcast_ref::<ClientError>() {
            return match c {
                ClientError::Http(h) => transport_retryable(h),
                ClientError::Api { status, body } => {
                    status.is_server_error()
                        || status.as_u16() == 408
                        || status.as_u16() == 429
                        || body.error.code == "part_checksum_mismatch"
                }
                ClientError::Unexpected { status, .. } => {
                    status.is_server_error() || status.as_u16() == 429
                }
                // The server ran it and it failed: running it again fails again.
                ClientError::TaskFailed(_) => false,
            };
        }
        if let Some(h) = cause.downcast_ref::<reqwest::Error>() {
            return transport_retryable(h);
        }
    }
    false
}

fn transport_retryable(e: &reqwest::Error) -> bool {
    !e.is_builder() && !e.is_redirect()
}

/// The first wait.
const BASE: Duration = Duration::from_millis(500);

/// The wait before try number `attempt + 1` (`attempt` counts from 1).
pub fn backoff(first: Duration, attempt: u32) -> Duration {
    let base = first * 2u32.pow(attempt.saturating_sub(1).min(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // Up to +25 % so that parallel parts do not all come back at the same moment.
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

/// Runs `op` up to [`TRIES`] times while it fails with a retryable error; `on_retry` hears of
/// each failure that will be retried, with the wait before the next try.
pub async fn retry<T, F, Fut>(
    op: F,
    on_retry: impl FnMut(u32, &anyhow::Error, Duration),
) -> anyhow::Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    retry_from(BASE, op, on_retry).await
}

/// [`retry`] with `first` as the first wait.
async fn retry_from<T, F, Fut>(
    first: Duration,
    mut op: F,
    mut on_retry: impl FnMut(u32, &anyhow::Error, Duration),
) -> anyhow::Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut attempt = 1;
    loop {
        match op(attempt).await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < TRIES && retryable(&e) => {
                let wait = backoff(first, attempt);
                on_retry(attempt, &e, wait);
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles() {
        for (attempt, base_ms) in [(1, 500u64), (2, 1000), (3, 2000), (4, 4000)] {
            let d = backoff(BASE, attempt).as_millis() as u64;
            assert!(d >= base_ms && d <= base_ms * 5 / 4, "{attempt}: {d}");
        }
    }

    #[tokio::test]
    async fn retries_only_what_may_pass() {
        let server_error = || -> anyhow::Error {
            ClientError::Unexpected {
                status: reqwest::StatusCode::BAD_GATEWAY,
                text: "bad gateway".into(),
            }
            .into()
        };
        let mut calls = 0;
        let r: anyhow::Result<()> = retry_from(
            Duration::from_millis(1),
            |_| {
                calls += 1;
                let e = server_error();
                async move { Err(e) }
            },
            |_, _, _| {},
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls, TRIES);

        let mut calls = 0;
        let r: anyhow::Result<()> = retry_from(
            Duration::from_millis(1),
            |_| {
                calls += 1;
                async { Err(anyhow::anyhow!("not a network problem")) }
            },
            |_, _, _| {},
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 1);

        let mut calls = 0;
        let r = retry_from(
            Duration::from_millis(1),
            |attempt| {
                calls += 1;
                let e = server_error();
                async move { if attempt < 3 { Err(e) } else { Ok(attempt) } }
            },
            |_, _, _| {},
        )
        .await;
        assert_eq!(r.unwrap(), 3);
        assert_eq!(calls, 3);
    }
}
