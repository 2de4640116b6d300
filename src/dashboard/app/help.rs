//! The help screen's keys: scroll it, close it.

use super::modal::Outcome;
use crate::keymap::Command;

/// Applies a key to the help screen's scroll position.
pub(crate) fn on_key(scroll: &mut u16, cmd: Option<Command>) -> Outcome {
    match cmd {
        Some(Command::CloseHelp) => Outcome::Close,
        Some(Command::HelpDown) => {
            *scroll = scroll.saturating_add(1);
            Outcome::Stay
        }
        Some(Command::HelpUp) => {
            *scroll = scroll.saturating_sub(1);
            Outcome::Stay
        }
        _ => Outcome::Stay,
    }
}
