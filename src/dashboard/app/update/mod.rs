//! `update`: applies one Action to the App at instant `now` and returns the Effects to run.

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use jiff::{SignedDuration, Timestamp};

use super::action::{Action, Effect, RenewedInfo};
use super::autorenew;
use super::failure::{FailureKind, TaskError};
use super::form::AddForm;
use super::layout;
use super::modal::{Outcome, text_dialog_key, text_dialog_paste};
use super::quit;
use super::row::{Row, RowKind, RowStatus, ServerView};
use super::secret::SecretPrompt;
use super::view;
use super::{App, Confirm, Level, Mode, Toast};
use super::{filter, help};
use crate::advice::Condition;
use crate::advice::Step;
use crate::advice::words::{self as advice_words, Surface};
use crate::clipboard::{ClearOutcome, ClipboardKind, TmuxCopy};
use crate::keymap::{Command, Context};
use crate::store::StoredToken;
use crate::timefmt;
use crate::tr;

mod agent;
mod clipboard;
mod entries;
mod input;
mod login;
mod renewal;
const INFO_TOAST: SignedDuration = SignedDuration::from_secs(5);
const ERROR_TOAST: SignedDuration = SignedDuration::from_secs(15);
const WHEEL_STEP: usize = 3;

/// Applies `action` at `now`. Pure: all I/O is left to the returned effects.
pub fn update(app: &mut App, action: Action, now: Timestamp) -> Vec<Effect> {
    let mut fx = Vec::new();
    match action {
        Action::Key(key) => input::on_key(app, key, now, &mut fx),
        Action::Mouse(mouse) => input::on_mouse(app, mouse),
        Action::Paste(text) => input::on_paste(app, &text),
        Action::Tick => {
            renewal::on_tick(app, now, &mut fx);
            agent::on_tick(app, now);
        }
        Action::Resize { width, height } => app.size = (width, height),
        Action::Loaded(stored) => {
            entries::on_loaded(app, &stored);
            renewal::auto_renew(app, now, &mut fx);
        }
        Action::Renewed { name, result } => renewal::on_renewed(app, &name, result, now),
        Action::Copied { name, result } => clipboard::on_copied(app, &name, result, now),
        Action::ClipboardCleared(result) => clipboard::on_cleared(app, result, now),
        Action::Added { name, result } => entries::on_added(app, &name, result, now, &mut fx),
        Action::Deleted { name, result } => entries::on_deleted(app, &name, result, now),
        Action::LoginNeedsSecret { name, prompt } => {
            if let Some(row) = app.row_mut(&name) {
                row.status.renewing_since = None;
                row.status.logging_in = false;
            }
            // Never replace an open dialog (an Add form may hold a pasted token): queue it.
            app.pending_prompts
                .push_back(SecretPrompt::new(&name, &prompt));
        }
        Action::QuitRequested => quit::request(app, now, &mut fx),
        Action::StoreProblem(error) => toast(
            app,
            Level::Error,
            tr!("toast.store_problem", error = error),
            now,
        ),
        Action::LoggedIn { name, result } => login::on_logged_in(app, &name, result, now, &mut fx),
        Action::IndexHealed(text) => {
            toast(app, Level::Warn, text, now);
            fx.push(Effect::Reload);
        }
        Action::Inspected { name, info } => {
            if let Some(row) = app.row_mut(&name) {
                row.status.server = ServerView::Ready(info);
            }
        }
        Action::Agent(news) => agent::on_news(app, news, now),
        Action::Decided { id, result, .. } => agent::on_decided(app, id, result, now),
    }
    // The agent's questions first: each has a deadline.
    agent::open_dialog(app, now);
    if matches!(app.mode, Mode::Normal)
        && let Some(prompt) = app.pending_prompts.pop_front()
    {
        app.mode = Mode::Secret(prompt);
    }
    refresh_view(app, now);
    entries::inspect_selected(app, now, &mut fx);
    quit::continue_pending(app, now, &mut fx);
    fx
}

pub(super) fn toast(app: &mut App, level: Level, text: impl Into<String>, now: Timestamp) {
    let life = if level == Level::Info {
        INFO_TOAST
    } else {
        ERROR_TOAST
    };
    app.toast = Some(Toast {
        level,
        text: text.into(),
        until: now.saturating_add(life).unwrap_or(now),
    });
}

/// Rebuilds the view (urgency changes with time), keeping the selected token selected.
pub(super) fn refresh_view(app: &mut App, now: Timestamp) {
    let keep = app.selected_row().map(|r| r.name().to_owned());
    app.view = view::build(&app.rows, &app.filter, app.sort, now, app.settings.timing);
    let found = keep.and_then(|name| app.view.iter().position(|&i| app.rows[i].name() == name));
    app.selected = found.unwrap_or(app.selected.min(app.view.len().saturating_sub(1)));
    scroll_to_selection(app);
}

pub(super) fn page_height(app: &App) -> usize {
    usize::from(layout::table_body(app).height)
}

pub(super) fn scroll_to_selection(app: &mut App) {
    app.offset = view::window_start(app.selected, app.offset, page_height(app), app.view.len());
}

pub(super) fn move_by(app: &mut App, delta: isize) {
    let last = app.view.len().saturating_sub(1);
    app.selected = app.selected.saturating_add_signed(delta).min(last);
    scroll_to_selection(app);
}
