//! Yes/no questions: deleting a token, copying one the server will refuse.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::layout::popup;
use super::palette::Palette;
use super::text::{clean, popup_name};
use crate::app::Confirm;

pub fn render(frame: &mut Frame, area: Rect, confirm: &Confirm, p: &Palette) {
    let (title, lines) = match confirm {
        Confirm::Delete { name } => (
            " Delete? ",
            vec![
                Line::from(vec![
                    Span::raw("Delete "),
                    Span::styled(popup_name(name), p.header),
                    Span::raw(" from the keyring and the index?"),
                ]),
                Line::raw("This cannot be undone: you would need a new token from the platform."),
            ],
        ),
        Confirm::CopyUnusable { name, why } => (
            " Copy anyway? ",
            vec![
                Line::from(vec![
                    Span::raw("Copy "),
                    Span::styled(popup_name(name), p.header),
                    Span::raw("? "),
                    Span::styled(clean(why), p.warn),
                    Span::raw("."),
                ]),
                Line::raw(format!("Instead: {}.", crate::app::NEW_TOKEN_HINT)),
            ],
        ),
    };
    let mut lines = lines;
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("y", p.key),
        Span::raw(" yes    "),
        Span::styled("n", p.key),
        Span::raw("/"),
        Span::styled("Esc", p.key),
        Span::raw(" no"),
    ]));
    let rect = popup(area, 72, 7);
    let block = Block::bordered()
        .title(Span::styled(title, p.warn))
        .border_style(p.warn);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
