//! The client side of the agent: `token`, `env`, `exec`, `list` and `show` ask the agent that
//! `--agent` / ACTOKEN_AGENT_SOCK names instead of opening a store here; commands that change
//! the store say that it is on the agent's machine. An agent that is gone or refuses is an
//! error of one line (exit 5), never a silent fall back to this machine's store.

use super::exit::Coded;
use super::token_view::TokenView;
use crate::agent::client::{AgentClient, AgentError};
use crate::agent::protocol::{ErrorKind, TokenReply};
use crate::renew::Renewed;
use crate::store::EntryMeta;
use crate::token::Token;
use crate::tr;
use jiff::{SignedDuration, Timestamp};
use std::path::Path;

/// What went wrong with the agent, said in the interface language; its exit code is the
/// agent's error's (see [`AgentError::exit_code`]).
impl From<AgentError> for Coded {
    fn from(error: AgentError) -> Coded {
        let code = error.exit_code();
        let message = match &error {
            AgentError::Unreachable { path, source } => {
                let (path, why) = (path.display().to_string(), source.to_string());
                tr!("agent.unreachable", path = path, why = why)
            }
            // The agent's own words name no user; this side knows which one it is.
            AgentError::Answered {
                path,
                kind: ErrorKind::Refused,
                ..
            } => {
                let path = path.display().to_string();
                let uid = crate::agent::socket::current_uid().to_string();
                tr!("agent.refused", path = path, uid = uid)
            }
            AgentError::Answered {
                path,
                message,
                kind,
            } => {
                let path = path.display().to_string();
                // A person has to act (exit 3): which of the two, in the user's words.
                match kind {
                    ErrorKind::Denied => tr!("agent.denied", path = path, message = message),
                    ErrorKind::Locked => tr!("agent.locked", path = path, message = message),
                    _ => tr!("agent.answered", path = path, message = message),
                }
            }
            AgentError::Garbled { path, why } => {
                let path = path.display().to_string();
                tr!("agent.garbled", path = path, why = why)
            }
        };
        Coded { message, code }
    }
}

/// The agent at `path`, connected. Where the answers come from is said with `-v` only: the
/// output is the same as on the agent's machine.
pub(crate) fn connect(path: &Path) -> Result<AgentClient, Coded> {
    tracing::info!(agent = %path.display(), "asking the agent instead of a store here");
    Ok(AgentClient::connect(path)?)
}

/// A token the agent handed over, as this side's renewal result and entry: what `env`,
/// `exec` and `token --json` build their output from (`env` and `exec` hold a token read
/// here alike, with this machine's grace).
pub(crate) struct Handed {
    pub meta: EntryMeta,
    pub renewed: Renewed,
    /// The renew grace on the agent's side (its `renew_cutoff` less `expires_at`): the cutoff
    /// the client hands on is the one the agent's machine sees.
    pub grace: SignedDuration,
}

/// Asks the agent for `name`, fit for `min_valid` (the agent's renew-ahead window when
/// `None`). The caller says what the agent did (`fresh::report`), as after a local renewal.
pub(crate) fn fresh_token(
    agent: &mut AgentClient,
    name: &str,
    min_valid: Option<SignedDuration>,
    now: Timestamp,
) -> Result<Handed, Coded> {
    let min_valid_s = min_valid.map(|d| d.as_secs().max(0) as u64);
    let reply = agent.token(name, min_valid_s)?;
    handed(reply, agent.path(), now)
}

