//! Which tokens auto-renew renews at a given instant, and how long a failed one waits.
//!
//! A row is due when it is inside the renew-ahead window or expired-but-renewable, its secret
//! is present, no renewal is in flight, and it is not being held back (after a failure, with
//! exponential back-off; or briefly after a success, so that a server that hands out
//! short-lived tokens cannot make us renew in a loop).

use jiff::{SignedDuration, Timestamp};

use super::row::{Row, Timing, Urgency};

/// First wait after a failure; doubles with each further failure.
pub(crate) const BACKOFF_FIRST: SignedDuration = SignedDuration::from_secs(30);
/// The longest wait between two automatic attempts.
pub(crate) const BACKOFF_MAX: SignedDuration = SignedDuration::from_mins(10);
/// After a success, auto-renew leaves the row alone at least this long.
pub(crate) const HOLD_AFTER_SUCCESS: SignedDuration = SignedDuration::from_mins(5);

/// The wait after `failures` consecutive failures (1 → 30 s, 2 → 60 s, … capped at 10 min).
pub(crate) fn backoff(failures: u32) -> SignedDuration {
    if failures == 0 {
        return SignedDuration::ZERO;
    }
    let factor = 1i64
        .checked_shl(failures.saturating_sub(1).min(20))
        .unwrap_or(i64::MAX);
    let secs = BACKOFF_FIRST.as_secs().saturating_mul(factor);
    SignedDuration::from_secs(secs).min(BACKOFF_MAX)
}

/// Whether the row can be renewed at all (manual `R` and auto-renew both use this).
pub(crate) fn wants_renewal(row: &Row, now: Timestamp, timing: Timing) -> bool {
    !row.is_renewing() && matches!(row.urgency(now, timing), Urgency::Renewable | Urgency::Due)
}

/// A dead (or rejected) token gets one automatic attempt: the renewer logs in again when the
/// account's secret key is remembered. Without one it fails at once, and retrying would only
/// repeat the error: the user presses `L`. A new token (reload) resets the failure count.
fn worth_one_login(row: &Row, now: Timestamp, timing: Timing) -> bool {
    !row.is_renewing() && row.status.failures == 0 && row.urgency(now, timing) == Urgency::Dead
}

/// Names auto-renew should renew now, in row order.
pub(crate) fn due(rows: &[Row], now: Timestamp, timing: Timing) -> Vec<String> {
    rows.iter()
        .filter(|row| wants_renewal(row, now, timing) || worth_one_login(row, now, timing))
        .filter(|row| row.status.auto_hold_until.is_none_or(|until| now >= until))
        .map(|row| row.name().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_30s_and_caps_at_10min() {
        let secs: Vec<i64> = (0..8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [0, 30, 60, 120, 240, 480, 600, 600]);
        assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
    }
}
