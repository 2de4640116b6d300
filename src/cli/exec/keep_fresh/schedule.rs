//! When `--keep-fresh` renews, and when it tries again after a failure. Pure: the instant is
//! passed in.

use jiff::{SignedDuration, Timestamp};

use crate::token::Lifetime;

/// The shortest time between two attempts, whatever else says: a renewal that changed nothing
/// (two clocks a little apart) never turns into a busy loop.
pub(super) const MIN_GAP: SignedDuration = SignedDuration::from_secs(1);

/// When to renew a token held since `got_at`: as it enters the renew-ahead `window`, but not
/// before half of the life it had at `got_at` has passed (a server that issues tokens shorter
/// than the window would otherwise be asked again at once, and again).
pub(super) fn renew_at(life: Lifetime, window: SignedDuration, got_at: Timestamp) -> Timestamp {
    let entering = life.expires_at.saturating_sub(window).unwrap_or(got_at);
    let half = got_at
        .saturating_add(got_at.duration_until(life.expires_at) / 2)
        .unwrap_or(got_at);
    let soonest = got_at.saturating_add(MIN_GAP).unwrap_or(got_at);
    entering.max(half).max(soonest)
}

/// The longest wait between tries once the token has expired: CMD's calls fail until a
/// renewal works, so the back-off's hour is too long here.
pub(super) const EXPIRED_RETRY_MAX: SignedDuration = SignedDuration::from_mins(5);

/// How long to wait after a failed attempt, given the back-off's `wait`: while the token is
/// still valid, never more than half of what is left of it (the next try comes before it
/// expires); once expired, never more than [`EXPIRED_RETRY_MAX`]; never less than [`MIN_GAP`].
pub(super) fn retry_in(wait: SignedDuration, life: Lifetime, now: Timestamp) -> SignedDuration {
    let left = life.to_expiry(now);
    let wait = if left.is_positive() {
        wait.min(left / 2)
    } else {
        wait.min(EXPIRED_RETRY_MAX)
    };
    wait.max(MIN_GAP)
}

/// How often the store is looked at for a token another process renewed (the dashboard,
/// `actoken renew`, watch): the server may retire the token the file holds when it issues a
/// new one. A quarter of the window, between [`MIN_GAP`] and a minute; a look reads the index
/// only, and the secret only when the index says the stored token is another.
pub(super) fn follow_every(window: SignedDuration) -> SignedDuration {
    (window / 4).clamp(MIN_GAP, SignedDuration::from_mins(1))
}

/// How long from `now` until `at` for a timer (zero when it has passed).
pub(super) fn until(at: Timestamp, now: Timestamp) -> std::time::Duration {
    now.duration_until(at)
        .max(SignedDuration::ZERO)
        .unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_900_000_000 + secs).unwrap()
    }

    fn life(expires: i64) -> Lifetime {
        Lifetime::new(at(expires), SignedDuration::from_hours(24))
    }

    const HOUR: SignedDuration = SignedDuration::from_hours(1);

    #[test]
    fn renews_as_the_token_enters_the_window() {
        // A day-long token, a 2h window: renewed 22h from now.
        assert_eq!(renew_at(life(24 * 3600), 2 * HOUR, at(0)), at(22 * 3600));
    }

    #[test]
    fn a_token_shorter_than_the_window_is_renewed_at_half_its_life_not_at_once() {
        // 10 minutes left, a 2h window.
        assert_eq!(renew_at(life(600), 2 * HOUR, at(0)), at(300));
        // Six seconds, a three-second window: both rules agree.
        let short = SignedDuration::from_secs(3);
        assert_eq!(renew_at(life(6), short, at(0)), at(3));
        // Already inside the window, or expired: at once, but never sooner than MIN_GAP.
        assert_eq!(renew_at(life(1), 2 * HOUR, at(0)), at(1));
        assert_eq!(renew_at(life(-60), 2 * HOUR, at(0)), at(1));
    }

    #[test]
    fn retries_come_before_expiry_and_follow_the_backoff_after_it() {
        let minute = SignedDuration::from_mins(1);
        // An hour left: the back-off's minute.
        assert_eq!(retry_in(minute, life(3600), at(0)), minute);
        // Ten seconds left: five, not a minute.
        assert_eq!(
            retry_in(minute, life(10), at(0)),
            SignedDuration::from_secs(5)
        );
        // Nearly expired: never less than MIN_GAP.
        assert_eq!(retry_in(minute, life(1), at(0)), MIN_GAP);
        // Expired (still renewable): the back-off as it is, up to five minutes.
        assert_eq!(retry_in(4 * minute, life(-10), at(0)), 4 * minute);
        assert_eq!(retry_in(60 * minute, life(-10), at(0)), EXPIRED_RETRY_MAX);
    }

    #[test]
    fn the_store_is_followed_often_for_short_windows_and_once_a_minute_for_long_ones() {
        assert_eq!(follow_every(2 * HOUR), SignedDuration::from_mins(1));
        assert_eq!(
            follow_every(SignedDuration::from_secs(8)),
            SignedDuration::from_secs(2)
        );
        assert_eq!(follow_every(SignedDuration::ZERO), MIN_GAP);
    }

    #[test]
    fn timers_never_go_negative() {
        assert_eq!(until(at(0), at(5)), std::time::Duration::ZERO);
        assert_eq!(until(at(5), at(0)), std::time::Duration::from_secs(5));
    }
}
