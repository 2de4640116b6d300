//! Everything that can go wrong in the store. The words (what happened and what to do next, in
//! the interface language) are in [`super::words`]; none contains a secret (keyring errors are
//! translated where they arise, not passed through).

use std::path::PathBuf;

#[derive(Debug)]
pub enum StoreError {
    NotFound(String),
    Exists(String),
    InvalidName {
        name: String,
        reason: String,
    },
    /// Listed in the index, but the keyring holds no secret for it.
    SecretMissing(String),
    InOtherStore {
        name: String,
        kind: super::StoreKind,
    },
    /// The keyring as a whole cannot be used: `cause` says why, `fix` what to do (both already
    /// in the interface language, see [`super::words`]).
    Unavailable {
        cause: String,
        fix: String,
    },
    Timeout,
    LockTimeout {
        name: String,
        path: PathBuf,
    },
    Backend(String),
    /// A store call panicked on its thread (a bug); the message is the panic's.
    Panicked(String),
    Index {
        path: PathBuf,
        message: String,
    },
    Accounts {
        path: PathBuf,
        message: String,
    },
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file or directory another user could have changed (see [`crate::files::trust`]).
    Untrusted(crate::files::Distrust),
}

impl From<crate::files::Distrust> for StoreError {
    fn from(d: crate::files::Distrust) -> StoreError {
        StoreError::Untrusted(d)
    }
}

impl StoreError {
    /// True when the keyring as a whole cannot be used (as opposed to one entry failing):
    /// front ends then offer demo mode or instructions instead of retrying per token.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. } | StoreError::Timeout)
    }

    /// The same error once more, for the entries after a whole-backend failure (the error
    /// itself is not `Clone`: some variants hold an `io::Error`). Other kinds keep only
    /// their message.
    pub(crate) fn again(&self) -> StoreError {
        match self {
            StoreError::Unavailable { cause, fix } => StoreError::Unavailable {
                cause: cause.clone(),
                fix: fix.clone(),
            },
            StoreError::Timeout => StoreError::Timeout,
            other => StoreError::Backend(other.to_string()),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn index(path: impl Into<PathBuf>, message: impl Into<String>) -> StoreError {
        StoreError::Index {
            path: path.into(),
            message: message.into(),
        }
    }
}
