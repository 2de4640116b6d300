//! Durations on the command line (`30m`, `2h`): the parsers clap calls.

use crate::timefmt;
use jiff::SignedDuration;

pub(crate) fn parse_positive_duration(s: &str) -> Result<SignedDuration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err("the interval must be longer than 0s".to_owned());
    }
    Ok(d)
}

pub(crate) fn parse_duration(s: &str) -> Result<SignedDuration, String> {
    let d = timefmt::parse_duration(s)?;
    if d.is_negative() {
        return Err("a duration cannot be negative".to_owned());
    }
    Ok(d)
}
