//! Exit codes: errors are classified once, here, from their types, so every command agrees.

use crate::api::ApiError;
use crate::login::LoginError;
use crate::renew::RenewError;
use crate::store::StoreError;
use crate::token::TokenError;

pub const OK: u8 = 0;
pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;
pub const NEEDS_NEW_TOKEN: u8 = 3;
pub const NETWORK: u8 = 4;
pub const KEYRING: u8 = 5;
pub const NOT_SAVED: u8 = 6;

/// A mistake in what the user typed or piped in.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A token that only a new login can fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NeedsNewToken(pub String);

pub fn code_for(err: &anyhow::Error) -> u8 {
    err.chain().find_map(classify).unwrap_or(FAILURE)
}

fn classify(cause: &(dyn std::error::Error + 'static)) -> Option<u8> {
    if let Some(e) = cause.downcast_ref::<RenewError>() {
        return Some(match e {
            RenewError::SaveFailed { .. } => NOT_SAVED,
            RenewError::Dead { .. }
            | RenewError::Rejected { .. }
            | RenewError::NeedsLogin { .. } => NEEDS_NEW_TOKEN,
            RenewError::Relogin { error, .. } => classify(error.as_ref()).unwrap_or(FAILURE),
            RenewError::Api { source, .. } => api_code(source),
            RenewError::NotLater { .. } => NETWORK,
            RenewError::Store(s) => store_code(s),
            RenewError::Invalid { .. } | RenewError::LockTimeout { .. } => FAILURE,
        });
    }
    if let Some(e) = cause.downcast_ref::<LoginError>() {
        return Some(login_code(e));
    }
    if let Some(e) = cause.downcast_ref::<StoreError>() {
        return Some(store_code(e));
    }
    if let Some(e) = cause.downcast_ref::<ApiError>() {
        return Some(api_code(e));
    }
    if cause.is::<TokenError>() || cause.is::<UsageError>() {
        return Some(USAGE);
    }
    if cause.is::<NeedsNewToken>() {
        return Some(NEEDS_NEW_TOKEN);
    }
    None
}

fn store_code(e: &StoreError) -> u8 {
    match e {
        StoreError::Unavailable { .. } | StoreError::Timeout => KEYRING,
        StoreError::InvalidName { .. } | StoreError::Exists(_) => USAGE,
        _ => FAILURE,
    }
}

fn api_code(e: &ApiError) -> u8 {
    if e.token_rejected() {
        NEEDS_NEW_TOKEN
    } else if e.login_refusal().is_some() {
        // Wrong credentials: the message says which; retrying the same ones cannot help.
        FAILURE
    } else {
        NETWORK
    }
}

fn login_code(e: &LoginError) -> u8 {
    match e {
        LoginError::Api { error, .. } => api_code(error),
        LoginError::Store(s) => store_code(s),
        LoginError::NoRememberedKey { .. } | LoginError::NoAccount { .. } => NEEDS_NEW_TOKEN,
        LoginError::Ambiguous { .. } => USAGE,
    }
}

/// The most serious of several codes, for commands that act on many tokens: a lost-token risk
/// first, then a broken keyring, then tokens needing a login, then passing failures.
pub fn worst(codes: impl IntoIterator<Item = u8>) -> u8 {
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
    use crate::api::TimeoutStage;

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
