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
use crate::clipboard::{ClearOutcome, ClipboardKind};
use crate::keymap::{Command, Context};
use crate::store::StoredToken;
use crate::timefmt;
use crate::tr;

const INFO_TOAST: SignedDuration = SignedDuration::from_secs(5);
const ERROR_TOAST: SignedDuration = SignedDuration::from_secs(15);
const WHEEL_STEP: usize = 3;

/// Applies `action` at `now`. Pure: all I/O is left to the returned effects.
pub fn update(app: &mut App, action: Action, now: Timestamp) -> Vec<Effect> {
    let mut fx = Vec::new();
    match action {
        Action::Key(key) => on_key(app, key, now, &mut fx),
        Action::Mouse(mouse) => on_mouse(app, mouse),
        Action::Paste(text) => on_paste(app, &text),
        Action::Tick => on_tick(app, now, &mut fx),
        Action::Resize { width, height } => app.size = (width, height),
        Action::Loaded(stored) => {
            on_loaded(app, &stored);
            auto_renew(app, now, &mut fx);
        }
        Action::Renewed { name, result } => on_renewed(app, &name, result, now),
        Action::Copied { name, result } => on_copied(app, &name, result, now),
        Action::ClipboardCleared(result) => on_cleared(app, result, now),
        Action::Added { name, result } => on_added(app, &name, result, now, &mut fx),
        Action::Deleted { name, result } => on_deleted(app, &name, result, now),
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
        Action::LoggedIn { name, result } => on_logged_in(app, &name, result, now, &mut fx),
        Action::IndexHealed(text) => {
            toast(app, Level::Warn, text, now);
            fx.push(Effect::Reload);
        }
        Action::Inspected { name, info } => {
            if let Some(row) = app.row_mut(&name) {
                row.status.server = ServerView::Ready(info);
            }
        }
    }
    if matches!(app.mode, Mode::Normal)
        && let Some(prompt) = app.pending_prompts.pop_front()
    {
        app.mode = Mode::Secret(prompt);
    }
    refresh_view(app, now);
    inspect_selected(app, now, &mut fx);
    quit::continue_pending(app, now, &mut fx);
    fx
}

