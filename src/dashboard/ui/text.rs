//! Text shown to the user: claim values and names come from tokens and files, so control
//! and bidi characters are replaced before they reach the terminal (an escape sequence in a
//! claim must not drive the terminal), by the rule the CLI uses too ([`crate::inert`]).

use jiff::Timestamp;

use crate::advice;
use crate::dashboard::app::{App, Row, RowKind, Urgency};
use crate::timefmt;
use crate::tr;

/// `s` on one line with control and bidi characters replaced by '�'.
pub(crate) fn clean(s: &str) -> String {
    crate::inert::inert(s).into_owned()
}

/// A name inside a popup sentence: cleaned and cut (middle ellipsis) so the sentence around
/// it stays readable in the popup's width.
pub(crate) fn popup_name(name: &str) -> String {
    crate::width::truncate_middle(&clean(name), 40)
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// A spinner frame for `now` (the clock is the only animation state). It steps every 100 ms
/// and also once per whole second, so it moves even when redrawn exactly once a second.
pub(crate) fn spinner(now: Timestamp) -> &'static str {
    let ms = now.as_millisecond();
    SPINNER[(ms / 100 + ms / 1000).rem_euclid(SPINNER.len() as i64) as usize]
}

/// The short state badge of a row.
pub(crate) fn badge(row: &Row, app: &App, now: Timestamp) -> String {
    if row.is_renewing() {
        return format!("{} {}", spinner(now), tr!("state.renewing"));
    }
    let base = match row.urgency(now, app.settings.timing) {
        Urgency::Calm => tr!("state.valid"),
        Urgency::Due => tr!("state.due"),
        Urgency::Renewable => tr!("state.expired"),
        Urgency::Dead if row.rejected() => tr!("state.rejected"),
        Urgency::Dead => tr!("state.dead"),
        Urgency::Broken => match &row.kind {
            RowKind::Malformed { .. } => tr!("state.malformed"),
            RowKind::Missing => tr!("state.missing"),
            RowKind::Unreadable(_) => tr!("state.unreadable"),
            RowKind::InOtherStore(_) => tr!("state.other_store"),
            RowKind::Token { .. } => tr!("state.no_expiry"),
        },
    };
    if row.status.last_error.is_some() {
        format!("! {base}")
    } else {
        base
    }
}

/// What the user should do about a row, in a few words (table column).
pub(crate) fn next_step_short(row: &Row, app: &App, now: Timestamp) -> String {
    if let Some(since) = row.status.renewing_since {
        return tr!(
            "step.renewing_for",
            time = timefmt::compact(since.duration_until(now))
        );
    }
    if let Some(err) = &row.status.last_error {
        return tr!("step.renewal_failed", error = clean(err));
    }
    clean(&advice::words::short(
        &row.advice(now, app.settings.timing),
        &app.keymap,
    ))
}

/// The selected row's situation in a sentence, with the fix (message line, details pane).
pub(crate) fn next_step_long(row: &Row, app: &App, now: Timestamp) -> String {
    if row.is_renewing() {
        return format!("{}: {}", clean(row.name()), next_step_short(row, app, now));
    }
    clean(&row.advice_text(now, app.settings.timing, &app.keymap))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dashboard draws by the program's one rule: controls, newlines and bidi overrides
    /// (which let a claim read backwards) all become '�'.
    #[test]
    fn clean_replaces_controls_newlines_and_bidi_overrides() {
        assert_eq!(
            clean("alice\u{202e}gpj.exe\u{1b}]52;c;eA==\u{7}\n华东一区【昆山】"),
            "alice\u{fffd}gpj.exe\u{fffd}]52;c;eA==\u{fffd}\u{fffd}华东一区【昆山】"
        );
    }
}
