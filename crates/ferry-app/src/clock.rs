//! Time, from the application state: tests move a [`ManualClock`] forward instead of
//! sleeping or editing rows.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Milliseconds since the Unix epoch, as every timestamp in Ferry is kept.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        ferry_core::timefmt::now_ms()
    }
}

/// The wall clock plus an offset that tests advance.
#[derive(Debug, Default)]
pub struct ManualClock {
    offset_ms: AtomicI64,
}

impl ManualClock {
    /// Moves time forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        ferry_core::timefmt::now_ms() + self.offset_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_forward_by_what_it_is_told() {
        let clock = ManualClock::default();
        let before = clock.now_ms();
        clock.advance(Duration::from_secs(3600));
        let after = clock.now_ms();
        assert!(after - before >= 3_600_000 && after - before < 3_660_000);
    }
}
