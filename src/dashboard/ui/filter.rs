//! The filter input, shown on the message line while typing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::palette::Palette;
use super::text::clean;
use crate::dashboard::app::App;
use crate::keymap::{Command, Context};

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, p: &Palette) {
    let start = app.keymap.label(Context::Normal, Command::StartFilter);
    let key = |cmd| app.keymap.label(Context::Filter, cmd);
    let line = Line::from(vec![
        Span::styled(format!(" {start} "), p.key),
        Span::raw(clean(&app.filter)),
        Span::styled("▏", p.key),
        Span::styled(
            crate::tr!(
                "filter.typing",
                shown = app.view.len(),
                total = app.rows.len(),
                keep = key(Command::FilterKeep),
                clear = key(Command::FilterClear)
            ),
            p.dim,
        ),
    ]);
    frame.render_widget(line, area);
}
