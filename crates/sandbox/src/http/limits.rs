//! The rate limits: a sliding-window request log per key, 120 requests in any 60 s and 30 in
//! any 5 s (sandbox clock), with the truthful `Retry-After` a rejected client should wait. The
//! auth layer applies them once the key is known.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Sliding-window request log per key: 120 per 60 s and 30 per 5 s.
#[derive(Debug, Default)]
pub struct Limiter {
    log: HashMap<String, VecDeque<Duration>>,
}

pub const PER_MINUTE: usize = 120;
pub const PER_BURST: usize = 30;
const MINUTE: Duration = Duration::from_secs(60);
const BURST: Duration = Duration::from_secs(5);

impl Limiter {
    /// Records a request at `now` or says how many whole seconds to wait (at least 1),
    /// after which both windows will admit a request.
    pub fn check(&mut self, key: &str, now: Duration) -> Result<(), (u64, &'static str)> {
        let q = self.log.entry(key.to_string()).or_default();
        while q.front().is_some_and(|t| now.saturating_sub(*t) >= MINUTE) {
            q.pop_front();
        }
        let mut wait = Duration::ZERO;
        let mut which = "";
        if q.len() >= PER_MINUTE {
            wait = (q[q.len() - PER_MINUTE] + MINUTE).saturating_sub(now);
            which = "120 requests per minute";
        }
        let in_burst = q
            .iter()
            .rev()
            .take_while(|t| now.saturating_sub(**t) < BURST)
            .count();
        if in_burst >= PER_BURST {
            let w = (q[q.len() - PER_BURST] + BURST).saturating_sub(now);
            if w > wait {
                wait = w;
                which = "30 requests in any 5 seconds";
            }
        }
        if which.is_empty() {
            q.push_back(now);
            Ok(())
        } else {
            let secs = wait.as_millis().div_ceil(1000).max(1);
            Err((u64::try_from(secs).unwrap_or(u64::MAX), which))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[rstest]
    #[case(&[], 0, Ok(()))]
    #[case(&[0; 29], 0, Ok(()))]
    #[case(&[0; 30], 0, Err(5))]
    #[case(&[0; 30], 4_000, Err(1))]
    #[case(&[0; 30], 4_500, Err(1))]
    #[case(&[0; 30], 5_000, Ok(()))]
    #[case(&[1_000; 30], 2_200, Err(4))]
    fn burst_window(#[case] before: &[u64], #[case] at: u64, #[case] expect: Result<(), u64>) {
        let mut l = Limiter::default();
        for t in before {
            assert!(l.check("k", ms(*t)).is_ok());
        }
        assert_eq!(l.check("k", ms(at)).map_err(|e| e.0), expect);
    }

    #[test]
    fn minute_window_and_keys_are_separate() {
        let mut l = Limiter::default();
        for i in 0..120u64 {
            // 30 per 5 seconds, never tripping the burst limit.
            assert!(l.check("k", ms(i / 30 * 5_000)).is_ok(), "request {i}");
        }
        assert_eq!(
            l.check("k", ms(20_000)),
            Err((40, "120 requests per minute"))
        );
        assert!(l.check("other", ms(20_000)).is_ok());
        assert!(l.check("k", ms(60_000)).is_ok());
    }

    proptest! {
        /// Whatever the arrival pattern, a rejected client that waits Retry-After succeeds.
        #[test]
        fn retry_after_is_truthful(gaps in prop::collection::vec(0u64..400, 1..400)) {
            let mut l = Limiter::default();
            let mut now = 0u64;
            for g in gaps {
                now += g;
                if let Err((secs, _)) = l.check("k", ms(now)) {
                    prop_assert!(secs >= 1);
                    prop_assert!(secs <= 60);
                    now += secs * 1_000;
                    prop_assert!(l.check("k", ms(now)).is_ok(), "still limited after Retry-After");
                }
            }
        }
    }
}
