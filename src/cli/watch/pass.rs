//! One pass over every stored token: re-read the index (tokens added or removed by other
//! processes), renew what expires within the renew-ahead window, bring dead ones back through
//! remembered keys, skip tokens still backing off. Returns the exit code of each action.

use jiff::{SignedDuration, Timestamp};

use crate::advice::{Condition, Owner};
use crate::cli::advising::Reading;
use crate::i18n::{Lang, with_lang};
use crate::renew::{Renewed, Renewer, When};
use crate::store::StoredToken;
use crate::timefmt;
use crate::token::Phase;

use super::super::exit;
use super::super::last_resort;
use super::super::streams::Io;
use super::backoff::Backoff;
use super::log::{Level, line};

/// What the pass should do with one token.
enum Plan {
    Renew,
    Fresh,
    /// Cannot be acted on: the message and the exit code it is worth.
    Broken(String, u8),
}

pub(crate) async fn run(
    renewer: &Renewer,
    io: &Io,
    grace: SignedDuration,
    ahead: SignedDuration,
    backoff: &mut Backoff,
    now: Timestamp,
) -> Vec<u8> {
    let stored = match renewer.door().reload_index().await {
        Ok(stored) => stored,
        Err(e) => {
            line(Level::Error, &format!("cannot read the token index: {e}"));
            return vec![exit::code_for(&e.into())];
        }
    };
    let names: Vec<String> = stored.iter().map(|s| s.meta.name.clone()).collect();
    backoff.retain(&names);

    let mut codes = Vec::new();
    let mut due = Vec::new();
    for s in stored {
        let name = s.meta.name.clone();
        if !backoff.ready(&name, now) {
            continue;
        }
        match plan(&s, grace, ahead, now) {
            Plan::Fresh => {}
            Plan::Renew => due.push(name),
            Plan::Broken(why, code) => {
                let wait = backoff.failed(&name, now);
                line(
                    Level::Error,
                    &format!("{name}: {why}; next look {}", timefmt::relative(wait)),
                );
                codes.push(code);
            }
        }
    }
    if due.is_empty() {
        return codes;
    }
    for (name, result) in renewer
        .renew_many(due, When::ExpiringWithin(ahead), now)
        .await
    {
        match result {
            Ok(r) => {
                backoff.succeeded(&name);
                if let Some(message) = describe(&r, now) {
                    line(Level::Info, &message);
                }
            }
            Err(mut e) => {
                last_resort::keep_renewal(io, &mut e);
                let wait = backoff.failed(&name, now);
                let level = if e.needs_new_token() {
                    Level::Error
                } else {
                    Level::Warning
                };
                line(level, &format!("{e}; next try {}", timefmt::relative(wait)));
                codes.push(exit::code_for(&e.into()));
            }
        }
    }
    codes
}

/// From the index's facts: no secret is read to decide (the renewal reads it under its lock).
fn plan(
    stored: &StoredToken,
    grace: SignedDuration,
    ahead: SignedDuration,
    now: Timestamp,
) -> Plan {
    let reading = Reading::of(stored, now, grace);
    let life = reading.decoded.as_ref().and_then(|d| d.lifetime(grace));
    let (Condition::Calm | Condition::Renewable | Condition::Dead, Some(life)) =
        (reading.condition, life)
    else {
        // Missing, unreadable, in the other store, malformed, no expiry: what to do does not
        // depend on the account, so none is looked up (and no login command is needed).
        // In English, as every other line of the watch log.
        let why = with_lang(Lang::En, || {
            reading.problem(&stored.meta, Owner::Unknown, "", now, grace)
        });
        let code = match reading.condition {
            Condition::Unreadable => exit::KEYRING,
            _ => exit::FAILURE,
        };
        return Plan::Broken(why.unwrap_or_default(), code);
    };
    // A dead token goes to the renewer too: it logs in again with a remembered key, or says
    // which `actoken login` to run.
    if life.phase(now) == Phase::Dead || life.to_expiry(now) <= ahead {
        Plan::Renew
    } else {
        Plan::Fresh
    }
}

fn describe(r: &Renewed, now: Timestamp) -> Option<String> {
    let expires = timefmt::relative(now.duration_until(r.new_expiry));
    if r.via_login {
        Some(format!(
            "{}: dead or rejected, logged in again with the remembered secret key; new token expires {expires}",
            r.name
        ))
    } else if r.called_server {
        let old = r
            .old_expiry
            .map(|t| timefmt::relative(now.duration_until(t)))
            .unwrap_or_else(|| "?".into());
        Some(format!(
            "{}: renewed (was expiring {old}); now expires {expires}",
            r.name
        ))
    } else {
        // Renewed by another process since the index was read: nothing done, nothing said.
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::app::fixtures::{at, now, stored, token};
    use crate::store::SecretState;

    const DAY: SignedDuration = SignedDuration::from_hours(24);

    fn broken(secret: SecretState) -> (String, u8) {
        let mut s = stored(
            "华东一区【昆山】",
            token("alice", "alice", "11250", "Normal", at(3600)),
        );
        s.secret = secret;
        match with_lang(Lang::ZhCn, || plan(&s, DAY, DAY, now())) {
            Plan::Broken(why, code) => (why, code),
            _ => panic!("{:?} is not broken", s.secret),
        }
    }

    #[test]
    fn a_broken_entry_gets_the_same_advice_as_show() {
        let (why, code) = broken(SecretState::Missing);
        assert_eq!(code, exit::FAILURE);
        assert_eq!(
            why,
            "the keyring has no secret for it: add it again with \
             `actoken add '华东一区【昆山】' --force`"
        );
        let (why, code) = broken(SecretState::Unreadable("the keyring is locked".into()));
        assert_eq!(code, exit::KEYRING);
        assert!(why.contains("(the keyring is locked)"), "{why}");
        let kind = crate::store::StoreKind::Keyutils;
        let (why, _) = broken(SecretState::InOtherStore(kind));
        assert!(
            why.contains("`actoken move '华东一区【昆山】' --to secret-service`"),
            "{why}"
        );
    }
}
