//! The client side of the agent: `token`, `env`, `exec`, `list` and `show` ask the agent that
//! `--agent` / ACTOKEN_AGENT_SOCK names instead of opening a store here; commands that change
//! the store say that it is on the agent's machine. An agent that is gone or refuses is an
//! error of one line (exit 5), never a silent fall back to this machine's store.

use super::exit::Coded;
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
pub(crate) type FromAgent = Coded;

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
            AgentError::Answered { path, message, .. } => {
                let path = path.display().to_string();
                tr!("agent.answered", path = path, message = message)
            }
            AgentError::Garbled { path, why } => {
                let path = path.display().to_string();
                tr!("agent.garbled", path = path, why = why)
            }
        };
        Coded { message, code }
    }
}

/// The agent at `path`, connected.
pub(crate) fn connect(path: &Path) -> Result<AgentClient, FromAgent> {
    Ok(AgentClient::connect(path)?)
}

/// A token the agent handed over, as this side's renewal result and entry: what `env`,
/// `exec` and `token --json` build their output from.
pub(crate) struct Handed {
    pub meta: EntryMeta,
    pub renewed: Renewed,
}

/// Asks the agent for `name`, fit for `min_valid` (the agent's renew-ahead window when
/// `None`). The caller says what the agent did (`fresh::report`), as after a local renewal.
pub(crate) fn fresh_token(
    agent: &mut AgentClient,
    name: &str,
    min_valid: Option<SignedDuration>,
    now: Timestamp,
) -> Result<Handed, FromAgent> {
    let min_valid_s = min_valid.map(|d| d.as_secs().max(0) as u64);
    let reply = agent.token(name, min_valid_s)?;
    handed(reply, agent.path(), now)
}

fn handed(reply: TokenReply, path: &Path, now: Timestamp) -> Result<Handed, FromAgent> {
    let garbled = |why: &str| {
        FromAgent::from(AgentError::Garbled {
            path: path.to_owned(),
            why: why.to_owned(),
        })
    };
    let token = Token::from_raw(&reply.token.0);
    let expires: Timestamp = reply
        .expires_at
        .parse()
        .map_err(|_| garbled("its expires_at is not a time"))?;
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
    })
}

/// The error for a command that changes the store while an agent is in use.
pub(crate) fn store_elsewhere(command: &str, path: &Path) -> anyhow::Error {
    let path = path.display().to_string();
    super::exit::UsageError(tr!("agent.store_elsewhere", command = command, path = path)).into()
}
