//! The token table. Only the rows that fit are built (hundreds of tokens stay cheap), columns
//! are sized to what those rows hold (`columns`), and the empty and loading states say what
//! to do.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Text;
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table, TableState, Wrap};

use super::layout::body_of;
use super::palette::Palette;
use super::text::{badge, clean, next_step_short};
use crate::columns::{self, Spec};
use crate::dashboard::app::{App, Row, Urgency, view};
use crate::keymap::{Command, Context};
use crate::timefmt;
use crate::tr;
use crate::width::{truncate, truncate_middle, width};

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, now: Timestamp, p: &Palette) {
    if !app.loaded {
        let text = Paragraph::new(tr!("table.loading")).style(p.dim);
        frame.render_widget(text, area);
        return;
    }
    if app.rows.is_empty() {
        render_empty(frame, area, app, p);
        return;
    }
    if app.view.is_empty() {
        let msg = tr!(
            "table.no_match",
            filter = format!("{:?}", clean(&app.filter)),
            clear = app.keymap.label(Context::Normal, Command::Back)
        );
        frame.render_widget(Paragraph::new(msg).style(p.warn), area);
        return;
    }

    let body = body_of(area);
    let height = usize::from(body.height);
    let start = view::window_start(app.selected, app.offset, height, app.view.len());
    let end = (start + height).min(app.view.len());

    let rows: Vec<(Vec<(String, Style)>, Style)> = app.view[start..end]
        .iter()
        .map(|&i| row_cells(&app.rows[i], app, now, p))
        .collect();
    let specs: Vec<Spec> = Column::ALL
        .iter()
        .enumerate()
        .map(|(c, col)| {
            let widest = rows.iter().map(|(cells, _)| width(&cells[c].0)).max();
            col.spec(widest.unwrap_or(0).max(width(&col.header())))
        })
        .collect();
    let plan = columns::plan(usize::from(area.width), &specs);
    let shown: Vec<(usize, usize)> = plan
        .iter()
        .enumerate()
        .filter_map(|(c, w)| w.map(|w| (c, w)))
        .collect();

    let header: Vec<String> = shown
        .iter()
        .map(|&(c, w)| truncate(&Column::ALL[c].header(), w))
        .collect();
    let widths: Vec<Constraint> = shown
        .iter()
        .map(|&(_, w)| Constraint::Length(u16::try_from(w).unwrap_or(u16::MAX)))
        .collect();
    let table_rows: Vec<TableRow> = rows
        .into_iter()
        .map(|(cells, style)| {
            let cells = shown.iter().map(|&(c, w)| {
                let (text, cell_style) = &cells[c];
                Cell::from(Column::ALL[c].cut(text, w)).style(*cell_style)
            });
            TableRow::new(cells.collect::<Vec<_>>()).style(style)
        })
        .collect();
    let table = Table::new(table_rows, widths)
        .header(TableRow::new(header).style(p.header))
        .column_spacing(1)
        .row_highlight_style(p.selected);
    let mut state = TableState::default().with_selected(Some(app.selected - start));
    frame.render_stateful_widget(table, area, &mut state);
}

/// The table's columns, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    User,
    Cluster,
    Account,
    State,
    Expires,
    Cutoff,
    Renewed,
    NextStep,
}

impl Column {
    const ALL: [Column; 9] = [
        Column::Name,
        Column::User,
        Column::Cluster,
        Column::Account,
        Column::State,
        Column::Expires,
        Column::Cutoff,
        Column::Renewed,
        Column::NextStep,
    ];

    fn header(self) -> String {
        match self {
            Column::Name => tr!("table.name"),
            Column::User => tr!("table.user"),
            Column::Cluster => tr!("table.cluster"),
            Column::Account => tr!("table.account"),
            Column::State => tr!("table.state"),
            Column::Expires => tr!("table.expires"),
            Column::Cutoff => tr!("table.cutoff"),
            Column::Renewed => tr!("table.renewed"),
            Column::NextStep => tr!("table.next_step"),
        }
    }

    /// How the column sizes and gives way (see `columns::plan`).
    fn spec(self, wanted: usize) -> Spec {
        match self {
            Column::Name => Spec::new(wanted, columns::NAME_FLOOR),
            Column::User => Spec::new(wanted, 5),
            Column::Cluster => Spec::new(wanted, 5),
            Column::Account => Spec::new(wanted, 6).optional(2),
            Column::State => Spec::new(wanted, 7),
            Column::Expires => Spec::new(wanted, 9),
            Column::Cutoff => Spec::new(wanted, 9),
            Column::Renewed => Spec::new(wanted, 8).optional(1),
            // Only worth showing with room for a sentence; takes what is left.
            Column::NextStep => Spec::new(24, 24).optional(0).fill(),
        }
    }

    /// A cell cut to `w` columns: names keep their differing tail, the rest their start.
    fn cut(self, text: &str, w: usize) -> String {
        if self == Column::Name {
            truncate_middle(text, w)
        } else {
            truncate(text, w)
        }
    }
}

/// Every column's text and style for one token, and the row's style.
fn row_cells(row: &Row, app: &App, now: Timestamp, p: &Palette) -> (Vec<(String, Style)>, Style) {
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
        (Urgency::Dead, _) if row.rejected() => (tr!("table.cutoff_rejected"), style),
        (Urgency::Dead, _) => (tr!("table.cutoff_passed"), style),
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
    let renewed = row.meta.renewed_at.map_or(tr!("table.never"), |t| {
        timefmt::relative(now.duration_until(t))
    });
    let plain = Style::new();
    let cells = vec![
        (clean(row.name()), name_style),
        (clean(&user), plain),
        (clean(row.cluster().unwrap_or("—")), plain),
        (clean(row.account_status().unwrap_or("—")), plain),
        (badge(row, app, now), badge_style),
        (expires, style),
        (cutoff, cutoff_style),
        (renewed, p.dim),
        (next_step_short(row, app, now), badge_style),
    ];
    let row_style = if urgency == Urgency::Dead {
        p.dead
    } else {
        Style::new()
    };
    (cells, row_style)
}

fn render_empty(frame: &mut Frame, area: Rect, app: &App, p: &Palette) {
    let key = |cmd| app.keymap.label(Context::Normal, cmd);
    let text = Text::from(vec![
        tr!("table.empty_title").into(),
        "".into(),
        tr!("table.empty_add", add = key(Command::StartAdd)).into(),
        tr!("table.empty_shell").into(),
        tr!("table.empty_demo").into(),
        "".into(),
        tr!("table.empty_keys", help = key(Command::Help)).into(),
    ]);
    let para = Paragraph::new(text)
        .style(p.calm)
        .wrap(Wrap { trim: false });
    frame.render_widget(para, area);
}
