//! Errors as they cross from the runtime's tasks to `update`: the message for the user plus
//! what kind of failure it is, so the dashboard can tell "dead, log in" from "network, retry
//! later" without reading words.

/// What a failure means for what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Only a new token (a login) can help; retrying the same thing cannot.
    NeedsNewToken,
    /// The network or the server: retrying later may help.
    Retry,
    /// The OS keyring is unavailable or locked.
    Keyring,
    /// A token was issued but could not be saved (it is in a rescue file, said in the message).
    NotSaved,
    /// A task panicked: a bug, reported with its message.
    Bug,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    pub kind: FailureKind,
    pub message: String,
}

impl TaskError {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> TaskError {
        TaskError {
            kind,
            message: message.into(),
        }
    }

    /// Classified by type, as the CLI's exit codes are (one rule for both front ends).
    pub fn from_error(error: impl std::error::Error + Send + Sync + 'static) -> TaskError {
        let message = error.to_string();
        let kind = match crate::cli::exit::code_for(&anyhow::Error::new(error)) {
            crate::cli::exit::NEEDS_NEW_TOKEN => FailureKind::NeedsNewToken,
            crate::cli::exit::NETWORK => FailureKind::Retry,
            crate::cli::exit::KEYRING => FailureKind::Keyring,
            crate::cli::exit::NOT_SAVED => FailureKind::NotSaved,
            _ => FailureKind::Other,
        };
        TaskError { kind, message }
    }

    /// A task that panicked: its row stops spinning and shows this.
    pub fn panicked(what: &str) -> TaskError {
        TaskError::new(
            FailureKind::Bug,
            format!("internal error: {what}; please report this bug"),
        )
    }
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Messages from code that has no type to offer (and tests).
impl From<&str> for TaskError {
    fn from(message: &str) -> TaskError {
        TaskError::new(FailureKind::Other, message)
    }
}

impl From<String> for TaskError {
    fn from(message: String) -> TaskError {
        TaskError::new(FailureKind::Other, message)
    }
}
