//! The Secret Service's failures in the store's words: what went wrong and what to do, for
//! every way the keyring, its daemon or D-Bus can fail. A leaf: it knows only [`StoreError`].

use std::time::Duration;

use crate::store::StoreError;
use crate::store::words::{fix_locked, fix_locked_or_no_keyring, fix_no_keyring};

use super::SERVICE;

/// The keyring took longer than `timeout` to answer.
pub(crate) fn not_answering(timeout: Duration) -> StoreError {
    StoreError::Unavailable {
        cause: format!(
            "the keyring did not answer within {} (D-Bus is hung, or the keyring is locked and \
             waiting for an unlock prompt)",
            seconds(timeout)
        ),
        fix: fix_locked_or_no_keyring(),
    }
}

/// The platform store could not be set up: say which part is missing.
pub(crate) fn unavailable_at_start(e: &keyring_core::Error) -> StoreError {
    let detail = e.to_string();
    let lower = detail.to_lowercase();
    let cause = if lower.contains("serviceunknown")
        || lower.contains("org.freedesktop.secrets")
        || lower.contains("not provided by any")
    {
        format!("no Secret Service on the D-Bus session bus ({detail})")
    } else if lower.contains("dbus session found")
        || lower.contains("address")
        || lower.contains("no such file")
        || lower.contains("connection refused")
    {
        format!("cannot reach a D-Bus session bus with a Secret Service ({detail})")
    } else {
        format!("the keyring could not be opened ({detail})")
    };
    StoreError::Unavailable {
        cause,
        fix: fix_no_keyring(),
    }
}

/// Translates a keyring error. Variants that carry secret bytes (`BadEncoding`,
/// `BadDataFormat`) are reported without them.
pub(crate) fn map_error(e: keyring_core::Error, name: &str) -> StoreError {
    use keyring_core::Error as K;
    match e {
        K::NoStorageAccess(detail) => StoreError::Unavailable {
            cause: format!(
                "the keyring is locked, has no default collection, or refused access ({detail})"
            ),
            fix: fix_locked(),
        },
        K::NoDefaultStore => StoreError::Unavailable {
            cause: "no keyring has been set up in this process".into(),
            fix: fix_no_keyring(),
        },
        K::PlatformFailure(detail) => StoreError::Backend(format!(
            "the keyring failed for {name:?}: {detail}; check that the keyring daemon is \
             running, then retry"
        )),
        K::BadEncoding(_) | K::BadDataFormat(..) => StoreError::Backend(format!(
            "the keyring item for {name:?} does not hold a token (not text); remove the item \
             and add the token again"
        )),
        K::Ambiguous(items) => StoreError::Backend(format!(
            "the keyring holds {} items for {name:?}; delete the extra ones (e.g. with seahorse \
             or `secret-tool clear service {SERVICE} username NAME`) and retry",
            items.len()
        )),
        K::TooLong(attr, limit) => StoreError::Backend(format!(
            "the keyring refused {name:?}: {attr} is longer than its limit of {limit}"
        )),
        K::Invalid(attr, reason) => {
            StoreError::Backend(format!("the keyring refused {name:?}: {attr} {reason}"))
        }
        K::NotSupportedByStore(what) => {
            StoreError::Backend(format!("the keyring does not support this: {what}"))
        }
        K::BadStoreFormat(what) => StoreError::Backend(format!(
            "the keyring's storage is damaged: {what}; repair it with the keyring's own tool"
        )),
        // Non-exhaustive: a future variant might carry data, so only its kind is shown.
        _ => StoreError::Backend(format!(
            "the keyring failed for {name:?} with an unexpected error; retry"
        )),
    }
}

pub(crate) fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
