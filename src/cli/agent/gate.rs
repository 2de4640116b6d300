//! What a request must pass, after the peer check, before the agent answers it: forwarded
//! peers see only the forwardable tokens (`[agent] forwardable`); a locked agent hands out no
//! token; a token under confirm waits for a person ([`Approvals`]). And the requests that
//! steer the agent (lock, unlock, follow, decide), taken only from this machine's processes:
//! whoever can use a forwarded socket (root on the remote host too) must not unlock the agent
//! or approve its own requests.

use super::approvals::Approvals;
use super::lock::Lock;
use crate::agent::peer::Peer;
use crate::agent::protocol::{Decision, ErrorKind, Event, Reply};
use crate::config::AgentConfig;
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Which tokens wait for a person and which go over forwards (`agent --confirm`, `[agent]`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    confirm_all: bool,
    confirm: BTreeSet<String>,
    /// `None`: every token may be handed over a forward.
    forwardable: Option<BTreeSet<String>>,
}

impl Rules {
    pub(crate) fn new(config: &AgentConfig, confirm_flag: bool) -> Rules {
        Rules {
            confirm_all: confirm_flag || config.confirm,
            confirm: config.confirm_tokens.iter().cloned().collect(),
            forwardable: config
                .forwardable
                .as_ref()
                .map(|names| names.iter().cloned().collect()),
        }
    }

    /// Whether any request can wait for a person (`hello`'s `confirm`).
    pub(crate) fn confirms(&self) -> bool {
        self.confirm_all || !self.confirm.is_empty()
    }

    pub(crate) fn needs_approval(&self, name: &str) -> bool {
        self.confirm_all || self.confirm.contains(name)
    }

    /// Whether `peer` may have (or see) the token `name`.
    pub(crate) fn may_hand(&self, name: &str, peer: &Peer) -> bool {
        !peer.forwarded() || self.forwardable.as_ref().is_none_or(|f| f.contains(name))
    }

    /// The names the config lists that the store does not have (a typo turns nothing on).
    pub(crate) fn unknown_names<'a>(&'a self, stored: &BTreeSet<String>) -> BTreeSet<&'a str> {
        let listed = self.confirm.iter().chain(self.forwardable.iter().flatten());
        listed
            .filter(|name| !stored.contains(*name))
            .map(String::as_str)
            .collect()
    }
}

/// A request the gate does not let through: the error to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub kind: ErrorKind,
    pub message: String,
}

impl From<Refused> for Reply {
    fn from(refused: Refused) -> Reply {
        Reply::Error {
            kind: refused.kind,
            message: refused.message,
        }
    }
}

pub(crate) struct Gate {
    pub rules: Rules,
    pub lock: Lock,
    pub approvals: Arc<Approvals>,
}

impl Gate {
    /// Refuses the token `name` to a forwarded peer unless the config lets it go there.
    pub(crate) fn forwardable(&self, name: &str, peer: &Peer) -> Result<(), Refused> {
        if self.rules.may_hand(name, peer) {
            return Ok(());
        }
        Err(refused(
            ErrorKind::NotForwardable,
            format!(
                "{name} is not handed over an SSH forward: the agent's config lists the tokens \
                 that are ([agent] forwardable)"
            ),
        ))
    }

    pub(crate) fn unlocked(&self) -> Result<(), Refused> {
        if !self.lock.is_locked() {
            return Ok(());
        }
        Err(refused(
            ErrorKind::Locked,
            "it hands out no token until `actoken agent unlock` on its machine".to_owned(),
        ))
    }

    /// Waits for a person when `name` is under confirm.
    pub(crate) async fn approved(&self, name: &str, peer: &Peer) -> Result<(), Refused> {
        if !self.rules.needs_approval(name) {
            return Ok(());
        }
        self.approvals
            .ask(name, peer)
            .await
            .map_err(|refusal| refused(refusal.kind(), refusal.message(name)))
    }

    pub(crate) fn lock(&self, peer: &Peer, passphrase: &str) -> Reply {
        if let Err(refused) = local_only(peer, "lock") {
            return refused.into();
        }
        match self.lock.lock(passphrase) {
            Ok(()) => {
                // Nothing waiting goes through, and after the unlock everything is asked again.
                let why = "the agent was locked while the request waited for approval";
                self.approvals.withdraw_all(ErrorKind::Locked, why);
                self.approvals.forget_grants();
                Reply::Done
            }
            Err(e) => refused(lock_error_kind(&e), e.to_string()).into(),
        }
    }

    pub(crate) async fn unlock(&self, peer: &Peer, passphrase: &str) -> Reply {
        if let Err(refused) = local_only(peer, "unlock") {
            return refused.into();
        }
        match self.lock.unlock(passphrase).await {
            Ok(()) => Reply::Done,
            Err(e) => refused(lock_error_kind(&e), e.to_string()).into(),
        }
    }

    pub(crate) fn decide(&self, peer: &Peer, id: u64, decision: Decision) -> Reply {
        if let Err(refused) = local_only(peer, "decide") {
            return refused.into();
        }
        let by = format!("by {peer}");
        match self.approvals.decide(id, decision, &by) {
            Ok(()) => Reply::Done,
            Err(message) => refused(ErrorKind::NotFound, message).into(),
        }
    }

    pub(crate) fn follow(&self, peer: &Peer) -> Result<mpsc::Receiver<Event>, Refused> {
        local_only(peer, "follow")?;
        Ok(self.approvals.follow())
    }
}

fn lock_error_kind(e: &super::lock::LockError) -> ErrorKind {
    use super::lock::LockError;
    match e {
        LockError::AlreadyLocked | LockError::WrongPassphrase => ErrorKind::Locked,
        LockError::NotLocked | LockError::Empty => ErrorKind::BadRequest,
        LockError::NoRandom(_) => ErrorKind::Failure,
    }
}

/// Refuses `what` to a forwarded peer.
fn local_only(peer: &Peer, what: &str) -> Result<(), Refused> {
    if !peer.forwarded() {
        return Ok(());
    }
    Err(refused(
        ErrorKind::Refused,
        format!("{what} is taken only from the agent's own machine, not over an SSH forward"),
    ))
}

fn refused(kind: ErrorKind, message: String) -> Refused {
    Refused { kind, message }
}
