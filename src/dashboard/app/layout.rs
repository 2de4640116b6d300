//! Where each part of the screen goes. `ui::draw` and mouse hit-testing and paging in
//! `update` both use these functions, so a click lands on the row that is drawn there. It lives
//! in `app` (not `ui`) because the split depends on app state (a toast's length, the details
//! pane) and `update` needs it: `ui` reads the app, the app never reads `ui`.

use ratatui::layout::{Constraint, Layout, Rect};

use super::App;

/// Below this width the details pane goes under the table instead of beside it.
const SIDE_BY_SIDE_MIN_WIDTH: u16 = 120;

/// The agent panel shows at most this many requests (a pending one first, then the newest).
pub const AGENT_ROWS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub table: Rect,
    pub details: Option<Rect>,
    /// The agent's last requests, when an agent runs beside the dashboard (its title line,
    /// then one line per request).
    pub agent: Option<Rect>,
    /// Toast, filter input, or the selected row's next step.
    pub message: Rect,
    pub status: Rect,
}

/// A long toast (an error with its fix) wraps onto up to three lines instead of being cut.
fn message_height(app: &App, width: u16) -> u16 {
    let Some(toast) = &app.toast else {
        return 1;
    };
    let text_width = ratatui::text::Line::raw(format!(" x {}", toast.text)).width();
    let lines = text_width.div_ceil(usize::from(width.max(1)));
    u16::try_from(lines.clamp(1, 3)).unwrap_or(3)
}

/// The agent panel's height: its title line and up to [`AGENT_ROWS`] requests, never more
/// than a third of the screen; none on a tiny one, or without an agent.
fn agent_height(app: &App, height: u16) -> u16 {
    if !app.agent.panel_visible() {
        return 0;
    }
    let entries = (app.agent.pending.len() + app.agent.served.len()).max(1);
    // A third of what the header and the two bottom lines leave.
    let room = usize::from(height.saturating_sub(3)) / 3;
    if room < 2 {
        return 0;
    }
    let rows = entries.min(AGENT_ROWS).min(room - 1);
    u16::try_from(rows + 1).unwrap_or(0)
}

pub fn areas(area: Rect, app: &App) -> Areas {
    let agent_height = agent_height(app, area.height);
    let [header, main, agent, message, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(agent_height),
        Constraint::Length(message_height(app, area.width)),
        Constraint::Length(1),
    ])
    .areas(area);
    let agent = (agent_height > 0).then_some(agent);
    let (table, details) = if app.show_details && main.height > 0 {
        if main.width >= SIDE_BY_SIDE_MIN_WIDTH {
            let side = (main.width / 2).min(80);
            let [t, d] =
                Layout::horizontal([Constraint::Fill(1), Constraint::Length(side)]).areas(main);
            (t, Some(d))
        } else {
            // Too narrow to share: the details replace the table (Enter brings it back; j/k
            // still move the selection, and the details follow).
            (Rect { height: 0, ..main }, Some(main))
        }
    } else {
        (main, None)
    };
    Areas {
        header,
        table,
        details,
        agent,
        message,
        status,
    }
}

/// The table's data rows (below its header line).
pub fn body_of(table: Rect) -> Rect {
    Rect {
        y: table.y.saturating_add(1).min(table.bottom()),
        height: table.height.saturating_sub(1),
        ..table
    }
}

/// The data rows area for the terminal size the app last saw.
pub(crate) fn table_body(app: &App) -> Rect {
    let (w, h) = app.size;
    body_of(areas(Rect::new(0, 0, w, h), app).table)
}
