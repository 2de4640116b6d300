//! Where secrets are kept: the contract every secret backend (OS keyring, memory) fulfils.

use std::time::Duration;

use super::StoreError;
use crate::token::Token;

/// A place that maps token names to secrets. Calls may block (the OS keyring talks D-Bus), so
/// async callers run them on a blocking thread.
pub trait SecretBackend: Send + Sync {
    /// The secret stored under `name`; `Ok(None)` when there is none.
    fn get(&self, name: &str) -> Result<Option<Token>, StoreError>;
    /// Stores (creates or replaces) the secret under `name`.
    fn set(&self, name: &str, token: &Token) -> Result<(), StoreError>;
    /// Deletes the secret under `name`; deleting a missing secret is `Ok`.
    fn delete(&self, name: &str) -> Result<(), StoreError>;
    /// Every name this backend holds a secret for, sorted.
    fn names(&self) -> Result<Vec<String>, StoreError>;
    /// How many secrets this backend holds; may count an item `names` leaves out (such as a
    /// probe item another process is writing), never fewer. Backends that can count without
    /// reading every item's attributes override this.
    fn count(&self) -> Result<usize, StoreError> {
        self.names().map(|names| names.len())
    }
    /// Where the secrets are, for people: "Secret Service (service actoken)", "memory", ...
    fn describe(&self) -> String;

    /// How long one call may wait, when the backend bounds its own calls (the config's
    /// `keyring-timeout`); async callers' deadlines are made of it (see [`super::Door`]).
    fn call_timeout(&self) -> Option<Duration> {
        None
    }

    /// The secrets of `names`, in the same order. Backends that can read many at once
    /// override this; the default asks one by one and, once the backend as a whole fails
    /// (unavailable, timed out), gives the remaining names the same error without asking
    /// again, so a hung keyring costs one timeout, not one per token.
    fn get_many(&self, names: &[String]) -> Vec<Result<Option<Token>, StoreError>> {
        get_each(self, names)
    }
}

/// [`SecretBackend::get_many`] one `get` at a time, stopping at a whole-backend failure.
pub(crate) fn get_each<B: SecretBackend + ?Sized>(
    backend: &B,
    names: &[String],
) -> Vec<Result<Option<Token>, StoreError>> {
    let mut dead: Option<StoreError> = None;
    names
        .iter()
        .map(|name| match &dead {
            Some(e) => Err(e.again()),
            None => backend.get(name).inspect_err(|e| {
                if e.is_unavailable() {
                    dead = Some(e.again());
                }
            }),
        })
        .collect()
}
