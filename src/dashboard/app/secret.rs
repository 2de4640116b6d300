//! The "log in again" prompt: one masked field for the account's secret key (or password),
//! shown when `L` finds no remembered key. The text is wiped from memory when dropped.

use zeroize::Zeroizing;

use super::modal::{Outcome, TextDialog};
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

    pub(crate) fn erase(&mut self) {
        self.input.pop();
    }

    pub(crate) fn len(&self) -> usize {
        self.input.chars().count()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    pub(crate) fn secret(&self) -> LoginSecret {
        LoginSecret::new(&self.input)
    }
}

/// Enter logs in (`Submit`, the prompt is then busy and `update` logs in with
/// [`SecretPrompt::secret`]), Esc closes; while logging in only closing works.
impl TextDialog for SecretPrompt {
    const CANCEL: Command = Command::SecretCancel;

    fn busy(&self) -> bool {
        self.busy
    }

    /// Typed or pasted text; line breaks and control characters are dropped (a paste often
    /// ends with a newline).
    fn insert(&mut self, text: &str) {
        self.input.extend(text.chars().filter(|c| !c.is_control()));
    }

    fn command(&mut self, cmd: Command) -> Outcome {
        match cmd {
            Command::SecretErase => self.erase(),
            Command::SecretSubmit if self.is_empty() => {
                self.error = Some(crate::tr!("toast.secret_empty"));
            }
            Command::SecretSubmit => {
                self.busy = true;
                self.error = None;
                return Outcome::Submit;
            }
            _ => {}
        }
        Outcome::Stay
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::app::modal::TextDialog;

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