fn handed(reply: TokenReply, path: &Path, now: Timestamp) -> Result<Handed, Coded> {
    let garbled = |why: &str| garbled(path, why);
    let token = Token::from_raw(&reply.token.0);
    let expires: Timestamp = reply
        .expires_at
        .parse()
        .map_err(|_| garbled("its expires_at is not a time"))?;
    let grace = reply
        .renew_cutoff
        .parse::<Timestamp>()
        .map(|cutoff| expires.duration_until(cutoff))
        .ok()
        .filter(|grace| !grace.is_negative())
        .ok_or_else(|| garbled("its renew_cutoff is not a time after expires_at"))?;
    // The agent's word is checked against the token itself: what a client hands on must be
    // what it says it is.
    let claimed = token.decode().ok().and_then(|d| d.claims.expire_time);
    if claimed != Some(expires) {
        return Err(garbled("its token does not match its expires_at"));
    }
    let meta = EntryMeta {
        platform: reply.platform,
        cluster_id: reply.cluster_id,
        cluster_name: reply.cluster_name,
        ..EntryMeta::new(reply.name.clone(), reply.base_url, now)
    };
    Ok(Handed {
        meta,
        renewed: Renewed {
            name: reply.name,
            old_expiry: Some(expires),
            new_expiry: expires,
            token,
            called_server: reply.renewed,
            via_login: reply.via_login,
        },
        grace,
    })
}

/// One of the agent's `list --json` objects, or its `show --json` object, to show here.
pub(crate) fn view(path: &Path, object: serde_json::Value) -> Result<TokenView, Coded> {
    TokenView::from_agent(object)
        .map_err(|e| garbled(path, &format!("not the facts of a token ({e})")))
}

fn garbled(path: &Path, why: &str) -> Coded {
    Coded::from(AgentError::Garbled {
        path: path.to_owned(),
        why: why.to_owned(),
    })
}

/// The error for a command that changes the store while an agent is in use.
pub(crate) fn store_elsewhere(command: &str, path: &Path) -> anyhow::Error {
    let path = path.display().to_string();
    super::exit::UsageError(tr!("agent.store_elsewhere", command = command, path = path)).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::protocol::Secret;
    use crate::mock::{MintSpec, mint};

    const NAME: &str = "华东一区【昆山】";

    fn reply(expires: Timestamp, cutoff: &str) -> TokenReply {
        let token = mint(&MintSpec::new("alice", "11112", expires));
        TokenReply {
            name: NAME.to_owned(),
            token: Secret(zeroize::Zeroizing::new(token.expose().to_owned())),
            expires_at: expires.to_string(),
            renew_cutoff: cutoff.to_owned(),
            renewed: false,
            via_login: false,
            base_url: "https://api.example.com".to_owned(),
            cluster_id: Some("11112".to_owned()),
            cluster_name: Some("华东一区【昆山】".to_owned()),
            platform: false,
        }
    }

    #[test]
    fn a_handed_token_carries_the_agent_s_grace_and_a_bad_cutoff_is_garbled() {
        let path = Path::new("/run/agent.sock");
        let expires: Timestamp = "2031-05-01T08:00:00.123Z".parse().unwrap();
        let now = expires - SignedDuration::from_hours(3);
        let cutoff = (expires + SignedDuration::from_hours(12)).to_string();
        let taken = handed(reply(expires, &cutoff), path, now).unwrap();
        assert_eq!(taken.grace, SignedDuration::from_hours(12));
        assert_eq!(taken.renewed.new_expiry, expires);
        assert_eq!(taken.meta.cluster_name.as_deref(), Some(NAME));
        let before = (expires - SignedDuration::from_secs(1)).to_string();
        for cutoff in ["soon", before.as_str()] {
            let Err(error) = handed(reply(expires, cutoff), path, now) else {
                panic!("{cutoff:?} was taken");
            };
            assert_eq!(error.code, 5);
            assert!(error.message.contains("renew_cutoff"), "{}", error.message);
        }
    }

    #[test]
    fn what_is_not_a_token_s_facts_is_a_garbled_answer() {
        let path = Path::new("/run/agent.sock");
        let error = view(path, serde_json::json!({ "name": NAME, "phase": 3 })).unwrap_err();
        assert_eq!(error.code, 5);
        assert!(
            error.message.contains("/run/agent.sock"),
            "{}",
            error.message
        );
    }
}
