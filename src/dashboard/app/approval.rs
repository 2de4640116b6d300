//! The approval dialog: the agent holds a token request until a person answers it (allow
//! once, allow for 30 minutes, deny), and its keys. Closing it without an answer leaves the
//! request pending: the agent denies it at its deadline unless it is answered before
//! (here, with the `approval` key, or on the agent's terminal).

use jiff::{SignedDuration, Timestamp};

use crate::agent::protocol::Decision;
use crate::keymap::Command;

/// The answering keys do nothing this long after the dialog opens: a key pressed for the
/// dashboard (`y` copies, `a` adds) as the dialog appears under the finger must not answer it.
pub const ARMING: SignedDuration = SignedDuration::from_secs(1);

/// The open dialog: which pending request it asks about, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub id: u64,
    pub opened_at: Timestamp,
}

/// What a key in the dialog asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Stay,
    /// Close the dialog; the request stays pending.
    Later,
    Decide(Decision),
}

impl Approval {
    pub(crate) fn new(id: u64, now: Timestamp) -> Approval {
        Approval { id, opened_at: now }
    }

    /// Whether the answering keys work yet.
    pub fn armed(&self, now: Timestamp) -> bool {
        self.opened_at
            .checked_add(ARMING)
            .is_ok_and(|armed| now >= armed)
    }

    /// "Later" works at once; the answers only once the dialog is armed.
    pub(crate) fn on_key(&self, cmd: Option<Command>, now: Timestamp) -> Answer {
        let decision = match cmd {
            Some(Command::ApproveLater) => return Answer::Later,
            Some(Command::ApproveOnce) => Decision::Once,
            Some(Command::ApproveFor30Min) => Decision::For30Min,
            Some(Command::ApproveDeny) => Decision::Deny,
            _ => return Answer::Stay,
        };
        if self.armed(now) {
            Answer::Decide(decision)
        } else {
            Answer::Stay
        }
    }
}
