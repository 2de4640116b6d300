//! What a modal screen's key handler tells `update`. Each modal keeps its own key handling
//! beside its state (`form`, `secret`, `confirm`, `filter`, `help`); it changes only that
//! state and answers with an [`Outcome`], so anything touching the rest of the App (rows,
//! effects, toasts) stays in `update`.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The modal stays open (the key changed its state, or meant nothing).
    Stay,
    /// Close the modal and go back to the dashboard.
    Close,
    /// The user asked the modal to act (save, log in, yes): `update` does the rest.
    Submit,
}

/// A printable character typed without Ctrl/Alt: text for the modal's input.
pub fn typed_char(key: &KeyEvent) -> Option<char> {
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

/// [`typed_char`] as a string slice, for inputs that take pasted text as well.
pub fn typed_text<'a>(key: &KeyEvent, buf: &'a mut [u8; 4]) -> Option<&'a str> {
    typed_char(key).map(|c| &*c.encode_utf8(buf))
}
