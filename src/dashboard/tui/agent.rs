//! Following the agent beside the dashboard: a task that keeps a `follow` connection to its
//! socket and turns what arrives into `Action::Agent`s. It starts after the first frame, never
//! waits on the loop, and is quiet: no agent, an agent that stops, one that comes back later
//! are all normal (it tries again, less and less often, up to [`Backoff::max`]).

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::agent::follow;
use crate::dashboard::app::{Action, AgentNews};

/// How long to wait before trying again: `first`, doubling after each failed try up to `max`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Backoff {
    /// An agent started after the dashboard shows up within ten seconds; an attempt where
    /// nothing listens costs one failed `connect`.
    pub(crate) const PRODUCT: Backoff = Backoff {
        first: Duration::from_secs(1),
        max: Duration::from_secs(10),
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
            match tokio::time::timeout(HANDSHAKE, follow::follow(&path)).await {
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
                }
                Ok(Err(e)) => tracing::trace!(error = %e, "agent: none to follow"),
                Err(_) => tracing::debug!("agent: no answer to `follow`"),
            }
            if actions.is_closed() {
                return;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(backoff.max);
        }
    })
}
