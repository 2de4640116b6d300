//! The filter line's keys: typed text narrows the view, Enter keeps it, Esc clears it.

use crossterm::event::KeyEvent;

use super::modal::{Outcome, typed_char};
use crate::keymap::Command;

/// Applies a key to the filter text. `Submit` means the text changed (the selection goes back
/// to the top of the narrowed view).
pub(crate) fn on_key(filter: &mut String, cmd: Option<Command>, key: &KeyEvent) -> Outcome {
    match cmd {
        Some(Command::FilterKeep) => Outcome::Close,
        Some(Command::FilterClear) => {
            filter.clear();
            Outcome::Close
        }
        Some(Command::FilterErase) => {
            filter.pop();
            Outcome::Stay
        }
        _ => match typed_char(key) {
            Some(c) => {
                filter.push(c);
                Outcome::Submit
            }
            None => Outcome::Stay,
        },
    }
}

/// Pasted text: its first line, without control characters.
pub(crate) fn on_paste(filter: &mut String, text: &str) {
    let line = text.lines().next().unwrap_or_default();
    filter.extend(line.chars().filter(|c| !c.is_control()));
}
