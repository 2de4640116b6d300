//! What kind of failure an error is, read once from its type: the CLI's exit codes and the
//! dashboard's next steps ("log in" or "retry later") both come from here, so they agree.

use crate::api::ApiError;
use crate::login::LoginError;
use crate::renew::RenewError;
use crate::store::StoreError;
use crate::token::TokenError;

/// What a failure means for what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Only a new token (a login) can help; retrying the same thing cannot.
    NeedsNewToken,
    /// The network or the server: retrying later may help.
    Retry,
    /// The OS keyring is unavailable or locked.
    Keyring,
    /// A token was issued but could not be saved (the message says where it was kept).
    NotSaved,
    /// What the user typed or piped in is wrong.
    Usage,
    /// A task panicked: a bug, reported with its message.
    Bug,
    Other,
}

/// The kind of the first error in `err`'s chain that says one.
pub(crate) fn kind_of_chain(err: &anyhow::Error) -> Option<FailureKind> {
    err.chain().find_map(kind_of)
}

/// The kind of one error, if its type tells.
pub(crate) fn kind_of(cause: &(dyn std::error::Error + 'static)) -> Option<FailureKind> {
    use FailureKind::*;
    if let Some(e) = cause.downcast_ref::<RenewError>() {
        return Some(match e {
            // Kept in a rescue file (the user removed or replaced the entry meanwhile).
            RenewError::SaveFailed { .. } | RenewError::Superseded { .. } => NotSaved,
            // The keyring could not save the batch's renewals.
            RenewError::NotAttempted { .. } => Keyring,
            RenewError::Dead { .. }
            | RenewError::Rejected { .. }
            | RenewError::NeedsLogin { .. } => NeedsNewToken,
            RenewError::Relogin { error, .. } => kind_of(error.as_ref()).unwrap_or(Other),
            RenewError::Api { source, .. } => api_kind(source),
            RenewError::NotLater { .. } => Retry,
            RenewError::Store(s) => store_kind(s),
            // Another user's or region's token: retrying the same server cannot help.
            RenewError::Invalid { .. }
            | RenewError::LockTimeout { .. }
            | RenewError::Foreign { .. } => Other,
        });
    }
    if let Some(e) = cause.downcast_ref::<LoginError>() {
        return Some(login_kind(e));
    }
    if let Some(e) = cause.downcast_ref::<StoreError>() {
        return Some(store_kind(e));
    }
    if let Some(e) = cause.downcast_ref::<ApiError>() {
        return Some(api_kind(e));
    }
    if cause.is::<TokenError>() {
        return Some(Usage);
    }
    None
}

fn store_kind(e: &StoreError) -> FailureKind {
    match e {
        StoreError::Unavailable { .. } | StoreError::Timeout => FailureKind::Keyring,
        StoreError::InvalidName { .. } | StoreError::Exists(_) => FailureKind::Usage,
        StoreError::Panicked(_) => FailureKind::Bug,
        _ => FailureKind::Other,
    }
}

fn api_kind(e: &ApiError) -> FailureKind {
    if matches!(e, ApiError::Untrusted { .. }) {
        // A file to fix, not a network fault: retrying cannot help.
        FailureKind::Other
    } else if e.token_rejected() {
        FailureKind::NeedsNewToken
    } else if e.user_frozen()
        || e.login_refusal().is_some()
        || matches!(e, ApiError::LoginNotFound { .. })
    {
        // Wrong credentials, a frozen user, a login at the wrong host: the message says
        // which; retrying the same thing cannot help, and neither can a login (frozen).
        FailureKind::Other
    } else if matches!(e, ApiError::CredentialNotSendable { .. }) {
        // A user name or access key that cannot go in a header: what was typed is wrong.
        FailureKind::Usage
    } else {
        FailureKind::Retry
    }
}

fn login_kind(e: &LoginError) -> FailureKind {
    match e {
        LoginError::Api { error, .. } => api_kind(error),
        LoginError::Store(s) => store_kind(s),
        LoginError::NoRememberedKey { .. } | LoginError::NoAccount { .. } => {
            FailureKind::NeedsNewToken
        }
        LoginError::Ambiguous { .. } => FailureKind::Usage,
        LoginError::NotSaved { .. } => FailureKind::NotSaved,
        LoginError::NothingStored { .. } => FailureKind::Other,
    }
}
