//! The frame every dialog shares: a centered bordered popup with a title, an optional line of
//! keys on its bottom border, and wrapped text; text dialogs add a status line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::layout::popup;
use super::palette::Palette;
use super::text::clean;

/// What a dialog shows and how it looks.
pub(crate) struct Dialog<'a> {
    pub title: String,
    /// The dialog's keys, e.g. "Enter save · Esc cancel", drawn dim on the bottom border.
    pub keys: Option<(String, Style)>,
    /// Title and border style.
    pub style: Style,
    pub title_style: Style,
    pub width: u16,
    pub height: u16,
    pub lines: Vec<Line<'a>>,
}

pub(crate) fn render(frame: &mut Frame, area: Rect, dialog: Dialog<'_>) {
    let rect = popup(area, dialog.width, dialog.height);
    let mut block = Block::bordered()
        .title(Span::styled(
            format!(" {} ", dialog.title),
            dialog.title_style,
        ))
        .border_style(dialog.style);
    if let Some((keys, style)) = dialog.keys {
        block = block.title_bottom(Span::styled(format!(" {keys} "), style));
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(dialog.lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

/// The last line of a text dialog (the add form, the log-in prompt): it is busy, why the last
/// attempt failed, or what to do, in that order.
pub(crate) fn status_line<'a>(
    busy: Option<String>,
    error: Option<&str>,
    explain: String,
    p: &Palette,
) -> Line<'a> {
    match (busy, error) {
        (Some(busy), _) => Line::styled(busy, p.warn),
        (None, Some(err)) => Line::styled(format!("✗ {}", clean(err)), p.error),
        (None, None) => Line::styled(explain, p.dim),
    }
}

/// A text dialog: key-coloured border, its keys on the bottom border.
pub(crate) fn render_text(
    frame: &mut Frame,
    area: Rect,
    head: (String, String, u16),
    lines: Vec<Line<'_>>,
    p: &Palette,
) {
    let (title, keys, height) = head;
    let dialog = Dialog {
        title,
        keys: Some((keys, p.dim)),
        style: p.key,
        title_style: p.header,
        width: 76,
        height,
        lines,
    };
    render(frame, area, dialog);
}