/// The details pane shows what the server says about the selected token: ask once per token
/// (a renewal resets the answer), never for one the server would refuse anyway.
fn inspect_selected(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
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

fn toast(app: &mut App, level: Level, text: impl Into<String>, now: Timestamp) {
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
fn refresh_view(app: &mut App, now: Timestamp) {
    let keep = app.selected_row().map(|r| r.name().to_owned());
    app.view = view::build(&app.rows, &app.filter, app.sort, now, app.settings.timing);
    let found = keep.and_then(|name| app.view.iter().position(|&i| app.rows[i].name() == name));
    app.selected = found.unwrap_or(app.selected.min(app.view.len().saturating_sub(1)));
    scroll_to_selection(app);
}

fn page_height(app: &App) -> usize {
    usize::from(layout::table_body(app).height)
}

fn scroll_to_selection(app: &mut App) {
    app.offset = view::window_start(app.selected, app.offset, page_height(app), app.view.len());
}

fn move_by(app: &mut App, delta: isize) {
    let last = app.view.len().saturating_sub(1);
    app.selected = app.selected.saturating_add_signed(delta).min(last);
    scroll_to_selection(app);
}

fn context(mode: &Mode) -> Context {
    match mode {
        Mode::Normal => Context::Normal,
        Mode::Help { .. } => Context::Help,
        Mode::Filter => Context::Filter,
        Mode::Add(_) => Context::AddForm,
        Mode::Confirm(_) => Context::Confirm,
        Mode::Secret(_) => Context::Secret,
    }
}

/// Dispatches a key on the mode: the dashboard's own commands here, each modal's in its module.
fn on_key(app: &mut App, key: KeyEvent, now: Timestamp, fx: &mut Vec<Effect>) {
    let cmd = app.keymap.lookup(context(&app.mode), &key);
    let outcome = match &mut app.mode {
        Mode::Normal => {
            if let Some(cmd) = cmd {
                normal_command(app, cmd, now, fx);
            }
            return;
        }
        Mode::Help { scroll } => help::on_key(scroll, cmd),
        Mode::Filter => match filter::on_key(&mut app.filter, cmd, &key) {
            Outcome::Submit => {
                // The text changed: start at the top of the narrowed view.
                app.selected = 0;
                Outcome::Stay
            }
            other => other,
        },
        Mode::Add(form) => text_dialog_key(form, cmd, &key),
        Mode::Secret(prompt) => text_dialog_key(prompt, cmd, &key),
        Mode::Confirm(confirm) => confirm.on_key(cmd),
    };
    match outcome {
        Outcome::Stay => {}
        Outcome::Close => app.mode = Mode::Normal,
        Outcome::Submit => submit_modal(app, now, fx),
    }
}

/// The open modal asked to act: save the form, log in, or do what was confirmed.
fn submit_modal(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    match &app.mode {
        Mode::Add(_) => submit_form(app, now, fx),
        Mode::Secret(prompt) => {
            let name = prompt.name.clone();
            fx.push(Effect::Login {
                name: name.clone(),
                secret: Some(prompt.secret()),
            });
            if let Some(row) = app.row_mut(&name) {
                row.status.renewing_since = Some(now);
                row.status.logging_in = true;
            }
        }
        Mode::Confirm(confirm) => {
            let confirm = confirm.clone();
            app.mode = Mode::Normal;
            match confirm {
                Confirm::Delete { name } => {
                    toast(app, Level::Info, tr!("toast.deleting", name = name), now);
                    fx.push(Effect::Delete(name));
                }
                Confirm::CopyUnusable { name, .. } => fx.push(Effect::Copy { name }),
            }
        }
        Mode::Normal | Mode::Help { .. } | Mode::Filter => {}
    }
}

fn normal_command(app: &mut App, cmd: Command, now: Timestamp, fx: &mut Vec<Effect>) {
    let page = page_height(app).max(1) as isize;
    match cmd {
        Command::Up => move_by(app, -1),
        Command::Down => move_by(app, 1),
        Command::Top => move_by(app, isize::MIN),
        Command::Bottom => move_by(app, isize::MAX),
        Command::PageUp => move_by(app, -page),
        Command::PageDown => move_by(app, page),
        Command::Renew => renew_selected(app, now, fx),
        Command::RenewDue => renew_due(app, now, fx),
        Command::Copy => copy_selected(app, now, fx),
        Command::ToggleDetails => app.show_details = !app.show_details,
        Command::StartFilter => app.mode = Mode::Filter,
        Command::StartAdd => {
            app.mode = Mode::Add(AddForm::new(app.settings.default_base_url.as_deref()))
        }
        Command::Delete => {
            if let Some(row) = app.selected_row() {
                let name = row.name().to_owned();
                app.mode = Mode::Confirm(Confirm::Delete { name });
            }
        }
        Command::CycleSort => {
            app.sort = app.sort.next();
            toast(
                app,
                Level::Info,
                tr!("toast.sorted_by", sort = app.sort.label()),
                now,
            );
        }
        Command::ToggleAutoRenew => {
            app.auto_renew = !app.auto_renew;
            let text = if app.auto_renew {
                tr!(
                    "toast.auto_renew_on",
                    window = timefmt::compact(app.settings.timing.renew_ahead)
                )
            } else {
                tr!("toast.auto_renew_off")
            };
            toast(app, Level::Info, text, now);
            auto_renew(app, now, fx);
        }
        Command::Login => login_selected(app, now, fx),
        Command::Help => app.mode = Mode::Help { scroll: 0 },
        Command::Back => {
            if !app.filter.is_empty() {
                app.filter.clear();
            } else if app.show_details {
                app.show_details = false;
            } else {
                quit::request(app, now, fx);
            }
        }
        Command::Quit => quit::request(app, now, fx),
        Command::Suspend => fx.push(Effect::Suspend),
        _ => {}
    }
}

/// Why a row cannot be renewed, or None when it can: the row's advice, when its step is not
/// a renewal.
fn renew_refusal(app: &App, row: &Row, now: Timestamp) -> Option<(Level, String)> {
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

fn start_renewing(app: &mut App, names: &[String], now: Timestamp) {
    for name in names {
        if let Some(row) = app.row_mut(name) {
            row.status.renewing_since = Some(now);
        }
    }
}

fn renew_selected(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    let Some(row) = app.selected_row() else {
        return;
    };
    let name = row.name().to_owned();
    let step = row.advice(now, app.settings.timing).step;
    if matches!(step, Step::Login { .. } | Step::Relogin { .. }) {
        // Renewing cannot help a dead token; logging in again can.
        return login_selected(app, now, fx);
    }
    if let Some((level, text)) = renew_refusal(app, row, now) {
        toast(app, level, text, now);
        return;
    }
    let names = vec![name];
    start_renewing(app, &names, now);
    fx.push(Effect::Renew(names));
}

fn renew_due(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
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

fn auto_renew(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
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

/// Copies the selected token; one the server will refuse is copied only after a yes, with the
/// row's advice as the better way.
fn copy_selected(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
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

fn submit_form(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    let names: Vec<String> = app.rows.iter().map(|r| r.name().to_owned()).collect();
    let delete_key = app.keymap.label(Context::Normal, Command::Delete);
    let Mode::Add(form) = &mut app.mode else {
        return;
    };
    if let Ok(sub) = form.validate(|n| names.iter().any(|x| x == n), &delete_key) {
        form.saving = true;
        toast(app, Level::Info, tr!("toast.saving", name = &sub.name), now);
        fx.push(Effect::Add {
            name: sub.name,
            base_url: sub.base_url,
            note: sub.note,
            token: sub.token,
        });
    }
}

/// `L`: log in again for the account behind the selected token. Which account, and whether a
/// key is remembered, is the runtime's business; the row spins meanwhile.
fn login_selected(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
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

fn on_logged_in(
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

fn on_mouse(app: &mut App, mouse: MouseEvent) {
    if !matches!(app.mode, Mode::Normal) {
        return;
    }
    match mouse.kind {
        MouseEventKind::ScrollDown => move_by(app, WHEEL_STEP as isize),
        MouseEventKind::ScrollUp => move_by(app, -(WHEEL_STEP as isize)),
        MouseEventKind::Down(MouseButton::Left) => {
            let body = layout::table_body(app);
            let inside = mouse.column >= body.x
                && mouse.column < body.right()
                && mouse.row >= body.y
                && mouse.row < body.bottom();
            if inside {
                let start = view::window_start(
                    app.selected,
                    app.offset,
                    usize::from(body.height),
                    app.view.len(),
                );
                let clicked = start + usize::from(mouse.row - body.y);
                if clicked < app.view.len() {
                    app.selected = clicked;
                    app.offset = start;
                }
            }
        }
        _ => {}
    }
}

fn on_paste(app: &mut App, text: &str) {
    match &mut app.mode {
        Mode::Add(form) => text_dialog_paste(form, text),
        Mode::Secret(prompt) => text_dialog_paste(prompt, text),
        Mode::Filter => filter::on_paste(&mut app.filter, text),
        _ => {}
    }
}

fn on_tick(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    if app.toast.as_ref().is_some_and(|t| now >= t.until) {
        app.toast = None;
    }
    if app.clipboard.as_ref().is_some_and(|(_, at)| now >= *at) {
        app.clipboard = None;
        fx.push(Effect::ClearClipboard);
    }
    auto_renew(app, now, fx);
}

fn on_loaded(app: &mut App, stored: &[StoredToken]) {
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

fn on_renewed(app: &mut App, name: &str, result: Result<RenewedInfo, TaskError>, now: Timestamp) {
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

fn on_copied(app: &mut App, name: &str, result: Result<ClipboardKind, TaskError>, now: Timestamp) {
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

fn on_cleared(app: &mut App, result: Result<ClearOutcome, TaskError>, now: Timestamp) {
    let (level, text) = match result {
        Ok(ClearOutcome::Cleared) => (Level::Info, tr!("toast.cleared")),
        Ok(ClearOutcome::ClearSent) => (Level::Info, tr!("toast.clear_sent")),
        Ok(ClearOutcome::LeftAlone) => (Level::Info, tr!("toast.clear_left_alone")),
        Ok(ClearOutcome::NothingCopied) => return,
        Err(msg) => (Level::Error, tr!("toast.clear_failed", error = msg)),
    };
    toast(app, level, text, now);
}

fn on_added(
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

fn on_deleted(app: &mut App, name: &str, result: Result<(), TaskError>, now: Timestamp) {
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
