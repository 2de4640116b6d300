//! The "log in again" prompt: one masked field for the account's secret key (or password),
//! shown when `L` finds no remembered key. The text is wiped from memory when dropped.

use crossterm::event::KeyEvent;
use zeroize::Zeroizing;

use super::modal::{Outcome, typed_text};
use crate::keymap::Command;

/// A typed secret on its way to the login: compared and cloned like data, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginSecret(Zeroizing<String>);

impl LoginSecret {
    pub fn new(text: &str) -> LoginSecret {
        LoginSecret(Zeroizing::new(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for LoginSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginSecret(<redacted>)")
    }
}

/// Prompt state: which row asked, what to type, and the masked input.
pub struct SecretPrompt {
    /// The row whose `L` opened the prompt.
    pub name: String,
    /// What to type, e.g. "secret key of alice (access key AKDEMOALICE)".
    pub label: String,
    input: Zeroizing<String>,
    /// Submitted; waiting for the login's answer.
    pub busy: bool,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

impl std::fmt::Debug for SecretPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretPrompt")
            .field("name", &self.name)
            .field("label", &self.label)
            .field("input_chars", &self.len())
            .field("busy", &self.busy)
            .field("error", &self.error)
            .finish()
    }
}

impl SecretPrompt {
    pub fn new(name: &str, label: &str) -> SecretPrompt {
        SecretPrompt {
            name: name.to_owned(),
            label: label.to_owned(),
            input: Zeroizing::new(String::new()),
            busy: false,
            error: None,
        }
    }

    /// Typed or pasted text; line breaks and control characters are dropped (a paste often
    /// ends with a newline).
    pub fn insert(&mut self, text: &str) {
        self.input.extend(text.chars().filter(|c| !c.is_control()));
    }

    pub fn erase(&mut self) {
        self.input.pop();
    }

    pub fn len(&self) -> usize {
        self.input.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    pub fn secret(&self) -> LoginSecret {
        LoginSecret::new(&self.input)
    }

    /// Applies a key. While logging in, only cancelling the prompt is allowed. `Submit`
    /// (the prompt is then busy) asks `update` to log in with [`SecretPrompt::secret`].
    pub fn on_key(&mut self, cmd: Option<Command>, key: &KeyEvent) -> Outcome {
        if self.busy {
            return match cmd {
                Some(Command::SecretCancel) => Outcome::Close,
                _ => Outcome::Stay,
            };
        }
        match cmd {
            Some(Command::SecretCancel) => return Outcome::Close,
            Some(Command::SecretErase) => self.erase(),
            Some(Command::SecretSubmit) if self.is_empty() => {
                self.error = Some(crate::tr!("toast.secret_empty"));
            }
            Some(Command::SecretSubmit) => {
                self.busy = true;
                self.error = None;
                return Outcome::Submit;
            }
            _ => {
                if let Some(text) = typed_text(key, &mut [0; 4]) {
                    self.insert(text);
                }
            }
        }
        Outcome::Stay
    }

    /// Pasted text goes into the input, unless a login is under way.
    pub fn on_paste(&mut self, text: &str) {
        if !self.busy {
            self.insert(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_masked_in_debug_and_cleaned_of_controls() {
        let mut p = SecretPrompt::new("alice/ac", "secret key of alice");
        p.insert("SKDEMO\u{1b}ALICE\n");
        p.erase();
        p.insert("E");
        assert_eq!(p.secret().expose(), "SKDEMOALICE");
        assert_eq!(p.len(), 11);
        let debug = format!("{p:?} {:?}", p.secret());
        assert!(!debug.contains("SKDEMO"), "{debug}");
    }
}
