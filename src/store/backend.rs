//! Where secrets are kept: the contract every secret backend (OS keyring, memory) fulfils.

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
    /// Where the secrets are, for people: "Secret Service (service actoken)", "memory", ...
    fn describe(&self) -> String;
}
