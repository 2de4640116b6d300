//! Logging in again for the account that owns a token, and the answer.

use super::*;

/// `L`: log in again for the account behind the selected token. Which account, and whether a
/// key is remembered, is the runtime's business; the row spins meanwhile.
pub(super) fn login_selected(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    let Some(row) = app.selected_row() else {
        return;
    };
    let name = row.name().to_owned();
    let Some(user) = row.user().map(str::to_owned) else {
        toast(app, Level::Warn, tr!("toast.no_user", name = name), now);
        return;
    };
    if row.is_renewing() {
        return;
    }
    if let Some(row) = app.row_mut(&name) {
        row.status.renewing_since = Some(now);
        row.status.logging_in = true;
    }
    toast(app, Level::Info, tr!("toast.logging_in", user = user), now);
    fx.push(Effect::Login { name, secret: None });
}

pub(super) fn on_logged_in(
    app: &mut App,
    name: &str,
    result: Result<String, TaskError>,
    now: Timestamp,
    fx: &mut Vec<Effect>,
) {
    if let Some(row) = app.row_mut(name) {
        row.status.renewing_since = None;
        row.status.logging_in = false;
    }
    match result {
        Ok(summary) => {
            if matches!(app.mode, Mode::Secret(_)) {
                app.mode = Mode::Normal;
            }
            toast(app, Level::Info, summary, now);
            fx.push(Effect::Reload);
        }
        Err(msg) => match &mut app.mode {
            Mode::Secret(prompt) => {
                prompt.busy = false;
                prompt.error = Some(msg.message);
            }
            _ => toast(
                app,
                Level::Error,
                tr!("toast.login_failed", error = msg),
                now,
            ),
        },
    }
}
