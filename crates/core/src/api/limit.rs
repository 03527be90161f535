//! The client-side rate limiter: keeps this desk within CareLoop's documented limits (120
//! requests per minute, at most 30 in any 5 seconds) on its own, and holds every request back
//! after a 429 until the server's `Retry-After` has passed.
//!
//! `governor` limits with GCRA (a steady rate plus a burst allowance). A GCRA limiter with
//! burst `b` and one cell per `t` admits at most `b + w / t` requests in any window `w`, so the
//! quotas below are chosen to stay under both sliding windows with a margin for network jitter:
//! per minute `10 + 60 s / 0.6 s = 110 < 120`; per 5 s `8 + 5 s / 0.25 s = 28 < 30`.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota};
use tokio::time::Instant;

/// One quota: a burst allowance and the time it takes to earn one more request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub per_request: Duration,
}

/// The two quotas checked together before every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Keeps within 120 requests per minute.
    pub sustained: Rate,
    /// Keeps within 30 requests in any 5 seconds.
    pub burst: Rate,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            sustained: Rate {
                burst: 10,
                per_request: Duration::from_millis(600),
            },
            burst: Rate {
                burst: 8,
                per_request: Duration::from_millis(250),
            },
        }
    }
}

fn quota(rate: Rate) -> Quota {
    let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(rate.per_request.max(Duration::from_millis(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// Shared by every request of one desk (clone the `Arc`), so that a new API client after a
/// settings change does not start with a fresh allowance.
#[derive(Debug)]
pub struct RateGate {
    sustained: DefaultDirectRateLimiter,
    burst: DefaultDirectRateLimiter,
    /// No request before this instant (set from a 429's `Retry-After`).
    not_before: Mutex<Option<Instant>>,
}

impl RateGate {
    pub fn new(limits: Limits) -> Self {
        Self {
            sustained: governor::RateLimiter::direct(quota(limits.sustained)),
            burst: governor::RateLimiter::direct(quota(limits.burst)),
            not_before: Mutex::new(None),
        }
    }

    /// Waits until a request may be sent, and counts it.
    pub async fn acquire(&self) {
        loop {
            let hold = *crate::errors::lock(&self.not_before);
            if let Some(at) = hold {
                if at > Instant::now() {
                    tokio::time::sleep_until(at).await;
                    continue;
                }
            }
            // The burst cell is taken first; if the per-minute quota then says "wait", that cell
            // is simply lost, which only makes the limiter stricter. The per-minute quota counts
            // exactly the requests that are sent.
            self.burst.until_ready().await;
            match self.sustained.check() {
                Ok(()) => return,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(governor::clock::Clock::now(
                        &governor::clock::DefaultClock::default(),
                    ));
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// The server said "not before `after`": hold every request until then (never earlier).
    pub fn hold_for(&self, after: Duration) {
        let until = Instant::now() + after;
        let mut hold = crate::errors::lock(&self.not_before);
        // cargo-mutants: `h < until` -> `h <= until` is equivalent (an equal hold is replaced by
        // the same instant).
        if hold.is_none_or(|h| h < until) {
            *hold = Some(until);
        }
    }
}

impl Default for RateGate {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::future::Future;
    use std::pin::{pin, Pin};
    use std::task::Poll;

    /// The documented bound `b + w / t` of each default quota stays below CareLoop's limits.
    #[test]
    fn default_quotas_stay_under_the_documented_limits() {
        let l = Limits::default();
        let most = |r: Rate, window: Duration| {
            u128::from(r.burst) + window.as_millis() / r.per_request.as_millis()
        };
        assert!(most(l.sustained, Duration::from_secs(60)) < 120);
        assert!(most(l.burst, Duration::from_secs(5)) < 30);
    }

    /// Polls `request` once: whether it has been let through.
    async fn let_through<F: Future>(request: &mut Pin<&mut F>) -> bool {
        std::future::poll_fn(|cx| Poll::Ready(request.as_mut().poll(cx).is_ready())).await
    }

    /// How long the next request is held back, on tokio's paused clock. The test moves the
    /// clock itself, 1 ms (the timer resolution) at a time, polling the request after each step,
    /// instead of letting the runtime jump to the next timer: a request that spins instead of
    /// going out then shows as a wrong duration, not as a hung test. Real time: none to speak of.
    async fn next_request_waits(gate: &RateGate) -> Duration {
        let start = Instant::now();
        let mut request = pin!(gate.acquire());
        while !let_through(&mut request).await {
            let waited = Instant::now() - start;
            assert!(
                waited < Duration::from_secs(60),
                "still held after {waited:?}"
            );
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        Instant::now() - start
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_delays_the_next_request_by_the_hold() {
        let gate = RateGate::default();
        assert_eq!(next_request_waits(&gate).await, Duration::ZERO);
        gate.hold_for(Duration::from_secs(7));
        assert_eq!(next_request_waits(&gate).await, Duration::from_secs(7));
    }

    /// Overlapping 429s: the hold lasts until the latest `Retry-After` ends, whatever the order.
    #[rstest]
    #[case::one_hold(&[7], 7)]
    #[case::a_longer_retry_after_extends_the_hold(&[5, 10], 10)]
    #[case::a_shorter_retry_after_does_not_cut_the_hold(&[10, 2], 10)]
    #[case::an_equal_retry_after_keeps_the_hold(&[6, 6], 6)]
    #[case::longest_in_the_middle(&[3, 9, 4], 9)]
    #[tokio::test(start_paused = true)]
    async fn overlapping_holds_last_until_the_latest_end(
        #[case] retry_after_secs: &[u64],
        #[case] held_secs: u64,
    ) {
        let gate = RateGate::default();
        for &secs in retry_after_secs {
            gate.hold_for(Duration::from_secs(secs));
        }
        assert_eq!(
            next_request_waits(&gate).await,
            Duration::from_secs(held_secs)
        );
        // Once the hold has passed, requests flow again (within the burst allowance).
        assert_eq!(next_request_waits(&gate).await, Duration::ZERO);
    }

    /// A hold that has already run out is replaced by a new one, however short.
    #[tokio::test(start_paused = true)]
    async fn a_new_hold_after_an_expired_one_counts_from_now() {
        let gate = RateGate::default();
        gate.hold_for(Duration::from_secs(5));
        tokio::time::advance(Duration::from_secs(8)).await;
        gate.hold_for(Duration::from_secs(2));
        assert_eq!(next_request_waits(&gate).await, Duration::from_secs(2));
    }

    /// A waiting request goes out at the very instant the hold ends: not a millisecond before,
    /// and without needing the clock to move past the end.
    #[tokio::test(start_paused = true)]
    async fn a_waiting_request_goes_out_exactly_when_the_hold_ends() {
        let gate = RateGate::default();
        gate.hold_for(Duration::from_secs(5));
        let mut request = pin!(gate.acquire());
        assert!(
            !let_through(&mut request).await,
            "let through during the hold"
        );
        tokio::time::advance(Duration::from_secs(5) - Duration::from_millis(1)).await;
        assert!(
            !let_through(&mut request).await,
            "let through before the hold ends"
        );
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(
            let_through(&mut request).await,
            "held past the end of the hold"
        );
    }
}
