//! Choosing the secret store: the one the user named, or for `auto` the Secret Service when it
//! answers and is unlocked, else (Linux) the kernel keyring.

use std::sync::Arc;
use std::time::Duration;

use super::{
    KeyringBackend, KeyutilsBackend, LazyKeyring, SecretBackend, StoreChoice, StoreError,
    StoreKind, accounts_service,
};

/// The store in use and why.
#[derive(Clone)]
pub struct Selected {
    pub kind: StoreKind,
    pub backend: Arc<dyn SecretBackend>,
    /// For people: "auto: the Secret Service answers and is unlocked", ...
    pub reason: String,
    /// Set when `auto` passed over the Secret Service: why it was not usable.
    pub passed_over: Option<String>,
}

impl std::fmt::Debug for Selected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selected")
            .field("kind", &self.kind)
            .field("reason", &self.reason)
            .finish()
    }
}

/// Opens store `kind` under `service` (the Secret Service probe is bounded by `timeout`).
pub fn open_backend(
    kind: StoreKind,
    service: &str,
    timeout: Duration,
) -> Result<Arc<dyn SecretBackend>, StoreError> {
    Ok(match kind {
        StoreKind::SecretService => Arc::new(KeyringBackend::with_service(service, timeout)?),
        StoreKind::Keyutils => Arc::new(KeyutilsBackend::with_service(service)?),
    })
}

/// Store `kind`'s namespace for the remembered secret keys of `service`.
pub fn open_accounts_backend(
    kind: StoreKind,
    service: &str,
    timeout: Duration,
) -> Result<Arc<dyn SecretBackend>, StoreError> {
    let service = accounts_service(service);
    Ok(match kind {
        // Opened on first use (see LazyKeyring): most runs never need a remembered key.
        StoreKind::SecretService => Arc::new(LazyKeyring::new(&service, timeout)),
        StoreKind::Keyutils => open_backend(kind, &service, timeout)?,
    })
}

/// Applies `choice` (which came from `source`, e.g. "--store", "the config file").
pub fn select(
    choice: StoreChoice,
    source: &str,
    service: &str,
    timeout: Duration,
) -> Result<Selected, StoreError> {
    if let Some(kind) = choice.fixed() {
        return Ok(Selected {
            kind,
            backend: open_backend(kind, service, timeout)?,
            reason: format!("{source} asks for {kind}"),
            passed_over: None,
        });
    }
    let ss_error = match open_backend(StoreKind::SecretService, service, timeout) {
        Ok(backend) => {
            return Ok(Selected {
                kind: StoreKind::SecretService,
                backend,
                reason: format!(
                    "store = auto ({source}): the Secret Service answers and is unlocked"
                ),
                passed_over: None,
            });
        }
        Err(e) => e,
    };
    if !cfg!(target_os = "linux") {
        return Err(ss_error);
    }
    match open_backend(StoreKind::Keyutils, service, timeout) {
        Ok(backend) => Ok(Selected {
            kind: StoreKind::Keyutils,
            backend,
            reason: format!(
                "store = auto ({source}): the Secret Service is not usable, so the kernel keyring"
            ),
            passed_over: Some(short_cause(&ss_error)),
        }),
        // Neither works: the Secret Service's error says more about a desktop-less machine's
        // way forward, and the kernel keyring's cause is added.
        Err(ku_error) => Err(match ss_error {
            StoreError::Unavailable { cause, fix } => StoreError::Unavailable {
                cause: format!("{cause}; the kernel keyring cannot be used either ({ku_error})"),
                fix,
            },
            other => other,
        }),
    }
}

/// The first line of a store error, without the advice that follows.
pub fn short_cause(e: &StoreError) -> String {
    match e {
        StoreError::Unavailable { cause, .. } => cause.clone(),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}
