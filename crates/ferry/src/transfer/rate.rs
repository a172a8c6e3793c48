//! `--limit-rate`: one pace shared by every connection of a command.

use std::time::{Duration, Instant};

/// A shared pace for `--limit-rate`.
pub struct RateLimit {
    per_sec: u64,
    state: tokio::sync::Mutex<(Instant, u64)>,
}

impl RateLimit {
    pub fn new(per_sec: u64) -> RateLimit {
        RateLimit {
            per_sec,
            state: tokio::sync::Mutex::new((Instant::now(), 0)),
        }
    }

    /// Waits until `n` more bytes may go.
    pub async fn take(&self, n: u64) {
        let pace = |bytes: u64| Duration::from_secs_f64(bytes as f64 / self.per_sec as f64);
        let due = {
            let mut s = self.state.lock().await;
            let now = Instant::now();
            // After an idle spell (hashing, completing) start afresh rather than burst.
            if s.0 + pace(s.1) < now {
                *s = (now, 0);
            }
            s.1 += n;
            s.0 + pace(s.1)
        };
        tokio::time::sleep_until(due.into()).await;
    }
}
