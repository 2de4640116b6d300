//! What a modal screen's key handler tells `update`. Each modal keeps its own key handling
//! beside its state (`form`, `secret`, `confirm`, `filter`, `help`); it changes only that
//! state and answers with an [`Outcome`], so anything touching the rest of the App (rows,
//! effects, toasts) stays in `update`.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::keymap::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The modal stays open (the key changed its state, or meant nothing).
    Stay,
    /// Close the modal and go back to the dashboard.
    Close,
    /// The user asked the modal to act (save, log in, yes): `update` does the rest.
    Submit,
}

/// A dialog that takes typed and pasted text (the add form, the log-in prompt) and is busy
/// after submitting, until the store or the server answers.
pub(crate) trait TextDialog {
    /// The command that closes the dialog: the only one that works while it is busy.
    const CANCEL: Command;
    fn busy(&self) -> bool;
    /// Typed or pasted text for the dialog's input.
    fn insert(&mut self, text: &str);
    /// One of the dialog's own commands (never [`TextDialog::CANCEL`]).
    fn command(&mut self, cmd: Command) -> Outcome;
}

/// A key in a text dialog: cancel, a command of its own, or a typed character.
pub(crate) fn text_dialog_key<D: TextDialog>(
    dialog: &mut D,
    cmd: Option<Command>,
    key: &KeyEvent,
) -> Outcome {
    match cmd {
        Some(cmd) if cmd == D::CANCEL => Outcome::Close,
        _ if dialog.busy() => Outcome::Stay,
        Some(cmd) => dialog.command(cmd),
        None => {
            if let Some(c) = typed_char(key) {
                dialog.insert(c.encode_utf8(&mut [0; 4]));
            }
            Outcome::Stay
        }
    }
}

/// Pasted text goes into a text dialog unless it is busy.
pub(crate) fn text_dialog_paste<D: TextDialog>(dialog: &mut D, text: &str) {
    if !dialog.busy() {
        dialog.insert(text);
    }
}

/// A printable character typed without Ctrl/Alt: text for the modal's input.
pub(crate) fn typed_char(key: &KeyEvent) -> Option<char> {
    if key.kind == KeyEventKind::Release
        || key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    match key.code {
        KeyCode::Char(c) if !c.is_control() => Some(c),
        _ => None,
    }
}
