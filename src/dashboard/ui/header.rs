//! The title line: what this is, demo mode, the active filter.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::palette::Palette;
use super::text::clean;
use crate::dashboard::app::{App, Mode};
use crate::keymap::{Command, Context};
use crate::tr;

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, p: &Palette) {
    let mut spans = vec![Span::styled(" actoken ", p.title)];
    if app.demo {
        spans.push(Span::styled(format!(" {} ", tr!("header.demo")), p.warn));
    } else {
        spans.push(Span::styled(format!(" {} ", tr!("header.title")), p.dim));
    }
    if !app.filter.is_empty() && !matches!(app.mode, Mode::Filter) {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            tr!(
                "header.filter",
                filter = clean(&app.filter),
                shown = app.view.len(),
                total = app.rows.len(),
                clear = app.keymap.label(Context::Normal, Command::Back)
            ),
            p.warn,
        ));
    }
    frame.render_widget(Line::from(spans), area);
}
