//! `--limit-rate`: one token bucket shared by every connection of a command.
//!
//! Bytes are tokens, refilled at the rate, held up to a burst of a tenth of a second's worth.
//! A sender takes tokens for each chunk before sending it; when there are too few, it takes
//! them anyway (the bucket goes into debt) and sleeps until the debt is paid, so concurrent
//! senders queue in turn. The burst is what keeps the average at the rate: a sleep always
//! ends a little late, and the tokens that accrue meanwhile are kept (up to the burst) instead
//! of lost, which is what made a pace of "one deadline per chunk" fall short at high rates.
//!
//! The arithmetic ([`TokenBucket`]) takes the time as an argument, so that it is tested
//! with a clock the test moves; [`RateLimit`] puts it on tokio's clock.

use std::time::Duration;

use tokio::time::Instant;

/// The bucket's arithmetic; `now` is the time since some fixed start.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    /// Bytes per second.
    rate: f64,
    /// The most tokens the bucket holds.
    burst: f64,
    /// Negative while senders wait for tokens they have taken.
    tokens: f64,
    last: Duration,
}

impl TokenBucket {
    /// A full bucket for `per_sec` bytes per second (at least 1).
    pub fn new(per_sec: u64, now: Duration) -> TokenBucket {
        let rate = per_sec.max(1) as f64;
        // A tenth of a second, and at least one network chunk or so.
        let burst = (rate / 10.0).max(16.0 * 1024.0);
        TokenBucket {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes `n` tokens at `now`; returns how long to wait before sending those bytes.
    pub fn take(&mut self, n: u64, now: Duration) -> Duration {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.tokens -= n as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// A shared pace for `--limit-rate`.
pub struct RateLimit {
    start: Instant,
    bucket: std::sync::Mutex<TokenBucket>,
}

impl RateLimit {
    /// The limiter for a `--limit-rate` option, shared by every connection of a command;
    /// none for no limit (or 0).
    pub fn shared(per_sec: Option<u64>) -> Option<std::sync::Arc<RateLimit>> {
        per_sec
            .filter(|r| *r > 0)
            .map(|r| std::sync::Arc::new(RateLimit::new(r)))
    }

    pub fn new(per_sec: u64) -> RateLimit {
        RateLimit {
            start: Instant::now(),
            bucket: std::sync::Mutex::new(TokenBucket::new(per_sec, Duration::ZERO)),
        }
    }

    /// Waits until `n` more bytes may go.
    pub async fn take(&self, n: u64) {
        let wait = {
            let mut b = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
            b.take(n, self.start.elapsed())
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    /// A sender of `chunk`-byte chunks for `secs` seconds of simulated time, whose sleeps
    /// each end `late` after they should and whose sending of a chunk takes `busy`: the bytes
    /// per second it achieves.
    fn achieved(per_sec: u64, chunk: u64, late: Duration, busy: Duration, secs: u64) -> f64 {
        let mut bucket = TokenBucket::new(per_sec, Duration::ZERO);
        let mut now = Duration::ZERO;
        let mut sent = 0u64;
        while now < Duration::from_secs(secs) {
            let wait = bucket.take(chunk, now);
            if !wait.is_zero() {
                now += wait + late;
            }
            now += busy;
            sent += chunk;
        }
        sent as f64 / now.as_secs_f64()
    }

    #[test]
    fn holds_the_rate_despite_late_wakeups() {
        // The rates of the report (100 MiB/s came out at 75, 400 MiB/s at 173), with tokio's
        // millisecond timer ending every sleep up to a millisecond late.
        for per_sec in [100 * MIB, 400 * MIB] {
            for late in [
                Duration::ZERO,
                Duration::from_micros(500),
                Duration::from_millis(1),
            ] {
                let got = achieved(per_sec, 64 << 10, late, Duration::from_micros(20), 20);
                let ratio = got / per_sec as f64;
                assert!(
                    (0.98..=1.01).contains(&ratio),
                    "{per_sec} B/s, {late:?} late: {got:.0} B/s ({ratio:.3})"
                );
            }
        }
    }

    #[test]
    fn bursts_are_bounded_and_debt_is_paid_in_turn() {
        let rate = 10 * MIB;
        let burst = rate / 10;
        let mut b = TokenBucket::new(rate, Duration::ZERO);
        // A full bucket lets a burst go at once, and no more.
        assert_eq!(b.take(burst, Duration::ZERO), Duration::ZERO);
        // The next MiB waits a tenth of a second: it is taken on credit...
        let wait = b.take(MIB, Duration::ZERO);
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
        // ...so a second sender at the same moment queues behind it.
        let wait = b.take(MIB, Duration::ZERO);
        assert!((wait.as_secs_f64() - 0.2).abs() < 1e-9, "{wait:?}");
        // An idle minute refills the bucket only up to the burst.
        let later = Duration::from_secs(60);
        assert_eq!(b.take(burst, later), Duration::ZERO);
        assert!(b.take(1, later) > Duration::ZERO);
        // A clock that seems to go back does not make tokens.
        let mut b = TokenBucket::new(rate, Duration::from_secs(5));
        assert_eq!(b.take(burst, Duration::from_secs(5)), Duration::ZERO);
        assert!(b.take(1, Duration::from_secs(4)) > Duration::ZERO);
    }
}
