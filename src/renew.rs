//! The renewal workflow: lock, re-read, call, verify, save, read back — and never lose a token.
//!
//! The platform may invalidate the old token when it issues a new one, so from the moment the
//! server answers, the new token is the only live credential. It is saved with retries; if the
//! store still refuses, it is written to a 0600 rescue file and handed back to the caller inside
//! the error, so no path through here drops it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};

use crate::api::{AcClient, ApiError};
use crate::config::Config;
use crate::login::Relogin;
use crate::rescue;
use crate::store::{Store, StoreError, TokenLock};
use crate::token::{Phase, Token};

/// How long to wait for another process that is renewing the same token.
const LOCK_WAIT: Duration = Duration::from_secs(30);
/// Attempts to save a renewed token before falling back to the rescue file.
const SAVE_ATTEMPTS: u32 = 3;

/// When a renewal should actually call the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Renew whatever the current expiry.
    Always,
    /// Renew only if the token expires within this window (checked again under the lock,
    /// so a token another process just renewed is left alone).
    ExpiringWithin(SignedDuration),
}

/// A successful outcome.
#[derive(Debug, Clone)]
pub struct Renewed {
    pub name: String,
    pub old_expiry: Option<Timestamp>,
    pub new_expiry: Timestamp,
    /// The token now stored (the new one, or the current one if no renewal was needed).
    pub token: Token,
    /// False when the token was already fresh enough (possibly renewed by another process).
    pub called_server: bool,
    /// True when the token was dead or rejected and came from a new login with the account's
    /// remembered secret key (see [`crate::login::Relogin`]); front ends say so.
    pub via_login: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RenewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{name}: {source}")]
    Api { name: String, source: ApiError },
    #[error(
        "{name}: the token expired {expired}, more than the renew grace ago, so it can no longer be renewed; get a new token (e.g. `actoken login`, then it is stored again)"
    )]
    Dead { name: String, expired: String },
    #[error(
        "{name}: the server rejected the token ({source}); it cannot be renewed, get a new token (e.g. `actoken login`)"
    )]
    Rejected { name: String, source: ApiError },
    #[error(
        "{name}: the stored token cannot be decoded ({reason}); replace it with `actoken add {name} --force`"
    )]
    Invalid { name: String, reason: String },
    #[error(
        "{name}: the server returned a token that does not expire later than the old one ({new} ≤ {old}); the stored token was kept"
    )]
    NotLater {
        name: String,
        old: Timestamp,
        new: Timestamp,
    },
    #[error("{name}: timed out waiting for another actoken process that is renewing this token")]
    LockTimeout { name: String },
    /// Dead or rejected, and no remembered secret key could get a new token.
    #[error("{name}: {why}; get a new token (and the account's other regions) with `{command}`")]
    NeedsLogin {
        name: String,
        why: String,
        /// The `actoken login ...` command to run (no secret in it).
        command: String,
    },
    /// Dead or rejected; logging in again with the remembered key failed for another reason
    /// than a refusal (network, keyring), so retrying later may help.
    #[error("{name}: the token is dead or rejected, and logging in again failed: {error}")]
    Relogin {
        name: String,
        error: crate::login::LoginError,
    },
    /// The new token exists only in memory (and the rescue file, if it could be written).
    #[error("{name}: renewed, but the new token could not be saved to the keyring ({source}). {}", rescue_hint(.rescue_file))]
    SaveFailed {
        name: String,
        source: StoreError,
        token: Token,
        rescue_file: Option<PathBuf>,
    },
}

fn rescue_hint(file: &Option<PathBuf>) -> String {
    match file {
        Some(path) => format!(
            "It was written to {} (mode 0600): restore it with `actoken add NAME --force < {}` and then delete the file",
            path.display(),
            path.display()
        ),
        None => {
            "The rescue file could not be written either: copy the token now before closing actoken"
                .to_owned()
        }
    }
}

impl RenewError {
    /// True when only a fresh token (login) can help: retrying a renewal is pointless.
    pub fn needs_new_token(&self) -> bool {
        matches!(
            self,
            RenewError::Dead { .. } | RenewError::Rejected { .. } | RenewError::NeedsLogin { .. }
        )
    }
}

/// Renews tokens in a store through one shared HTTP client.
#[derive(Clone)]
pub struct Renewer {
    store: Store,
    client: AcClient,
    grace: SignedDuration,
    concurrency: usize,
    /// When set, dead or rejected tokens are brought back by logging in again.
    relogin: Option<Relogin>,
}

impl Renewer {
    pub fn new(store: Store, client: AcClient, config: &Config) -> Renewer {
        Renewer {
            store,
            client,
            grace: config.renew_grace,
            concurrency: config.concurrency.max(1),
            relogin: None,
        }
    }

