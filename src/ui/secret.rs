//! The "log in again" prompt: what to type, a masked field (only its length shows), and the
//! last failure.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::layout::popup;
use super::palette::Palette;
use super::text::{clean, popup_name};
use crate::app::SecretPrompt;
use crate::keymap::{Command, Context, Keymap};
use crate::tr;

pub fn render(frame: &mut Frame, area: Rect, prompt: &SecretPrompt, keys: &Keymap, p: &Palette) {
    let key = |cmd| keys.label(Context::Secret, cmd);
    let hint = tr!(
        "secret.keys",
        submit = key(Command::SecretSubmit),
        cancel = key(Command::SecretCancel)
    );
    let rect = popup(area, 76, 9);
    let block = Block::bordered()
        .title(Span::styled(format!(" {} ", tr!("secret.title")), p.header))
        .title_bottom(Span::styled(format!(" {hint} "), p.dim))
        .border_style(p.key);
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
    lines.push(if prompt.busy {
        Line::styled(tr!("secret.busy"), p.warn)
    } else if let Some(err) = &prompt.error {
        Line::styled(format!("✗ {}", clean(err)), p.error)
    } else {
        Line::styled(tr!("secret.explain"), p.dim)
    });
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
