//! Copying a token and clearing the clipboard again, and what the user is told.

use super::*;

/// Copies the selected token; one the server will refuse is copied only after a yes, with the
/// row's advice as the better way.
pub(super) fn copy_selected(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    let Some(row) = app.selected_row() else {
        return;
    };
    let timing = app.settings.timing;
    let name = row.name().to_owned();
    let advice = row.advice(now, timing);
    let condition = advice.condition;
    if !condition.has_secret() {
        let text = row.advice_text(now, timing, &app.keymap);
        toast(
            app,
            Level::Error,
            tr!("toast.nothing_to_copy", advice = text),
            now,
        );
        return;
    }
    // An expired but renewable token is copied as asked: the user may be about to renew it.
    if condition.usable() || condition == Condition::Renewable {
        fx.push(Effect::Copy { name });
        return;
    }
    let problem = advice_words::problem_long(condition, &row.advice_details(now, timing));
    let why = tr!("copy.why", problem = problem);
    let surface = Surface::Dashboard {
        name: &name,
        keys: &app.keymap,
    };
    let instead = advice_words::step_long(advice.step, surface);
    app.mode = Mode::Confirm(Confirm::CopyUnusable { name, why, instead });
}

pub(super) fn on_copied(
    app: &mut App,
    name: &str,
    result: Result<ClipboardKind, TaskError>,
    now: Timestamp,
) {
    match result {
        Ok(kind) => {
            let clear = app.settings.clipboard_clear;
            let when = if clear.is_positive() {
                app.clipboard = now
                    .saturating_add(clear)
                    .ok()
                    .map(|at| (name.to_owned(), at));
                tr!("toast.clears_in", wait = timefmt::compact(clear))
            } else {
                app.clipboard = None;
                tr!("toast.clear_off")
            };
            let text = tr!(
                "toast.copied",
                name = name,
                target = kind.describe(),
                when = when
            );
            toast(app, Level::Info, text, now);
        }
        Err(msg) => toast(
            app,
            Level::Error,
            tr!("toast.copy_failed", name = name, error = msg),
            now,
        ),
    }
}

pub(super) fn on_cleared(app: &mut App, result: Result<ClearOutcome, TaskError>, now: Timestamp) {
    let (level, text) = match result {
        Ok(ClearOutcome::Cleared) => (Level::Info, tr!("toast.cleared")),
        Ok(ClearOutcome::ClearSent(None)) => (Level::Info, tr!("toast.clear_sent")),
        // tmux keeps a copy of its own in a paste buffer: say plainly what became of it.
        Ok(ClearOutcome::ClearSent(Some(TmuxCopy::Deleted(_)))) => {
            (Level::Info, tr!("toast.clear_sent_tmux_deleted"))
        }
        Ok(ClearOutcome::ClearSent(Some(TmuxCopy::NotThere))) => {
            (Level::Info, tr!("toast.clear_sent_tmux_none"))
        }
        Ok(ClearOutcome::ClearSent(Some(TmuxCopy::Unknown(why)))) => (
            Level::Warn,
            tr!("toast.clear_sent_tmux_unknown", error = why),
        ),
        Ok(ClearOutcome::LeftAlone) => (Level::Info, tr!("toast.clear_left_alone")),
        Ok(ClearOutcome::NothingCopied) => return,
        Err(msg) => (Level::Error, tr!("toast.clear_failed", error = msg)),
    };
    toast(app, level, text, now);
}