    /// Lets this renewer log in again (with the owning account's remembered secret key) when
    /// a token is dead or rejected, instead of failing.
    pub fn with_relogin(mut self, relogin: Relogin) -> Renewer {
        self.relogin = Some(relogin);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Renews one token. `now` is the caller's clock reading, used for phase checks.
    pub async fn renew(
        &self,
        name: &str,
        when: When,
        now: Timestamp,
    ) -> Result<Renewed, RenewError> {
        let lock = self.lock(name).await?;
        let result = match (self.renew_locked(name, when, now).await, &self.relogin) {
            (Err(e), Some(relogin)) if e.needs_new_token() => {
                relogin
                    .recover(&self.store, &self.client, name, e, now)
                    .await
            }
            (result, _) => result,
        };
        drop(lock);
        result
    }

    /// Renews several tokens, at most `concurrency` at once; results in completion order.
    pub async fn renew_many(
        &self,
        names: Vec<String>,
        when: When,
        now: Timestamp,
    ) -> Vec<(String, Result<Renewed, RenewError>)> {
        let this = Arc::new(self.clone());
        futures::stream::iter(names)
            .map(|name| {
                let this = Arc::clone(&this);
                async move {
                    let result = this.renew(&name, when, now).await;
                    (name, result)
                }
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await
    }

    async fn lock(&self, name: &str) -> Result<TokenLock, RenewError> {
        let paths = self.store.paths().clone();
        let owned = name.to_owned();
        let acquired =
            tokio::task::spawn_blocking(move || TokenLock::acquire(&paths, &owned, LOCK_WAIT))
                .await
                .expect("lock task panicked");
        acquired.map_err(|e| match e {
            StoreError::LockTimeout { .. } => RenewError::LockTimeout {
                name: name.to_owned(),
            },
            other => RenewError::Store(other),
        })
    }

    async fn renew_locked(
        &self,
        name: &str,
        when: When,
        now: Timestamp,
    ) -> Result<Renewed, RenewError> {
        // Read under the lock: another process may have renewed it while we waited.
        let (meta, current) = self.blocking_get(name).await?;
        let decoded = current.decode().map_err(|e| RenewError::Invalid {
            name: name.to_owned(),
            reason: e.to_string(),
        })?;
        let Some(life) = decoded.lifetime(self.grace) else {
            return Err(RenewError::Invalid {
                name: name.to_owned(),
                reason: "it has no expireTime".to_owned(),
            });
        };
        if let When::ExpiringWithin(window) = when
            && life.to_expiry(now) > window
        {
            {
                return Ok(Renewed {
                    name: name.to_owned(),
                    old_expiry: Some(life.expires_at),
                    new_expiry: life.expires_at,
                    token: current,
                    called_server: false,
                    via_login: false,
                });
            }
        }
        if life.phase(now) == Phase::Dead {
            return Err(RenewError::Dead {
                name: name.to_owned(),
                expired: crate::timefmt::relative(life.to_expiry(now)),
            });
        }

        let fresh = self
            .client
            .renew(&meta.base_url, &current)
            .await
            .map_err(|source| {
                if source.token_rejected() {
                    RenewError::Rejected {
                        name: name.to_owned(),
                        source,
                    }
                } else {
                    RenewError::Api {
                        name: name.to_owned(),
                        source,
                    }
                }
            })?;

        // From here on `fresh` may be the only valid credential: every exit path keeps it.
        let new_expiry = fresh.decode().ok().and_then(|d| d.claims.expire_time);
        let new_expiry = match new_expiry {
            Some(t) if t > life.expires_at => t,
            other => {
                return Err(RenewError::NotLater {
                    name: name.to_owned(),
                    old: life.expires_at,
                    new: other.unwrap_or(Timestamp::UNIX_EPOCH),
                });
            }
        };
        self.save_or_rescue(name, &fresh, now).await?;
        Ok(Renewed {
            name: name.to_owned(),
            old_expiry: Some(life.expires_at),
            new_expiry,
            token: fresh,
            called_server: true,
            via_login: false,
        })
    }

    async fn save_or_rescue(
        &self,
        name: &str,
        fresh: &Token,
        now: Timestamp,
    ) -> Result<(), RenewError> {
        let mut last_error = None;
        for attempt in 0..SAVE_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            let store = self.store.clone();
            let (owned_name, token) = (name.to_owned(), fresh.clone());
            let saved =
                tokio::task::spawn_blocking(move || store.replace_token(&owned_name, &token, now))
                    .await
                    .expect("save task panicked");
            match saved {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::warn!(name, attempt, error = %e, "saving renewed token failed");
                    last_error = Some(e);
                }
            }
        }
        let rescue_file = rescue::write(&self.store.paths().rescue_dir(), name, fresh, now).ok();
        Err(RenewError::SaveFailed {
            name: name.to_owned(),
            source: last_error.expect("at least one attempt"),
            token: fresh.clone(),
            rescue_file,
        })
    }

    async fn blocking_get(
        &self,
        name: &str,
    ) -> Result<(crate::store::EntryMeta, Token), RenewError> {
        let store = self.store.clone();
        let owned = name.to_owned();
        Ok(tokio::task::spawn_blocking(move || store.get(&owned))
            .await
            .expect("store task panicked")?)
    }
}
