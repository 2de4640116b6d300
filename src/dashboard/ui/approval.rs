//! The approval dialog: which token the agent is asked for, by which process, from this
//! machine or over a forward, how long is left, and the keys that answer.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::agent::process;
use super::dialog::{self, Dialog};
use super::palette::Palette;
use super::text::clean;
use crate::dashboard::app::{App, Approval};
use crate::keymap::{Command, Context};
use crate::timefmt;
use crate::tr;
use crate::width::{pad, truncate_middle, width};

/// The dialog's width; on a narrower terminal it takes the whole width.
const WIDTH: u16 = 76;

pub(crate) fn render(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    approval: &Approval,
    now: Timestamp,
    p: &Palette,
) {
    let Some(pending) = app.agent.pending(approval.id) else {
        return;
    };
    let inner = usize::from(WIDTH.min(area.width).saturating_sub(2));
    let labels = [
        tr!("approval.token"),
        tr!("approval.process"),
        tr!("approval.from"),
    ];
    let label_width = labels.iter().map(|l| width(l)).max().unwrap_or(0) + 2;
    let label = |i: usize| Span::styled(pad(&labels[i], label_width), p.dim);
    // Name and process on one line each, cut in the middle (where they differ least).
    let fit = |text: String| truncate_middle(&text, inner.saturating_sub(label_width).max(3));
    let (from, from_style) = if pending.forwarded {
        (tr!("approval.forwarded"), p.alarm)
    } else {
        (tr!("approval.local"), p.calm)
    };
    let mut lines = vec![
        Line::raw(tr!("approval.intro")),
        Line::raw(""),
        Line::from(vec![
            label(0),
            Span::styled(fit(clean(&pending.name)), p.header),
        ]),
        Line::from(vec![
            label(1),
            Span::raw(fit(process(pending.pid, pending.exe.as_deref()))),
        ]),
        Line::from(vec![label(2), Span::styled(from, from_style)]),
        Line::raw(""),
        Line::styled(
            match pending.left(now) {
                Some(left) => tr!("approval.left", left = timefmt::compact(left)),
                None => tr!("approval.no_deadline"),
            },
            p.warn,
        ),
    ];
    let others = app.agent.unanswered().saturating_sub(1);
    if others > 0 {
        lines.push(Line::styled(tr!("approval.more", count = others), p.dim));
    }
    lines.push(Line::raw(""));
    // Until the dialog is armed its answering keys do nothing: they are drawn dim.
    let answer_style = if approval.armed(now) { p.key } else { p.dim };
    let key = |cmd| app.keymap.label(Context::Approval, cmd);
    lines.push(Line::from(vec![
        Span::styled(key(Command::ApproveOnce), answer_style),
        Span::raw(format!(" {}   ", tr!("approval.once"))),
        Span::styled(key(Command::ApproveFor30Min), answer_style),
        Span::raw(format!(" {}   ", tr!("approval.for_30_min"))),
        Span::styled(key(Command::ApproveDeny), answer_style),
        Span::raw(format!(" {}   ", tr!("approval.deny"))),
        Span::styled(key(Command::ApproveLater), p.key),
        Span::raw(format!(" {}", tr!("approval.later"))),
    ]));
    // Lines that wrap (a narrow terminal) take more rows: the keys must stay in view.
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner.max(1)).max(1))
        .sum();
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let dialog = Dialog {
        title: tr!("approval.title"),
        keys: None,
        style: p.warn,
        title_style: p.warn,
        width: WIDTH,
        height,
        lines,
    };
    dialog::render(frame, area, dialog);
}
