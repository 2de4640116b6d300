//! Yes/no questions: deleting a token, copying one the server will refuse.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::layout::popup;
use super::palette::Palette;
use super::text::{clean, popup_name};
use crate::app::Confirm;
use crate::tr;

pub fn render(frame: &mut Frame, area: Rect, confirm: &Confirm, p: &Palette) {
    let (title, lines) = match confirm {
        Confirm::Delete { name } => (
            tr!("confirm.delete_title"),
            vec![
                Line::from(vec![
                    Span::raw(tr!("confirm.delete_before")),
                    Span::styled(popup_name(name), p.header),
                    Span::raw(tr!("confirm.delete_after")),
                ]),
                Line::raw(tr!("confirm.delete_undo")),
            ],
        ),
        Confirm::CopyUnusable { name, why, instead } => (
            tr!("confirm.copy_title"),
            vec![
                Line::from(vec![
                    Span::raw(tr!("confirm.copy_before")),
                    Span::styled(popup_name(name), p.header),
                    Span::raw(tr!("confirm.copy_after")),
                    Span::styled(clean(why), p.warn),
                    Span::raw(tr!("confirm.period")),
                ]),
                Line::raw(tr!("confirm.instead", hint = clean(instead))),
            ],
        ),
    };
    let mut lines = lines;
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("y", p.key),
        Span::raw(format!(" {}    ", tr!("confirm.yes"))),
        Span::styled("n", p.key),
        Span::raw("/"),
        Span::styled("Esc", p.key),
        Span::raw(format!(" {}", tr!("confirm.no"))),
    ]));
    let rect = popup(area, 72, 7);
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), p.warn))
        .border_style(p.warn);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
