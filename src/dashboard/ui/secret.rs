//! The "log in again" prompt: what to type, a masked field (only its length shows), and the
//! last failure.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog;
use super::palette::Palette;
use super::text::{clean, popup_name};
use crate::dashboard::app::SecretPrompt;
use crate::keymap::{Command, Context, Keymap};
use crate::tr;

pub(crate) fn render(
    frame: &mut Frame,
    area: Rect,
    prompt: &SecretPrompt,
    keys: &Keymap,
    p: &Palette,
) {
    let key = |cmd| keys.label(Context::Secret, cmd);
    let hint = tr!(
        "secret.keys",
        submit = key(Command::SecretSubmit),
        cancel = key(Command::SecretCancel)
    );
    let masked = if prompt.is_empty() {
        tr!("secret.placeholder")
    } else {
        tr!(
            "secret.masked",
            dots = "•".repeat(prompt.len().min(24)),
            count = prompt.len()
        )
    };
    let mut lines = vec![
        Line::from(vec![
            Span::raw(tr!("secret.none_before")),
            Span::styled(popup_name(&prompt.name), p.header),
            Span::raw(tr!("secret.none_after")),
        ]),
        Line::from(vec![
            Span::styled(format!("{}: ", clean(&prompt.label)), p.key),
            Span::styled(format!("{masked}▏"), p.focus),
        ]),
        Line::raw(""),
    ];
    let busy = prompt.busy.then(|| tr!("secret.busy"));
    let error = prompt.error.as_deref();
    lines.push(dialog::status_line(busy, error, tr!("secret.explain"), p));
    dialog::render_text(frame, area, (tr!("secret.title"), hint, 9), lines, p);
}
