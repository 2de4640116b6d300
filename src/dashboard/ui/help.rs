//! The help screen, generated from the key table that the handler uses.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::help_text;
use super::layout::popup;
use super::palette::Palette;
use crate::dashboard::app::App;
use crate::keymap::{Command, Context};
use crate::timefmt;
use crate::tr;
use crate::width::pad;

const KEYS: usize = 16;

pub(crate) fn lines<'a>(app: &App, p: &Palette) -> Vec<Line<'a>> {
    let ahead = timefmt::compact(app.settings.timing.renew_ahead);
    let mut out = Vec::new();
    for ctx in Context::ALL {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(help_text::title(ctx, &app.keymap), p.header));
        for (command, keys) in app.keymap.bindings_for(ctx) {
            let keys: Vec<String> = keys.iter().map(|k| k.label()).collect();
            out.push(Line::from(vec![
                Span::styled(format!("  {}", pad(&keys.join(" "), KEYS)), p.key),
                Span::raw(help_text::help(command, &ahead, &app.keymap)),
            ]));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled(tr!("keys.mouse"), p.dim));
    out
}

/// "j/k scroll · Esc closes", with the keys of the App's key table.
fn footer(app: &App) -> String {
    let key = |cmd| app.keymap.label(Context::Help, cmd);
    tr!(
        "keys.popup_keys",
        down = key(Command::HelpDown),
        up = key(Command::HelpUp),
        close = key(Command::CloseHelp)
    )
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, scroll: u16, p: &Palette) {
    let lines = lines(app, p);
    let wanted = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = popup(area, 96, wanted.min(area.height.saturating_sub(2)).max(3));
    // Scrolling stops at the last line (roughly: wrapped lines are not counted).
    let scroll = scroll.min(wanted.saturating_sub(rect.height));
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {} ", tr!("keys.popup_title")),
            p.header,
        ))
        .title_bottom(Span::styled(format!(" {} ", footer(app)), p.dim))
        .border_style(p.key);
    frame.render_widget(Clear, rect);
    let para = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(para, rect);
}
