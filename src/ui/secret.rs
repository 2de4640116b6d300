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

pub fn render(frame: &mut Frame, area: Rect, prompt: &SecretPrompt, p: &Palette) {
    let rect = popup(area, 76, 9);
    let block = Block::bordered()
        .title(Span::styled(" Log in again ", p.header))
        .title_bottom(Span::styled(" Enter log in · Esc cancel ", p.dim))
        .border_style(p.key);
    let masked = if prompt.is_empty() {
        "type or paste it (hidden)".to_owned()
    } else {
        format!(
            "{} ({} chars)",
            "•".repeat(prompt.len().min(24)),
            prompt.len()
        )
    };
    let mut lines = vec![
        Line::from(vec![
            Span::raw("No key is remembered for "),
            Span::styled(popup_name(&prompt.name), p.header),
            Span::raw("'s account."),
        ]),
        Line::from(vec![
            Span::styled(format!("{}: ", clean(&prompt.label)), p.key),
            Span::styled(format!("{masked}▏"), p.focus),
        ]),
        Line::raw(""),
    ];
    lines.push(if prompt.busy {
        Line::styled("Logging in…", p.warn)
    } else if let Some(err) = &prompt.error {
        Line::styled(format!("✗ {}", clean(err)), p.error)
    } else {
        Line::styled(
            "Every token of the account is fetched again and replaces its rows.",
            p.dim,
        )
    });
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
