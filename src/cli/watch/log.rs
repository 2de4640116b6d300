//! One line per action on stderr. Under systemd (`JOURNAL_STREAM` set) each line starts with
//! the syslog priority (`<4>`), which journald turns into the entry's level and strips; on a
//! terminal or in cron mail each line starts with the local time instead.

use jiff::{Timestamp, tz::TimeZone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Info,
}

impl Level {
    fn priority(self) -> u8 {
        match self {
            Level::Error => 3,
            Level::Warning => 4,
            Level::Info => 6,
        }
    }
}

/// Writes one line to stderr. A line that cannot be written (a full disk, a closed pipe) is
/// dropped: `eprintln!` would panic, and a panic here would end the pass, renewals and all.
pub(crate) fn line(level: Level, message: &str) {
    use std::io::Write;
    let text = format_line(level, message, under_journald(), Timestamp::now());
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn under_journald() -> bool {
    std::env::var_os("JOURNAL_STREAM").is_some_and(|v| !v.is_empty())
}

fn format_line(level: Level, message: &str, journald: bool, now: Timestamp) -> String {
    // A message is one line whatever it quotes (claims and server messages may hold newlines
    // and escape sequences), and no token.
    let message = super::super::streams::shown_value(message);
    if journald {
        format!("<{}>{message}", level.priority())
    } else {
        let time = now
            .to_zoned(TimeZone::system())
            .strftime("%Y-%m-%d %H:%M:%S");
        let tag = match level {
            Level::Error => "error: ",
            Level::Warning => "warning: ",
            Level::Info => "",
        };
        format!("{time} {tag}{message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journald_gets_priorities_terminals_get_times() {
        // Its own instant: the wall clock's year need not have four digits (found at +100 y).
        let now: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
        assert_eq!(
            format_line(Level::Warning, "a\nb", true, now),
            "<4>a\u{fffd}b"
        );
        assert_eq!(format_line(Level::Info, "x", true, now), "<6>x");
        let plain = format_line(Level::Error, "x", false, now);
        assert!(
            plain.ends_with(" error: x") && plain.starts_with("2026-11-2"),
            "{plain}"
        );
    }
}
