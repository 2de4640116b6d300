//! [`LazyKeyring`]: the OS keyring opened on first use.
//!
//! Opening a keyring service probes it, and a service with no items yet is probed by writing
//! and deleting an item (two writes; gnome-keyring rewrites its whole collection file on
//! each). The remembered-logins service is empty for most users and needed only when a token
//! must be brought back by logging in again, yet every `renew` and dashboard start opened it.

use std::sync::OnceLock;
use std::time::Duration;

use super::KeyringBackend;
use crate::store::{SecretBackend, StoreError};
use crate::token::Token;

/// A [`KeyringBackend`] for `service`, opened (and probed) by the first call that needs it.
/// An open that fails is remembered: later calls get the same error without waiting again.
pub struct LazyKeyring {
    service: String,
    timeout: Duration,
    opened: OnceLock<Result<KeyringBackend, StoreError>>,
}

impl LazyKeyring {
    pub fn new(service: &str, timeout: Duration) -> LazyKeyring {
        LazyKeyring {
            service: service.to_owned(),
            timeout,
            opened: OnceLock::new(),
        }
    }

    fn backend(&self) -> Result<&KeyringBackend, StoreError> {
        self.opened
            .get_or_init(|| KeyringBackend::with_service(&self.service, self.timeout))
            .as_ref()
            .map_err(StoreError::again)
    }
}

impl SecretBackend for LazyKeyring {
    fn get(&self, name: &str) -> Result<Option<Token>, StoreError> {
        self.backend()?.get(name)
    }

    fn set(&self, name: &str, token: &Token) -> Result<(), StoreError> {
        self.backend()?.set(name, token)
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.backend()?.delete(name)
    }

    fn names(&self) -> Result<Vec<String>, StoreError> {
        self.backend()?.names()
    }

    fn count(&self) -> Result<usize, StoreError> {
        self.backend()?.count()
    }

    fn get_many(&self, names: &[String]) -> Vec<Result<Option<Token>, StoreError>> {
        match self.backend() {
            Ok(backend) => backend.get_many(names),
            Err(e) => names.iter().map(|_| Err(e.again())).collect(),
        }
    }

    fn call_timeout(&self) -> Option<Duration> {
        Some(self.timeout)
    }

    fn describe(&self) -> String {
        super::describe(&self.service)
    }
}
