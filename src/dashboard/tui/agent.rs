//! Following the agent beside the dashboard: a task that keeps a `follow` connection to its
//! socket and turns what arrives into `Action::Agent`s. It starts after the first frame, never
//! waits on the loop, and is quiet: no agent, an agent that stops, one that comes back later
//! are all normal (it tries again, less and less often, up to [`Backoff::max`]).

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::agent::client::AgentError;
use crate::agent::follow;
use crate::dashboard::app::{Action, AgentNews};

/// How long to wait before trying again: `first`, doubling after each failed try up to `max`;
/// `refused` after an agent answered `follow` with an error (one that does not serve it says
/// the same until it is restarted: asked seldom, not every few seconds into its log).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub refused: Duration,
}

impl Backoff {
    /// An agent started after the dashboard shows up within ten seconds; an attempt where
    /// nothing listens costs one failed `connect`.
    pub(crate) const PRODUCT: Backoff = Backoff {
        first: Duration::from_secs(1),
        max: Duration::from_secs(10),
        refused: Duration::from_secs(60),
    };
}

/// A `follow` that does not get its `done` within this is given up (and tried again later).
const HANDSHAKE: Duration = Duration::from_secs(5);

/// Follows the agent at `path` until the dashboard's channel closes.
pub(crate) fn spawn(
    path: PathBuf,
    actions: UnboundedSender<Action>,
    backoff: Backoff,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut wait = backoff.first;
        loop {
            let refused = match tokio::time::timeout(HANDSHAKE, follow::follow(&path)).await {
                Ok(Ok(mut follower)) => {
                    wait = backoff.first;
                    if actions.send(Action::Agent(AgentNews::Connected)).is_err() {
                        return;
                    }
                    loop {
                        match follower.next().await {
                            Ok(Some(event)) => {
                                if actions
                                    .send(Action::Agent(AgentNews::Event(event)))
                                    .is_err()
                                {
                                    return;
                                }
                            }
                            Ok(None) => break,
                            Err(e) => {
                                tracing::debug!(error = %e, "agent: stopped following");
                                break;
                            }
                        }
                    }
                    if actions.send(Action::Agent(AgentNews::Gone)).is_err() {
                        return;
                    }
                    false
                }
                Ok(Err(e @ AgentError::Answered { .. })) => {
                    tracing::debug!(error = %e, "agent: refused to be followed");
                    true
                }
                Ok(Err(e)) => {
                    tracing::trace!(error = %e, "agent: none to follow");
                    false
                }
                Err(_) => {
                    tracing::debug!("agent: no answer to `follow`");
                    false
                }
            };
            if actions.is_closed() {
                return;
            }
            tokio::time::sleep(if refused { backoff.refused } else { wait }).await;
            wait = (wait * 2).min(backoff.max);
        }
    })
}
