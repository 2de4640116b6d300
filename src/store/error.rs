//! Everything that can go wrong in the store. Messages say what happened and what to do next,
//! and never contain a secret (keyring errors are translated here, not passed through).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no token named {0:?}; `actoken list` shows the stored names")]
    NotFound(String),

    #[error(
        "a token named {0:?} already exists; choose another name, or replace it with `actoken add {0} --force`"
    )]
    Exists(String),

    #[error("token name {name:?} is not allowed: {reason}")]
    InvalidName { name: String, reason: String },

    #[error(
        "token {0:?} is listed in the index but the keyring holds no secret for it (deleted \
         outside actoken?); add it again with `actoken add {0} --force`, or remove the entry with \
         `actoken rm {0}`"
    )]
    SecretMissing(String),

    #[error(
        "token {name:?} is kept in {} and another store is in use; run with `--store {kind}`, or \
         move it with `actoken move {name} --to {}`",
        kind.label(),
        kind.other()
    )]
    InOtherStore {
        name: String,
        kind: super::StoreKind,
    },

    #[error("the OS keyring is not usable: {cause}\n{fix}")]
    Unavailable { cause: String, fix: String },

    #[error(
        "the OS keyring did not answer in time (it may be locked and waiting for an unlock \
         prompt, or D-Bus may be hung); unlock the keyring and retry, or raise keyring-timeout \
         in the config file"
    )]
    Timeout,

    #[error(
        "another actoken process is busy with {name:?} (lock file {path}); wait for it to finish \
         and retry"
    )]
    LockTimeout { name: String, path: PathBuf },

    #[error("keyring error: {0}")]
    Backend(String),

    /// A store call panicked on its thread (a bug); the message is the panic's.
    #[error("internal error: a store task panicked ({0}); please report this bug")]
    Panicked(String),

    #[error("token index {path}: {message}")]
    Index { path: PathBuf, message: String },

    #[error("accounts file {path}: {message}")]
    Accounts { path: PathBuf, message: String },

    #[error("cannot access {path}: {source}; check that the directory exists and is yours")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
