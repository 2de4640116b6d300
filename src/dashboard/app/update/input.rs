//! Keys, mouse and paste: what the user's input does in each mode.

use super::*;

pub(super) fn context(mode: &Mode) -> Context {
    match mode {
        Mode::Normal => Context::Normal,
        Mode::Help { .. } => Context::Help,
        Mode::Filter => Context::Filter,
        Mode::Add(_) => Context::AddForm,
        Mode::Confirm(_) => Context::Confirm,
        Mode::Secret(_) => Context::Secret,
        Mode::Approval(_) => Context::Approval,
    }
}

/// Dispatches a key on the mode: the dashboard's own commands here, each modal's in its module.
pub(super) fn on_key(app: &mut App, key: KeyEvent, now: Timestamp, fx: &mut Vec<Effect>) {
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
        Mode::Approval(approval) => {
            let approval = approval.clone();
            super::agent::on_key(app, &approval, cmd, now, fx);
            return;
        }
    };
    match outcome {
        Outcome::Stay => {}
        Outcome::Close => app.mode = Mode::Normal,
        Outcome::Submit => submit_modal(app, now, fx),
    }
}

/// The open modal asked to act: save the form, log in, or do what was confirmed.
pub(super) fn submit_modal(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
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
        Mode::Normal | Mode::Help { .. } | Mode::Filter | Mode::Approval(_) => {}
    }
}

pub(super) fn normal_command(app: &mut App, cmd: Command, now: Timestamp, fx: &mut Vec<Effect>) {
    let page = page_height(app).max(1) as isize;
    match cmd {
        Command::Up => move_by(app, -1),
        Command::Down => move_by(app, 1),
        Command::Top => move_by(app, isize::MIN),
        Command::Bottom => move_by(app, isize::MAX),
        Command::PageUp => move_by(app, -page),
        Command::PageDown => move_by(app, page),
        Command::Renew => super::renewal::renew_selected(app, now, fx),
        Command::RenewDue => super::renewal::renew_due(app, now, fx),
        Command::Copy => super::clipboard::copy_selected(app, now, fx),
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
            super::renewal::auto_renew(app, now, fx);
        }
        Command::Login => super::login::login_selected(app, now, fx),
        Command::ToggleAgent => super::agent::toggle_panel(app, now),
        Command::ShowApproval => super::agent::show_again(app, now),
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

pub(super) fn on_mouse(app: &mut App, mouse: MouseEvent) {
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

pub(super) fn on_paste(app: &mut App, text: &str) {
    match &mut app.mode {
        Mode::Add(form) => text_dialog_paste(form, text),
        Mode::Secret(prompt) => text_dialog_paste(prompt, text),
        Mode::Filter => filter::on_paste(&mut app.filter, text),
        _ => {}
    }
}

pub(super) fn submit_form(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
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
