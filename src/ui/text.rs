//! Text shown to the user: claim values and names come from tokens and files, so control
//! characters are replaced before they reach the terminal (an escape sequence in a claim must
//! not drive the terminal).

use jiff::Timestamp;

use crate::app::{App, Row, RowKind, Urgency};
use crate::timefmt;

/// `s` with control characters replaced by '�'.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// A spinner frame for `now` (the clock is the only animation state). It steps every 100 ms
/// and also once per whole second, so it moves even when redrawn exactly once a second.
pub fn spinner(now: Timestamp) -> &'static str {
    let ms = now.as_millisecond();
    SPINNER[(ms / 100 + ms / 1000).rem_euclid(SPINNER.len() as i64) as usize]
}

/// The short state badge of a row.
pub fn badge(row: &Row, app: &App, now: Timestamp) -> String {
    if row.is_renewing() {
        return format!("{} renewing", spinner(now));
    }
    let base = match row.urgency(now, app.settings.timing) {
        Urgency::Calm => "valid",
        Urgency::Due => "due",
        Urgency::Renewable => "EXPIRED",
        Urgency::Dead if row.rejected() => "rejected",
        Urgency::Dead => "dead",
        Urgency::Broken => match &row.kind {
            RowKind::Malformed { .. } => "malformed",
            RowKind::Missing => "missing",
            RowKind::Unreadable(_) => "unreadable",
            RowKind::InOtherStore(_) => "other store",
            RowKind::Token { .. } => "no expiry",
        },
    };
    if row.status.last_error.is_some() {
        format!("! {base}")
    } else {
        base.to_owned()
    }
}

/// What the user should do about a row, in a few words (table column).
pub fn next_step_short(row: &Row, app: &App, now: Timestamp) -> String {
    if let Some(since) = row.status.renewing_since {
        return format!(
            "renewing for {}…",
            timefmt::compact(since.duration_until(now))
        );
    }
    if let Some(err) = &row.status.last_error {
        return format!("renewal failed: {}", clean(err));
    }
    match row.urgency(now, app.settings.timing) {
        Urgency::Calm => "ok".to_owned(),
        Urgency::Due => "expires soon: renew (r)".to_owned(),
        Urgency::Renewable => "expired: renew now (r) before the cutoff".to_owned(),
        Urgency::Dead if row.rejected() => "rejected by the server: get a new token".to_owned(),
        Urgency::Dead => "expired beyond renewal: get a new token".to_owned(),
        Urgency::Broken => match &row.kind {
            RowKind::Malformed { .. } => "not a region token: delete (d), add again (a)".into(),
            RowKind::Missing => "no secret in the keyring: delete (d), add again (a)".into(),
            RowKind::Unreadable(_) => "keyring cannot read it: unlock the keyring".into(),
            RowKind::InOtherStore(kind) => {
                format!("kept in {}: `actoken move` brings it over", kind.label())
            }
            RowKind::Token { .. } => "no expireTime: cannot be renewed".into(),
        },
    }
}

/// The selected row's situation in a sentence, with the fix (message line).
pub fn next_step_long(row: &Row, app: &App, now: Timestamp) -> String {
    let name = clean(row.name());
    let timing = app.settings.timing;
    if row.is_renewing() || row.status.last_error.is_some() {
        return format!("{name}: {}", next_step_short(row, app, now));
    }
    let life = row.lifetime(timing.renew_grace);
    match (row.urgency(now, timing), life) {
        (Urgency::Calm, Some(l)) => format!(
            "{name}: valid, expires {}",
            timefmt::relative(l.to_expiry(now))
        ),
        (Urgency::Due, Some(l)) => format!(
            "{name}: expires {} (inside the {} renew-ahead window): press r to renew",
            timefmt::relative(l.to_expiry(now)),
            timefmt::compact(timing.renew_ahead)
        ),
        (Urgency::Renewable, Some(l)) => format!(
            "{name}: EXPIRED {}; still renewable for {}: press r now",
            timefmt::relative(l.to_expiry(now)),
            timefmt::compact(l.to_cutoff(now))
        ),
        (Urgency::Dead, _) if row.rejected() => format!(
            "{name}: the server no longer accepts this token: {}",
            crate::app::NEW_TOKEN_HINT
        ),
        (Urgency::Dead, _) => format!(
            "{name}: expired beyond renewal: {}",
            crate::app::NEW_TOKEN_HINT
        ),
        (_, _) => match &row.kind {
            RowKind::Malformed { error, .. } => format!(
                "{name}: not a region token ({error}): delete it (d) and add a fresh one (a)"
            ),
            RowKind::Missing => format!(
                "{name}: the keyring has no secret for it: delete it (d) and add it again (a)"
            ),
            RowKind::Unreadable(why) => format!(
                "{name}: the keyring cannot read it ({}): unlock the keyring and restart",
                clean(why)
            ),
            RowKind::InOtherStore(kind) => {
                format!(
                    "{name}: {}",
                    crate::store::SecretState::other_store_advice(&name, *kind)
                )
            }
            RowKind::Token { .. } => format!(
                "{name}: no expireTime claim, so it cannot be renewed: {}",
                crate::app::NEW_TOKEN_HINT
            ),
        },
    }
}
