//! Exit codes: errors are classified once, here, from their types, so every command agrees.

use crate::failure::{self, FailureKind};

pub(crate) const OK: u8 = 0;
pub(crate) const FAILURE: u8 = 1;
pub(crate) const USAGE: u8 = 2;
pub(crate) const NEEDS_NEW_TOKEN: u8 = 3;
pub(crate) const NETWORK: u8 = 4;
pub(crate) const KEYRING: u8 = 5;
pub(crate) const NOT_SAVED: u8 = 6;

/// A mistake in what the user typed or piped in.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub String);

/// A token that only a new login can fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct NeedsNewToken(pub String);

/// A person would have to answer a prompt, and `--no-input` (or `ACTOKEN_NO_INPUT`) says none
/// is there: the message names the command that needs no prompt. Exit 3, as a token that needs
/// a login: a person has to act either way.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct NoInput(pub String);

/// An error whose exit code was decided where it was met (an agent's answer: its kind's code).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Coded {
    pub message: String,
    pub code: u8,
}

pub(crate) fn code_for(err: &anyhow::Error) -> u8 {
    err.chain().find_map(classify).unwrap_or(FAILURE)
}

fn classify(cause: &(dyn std::error::Error + 'static)) -> Option<u8> {
    if cause.is::<UsageError>() {
        return Some(USAGE);
    }
    if cause.is::<NeedsNewToken>() || cause.is::<NoInput>() {
        return Some(NEEDS_NEW_TOKEN);
    }
    if let Some(coded) = cause.downcast_ref::<Coded>() {
        return Some(coded.code);
    }
    failure::kind_of(cause).map(code_of)
}

/// The exit code of each kind of failure (see the README's table).
pub(crate) fn code_of(kind: FailureKind) -> u8 {
    match kind {
        FailureKind::NeedsNewToken => NEEDS_NEW_TOKEN,
        FailureKind::Retry => NETWORK,
        FailureKind::Keyring => KEYRING,
        FailureKind::NotSaved => NOT_SAVED,
        FailureKind::Usage => USAGE,
        FailureKind::Bug | FailureKind::Other => FAILURE,
    }
}

/// The most serious of several codes, for commands that act on many tokens: a lost-token risk
/// first, then a broken keyring, then tokens needing a login, then passing failures.
pub(crate) fn worst(codes: impl IntoIterator<Item = u8>) -> u8 {
    let rank = |c: u8| match c {
        NOT_SAVED => 6,
        KEYRING => 5,
        NEEDS_NEW_TOKEN => 4,
        NETWORK => 3,
        FAILURE => 2,
        USAGE => 1,
        _ => 0,
    };
    codes.into_iter().max_by_key(|&c| rank(c)).unwrap_or(OK)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::api::{ApiError, TimeoutStage};
    use crate::login::LoginError;
    use crate::renew::RenewError;
    use crate::store::StoreError;

    /// A failed re-login inside a renewal keeps the login error's own code (the renewer holds
    /// it as a boxed error, so this goes through the downcast).
    #[test]
    fn a_failed_relogin_keeps_the_login_errors_code() {
        let relogin = |error: LoginError| {
            anyhow::Error::from(RenewError::Relogin {
                name: "alice/华东一区【昆山】".into(),
                error: Box::new(error),
            })
        };
        let timeout = ApiError::Timeout {
            host: "api.example.com".into(),
            stage: TimeoutStage::Connect,
            after: Duration::from_secs(5),
        };
        let network = relogin(LoginError::Api {
            user: "alice".into(),
            error: timeout,
        });
        assert_eq!(code_for(&network), NETWORK);
        let keyring = relogin(LoginError::Store(StoreError::Timeout));
        assert_eq!(code_for(&keyring), KEYRING);
    }
}
