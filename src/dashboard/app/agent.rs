//! What the dashboard knows of an agent running beside it (`actoken agent` on the default
//! socket): the requests it served last and the token requests it holds for a person's
//! answer (`agent --confirm`). Filled from the agent's `follow` events; nothing here is shown
//! when no agent answers.
//!
//! Everything in an event came from another process (a token name, an executable's path, the
//! agent's words): the panel and the dialog show it through `ui::text::clean` like any claim.

use std::collections::VecDeque;

use jiff::{SignedDuration, Timestamp};

use crate::agent::protocol::{Decision, Event};

/// How many served requests are kept (the agent sends its last ~50 to a new follower).
pub const KEEP: usize = 50;

/// A pending request whose deadline passed this long ago without a `settled` event is
/// dropped: the agent has denied it by then (a `settled` that never came must not leave a
/// dialog counting nothing forever).
pub const GRACE: SignedDuration = SignedDuration::from_secs(5);

/// News from the task that follows the agent.
#[derive(Debug, Clone)]
pub enum AgentNews {
    /// A `follow` connection is up; the agent's recent history follows as events.
    Connected,
    Event(Event),
    /// The connection ended (the agent stopped, or never answered again).
    Gone,
}

/// A request the agent served, as its log line says it (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// When, if the agent's time could be read.
    pub at: Option<Timestamp>,
    pub request: String,
    pub name: Option<String>,
    pub pid: Option<i32>,
    pub exe: Option<String>,
    pub forwarded: bool,
    pub answer: String,
}

/// Where a pending request stands on this side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// Not answered here yet: its dialog opens when the dashboard is free.
    Waiting,
    /// The dialog was closed without an answer (`approve-later`): it opens again only on
    /// request (`approval` key); the agent denies it at its deadline.
    Later,
    /// Answered here; the agent's `settled` is on its way.
    Sent(Decision),
}

/// A `token` request the agent holds for a person's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: u64,
    pub name: String,
    pub pid: Option<i32>,
    pub exe: Option<String>,
    pub forwarded: bool,
    /// When the agent denies it by itself, if its time could be read.
    pub deadline: Option<Timestamp>,
    pub asked: Asked,
}

impl Pending {
    /// Time left to answer (zero once the deadline has passed).
    pub fn left(&self, now: Timestamp) -> Option<SignedDuration> {
        self.deadline
            .map(|d| now.duration_until(d).max(SignedDuration::ZERO))
    }
}

/// The agent beside the dashboard, as its events tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView {
    /// A `follow` connection is up: the panel shows only then.
    pub connected: bool,
    /// Served requests, oldest first, at most [`KEEP`].
    pub served: VecDeque<Served>,
    /// Requests waiting for an answer, oldest first.
    pub pending: Vec<Pending>,
    /// The panel is wanted (`agent-panel` hides and shows it).
    pub shown: bool,
}

impl Default for AgentView {
    fn default() -> AgentView {
        AgentView {
            connected: false,
            served: VecDeque::new(),
            pending: Vec::new(),
            shown: true,
        }
    }
}

/// What a `settled` event settled, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub pending: Pending,
    pub decision: Decision,
}

impl AgentView {
    /// Whether the panel takes room on screen.
    pub fn panel_visible(&self) -> bool {
        self.connected && self.shown
    }

    /// A new connection: the agent sends its recent history and every pending request again.
    pub(crate) fn connected(&mut self) {
        self.connected = true;
        self.served.clear();
        self.pending.clear();
    }

    /// The agent is gone, and with it every request it held.
    pub(crate) fn gone(&mut self) -> Vec<Pending> {
        self.connected = false;
        self.served.clear();
        std::mem::take(&mut self.pending)
    }

    /// Applies one event; a `settled` one returns what it settled.
    pub(crate) fn apply(&mut self, event: Event) -> Option<Settled> {
        match event {
            Event::Served {
                at,
                request,
                name,
                pid,
                exe,
                forwarded,
                answer,
            } => {
                if self.served.len() == KEEP {
                    self.served.pop_front();
                }
                self.served.push_back(Served {
                    at: at.parse().ok(),
                    request,
                    name,
                    pid,
                    exe,
                    forwarded,
                    answer,
                });
                None
            }
            Event::Pending {
                id,
                name,
                pid,
                exe,
                forwarded,
                deadline,
            } => {
                if !self.pending.iter().any(|p| p.id == id) {
                    self.pending.push(Pending {
                        id,
                        name,
                        pid,
                        exe,
                        forwarded,
                        deadline: deadline.parse().ok(),
                        asked: Asked::Waiting,
                    });
                }
                None
            }
            Event::Settled { id, decision } => {
                let at = self.pending.iter().position(|p| p.id == id)?;
                let pending = self.pending.remove(at);
                Some(Settled { pending, decision })
            }
        }
    }

    pub(crate) fn pending(&self, id: u64) -> Option<&Pending> {
        self.pending.iter().find(|p| p.id == id)
    }

    pub(crate) fn pending_mut(&mut self, id: u64) -> Option<&mut Pending> {
        self.pending.iter_mut().find(|p| p.id == id)
    }

    /// The oldest request whose dialog should open now.
    pub(crate) fn next_to_ask(&self) -> Option<u64> {
        self.pending
            .iter()
            .find(|p| p.asked == Asked::Waiting)
            .map(|p| p.id)
    }

    /// Requests nobody here has answered yet (the status bar counts them).
    pub fn unanswered(&self) -> usize {
        self.pending
            .iter()
            .filter(|p| !matches!(p.asked, Asked::Sent(_)))
            .count()
    }

    /// Drops requests whose deadline passed more than [`GRACE`] ago (the agent has denied
    /// them; its `settled` got lost). Returns them.
    pub(crate) fn expire(&mut self, now: Timestamp) -> Vec<Pending> {
        let (gone, kept) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| {
                p.deadline
                    .and_then(|d| d.checked_add(GRACE).ok())
                    .is_some_and(|limit| now >= limit)
            });
        self.pending = kept;
        gone
    }
}
