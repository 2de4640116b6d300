//! Human time: countdowns ("in 3h 12m", "5m ago"), absolute local times, and duration input
//! ("30m", "2h", "1h30m", "90s").

use jiff::{SignedDuration, Timestamp, tz::TimeZone};

use crate::tr;

/// A compact duration with its two most significant units: "2d 3h", "3h 12m", "4m 05s", "12s".
pub(crate) fn compact(d: SignedDuration) -> String {
    let secs = d.as_secs().unsigned_abs();
    let (days, hours, mins, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if days > 0 {
        tr!("time.days_hours", d = days, h = hours)
    } else if hours > 0 {
        tr!("time.hours_mins", h = hours, m = format!("{mins:02}"))
    } else if mins > 0 {
        tr!("time.mins_secs", m = mins, s = format!("{s:02}"))
    } else {
        tr!("time.secs", s = s)
    }
}

/// "in 3h 12m" for the future, "3h 12m ago" for the past, "now" within a second.
pub(crate) fn relative(d: SignedDuration) -> String {
    if d.as_secs() == 0 {
        tr!("time.now")
    } else if d.is_negative() {
        tr!("time.ago", time = compact(d))
    } else {
        tr!("time.in", time = compact(d))
    }
}

/// "2026-11-25 14:03:09 CET" in the given zone.
pub fn absolute(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// RFC 3339 in UTC with millisecond precision, for machine-readable output.
pub(crate) fn rfc3339(ts: Timestamp) -> String {
    format!("{ts:.3}")
}

/// Parses a user-written duration: "30m", "2h", "1h30m", "90s", "1d", or jiff's friendly
/// forms ("2 hours"). A bare number is seconds.
pub(crate) fn parse_duration(input: &str) -> Result<SignedDuration, String> {
    let s = input.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return Ok(SignedDuration::from_secs(secs));
    }
    // jiff's friendly format has no "d" for a day on a SignedDuration; expand it.
    let expanded = expand_days(s);
    expanded
        .parse::<SignedDuration>()
        .map_err(|_| format!("{input:?} is not a duration; try e.g. 90s, 30m, 2h, 1h30m, 1d"))
}

fn expand_days(s: &str) -> String {
    match s
        .strip_suffix('d')
        .and_then(|n| n.trim().parse::<i64>().ok())
    {
        Some(days) => format!("{}h", days * 24),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keeps_two_units() {
        assert_eq!(
            compact(SignedDuration::from_secs(3 * 3600 + 12 * 60 + 5)),
            "3h 12m"
        );
        assert_eq!(
            compact(SignedDuration::from_secs(2 * 86400 + 3 * 3600)),
            "2d 3h"
        );
        assert_eq!(compact(SignedDuration::from_secs(245)), "4m 05s");
        assert_eq!(compact(SignedDuration::from_secs(12)), "12s");
        assert_eq!(compact(SignedDuration::from_secs(-61)), "1m 01s");
    }

    #[test]
    fn relative_says_direction() {
        assert_eq!(relative(SignedDuration::from_secs(90)), "in 1m 30s");
        assert_eq!(relative(SignedDuration::from_secs(-7200)), "2h 00m ago");
        assert_eq!(relative(SignedDuration::from_millis(400)), "now");
    }

    #[test]
    fn parses_common_durations() {
        assert_eq!(
            parse_duration("30m").unwrap(),
            SignedDuration::from_mins(30)
        );
        assert_eq!(parse_duration("2h").unwrap(), SignedDuration::from_hours(2));
        assert_eq!(
            parse_duration("1h30m").unwrap(),
            SignedDuration::from_mins(90)
        );
        assert_eq!(
            parse_duration("90s").unwrap(),
            SignedDuration::from_secs(90)
        );
        assert_eq!(parse_duration("45").unwrap(), SignedDuration::from_secs(45));
        assert_eq!(
            parse_duration("1d").unwrap(),
            SignedDuration::from_hours(24)
        );
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("not a duration")
        );
    }

    #[test]
    fn absolute_and_rfc3339() {
        let ts: Timestamp = "2023-06-16T09:41:49.231Z".parse().unwrap();
        assert_eq!(absolute(ts, &TimeZone::UTC), "2023-06-16 09:41:49 UTC");
        assert_eq!(rfc3339(ts), "2023-06-16T09:41:49.231Z");
    }
}
