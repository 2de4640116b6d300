//! Remembered secret keys: one keyring item per account, under its own service
//! (`<service>-accounts`, e.g. `actoken-accounts`) so they never mix with tokens, keyed by
//! [`Account::id`](super::Account::id) (`user@auth-host`).
//!
//! The [`SecretBackend`] contract carries secrets as [`Token`] (a redacted, zeroized string);
//! keys are converted at this boundary so that everything else sees them as `SecretString`.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::store::{SecretBackend, StoreError};
use crate::token::Token;

/// The keyring service for secret keys, derived from the tokens' service.
pub fn accounts_service(token_service: &str) -> String {
    format!("{token_service}-accounts")
}

/// Secret keys of remembered access-key logins.
#[derive(Clone)]
pub struct AccountKeys {
    backend: Arc<dyn SecretBackend>,
}

impl std::fmt::Debug for AccountKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountKeys")
            .field("backend", &self.backend.describe())
            .finish()
    }
}

impl AccountKeys {
    pub fn new(backend: Arc<dyn SecretBackend>) -> AccountKeys {
        AccountKeys { backend }
    }

    /// The remembered secret key of account `id`, if any. Calls may block (keyring).
    pub fn get(&self, id: &str) -> Result<Option<SecretString>, StoreError> {
        Ok(self
            .backend
            .get(id)?
            .map(|t| SecretString::from(t.expose().to_owned())))
    }

    /// Remembers `key` for `id` and reads it back, so a keyring that silently dropped it is
    /// reported now rather than at the next (unattended) re-login.
    pub fn set(&self, id: &str, key: &SecretString) -> Result<(), StoreError> {
        let as_token = Token::from_raw(key.expose_secret());
        self.backend.set(id, &as_token)?;
        match self.backend.get(id)? {
            Some(back) if back == as_token => Ok(()),
            _ => {
                let _ = self.backend.delete(id);
                Err(StoreError::Backend(format!(
                    "the keyring did not keep the secret key for {id:?}; check the keyring \
                     daemon and log in again (or use --no-remember)"
                )))
            }
        }
    }

    /// Forgets the key of `id`; forgetting a missing key is `Ok`.
    pub(crate) fn delete(&self, id: &str) -> Result<(), StoreError> {
        self.backend.delete(id)
    }

    /// Ids that have a remembered key, sorted.
    pub(crate) fn ids(&self) -> Result<Vec<String>, StoreError> {
        self.backend.names()
    }

    pub fn describe(&self) -> String {
        self.backend.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryBackend;

    #[test]
    fn set_get_delete_and_debug_is_redacted() {
        let mem = MemoryBackend::new();
        let keys = AccountKeys::new(Arc::new(mem.clone()));
        let key = SecretString::from("SK-very-secret".to_owned());
        keys.set("alice@api.example.com", &key).unwrap();
        assert_eq!(
            keys.get("alice@api.example.com")
                .unwrap()
                .unwrap()
                .expose_secret(),
            "SK-very-secret"
        );
        assert_eq!(keys.ids().unwrap(), ["alice@api.example.com"]);
        assert!(!format!("{keys:?}").contains("SK-very"));
        keys.delete("alice@api.example.com").unwrap();
        assert!(keys.get("alice@api.example.com").unwrap().is_none());
        keys.delete("alice@api.example.com").unwrap();
    }

    #[test]
    fn a_key_the_keyring_did_not_keep_is_an_error() {
        let mem = MemoryBackend::new();
        let keys = AccountKeys::new(Arc::new(mem.clone()));
        mem.garble_next_set();
        let err = keys
            .set("a@h", &SecretString::from("SK1".to_owned()))
            .unwrap_err();
        assert!(err.to_string().contains("did not keep"), "{err}");
        assert!(!err.to_string().contains("SK1"), "{err}");
        assert!(keys.get("a@h").unwrap().is_none());
        assert_eq!(accounts_service("actoken"), "actoken-accounts");
    }
}
