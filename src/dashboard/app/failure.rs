//! Errors as they cross from the runtime's tasks to `update`: the message for the user plus
//! what kind of failure it is, so the dashboard can tell "dead, log in" from "network, retry
//! later" without reading words.

pub use crate::failure::FailureKind;

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
    pub(crate) fn from_error(error: impl std::error::Error + Send + Sync + 'static) -> TaskError {
        let message = error.to_string();
        let kind =
            crate::failure::kind_of_chain(&anyhow::Error::new(error)).unwrap_or(FailureKind::Other);
        TaskError { kind, message }
    }

    /// A task that panicked: its row stops spinning and shows this.
    pub(crate) fn panicked(what: &str) -> TaskError {
        TaskError::new(FailureKind::Bug, crate::tr!("task.panicked", what = what))
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
