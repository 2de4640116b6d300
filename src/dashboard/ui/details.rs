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
use crate::dashboard::app::{App, Row, RowKind, ServerInfo, ServerView};
use crate::timefmt;
use crate::tr;
use crate::width::{pad, truncate_middle};

const LABEL: usize = 14;

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, now: Timestamp, p: &Palette) {
    let Some(row) = app.selected_row() else {
        let block = Block::bordered()
            .title(format!(" {} ", tr!("details.title")))
            .border_style(p.dim);
        frame.render_widget(Paragraph::new(tr!("details.nothing")).block(block), area);
        return;
    };
    // The border takes two columns and the title's spaces two more.
    let name = truncate_middle(
        &clean(row.name()),
        usize::from(area.width.saturating_sub(4)),
    );
    let title = format!(" {name} ");
    let block = Block::bordered()
        .title(Span::styled(title, p.header))
        .title_bottom(Span::styled(
            format!(
                " {} ",
                tr!(
                    "details.closes",
                    key = app.keymap.label(
                        crate::keymap::Context::Normal,
                        crate::keymap::Command::ToggleDetails
                    )
                )
            ),
            p.dim,
        ))
        .border_style(p.dim);
    let para = Paragraph::new(lines(row, app, now, p))
        .block(block)
        .wrap(Wrap { trim: false });
    frame.render_widget(para, area);
}

fn field<'a>(label: &str, value: impl Into<String>, p: &Palette) -> Line<'a> {
    Line::from(vec![
        Span::styled(label_cell(label), p.dim),
        Span::raw(value.into()),
    ])
}

/// A label padded to the label column (one space at least, for long translations).
fn label_cell(label: &str) -> String {
    pad(&format!("{label} "), LABEL)
}

fn when(ts: Timestamp, app: &App, now: Timestamp) -> String {
    format!(
        "{} ({})",
        timefmt::absolute(ts, &app.tz),
        timefmt::relative(now.duration_until(ts))
    )
}

pub(crate) fn lines<'a>(row: &Row, app: &App, now: Timestamp, p: &Palette) -> Vec<Line<'a>> {
    let urgency = row.urgency(now, app.settings.timing);
    // The row's situation and what to do; the badge is already in the table.
    let mut out = vec![Line::from(Span::styled(
        next_step_long(row, app, now),
        p.urgency(urgency),
    ))];
    if let Some(life) = row.lifetime(app.settings.timing.renew_grace) {
        out.push(field(
            &tr!("details.expires"),
            when(life.expires_at, app, now),
            p,
        ));
        out.push(field(
            &tr!("details.cutoff"),
            when(life.cutoff_at, app, now),
            p,
        ));
    }
    if let Some(d) = row.decoded()
        && d.claims.expire_time_suspect_seconds
    {
        out.push(Line::styled(
            format!("{}{}", pad("", LABEL), tr!("details.seconds_suspect")),
            p.warn,
        ));
    }
    out.push(field(
        &tr!("details.base_url"),
        clean(&row.meta.base_url),
        p,
    ));
    if let Some(note) = &row.meta.note {
        out.push(field(&tr!("details.note"), clean(note), p));
    }
    out.push(field(
        &tr!("details.added"),
        when(row.meta.added_at, app, now),
        p,
    ));
    out.push(field(
        &tr!("details.renewed"),
        row.meta
            .renewed_at
            .map_or(tr!("details.never_renewed"), |t| when(t, app, now)),
        p,
    ));
    if let Some(err) = &row.status.last_error {
        out.push(Line::from(vec![
            Span::styled(label_cell(&tr!("details.last_error")), p.dim),
            Span::styled(clean(err), p.error),
        ]));
    }
    server_lines(row, app, p, &mut out);
    match &row.kind {
        RowKind::Token { decoded, masked } => {
            out.push(field(
                &tr!("details.token"),
                tr!(
                    "details.token_value",
                    masked = masked,
                    alg = clean(&decoded.alg)
                ),
                p,
            ));
            out.push(Line::styled(tr!("details.claims"), p.header));
            let width = decoded.claims.name_width() + 2;
            for (key, text) in decoded.claims.texts() {
                out.push(Line::from(vec![
                    Span::styled(format!("  {}", pad(&clean(key), width)), p.dim),
                    Span::raw(claim_text(key, &text, app)),
                ]));
            }
        }
        RowKind::Malformed { error, masked } => {
            out.push(field(&tr!("details.token"), masked.clone(), p));
            out.push(Line::styled(
                tr!("details.malformed", error = error),
                p.broken,
            ));
        }
        RowKind::Missing => out.push(Line::styled(tr!("details.missing"), p.broken)),
        RowKind::Unreadable(why) => out.push(Line::styled(
            tr!("details.unreadable", why = clean(why)),
            p.broken,
        )),
        RowKind::InOtherStore(kind) => out.push(Line::styled(
            // The fact only: the advice heads the pane.
            crate::advice::words::problem_long(
                crate::advice::Condition::OtherStore(*kind),
                &Default::default(),
            ),
            p.broken,
        )),
    }
    out
}

