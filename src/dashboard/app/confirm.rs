//! Yes/no questions (deleting a token, copying one the server will refuse) and their keys.

use super::modal::Outcome;
use crate::keymap::Command;

/// A question waiting for y/n.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    Delete {
        name: String,
    },
    /// Copying a token the server will refuse (dead or malformed): `why`, and what to do
    /// `instead` (the row's advice).
    CopyUnusable {
        name: String,
        why: String,
        instead: String,
    },
}

impl Confirm {
    /// Yes submits, no closes; every other key is ignored (the question stays).
    pub(crate) fn on_key(&self, cmd: Option<Command>) -> Outcome {
        match cmd {
            Some(Command::ConfirmYes) => Outcome::Submit,
            Some(Command::ConfirmNo) => Outcome::Close,
            _ => Outcome::Stay,
        }
    }
}
