//! Per-token back-off after failures: a token that failed is left alone for 1 minute, then 2,
//! 4, ... up to an hour, so a dead network or a token that needs a login does not fill the
//! log every pass; one success (or the token's removal) forgets its failures.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

pub(crate) const FIRST: SignedDuration = SignedDuration::from_mins(1);
pub(crate) const LONGEST: SignedDuration = SignedDuration::from_hours(1);

#[derive(Debug, Default)]
pub(crate) struct Backoff {
    /// name -> (failures in a row, not before)
    failed: HashMap<String, (u32, Timestamp)>,
}

impl Backoff {
    /// Whether `name` may be tried at `now`.
    pub(crate) fn ready(&self, name: &str, now: Timestamp) -> bool {
        self.failed.get(name).is_none_or(|(_, at)| now >= *at)
    }

    /// Records a failure; returns how long the token is now left alone.
    pub(crate) fn failed(&mut self, name: &str, now: Timestamp) -> SignedDuration {
        let entry = self.failed.entry(name.to_owned()).or_insert((0, now));
        entry.0 = entry.0.saturating_add(1);
        let wait = FIRST
            .checked_mul(1 << (entry.0 - 1).min(10))
            .map_or(LONGEST, |w| w.min(LONGEST));
        entry.1 = now + wait;
        wait
    }

    pub(crate) fn succeeded(&mut self, name: &str) {
        self.failed.remove(name);
    }

    /// Forgets tokens that are gone from the index.
    pub(crate) fn retain(&mut self, names: &[String]) {
        self.failed.retain(|n, _| names.contains(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_an_hour_and_resets_on_success() {
        let mut b = Backoff::default();
        let now = Timestamp::now();
        assert!(b.ready("a", now));
        let waits: Vec<i64> = (0..9).map(|_| b.failed("a", now).as_mins()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert!(!b.ready("a", now + SignedDuration::from_mins(59)));
        assert!(b.ready("a", now + LONGEST));
        assert!(
            b.ready("b", now),
            "one token's failures do not hold back another"
        );
        b.succeeded("a");
        assert!(b.ready("a", now));
        assert_eq!(b.failed("a", now), FIRST);
        b.retain(&["b".to_owned()]);
        assert!(b.ready("a", now));
    }
}
