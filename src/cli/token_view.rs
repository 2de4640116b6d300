//! One stored token as the CLI reports it: the facts `list`, `show` and `--json` share.

use super::advising::{Reading, login_for};
use crate::advice::{Condition, Owner};
use crate::i18n::{Lang, with_lang};
use crate::store::{Accounts, StoredToken};
use crate::timefmt;
use crate::token::{Claims, Decoded, Phase};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Field names here are a stable, documented interface for scripts (`list --json`). Read back
/// from an agent's `list` and `show` ([`TokenView::from_agent`]).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TokenView {
    pub name: String,
    pub base_url: String,
    pub note: Option<String>,
    /// valid | renewable | dead | invalid | missing | unreadable | other-store
    pub phase: String,
    pub user: Option<String>,
    pub compute_user: Option<String>,
    /// The region's id: the login list's `clusterId`, else the token's claim (added by hand).
    pub cluster_id: Option<String>,
    /// The region's name as the login's list gave it.
    pub cluster_name: Option<String>,
    pub account_status: Option<String>,
    pub expires_at: Option<String>,
    pub renew_cutoff_at: Option<String>,
    pub expires_in_seconds: Option<i64>,
    pub renew_cutoff_in_seconds: Option<i64>,
    pub added_at: String,
    pub renewed_at: Option<String>,
    /// Which store holds the secret: secret-service | keyutils.
    pub store: crate::store::StoreKind,
    /// Why the token is not usable, when it is not, and what to do. In English whatever the
    /// interface language: `--json` does not change with it.
    pub problem: Option<String>,
    /// `problem` in the interface language, for people (`show`).
    #[serde(skip)]
    pub advice: Option<String>,
    #[serde(skip)]
    pub decoded: Option<Decoded>,
}

impl TokenView {
    /// `accounts` tells whether a dead token's account has a remembered access key (then
    /// `actoken renew` brings it back by itself).
    pub fn new(
        stored: &StoredToken,
        now: Timestamp,
        grace: SignedDuration,
        accounts: &Accounts,
    ) -> TokenView {
        let meta = &stored.meta;
        let reading = Reading::of(stored, now, grace);
        let user = reading.user();
        let owner = Owner::of(accounts, user, &meta.base_url);
        let login = login_for(Some(accounts), user, &meta.base_url);
        let advice = reading.problem(meta, owner, &login, now, grace);
        let problem = match crate::i18n::lang() {
            Lang::En => advice.clone(),
            _ => with_lang(Lang::En, || {
                reading.problem(meta, owner, &login, now, grace)
            }),
        };
        let phase = match reading.condition {
            Condition::Malformed | Condition::NoExpiry => Phase::Invalid.label(),
            Condition::Unreadable => "unreadable",
            Condition::OtherStore(_) => "other-store",
            Condition::Missing => "missing",
            _ => reading
                .decoded
                .as_ref()
                .map_or("invalid", |d| d.phase(now, grace).label()),
        }
        .to_owned();
        let decoded = reading.decoded;
        let claims = decoded.as_ref().map(|d| &d.claims);
        let life = decoded.as_ref().and_then(|d| d.lifetime(grace));
        TokenView {
            name: meta.name.clone(),
            base_url: meta.base_url.clone(),
            note: meta.note.clone(),
            phase,
            user: claims.and_then(|c| c.user.clone()),
            compute_user: claims.and_then(|c| c.compute_user.clone()),
            cluster_id: meta
                .cluster_id_or(claims.and_then(|c| c.cluster_id.as_deref()))
                .map(str::to_owned),
            cluster_name: meta.cluster_name.clone(),
            account_status: claims.and_then(|c| c.account_status.clone()),
            expires_at: life.map(|l| timefmt::rfc3339(l.expires_at)),
            renew_cutoff_at: life.map(|l| timefmt::rfc3339(l.cutoff_at)),
            expires_in_seconds: life.map(|l| l.to_expiry(now).as_secs()),
            renew_cutoff_in_seconds: life.map(|l| l.to_cutoff(now).as_secs()),
            added_at: timefmt::rfc3339(meta.added_at),
            renewed_at: meta.renewed_at.map(timefmt::rfc3339),
            store: meta.store,
            problem,
            advice,
            decoded,
        }
    }

    /// A view an agent sent (`list --json`'s object, or `show --json`'s with its claims), to
    /// show as this machine shows its own: the facts as the agent's machine saw them, their
    /// relative times taken by its clock. `advice` is the agent's `problem`, in English: the
    /// agent words it, and does not speak the client's language.
    pub fn from_agent(object: Value) -> serde_json::Result<TokenView> {
        let alg = object.get("alg").and_then(Value::as_str).map(str::to_owned);
        let claims = object.get("claims").and_then(Value::as_object).cloned();
        let mut view: TokenView = serde_json::from_value(object)?;
        view.advice = view.problem.clone();
        // As a local `show` has them: none when the token could not be decoded there.
        view.decoded = alg.zip(claims).and_then(|(alg, all)| {
            let claims = Claims::from_payload(all).ok()?;
            Some(Decoded { alg, claims })
        });
        Ok(view)
    }

    /// `show --json`'s object: the view, every claim and the header's `alg`.
    pub(crate) fn show_json(&self) -> serde_json::Result<Value> {
        let mut json = serde_json::to_value(self)?;
        json["claims"] = self.claims_json();
        json["alg"] = self.decoded.as_ref().map(|d| d.alg.clone()).into();
        Ok(json)
    }

    /// "in 3h 12m" / "2h 00m ago" / "-".
    pub(crate) fn expires_relative(&self) -> String {
        self.expires_in_seconds.map_or("-".to_owned(), |s| {
            timefmt::relative(SignedDuration::from_secs(s))
        })
    }

    pub(crate) fn cutoff_relative(&self) -> String {
        match self.renew_cutoff_in_seconds {
            Some(s) if s <= 0 => crate::tr!("list.passed"),
            Some(s) => timefmt::relative(SignedDuration::from_secs(s)),
            None => "-".to_owned(),
        }
    }

    /// Every claim, for `show --json`.
    fn claims_json(&self) -> Value {
        self.decoded
            .as_ref()
            .map_or(Value::Object(Map::new()), |d| {
                Value::Object(d.claims.all.clone())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::app::fixtures::{chinese_set, now};

    fn no_logins() -> Accounts {
        Accounts::empty(&crate::config::Paths::under(std::path::Path::new(
            "/nowhere",
        )))
    }

    /// What an agent sends is read back into the view this machine would have made: the
    /// table's and `show`'s facts, the claims, and `problem` as the advice.
    #[test]
    fn a_view_read_back_from_show_json_is_the_view() {
        let grace = SignedDuration::from_hours(24);
        for stored in chinese_set() {
            let view = TokenView::new(&stored, now(), grace, &no_logins());
            let back = TokenView::from_agent(view.show_json().unwrap()).unwrap();
            assert_eq!(
                serde_json::to_value(&back).unwrap(),
                serde_json::to_value(&view).unwrap()
            );
            assert_eq!(back.advice, view.problem);
            assert_eq!(back.decoded, view.decoded, "{}", view.name);
            // `list --json`'s objects carry no claims: no decoded token, the rest as it is.
            let listed = TokenView::from_agent(serde_json::to_value(&view).unwrap()).unwrap();
            assert!(listed.decoded.is_none());
            assert_eq!(listed.expires_relative(), view.expires_relative());
        }
    }
}
