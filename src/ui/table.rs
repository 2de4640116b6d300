//! The token table. Only the rows that fit are built (hundreds of tokens stay cheap), and the
//! empty and loading states say what to do.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Text;
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table, TableState, Wrap};

use super::layout::body_of;
use super::palette::Palette;
use super::text::{badge, clean, next_step_short};
use crate::app::{App, Row, Urgency, view};
use crate::timefmt;
use crate::width::{truncate_middle, width};

/// Optional columns appear from these widths on.
const WIDE: u16 = 110;
const WIDEST: u16 = 150;

pub fn render(frame: &mut Frame, area: Rect, app: &App, now: Timestamp, p: &Palette) {
    if !app.loaded {
        let text = Paragraph::new("Loading tokens from the keyring…").style(p.dim);
        frame.render_widget(text, area);
        return;
    }
    if app.rows.is_empty() {
        render_empty(frame, area, p);
        return;
    }
    if app.view.is_empty() {
        let msg = format!(
            "No token matches {:?}. Esc clears the filter.",
            clean(&app.filter)
        );
        frame.render_widget(Paragraph::new(msg).style(p.warn), area);
        return;
    }

    let body = body_of(area);
    let height = usize::from(body.height);
    let start = view::window_start(app.selected, app.offset, height, app.view.len());
    let end = (start + height).min(app.view.len());
    let wide = area.width >= WIDE;
    let widest = area.width >= WIDEST;

    let name_width = app.view[start..end]
        .iter()
        .map(|&i| width(&clean(app.rows[i].name())))
        .max()
        .unwrap_or(4)
        .clamp(4, 24) as u16;

    let mut header = vec!["NAME", "USER", "CLUSTER"];
    let mut widths = vec![
        Constraint::Length(name_width),
        Constraint::Length(16),
        Constraint::Length(7),
    ];
    if wide {
        header.push("ACCOUNT");
        widths.push(Constraint::Length(8));
    }
    header.extend(["STATE", "EXPIRES", "RENEW CUTOFF"]);
    widths.extend([
        Constraint::Length(11),
        Constraint::Length(12),
        // Narrow: the last column takes what is left, so "passed: new token" fits in 80.
        if wide {
            Constraint::Length(17)
        } else {
            Constraint::Fill(1)
        },
    ]);
    if wide {
        header.push("RENEWED");
        widths.push(Constraint::Length(10));
    }
    if widest {
        header.push("NEXT STEP");
        widths.push(Constraint::Fill(1));
    }

    let rows: Vec<TableRow> = app.view[start..end]
        .iter()
        .map(|&i| table_row(&app.rows[i], app, now, p, wide, widest, name_width))
        .collect();
    let table = Table::new(rows, widths)
        .header(TableRow::new(header).style(p.header))
        .column_spacing(1)
        .row_highlight_style(p.selected);
    let mut state = TableState::default().with_selected(Some(app.selected - start));
    frame.render_stateful_widget(table, area, &mut state);
}

fn table_row<'a>(
    row: &'a Row,
    app: &App,
    now: Timestamp,
    p: &Palette,
    wide: bool,
    widest: bool,
    name_width: u16,
) -> TableRow<'a> {
    let timing = app.settings.timing;
    let urgency = row.urgency(now, timing);
    let style = p.urgency(urgency);
    let life = row.lifetime(timing.renew_grace);

    let name_style = if urgency == Urgency::Dead {
        style.add_modifier(Modifier::CROSSED_OUT)
    } else {
        style
    };
    let user = match (row.user(), row.compute_user()) {
        (Some(u), Some(c)) if u != c => format!("{u}/{c}"),
        (Some(u), _) => u.to_owned(),
        (None, Some(c)) => c.to_owned(),
        (None, None) => "—".to_owned(),
    };
    let expires = life.map_or("—".to_owned(), |l| timefmt::relative(l.to_expiry(now)));
    let (cutoff, cutoff_style) = match (urgency, life) {
        (Urgency::Dead, _) if row.rejected() => ("rejected: new token".to_owned(), style),
        (Urgency::Dead, _) => ("passed: new token".to_owned(), style),
        (Urgency::Renewable, Some(l)) => (
            format!("⚠ {}", timefmt::relative(l.to_cutoff(now))),
            p.alarm.add_modifier(Modifier::REVERSED),
        ),
        (_, Some(l)) => (timefmt::relative(l.to_cutoff(now)), p.dim),
        (_, None) => ("—".to_owned(), p.dim),
    };
    let badge_style = if row.status.last_error.is_some() && !row.is_renewing() {
        p.error
    } else {
        style
    };

    let mut cells = vec![
        Cell::from(truncate_middle(&clean(row.name()), usize::from(name_width))).style(name_style),
        Cell::from(clean(&user)),
        Cell::from(clean(row.cluster().unwrap_or("—"))),
    ];
    if wide {
        cells.push(Cell::from(clean(row.account_status().unwrap_or("—"))));
    }
    cells.extend([
        Cell::from(badge(row, app, now)).style(badge_style),
        Cell::from(expires).style(style),
        Cell::from(cutoff).style(cutoff_style),
    ]);
    if wide {
        let renewed = row.meta.renewed_at.map_or("never".to_owned(), |t| {
            timefmt::relative(now.duration_until(t))
        });
        cells.push(Cell::from(renewed).style(p.dim));
    }
    if widest {
        cells.push(Cell::from(next_step_short(row, app, now)).style(badge_style));
    }
    let row_style = if urgency == Urgency::Dead {
        p.dead
    } else {
        Style::new()
    };
    TableRow::new(cells).style(row_style)
}

fn render_empty(frame: &mut Frame, area: Rect, p: &Palette) {
    let text = Text::from(vec![
        "No tokens yet.".into(),
        "".into(),
        "Press a to add one: give it a name, the region's base URL, and paste the token.".into(),
        "From a shell: actoken add NAME --base-url https://HOST:PORT < token.txt".into(),
        "New here? Run `actoken demo` to see the dashboard with sample tokens.".into(),
        "".into(),
        "Press ? for every key.".into(),
    ]);
    let para = Paragraph::new(text)
        .style(p.calm)
        .wrap(Wrap { trim: false });
    frame.render_widget(para, area);
}
