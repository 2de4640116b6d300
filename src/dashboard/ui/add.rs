//! The add-a-token dialog. The token field is masked: only its length and a short hint show.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog;
use super::palette::Palette;
use super::text::clean;
use crate::dashboard::app::{AddForm, Field};
use crate::keymap::{Command, Context, Keymap};
use crate::tr;
use crate::width::pad;

/// The field labels' column ("Base URL" and "访问凭证" fit).
const LABEL: usize = 9;

pub(crate) fn render(frame: &mut Frame, area: Rect, form: &AddForm, keys: &Keymap, p: &Palette) {
    let key = |cmd| keys.label(Context::AddForm, cmd);
    let hint = tr!(
        "add.keys",
        next = key(Command::FormNext),
        submit = key(Command::FormSubmit),
        cancel = key(Command::FormCancel)
    );
    let mut lines = Vec::new();
    for field in Field::ALL {
        let focused = form.focus == field;
        let mut value = clean(&form.field_text(field));
        if value.is_empty() && !focused {
            value = placeholder(field);
        }
        let value_style = if focused {
            p.focus
        } else if form.field_text(field).is_empty() {
            p.dim
        } else {
            ratatui::style::Style::new()
        };
        let cursor = if focused { "▏" } else { "" };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{} {}",
                    if focused { "›" } else { " " },
                    pad(&field.label(), LABEL)
                ),
                if focused { p.key } else { p.dim },
            ),
            Span::styled(format!("{value}{cursor}"), value_style),
        ]));
    }
    lines.push(Line::raw(""));
    let busy = form.saving.then(|| tr!("add.saving"));
    let error = form.error.as_deref();
    lines.push(dialog::status_line(busy, error, tr!("add.explain"), p));
    dialog::render_text(frame, area, (tr!("add.title"), hint, 10), lines, p);
}

fn placeholder(field: Field) -> String {
    match field {
        Field::Name => tr!("add.placeholder_name"),
        Field::BaseUrl => "https://HOST:PORT".to_owned(),
        Field::Note => tr!("add.placeholder_note"),
        Field::Token => tr!("add.placeholder_token"),
    }
}
