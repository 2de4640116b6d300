//! The details pane: every claim (unknown ones too), expiry and cutoff in local and relative
//! time, base URL, note, and a plain statement that the signature is not verified.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::palette::Palette;
use super::text::{clean, next_step_long};
use crate::api::ServiceUrl;
use crate::app::{App, Row, RowKind, ServerInfo, ServerView};
use crate::timefmt;

const LABEL: usize = 14;

pub fn render(frame: &mut Frame, area: Rect, app: &App, now: Timestamp, p: &Palette) {
    let Some(row) = app.selected_row() else {
        let block = Block::bordered().title(" Details ").border_style(p.dim);
        frame.render_widget(Paragraph::new("Nothing selected.").block(block), area);
        return;
    };
    let title = format!(" {} ", clean(row.name()));
    let block = Block::bordered()
        .title(Span::styled(title, p.header))
        .title_bottom(Span::styled(" Enter closes ", p.dim))
        .border_style(p.dim);
    let para = Paragraph::new(lines(row, app, now, p))
        .block(block)
        .wrap(Wrap { trim: false });
    frame.render_widget(para, area);
}

fn field<'a>(label: &str, value: impl Into<String>, p: &Palette) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), p.dim),
        Span::raw(value.into()),
    ])
}

fn when(ts: Timestamp, app: &App, now: Timestamp) -> String {
    format!(
        "{} ({})",
        timefmt::absolute(ts, &app.tz),
        timefmt::relative(now.duration_until(ts))
    )
}

pub fn lines<'a>(row: &Row, app: &App, now: Timestamp, p: &Palette) -> Vec<Line<'a>> {
    let urgency = row.urgency(now, app.settings.timing);
    // The row's situation and what to do; the badge is already in the table.
    let mut out = vec![Line::from(Span::styled(
        next_step_long(row, app, now),
        p.urgency(urgency),
    ))];
    if let Some(life) = row.lifetime(app.settings.timing.renew_grace) {
        out.push(field("Expires", when(life.expires_at, app, now), p));
        out.push(field("Renew cutoff", when(life.cutoff_at, app, now), p));
    }
    if let Some(d) = row.decoded()
        && d.claims.expire_time_suspect_seconds
    {
        out.push(Line::styled(
            "              expireTime looks like seconds; read as milliseconds as the API says",
            p.warn,
        ));
    }
    out.push(field("Base URL", clean(&row.meta.base_url), p));
    if let Some(note) = &row.meta.note {
        out.push(field("Note", clean(note), p));
    }
    out.push(field("Added", when(row.meta.added_at, app, now), p));
    out.push(field(
        "Renewed",
        row.meta
            .renewed_at
            .map_or("never (by actoken)".to_owned(), |t| when(t, app, now)),
        p,
    ));
    if let Some(err) = &row.status.last_error {
        out.push(Line::from(vec![
            Span::styled(format!("{:<LABEL$}", "Last error"), p.dim),
            Span::styled(clean(err), p.error),
        ]));
    }
    server_lines(&row.status.server, p, &mut out);
    match &row.kind {
        RowKind::Token { decoded, masked } => {
            out.push(field(
                "Token",
                format!(
                    "{masked}  ({}, signature not verified)",
                    clean(&decoded.alg)
                ),
                p,
            ));
            out.push(Line::styled(
                "Claims (signature not verified: actoken has no key to check it)",
                p.header,
            ));
            let width = decoded.claims.name_width() + 2;
            for (key, text) in decoded.claims.texts() {
                out.push(Line::from(vec![
                    Span::styled(format!("  {:<width$}", clean(key)), p.dim),
                    Span::raw(claim_text(key, &text, app)),
                ]));
            }
        }
        RowKind::Malformed { error, masked } => {
            out.push(field("Token", masked.clone(), p));
            out.push(Line::styled(
                format!("Not a region token: {error}"),
                p.broken,
            ));
        }
        RowKind::Missing => out.push(Line::styled(
            "No secret in the keyring for this entry.",
            p.broken,
        )),
        RowKind::Unreadable(why) => out.push(Line::styled(
            format!("The keyring could not read it: {}", clean(why)),
            p.broken,
        )),
        RowKind::InOtherStore(kind) => out.push(Line::styled(
            format!(
                "Kept in {}, not in the store in use: {}",
                kind.label(),
                crate::store::SecretState::other_store_advice(row.name(), *kind)
            ),
            p.broken,
        )),
    }
    out
}

/// What the region's server said: its verdict on the token and the service addresses.
fn server_lines(server: &ServerView, p: &Palette, out: &mut Vec<Line<'_>>) {
    let info = match server {
        ServerView::NotAsked => return,
        ServerView::Loading => {
            out.push(field("Server", "asking the region's server…", p));
            return;
        }
        ServerView::Ready(info) => info,
    };
    let ServerInfo { center, state } = &**info;
    match state {
        Ok(state) if state.is_accepted() => out.push(field("Server", "accepts this token", p)),
        Ok(state) => out.push(Line::from(vec![
            Span::styled(format!("{:<LABEL$}", "Server"), p.dim),
            Span::styled(clean(&state.describe()), p.error),
        ])),
        Err(e) => out.push(field("Server", format!("could not ask: {}", clean(e)), p)),
    }
    match center {
        Ok(c) => {
            if let Some(user) = &c.user_name {
                out.push(field("Cluster user", clean(user), p));
            }
            if let Some(home) = &c.home_path {
                out.push(field("Home", clean(home), p));
            }
            for (label, urls) in [
                ("Jobs (HPC)", &c.hpc_urls),
                ("AI", &c.ai_urls),
                ("Files", &c.efile_urls),
                ("Shell", &c.eshell_urls),
            ] {
                for url in urls {
                    out.push(field(label, service_text(url), p));
                }
            }
        }
        Err(e) => out.push(field("Services", format!("unknown: {}", clean(e)), p)),
    }
}

fn service_text(url: &ServiceUrl) -> String {
    let address = url
        .url
        .as_deref()
        .map_or("(address not published)".to_owned(), clean);
    if url.enabled {
        address
    } else {
        format!("{address} (disabled)")
    }
}

/// A claim's value as text; `expireTime` also in local time.
fn claim_text(key: &str, text: &str, app: &App) -> String {
    let text = clean(text);
    if key == "expireTime"
        && let Ok(ms) = text.trim().parse::<i64>()
        && let Ok(ts) = Timestamp::from_millisecond(ms)
    {
        return format!("{text}  ({})", timefmt::absolute(ts, &app.tz));
    }
    text
}
