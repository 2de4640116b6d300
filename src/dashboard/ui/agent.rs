//! The agent panel: the requests the agent beside the dashboard holds for an answer, then the
//! ones it served last, newest first (time, request, token, process, local or forwarded,
//! answer). Every word in it but the headings came from another process: cleaned.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::palette::Palette;
use super::text::clean;
use crate::columns::{self, Spec};
use crate::dashboard::app::App;
use crate::dashboard::app::agent::{Asked, Pending, Served};
use crate::keymap::{Command, Context};
use crate::timefmt;
use crate::tr;
use crate::width::{pad, truncate, truncate_middle, width};

/// One line of the panel: its cells (time, request, token, process, from, answer) and style.
struct Entry {
    cells: [String; 6],
    style: Style,
    /// The "from" cell's style (a forwarded request stands out).
    from: Style,
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, now: Timestamp, p: &Palette) {
    let key = |cmd| app.keymap.label(Context::Normal, cmd);
    let mut block = Block::new()
        .borders(Borders::TOP)
        .border_style(p.dim)
        .title(Span::styled(
            format!(" {} ", tr!("agent_panel.title")),
            p.header,
        ))
        .title_top(
            Line::styled(
                format!(
                    " {} ",
                    tr!("agent_panel.hide", key = key(Command::ToggleAgent))
                ),
                p.dim,
            )
            .right_aligned(),
        );
    if app.agent.unanswered() > 0 && area.width >= 60 {
        block = block.title(Span::styled(
            format!(
                " {} ",
                tr!("agent_panel.answer", key = key(Command::ShowApproval))
            ),
            p.warn,
        ));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = usize::from(inner.height);
    let entries: Vec<Entry> = app
        .agent
        .pending
        .iter()
        .map(|pending| pending_entry(pending, now, p))
        .chain(
            app.agent
                .served
                .iter()
                .rev()
                .map(|s| served_entry(s, app, p)),
        )
        .take(rows)
        .collect();
    if entries.is_empty() {
        let none = Paragraph::new(tr!("agent_panel.none")).style(p.dim);
        frame.render_widget(none, inner);
        return;
    }
    let specs: Vec<Spec> = (0..6)
        .map(|c| {
            let widest = entries.iter().map(|e| width(&e.cells[c])).max();
            let widest = widest.unwrap_or(0);
            // An executable's path gives way first (cut in the middle), then the token's
            // name; the time, the side and the answer stay whole while they can.
            match c {
                0 | 4 => Spec::new(widest, widest),
                1 => Spec::new(widest, 5),
                2 => Spec::new(widest, 10),
                3 => Spec::new(widest, 10),
                _ => Spec::new(widest, widest.min(20)),
            }
        })
        .collect();
    let plan = columns::plan(usize::from(inner.width), &specs);
    let lines: Vec<Line> = entries
        .into_iter()
        .map(|entry| {
            let mut spans = Vec::new();
            for (c, w) in plan.iter().enumerate() {
                let Some(w) = *w else { continue };
                if !spans.is_empty() {
                    spans.push(Span::raw(" "));
                }
                let text = &entry.cells[c];
                // Names and paths differ at their ends: cut in the middle.
                let cut = if matches!(c, 2 | 3) {
                    truncate_middle(text, w)
                } else {
                    truncate(text, w)
                };
                let style = if c == 4 { entry.from } else { entry.style };
                spans.push(Span::styled(pad(&cut, w), style));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn pending_entry(pending: &Pending, now: Timestamp, p: &Palette) -> Entry {
    let answer = match (pending.asked, pending.left(now)) {
        (Asked::Sent(_), _) => tr!("agent_panel.answered"),
        (_, Some(left)) => tr!("agent_panel.left", left = timefmt::compact(left)),
        (_, None) => tr!("agent_panel.waiting"),
    };
    Entry {
        cells: [
            tr!("agent_panel.asking"),
            "token".to_owned(),
            clean(&pending.name),
            process(pending.pid, pending.exe.as_deref()),
            from(pending.forwarded),
            answer,
        ],
        style: p.warn,
        from: if pending.forwarded { p.alarm } else { p.warn },
    }
}

fn served_entry(served: &Served, app: &App, p: &Palette) -> Entry {
    let at = served.at.map_or_else(
        || "--:--:--".to_owned(),
        |at| at.to_zoned(app.tz.clone()).strftime("%H:%M:%S").to_string(),
    );
    Entry {
        cells: [
            at,
            clean(&served.request),
            served.name.as_deref().map_or_else(|| "—".to_owned(), clean),
            process(served.pid, served.exe.as_deref()),
            from(served.forwarded),
            clean(&served.answer),
        ],
        style: Style::new(),
        from: if served.forwarded { p.warn } else { p.dim },
    }
}

/// "4242 /usr/bin/python3": who asked, as the kernel told the agent.
pub(crate) fn process(pid: Option<i32>, exe: Option<&str>) -> String {
    match (pid, exe) {
        (Some(pid), Some(exe)) => format!("{pid} {}", clean(exe)),
        (Some(pid), None) => pid.to_string(),
        (None, Some(exe)) => clean(exe),
        (None, None) => "—".to_owned(),
    }
}

fn from(forwarded: bool) -> String {
    if forwarded {
        tr!("agent_panel.forwarded")
    } else {
        tr!("agent_panel.local")
    }
}
