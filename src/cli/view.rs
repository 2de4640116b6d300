//! One stored token as the CLI reports it: the same facts for the table, `show` and `--json`.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::store::{SecretState, StoredToken};
use crate::timefmt;
use crate::token::{Decoded, Phase};
use crate::ui::columns::{self, NAME_FLOOR, Spec};
use crate::width::{pad, truncate, truncate_middle, width};

/// Field names here are a stable, documented interface for scripts (`list --json`).
#[derive(Debug, Serialize)]
pub struct TokenView {
    pub name: String,
    pub base_url: String,
    pub note: Option<String>,
    /// valid | renewable | dead | invalid | missing | unreadable | other-store
    pub phase: String,
    pub user: Option<String>,
    pub compute_user: Option<String>,
    pub cluster_id: Option<String>,
    pub account_status: Option<String>,
    pub expires_at: Option<String>,
    pub renew_cutoff_at: Option<String>,
    pub expires_in_seconds: Option<i64>,
    pub renew_cutoff_in_seconds: Option<i64>,
    pub added_at: String,
    pub renewed_at: Option<String>,
    /// Which store holds the secret: secret-service | keyutils.
    pub store: crate::store::StoreKind,
    /// Why the token is not usable, when it is not.
    pub problem: Option<String>,
    #[serde(skip)]
    pub decoded: Option<Decoded>,
}

impl TokenView {
    pub fn new(stored: &StoredToken, now: Timestamp, grace: SignedDuration) -> TokenView {
        let meta = &stored.meta;
        let (decoded, phase, problem) = match (stored.decoded(), &stored.secret) {
            (Some(Ok(d)), _) => {
                let phase = d.phase(now, grace);
                let problem = (phase == Phase::Invalid).then(|| "no expireTime claim".to_owned());
                (Some(d), phase.label().to_owned(), problem)
            }
            (Some(Err(e)), _) => (None, Phase::Invalid.label().to_owned(), Some(e)),
            (None, SecretState::Unreadable(why)) => {
                (None, "unreadable".to_owned(), Some(why.clone()))
            }
            (None, SecretState::InOtherStore(kind)) => (
                None,
                "other-store".to_owned(),
                Some(SecretState::other_store_advice(&meta.name, *kind)),
            ),
            (None, _) => (
                None,
                "missing".to_owned(),
                Some("the keyring has no secret for this entry; add it again with `actoken add NAME --force`".to_owned()),
            ),
        };
        let claims = decoded.as_ref().map(|d| &d.claims);
        let life = decoded.as_ref().and_then(|d| d.lifetime(grace));
        TokenView {
            name: meta.name.clone(),
            base_url: meta.base_url.clone(),
            note: meta.note.clone(),
            phase,
            user: claims.and_then(|c| c.user.clone()),
            compute_user: claims.and_then(|c| c.compute_user.clone()),
            cluster_id: claims.and_then(|c| c.cluster_id.clone()),
            account_status: claims.and_then(|c| c.account_status.clone()),
            expires_at: life.map(|l| timefmt::rfc3339(l.expires_at)),
            renew_cutoff_at: life.map(|l| timefmt::rfc3339(l.cutoff_at)),
            expires_in_seconds: life.map(|l| l.to_expiry(now).as_secs()),
            renew_cutoff_in_seconds: life.map(|l| l.to_cutoff(now).as_secs()),
            added_at: timefmt::rfc3339(meta.added_at),
            renewed_at: meta.renewed_at.map(timefmt::rfc3339),
            store: meta.store,
            problem,
            decoded,
        }
    }

    /// "in 3h 12m" / "2h 00m ago" / "-".
    pub fn expires_relative(&self) -> String {
        self.expires_in_seconds.map_or("-".to_owned(), |s| {
            timefmt::relative(SignedDuration::from_secs(s))
        })
    }

    pub fn cutoff_relative(&self) -> String {
        match self.renew_cutoff_in_seconds {
            Some(s) if s <= 0 => crate::tr!("list.passed"),
            Some(s) => timefmt::relative(SignedDuration::from_secs(s)),
            None => "-".to_owned(),
        }
    }

    /// Every claim, for `show --json`.
    pub fn claims_json(&self) -> Value {
        self.decoded
            .as_ref()
            .map_or(Value::Object(Map::new()), |d| {
                Value::Object(d.claims.all.clone())
            })
    }
}

/// Left-aligned columns sized to their widest cell, in terminal columns (a Han character
/// takes two), so the columns after `华东一区【昆山】` line up.
pub fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    render_table_within(header, rows, None)
}

/// The width of the terminal stdout goes to; None when it is a pipe or a file.
pub fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    crossterm::terminal::size()
        .ok()
        .map(|(w, _)| usize::from(w))
}

const SEPARATOR: &str = "  ";

/// `render_table`, cut to `max_width` columns when given: the other columns give way first
/// (as in the dashboard), then the first (names) is cut in the middle, keeping its tail.
pub fn render_table_within(
    header: &[&str],
    rows: &[Vec<String>],
    max_width: Option<usize>,
) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let gaps = SEPARATOR.len() * widths.len().saturating_sub(1);
    let natural = widths.iter().sum::<usize>() + gaps;
    if let Some(max) = max_width.filter(|&m| m < natural) {
        let specs: Vec<Spec> = widths
            .iter()
            .zip(header)
            .enumerate()
            .map(|(i, (&w, h))| {
                let floor = if i == 0 { NAME_FLOOR } else { width(h).min(8) };
                Spec::new(w, floor)
            })
            .collect();
        // The plan separates columns by one space; the table uses two.
        let spare = widths.len().saturating_sub(1);
        let plan = columns::plan(max.saturating_sub(gaps - spare), &specs);
        widths = plan
            .iter()
            .zip(&widths)
            .map(|(p, &w)| p.unwrap_or(w))
            .collect();
    }
    let cut = |i: usize, c: &str, w: usize| {
        if i == 0 {
            truncate_middle(c, w)
        } else {
            truncate(c, w)
        }
    };
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| pad(&cut(i, c, *w), *w))
            .collect();
        padded.join(SEPARATOR).trim_end().to_owned()
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_after_chinese_names_line_up_in_terminal_columns() {
        let rows: Vec<Vec<String>> = ["alice/华东一区【昆山】", "alice/西北一区", "kunshan"]
            .iter()
            .map(|n| vec![(*n).to_owned(), "alice".to_owned(), "valid".to_owned()])
            .collect();
        let out = render_table(&["NAME", "USER", "PHASE"], &rows);
        let starts: Vec<usize> = out
            .lines()
            .map(|line| width(&line[..line.find("alice ").or(line.find("USER")).unwrap()]))
            .collect();
        assert!(starts.iter().all(|&s| s == starts[0]), "{out}");
        assert_eq!(starts[0], width("alice/华东一区【昆山】") + 2, "{out}");
    }
}
