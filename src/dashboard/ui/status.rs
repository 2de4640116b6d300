//! The bottom two lines: a message (toast, or what to do about the selected token) and the
//! status bar (keys, sort, auto-renew, counts, clipboard countdown).

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::palette::Palette;
use super::text::{clean, next_step_long};
use crate::dashboard::app::{App, Level, Mode};
use crate::keymap::{Command, Context};
use crate::timefmt;
use crate::tr;
use crate::width::truncate_middle;

/// The status bar names the token on the clipboard in at most this many columns, so the
/// counts after it stay on screen.
const CLIPBOARD_NAME: usize = 20;

pub(crate) fn render_message(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    now: Timestamp,
    p: &Palette,
) {
    let (text, style) = if let Some(t) = &app.toast {
        let icon = match t.level {
            Level::Info => "•",
            Level::Warn => "⚠",
            Level::Error => "✗",
        };
        (format!(" {icon} {}", clean(&t.text)), p.level(t.level))
    } else if let Some(row) = app.selected_row() {
        let style = p.urgency(row.urgency(now, app.settings.timing));
        (format!(" {}", next_step_long(row, app, now)), style)
    } else {
        return;
    };
    // The layout gives a long toast up to three lines; it wraps into them.
    let para = Paragraph::new(text).style(style).wrap(Wrap { trim: false });
    frame.render_widget(para, area);
}

pub(crate) fn render_bar(frame: &mut Frame, area: Rect, app: &App, now: Timestamp, p: &Palette) {
    let key = |cmd| app.keymap.label(Context::Normal, cmd);
    // Most important first: a narrow terminal cuts the end off. The agent's questions have a
    // deadline: first of all, while their dialog is not open.
    let mut spans = Vec::new();
    let waiting = app.agent.unanswered();
    if waiting > 0 && !matches!(app.mode, Mode::Approval(_)) {
        spans.push(Span::styled(
            format!(" {}", key(Command::ShowApproval)),
            p.key,
        ));
        spans.push(Span::styled(
            format!(" {} │", tr!("bar.approvals", count = waiting)),
            p.warn,
        ));
    }
    spans.extend([
        Span::styled(format!(" {}", key(Command::Help)), p.key),
        Span::raw(format!(" {}  ", tr!("bar.help"))),
        Span::styled(key(Command::CycleSort), p.key),
        Span::raw(format!(" {}  ", tr!("bar.sort", sort = app.sort.label()))),
        Span::styled(key(Command::ToggleAutoRenew), p.key),
        Span::raw(format!(" {}", tr!("bar.auto_renew"))),
        if app.auto_renew {
            Span::styled(tr!("bar.on"), p.calm)
        } else {
            Span::styled(tr!("bar.off"), p.dim)
        },
        Span::raw(" │"),
    ]);
    if let Some((name, at)) = &app.clipboard {
        spans.push(Span::styled(
            format!(
                " {} │",
                tr!(
                    "bar.clipboard",
                    name = truncate_middle(&clean(name), CLIPBOARD_NAME),
                    when = timefmt::relative(now.duration_until(*at))
                )
            ),
            p.warn,
        ));
    }
    let renewing = app.renewing_count();
    if renewing > 0 {
        spans.push(Span::styled(
            format!(" {}", tr!("bar.renewing", count = renewing)),
            p.warn,
        ));
    }
    spans.push(Span::raw(format!(
        " {}",
        tr!(
            "bar.counts",
            total = app.rows.len(),
            action = app.needing_action(now)
        )
    )));
    frame.render_widget(Line::from(spans), area);
}
