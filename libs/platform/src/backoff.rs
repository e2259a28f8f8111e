//! Retry delays, written once: exponential with a cap, and jitter so that
//! many replicas (or many records) failing together do not retry in lockstep.

use std::time::Duration;

/// Doubling delays from `base`, capped at `cap`, with "equal jitter": the
/// delay for a retry is half the exponential step plus a random part of the
/// other half, so it never falls below half the step and never passes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, cap: Duration) -> Self {
        Self { base, cap }
    }

    /// The exponential step before retry number `retry` (1 = the first retry):
    /// base, 2 × base, 4 × base, … up to the cap.
    pub fn step(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(30);
        self.base
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// The delay to wait before retry number `retry`, jittered.
    pub fn delay(&self, retry: u32) -> Duration {
        let step = self.step(retry);
        let half = step / 2;
        half + half.mul_f64(rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_double_up_to_the_cap() {
        let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(600));
        let steps: Vec<u64> = (1..=12).map(|n| b.step(n).as_secs()).collect();
        assert_eq!(steps, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
        assert_eq!(b.step(0), Duration::from_secs(1));
        assert_eq!(b.step(u32::MAX), Duration::from_secs(600));
    }

    #[test]
    fn delays_are_jittered_within_half_a_step() {
        let b = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(4)).collect();
        let step = b.step(4);
        assert!(delays.iter().all(|d| *d >= step / 2 && *d <= step));
        let distinct: std::collections::HashSet<Duration> = delays.into_iter().collect();
        assert!(distinct.len() > 100, "jitter spreads retries out");
    }
}
