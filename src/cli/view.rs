//! One stored token as the CLI reports it: the same facts for the table, `show` and `--json`.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::store::{SecretState, StoredToken};
use crate::timefmt;
use crate::token::{Decoded, Phase};

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
        let (decoded, phase, problem) = match &stored.secret {
            SecretState::Present(token) => match token.decode() {
                Ok(d) => {
                    let phase = d.phase(now, grace);
                    let problem = (phase == Phase::Invalid).then(|| "no expireTime claim".to_owned());
                    (Some(d), phase.label().to_owned(), problem)
                }
                Err(e) => (None, Phase::Invalid.label().to_owned(), Some(e.to_string())),
            },
            SecretState::Missing => (
                None,
                "missing".to_owned(),
                Some("the keyring has no secret for this entry; add it again with `actoken add NAME --force`".to_owned()),
            ),
            SecretState::Unreadable(why) => (None, "unreadable".to_owned(), Some(why.clone())),
            SecretState::InOtherStore(kind) => (
                None,
                "other-store".to_owned(),
                Some(SecretState::other_store_advice(&meta.name, *kind)),
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
            Some(s) if s <= 0 => "passed".to_owned(),
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

/// Left-aligned columns sized to their widest cell (counted in chars).
pub fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.push('\n');
    out
}