/// What the region's server said: its verdict on the token and the service addresses.
fn server_lines(row: &Row, app: &App, p: &Palette, out: &mut Vec<Line<'_>>) {
    let info = match &row.status.server {
        ServerView::NotAsked => return,
        ServerView::Loading => {
            out.push(field(&tr!("details.server"), tr!("details.asking"), p));
            return;
        }
        ServerView::Ready(info) => info,
    };
    let ServerInfo {
        center,
        state,
        asked_at,
        account,
    } = &**info;
    match state {
        Ok(state) if state.is_accepted() => {
            out.push(field(&tr!("details.server"), tr!("details.accepts"), p));
        }
        Ok(state) if !state.rejects(row.expired_at(*asked_at)) => out.push(Line::from(vec![
            Span::styled(label_cell(&tr!("details.server")), p.dim),
            Span::styled(clean(&expired_refusal(state, app)), p.warn),
        ])),
        Ok(state) => out.push(Line::from(vec![
            Span::styled(label_cell(&tr!("details.server")), p.dim),
            Span::styled(clean(&state.describe()), p.error),
        ])),
        Err(e) => out.push(field(
            &tr!("details.server"),
            tr!("details.could_not_ask", error = clean(e)),
            p,
        )),
    }
    match center {
        Ok(c) => {
            if let Some(user) = &c.user_name {
                out.push(field(&tr!("details.cluster_user"), clean(user), p));
            }
            if let Some(home) = &c.home_path {
                out.push(field(&tr!("details.home"), clean(home), p));
            }
            for (label, urls) in [
                (tr!("details.hpc"), &c.hpc_urls),
                (tr!("details.ai"), &c.ai_urls),
                (tr!("details.files"), &c.efile_urls),
                (tr!("details.shell"), &c.eshell_urls),
            ] {
                for url in urls {
                    out.push(field(&label, service_text(url), p));
                }
            }
            for refused in &c.refused {
                let (list, value) = (refused.list, refused.shown());
                out.push(Line::from(vec![
                    Span::styled(label_cell(&tr!("details.services")), p.dim),
                    Span::styled(
                        clean(&tr!("details.address_refused", value = value, list = list)),
                        p.warn,
                    ),
                ]));
            }
        }
        // Not unknown: the platform token has no region to have services.
        Err(e) if row.meta.platform => out.push(field(&tr!("details.services"), clean(e), p)),
        Err(e) => out.push(field(
            &tr!("details.services"),
            tr!("details.services_unknown", error = clean(e)),
            p,
        )),
    }
    match account {
        None => {}
        Some(Ok(info)) if info.regions_advice().is_some() => out.push(Line::from(vec![
            Span::styled(label_cell(&tr!("details.account")), p.dim),
            Span::styled(clean(&info.regions_advice().unwrap_or_default()), p.warn),
        ])),
        Some(Ok(info)) => out.push(field(&tr!("details.account"), clean(&info.summary()), p)),
        Some(Err(e)) => out.push(field(
            &tr!("details.account"),
            tr!("details.account_unknown", error = clean(e)),
            p,
        )),
    }
}

fn service_text(url: &ServiceUrl) -> String {
    let address = url.url.as_deref().map_or(tr!("details.no_address"), clean);
    if url.enabled {
        address
    } else {
        tr!("details.disabled", address = address)
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

/// The server's refusal of a token that had already expired: expected, and not a verdict on
/// renewal.
fn expired_refusal(state: &crate::api::TokenState, app: &App) -> String {
    let renew = app.keymap.label(
        crate::keymap::Context::Normal,
        crate::keymap::Command::Renew,
    );
    tr!(
        "details.expired_refusal",
        answer = state.describe(),
        renew = renew
    )
}
