//! The table's entries: loading, adding, deleting, and asking a region's server about one.

use super::*;

/// The details pane shows what the server says about the selected token: ask once per token
/// (a renewal resets the answer), never for one the server would refuse anyway.
pub(super) fn inspect_selected(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    if !app.show_details {
        return;
    }
    let grace = app.settings.timing.renew_grace;
    let Some(&index) = app.view.get(app.selected) else {
        return;
    };
    let row = &mut app.rows[index];
    if row.status.server == ServerView::NotAsked && row.phase(now, grace).can_renew() {
        row.status.server = ServerView::Loading;
        fx.push(Effect::Inspect(row.name().to_owned()));
    }
}

pub(super) fn on_loaded(app: &mut App, stored: &[StoredToken]) {
    // Keep each surviving row's UI status (spinners, errors, back-off) across reloads.
    let mut old: Vec<Row> = std::mem::take(&mut app.rows);
    app.rows = stored
        .iter()
        .map(|s| {
            let mut row = Row::from_stored(s);
            if let Some(pos) = old.iter().position(|o| o.name() == row.name()) {
                let previous = old.swap_remove(pos);
                row.status = previous.status;
                if previous.kind != row.kind {
                    // A new token (a login, another process): old verdicts are about the old one.
                    row.status.server = ServerView::NotAsked;
                    row.status.last_error = None;
                    row.status.failures = 0;
                }
            }
            row
        })
        .collect();
    app.loaded = true;
}

pub(super) fn on_added(
    app: &mut App,
    name: &str,
    result: Result<(), TaskError>,
    now: Timestamp,
    fx: &mut Vec<Effect>,
) {
    match result {
        Ok(()) => {
            if matches!(&app.mode, Mode::Add(_)) {
                app.mode = Mode::Normal;
            }
            toast(app, Level::Info, tr!("toast.added", name = name), now);
            fx.push(Effect::Reload);
        }
        Err(msg) => {
            if let Mode::Add(form) = &mut app.mode {
                form.saving = false;
                form.error = Some(msg.message.clone());
            }
            toast(
                app,
                Level::Error,
                tr!("toast.save_failed", name = name, error = msg),
                now,
            );
        }
    }
}

pub(super) fn on_deleted(app: &mut App, name: &str, result: Result<(), TaskError>, now: Timestamp) {
    match result {
        Ok(()) => {
            app.rows.retain(|r| r.name() != name);
            toast(app, Level::Info, tr!("toast.deleted", name = name), now);
        }
        Err(msg) => toast(
            app,
            Level::Error,
            tr!("toast.delete_failed", name = name, error = msg),
            now,
        ),
    }
}
