//! Renewals: who may be renewed, starting them (by hand, all due, auto-renew), and their answers.

use super::*;

/// Why a row cannot be renewed, or None when it can: the row's advice, when its step is not
/// a renewal.
pub(super) fn renew_refusal(app: &App, row: &Row, now: Timestamp) -> Option<(Level, String)> {
    let timing = app.settings.timing;
    let advice = row.advice(now, timing);
    let level = match (advice.step, advice.condition) {
        (step, _) if step.is_renewal() => return None,
        (Step::Wait, _) => {
            return Some((
                Level::Info,
                tr!("toast.already_renewing", name = row.name()),
            ));
        }
        // Expected in a token's life: a warning. Anything else is broken: an error.
        (_, Condition::Dead | Condition::Rejected) => Level::Warn,
        _ => Level::Error,
    };
    Some((level, row.advice_text(now, timing, &app.keymap)))
}

pub(super) fn start_renewing(app: &mut App, names: &[String], now: Timestamp) {
    for name in names {
        if let Some(row) = app.row_mut(name) {
            row.status.renewing_since = Some(now);
        }
    }
}

pub(super) fn renew_selected(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    let Some(row) = app.selected_row() else {
        return;
    };
    let name = row.name().to_owned();
    let step = row.advice(now, app.settings.timing).step;
    if matches!(step, Step::Login { .. } | Step::Relogin { .. }) {
        // Renewing cannot help a dead token; logging in again can.
        return super::login::login_selected(app, now, fx);
    }
    if let Some((level, text)) = renew_refusal(app, row, now) {
        toast(app, level, text, now);
        return;
    }
    let names = vec![name];
    start_renewing(app, &names, now);
    fx.push(Effect::Renew(names));
}

pub(super) fn renew_due(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    let timing = app.settings.timing;
    let names: Vec<String> = app
        .rows
        .iter()
        .filter(|r| autorenew::wants_renewal(r, now, timing))
        .map(|r| r.name().to_owned())
        .collect();
    if names.is_empty() {
        let text = tr!(
            "toast.nothing_to_renew",
            window = timefmt::compact(timing.renew_ahead)
        );
        toast(app, Level::Info, text, now);
        return;
    }
    let text = tr!("toast.renewing_n", count = names.len());
    toast(app, Level::Info, text, now);
    start_renewing(app, &names, now);
    fx.push(Effect::Renew(names));
}

pub(super) fn auto_renew(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    // Quitting waits for what runs; it starts nothing new.
    if !app.auto_renew || app.quitting {
        return;
    }
    let names = autorenew::due(&app.rows, now, app.settings.timing);
    if !names.is_empty() {
        start_renewing(app, &names, now);
        fx.push(Effect::Renew(names));
    }
}

pub(super) fn on_tick(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    if app.toast.as_ref().is_some_and(|t| now >= t.until) {
        app.toast = None;
    }
    if app.clipboard.as_ref().is_some_and(|(_, at)| now >= *at) {
        app.clipboard = None;
        fx.push(Effect::ClearClipboard);
    }
    auto_renew(app, now, fx);
}

pub(super) fn on_renewed(
    app: &mut App,
    name: &str,
    result: Result<RenewedInfo, TaskError>,
    now: Timestamp,
) {
    let auto = app.auto_renew;
    let timing = app.settings.timing;
    let login_key = app.keymap.label(Context::Normal, Command::Login);
    let Some(row) = app.row_mut(name) else {
        return; // deleted while renewing
    };
    row.status.renewing_since = None;
    let (level, text) = match result {
        Ok(info) => {
            row.kind = RowKind::from_token(&info.token);
            row.meta.renewed_at = Some(info.renewed_at);
            row.status = RowStatus {
                auto_hold_until: now.saturating_add(autorenew::HOLD_AFTER_SUCCESS).ok(),
                ..RowStatus::default()
            };
            match row.lifetime(timing.renew_grace) {
                Some(life) => (
                    Level::Info,
                    tr!(
                        "toast.renewed",
                        name = name,
                        when = timefmt::relative(life.to_expiry(now))
                    ),
                ),
                None => (Level::Warn, tr!("toast.renewed_no_expiry", name = name)),
            }
        }
        Err(error) => {
            row.status.failures = row.status.failures.saturating_add(1);
            // Retrying cannot bring back a token only a login can replace: wait the longest.
            let wait = match error.kind {
                FailureKind::NeedsNewToken => autorenew::BACKOFF_MAX,
                _ => autorenew::backoff(row.status.failures),
            };
            row.status.auto_hold_until = now.saturating_add(wait).ok();
            row.status.last_error = Some(error.message.clone());
            let retry = match error.kind {
                FailureKind::NeedsNewToken
                    if row.decoded().is_some_and(|d| d.claims.user.is_some()) =>
                {
                    tr!("toast.press_login", login = login_key)
                }
                FailureKind::Retry | FailureKind::Keyring if auto => {
                    tr!("toast.auto_retry", wait = timefmt::compact(wait))
                }
                _ => String::new(),
            };
            let msg = error.message;
            (
                Level::Error,
                tr!(
                    "toast.renew_failed",
                    name = name,
                    error = msg,
                    retry = retry
                ),
            )
        }
    };
    toast(app, level, text, now);
}
