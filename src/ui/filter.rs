//! The filter input, shown on the message line while typing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::palette::Palette;
use super::text::clean;
use crate::app::App;

pub fn render(frame: &mut Frame, area: Rect, app: &App, p: &Palette) {
    let line = Line::from(vec![
        Span::styled(" / ", p.key),
        Span::raw(clean(&app.filter)),
        Span::styled("▏", p.key),
        Span::styled(
            crate::tr!(
                "filter.typing",
                shown = app.view.len(),
                total = app.rows.len()
            ),
            p.dim,
        ),
    ]);
    frame.render_widget(line, area);
}
