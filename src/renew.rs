//! The renewal workflow: lock, re-read, call, verify, save, read back — and never lose a token.
//!
//! The platform may invalidate the old token when it issues a new one, so from the moment the
//! server answers, the new token is the only live credential. It is saved with retries; if the
//! store still refuses, it is written to a 0600 rescue file and handed back to the caller inside
//! the error (which shows it to the user when not even the file could be written: see
//! [`RenewError::unkept`]), so no path through here drops it. A token of another user or
//! region than the one renewed is not the user's: it is refused, and the stored one kept.

mod batch;
mod words;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use jiff::{SignedDuration, Timestamp};

use crate::api::{AcClient, ApiError};
use crate::config::Config;
use crate::rescue::{self, Kept};
use crate::store::{Door, Saved, Store, StoreError, Superseded, TokenLock};

use crate::token::identity::{Identity, Mismatch};
use crate::token::{Phase, Token};
use batch::{Batch, Pending};

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
    /// remembered secret key (see [`ReloginHook`]); front ends say so.
    pub via_login: bool,
}

/// Why a renewal failed; shown in the interface language (see `words`).
#[derive(Debug)]
pub enum RenewError {
    Store(StoreError),
    Api {
        name: String,
        source: ApiError,
    },
    Dead {
        name: String,
        expired: String,
    },
    Rejected {
        name: String,
        source: ApiError,
    },
    Invalid {
        name: String,
        reason: String,
    },
    NotLater {
        name: String,
        old: Timestamp,
        new: Timestamp,
        /// The server may have retired the old token when it issued this one, so it is kept
        /// (here and in a rescue file) rather than dropped.
        token: Token,
        kept: Kept,
    },
    /// The server answered with a token of another user or region: not stored, not kept.
    Foreign {
        name: String,
        base_url: String,
        mismatch: Mismatch,
    },
    LockTimeout {
        name: String,
    },
    /// Dead or rejected, and no remembered secret key could get a new token.
    NeedsLogin {
        name: String,
        why: String,
        /// The `actoken login ...` command to run (no secret in it).
        command: String,
    },
    /// Dead or rejected; logging in again with the remembered key failed for another reason
    /// than a refusal (network, keyring), so retrying later may help.
    Relogin {
        name: String,
        /// The hook's own error (`login::LoginError` for actoken's), kept whole so that exit
        /// codes can still tell a network failure from a keyring one.
        error: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The new token exists only in memory (and where `kept` says).
    SaveFailed {
        name: String,
        source: StoreError,
        token: Token,
        kept: Kept,
    },
    /// Removed or replaced (`rm`, `add --force`) while it was being renewed: that change
    /// stands, and the renewed token is kept in a rescue file rather than dropped.
    Superseded {
        name: String,
        how: Superseded,
        token: Token,
        rescue_file: Option<std::path::PathBuf>,
    },
    /// Not tried: the batch stopped starting renewals once the keyring could not save one
    /// (`reason`, the keyring's error).
    NotAttempted {
        name: String,
        reason: String,
    },
}

impl RenewError {
    /// True when only a fresh token (login) can help: retrying a renewal is pointless.
    pub(crate) fn needs_new_token(&self) -> bool {
        matches!(
            self,
            RenewError::Dead { .. } | RenewError::Rejected { .. } | RenewError::NeedsLogin { .. }
        )
    }

    /// The issued token this error holds that no rescue file took, with the place to record
    /// where the front end showed it instead (its message then says so).
    pub(crate) fn unkept(&mut self) -> Option<(&str, &Token, &mut Kept)> {
        match self {
            RenewError::NotLater {
                name, token, kept, ..
            }
            | RenewError::SaveFailed {
                name, token, kept, ..
            } if *kept == Kept::Nowhere => Some((name.as_str(), &*token, kept)),
            _ => None,
        }
    }
}

/// The expiry of a token the server issued in renewal of one expiring at `old`, when it is
/// a token that counts as the renewal: it decodes and expires later. Else what it says.
pub(crate) fn later_expiry(fresh: &Token, old: Timestamp) -> Result<Timestamp, Option<Timestamp>> {
    match fresh.decode().ok().and_then(|d| d.claims.expire_time) {
        Some(t) if t > old => Ok(t),
        other => Err(other),
    }
}

/// How a renewer brings back a token that only a new login can fix. Owned here so that the
/// workflow does not depend on how logins work; `login::Relogin` is actoken's implementation.
pub(crate) trait ReloginHook: Send + Sync {
    /// Called with the token's lock held, when renewing `name` failed with a `failure` that
    /// only a new token can fix ([`RenewError::needs_new_token`]). Returns the fresh token
    /// (stored), or an error that says what to do.
    fn recover<'a>(
        &'a self,
        store: &'a Store,
        client: &'a AcClient,
        name: &'a str,
        failure: RenewError,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Renewed, RenewError>>;
}

/// Renews tokens in a store through one shared HTTP client.
#[derive(Clone)]
pub struct Renewer {
    /// The store, reached from async code through its door (deadline, typed errors).
    door: Door,
    client: AcClient,
    grace: SignedDuration,
    concurrency: usize,
    /// When set, dead or rejected tokens are brought back by logging in again.
    relogin: Option<Arc<dyn ReloginHook>>,
    /// Inside [`Renewer::renew_many`]: what the batch's renewals share (see `batch`).
    batch: Option<Arc<Batch>>,
}

impl Renewer {
    pub fn new(store: Store, client: AcClient, config: &Config) -> Renewer {
        Renewer {
            door: store.door(),
            client,
            grace: config.renew_grace,
            concurrency: config.concurrency.max(1),
            relogin: None,
            batch: None,
        }
    }

    /// Lets this renewer log in again (with the owning account's remembered secret key) when
    /// a token is dead or rejected, instead of failing.
    pub(crate) fn with_relogin(mut self, relogin: impl ReloginHook + 'static) -> Renewer {
        self.relogin = Some(Arc::new(relogin));
        self
    }

    /// How long after expiry a token can still be renewed.
    pub(crate) fn grace(&self) -> SignedDuration {
        self.grace
    }

    pub(crate) fn store(&self) -> &Store {
        self.door.store()
    }

    /// The store for async callers (the renewer's own door).
    pub(crate) fn door(&self) -> &Door {
        &self.door
    }

    /// How many renewals may run at once (`concurrency` in the config).
    pub(crate) fn concurrency(&self) -> usize {
        self.concurrency
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
            (Err(e), Some(relogin)) if e.needs_new_token() => match self.request_slot(name).await {
                Ok(_slot) => {
                    relogin
                        .recover(self.door.store(), &self.client, name, e, now)
                        .await
                }
                Err(not_attempted) => Err(not_attempted),
            },
            (result, _) => result,
        };
        match (&self.batch, &result) {
            // Held until the batch's index write describes the new token (at once when a
            // renewal of the batch waits for a lock).
            (Some(batch), Ok(renewed)) if renewed.called_server => {
                if let Some(due) = batch.hold(lock) {
                    self.record(due).await;
                }
            }
            _ => drop(lock),
        }
        result
    }

    /// Renews several tokens, at most `concurrency` requests at once; results in completion
    /// order.
    ///
    /// Once the keyring cannot save a renewed token (after its retries), the renewals not
    /// started yet are [`RenewError::NotAttempted`].
    ///
    /// The secrets are read in one batch up front (see `Prefetched`: under each token's lock
    /// a `stat` of the index tells whether that read is still current). Each renewed token is
    /// in the keyring before its renewal counts as done; the index learns of them in one
    /// atomic write at the end (one per `batch::RECORD_EVERY` for very large batches), and
    /// each token's lock is held until then. If that write fails (or the process dies
    /// first), the keyring still holds every new token and the index corrects itself on the
    /// next read of each (fingerprints differ; see `Store::get`).
    pub async fn renew_many(
        &self,
        names: Vec<String>,
        when: When,
        now: Timestamp,
    ) -> Vec<(String, Result<Renewed, RenewError>)> {
        // The first requests go out as soon as their own secrets are read.
        let (first, later) = names.split_at(self.concurrency.max(1).min(names.len()));
        let first = batch::prefetch(&self.door, first.to_vec()).await;
        let batch = Arc::new(Batch::new(first, later.to_vec(), self.concurrency));
        let this = Arc::new(Renewer {
            batch: Some(Arc::clone(&batch)),
            ..self.clone()
        });
        // Locks and keyring work run ahead of the request slots (bounded: one lock file
        // each), so a slot never waits for them.
        let results = futures::stream::iter(names)
            .map(|name| {
                let this = Arc::clone(&this);
                async move {
                    let result = match this.batch.as_ref().and_then(|b| b.stopped()) {
                        Some(reason) => Err(RenewError::NotAttempted {
                            name: name.clone(),
                            reason,
                        }),
                        None => this.renew(&name, when, now).await,
                    };
                    (name, result)
                }
            })
            .buffer_unordered(self.concurrency.saturating_mul(4).max(1))
            .collect()
            .await;
        self.record(batch.take()).await;
        results
    }

    /// A request slot when inside a batch (a single renewal needs none), once no save of the
    /// batch is failing; [`RenewError::NotAttempted`] when the batch stopped.
    async fn request_slot(
        &self,
        name: &str,
    ) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, RenewError> {
        let Some(batch) = &self.batch else {
            return Ok(None);
        };
        let slot = batch.request_slot().await;
        match batch.may_send().await {
            Ok(()) => Ok(slot),
            Err(reason) => Err(RenewError::NotAttempted {
                name: name.to_owned(),
                reason,
            }),
        }
    }

    /// Writes the index entries of tokens already saved in the keyring, then lets their
    /// locks go. A failure loses nothing (the keyring has the tokens), so it is only
    /// reported.
    async fn record(&self, pending: Pending) {
        let Pending { saved, locks } = pending;
        self.record_saved(saved).await;
        drop(locks);
    }

    async fn record_saved(&self, saved: Vec<Saved>) {
        if saved.is_empty() {
            return;
        }
        if let Err(e) = self.door.record(saved).await {
            tracing::warn!(
                error = %e,
                "renewed tokens are saved in the keyring, but the index could not be updated; \
                 it corrects itself the next time each token is read"
            );
        }
    }

    /// The token's renewal lock. In a batch, never waited for while the batch holds others
    /// (see `batch`): taken at once if free, else after letting go of what the batch holds.
    async fn lock(&self, name: &str) -> Result<TokenLock, RenewError> {
        let Some(batch) = &self.batch else {
            return self.lock_within(name, LOCK_WAIT).await;
        };
        match self.lock_within(name, Duration::ZERO).await {
            Err(RenewError::LockTimeout { .. }) => {}
            taken_or_failed => return taken_or_failed,
        }
        let (_waiting, held) = batch.start_waiting();
        self.record(held).await;
        self.lock_within(name, LOCK_WAIT).await
    }

    async fn lock_within(&self, name: &str, wait: Duration) -> Result<TokenLock, RenewError> {
        self.door.lock(name, wait).await.map_err(|e| match e {
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
        // Read under the lock: another process may have renewed it while we waited (the
        // batch's read counts if the index shows no write since).
        let prefetched = match &self.batch {
            Some(batch) => batch.current(&self.door, name).await,
            None => None,
        };
        let (meta, current) = match prefetched {
            Some(read) => read,
            None => self.door.get(name).await?,
        };
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

        let slot = self.request_slot(name).await?;
        let fresh = self.client.renew(&meta.base_url, &current).await;
        // The keyring write below overlaps the next request.
        drop(slot);
        let fresh = fresh.map_err(|source| {
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

        // Another user's or region's token is not a renewal of this one: never stored under
        // this name (the user's jobs would run in someone else's account), nor kept.
        if let Err(mismatch) = Identity::of(&current).admits(&fresh) {
            return Err(RenewError::Foreign {
                name: name.to_owned(),
                base_url: meta.base_url.clone(),
                mismatch,
            });
        }
        // From here on `fresh` may be the only valid credential: every exit path keeps it.
        let new_expiry = match later_expiry(&fresh, life.expires_at) {
            Ok(t) => t,
            Err(other) => {
                let kept = rescue::keep(&self.store().paths().rescue_dir(), name, &fresh, now);
                return Err(RenewError::NotLater {
                    name: name.to_owned(),
                    old: life.expires_at,
                    new: other.unwrap_or(Timestamp::UNIX_EPOCH),
                    token: fresh,
                    kept,
                });
            }
        };
        self.save_or_rescue(name, &fresh, &current, now).await?;
        Ok(Renewed {
            name: name.to_owned(),
            old_expiry: Some(life.expires_at),
            new_expiry,
            token: fresh,
            called_server: true,
            via_login: false,
        })
    }

    /// One keyring write (retried), then the index: at once, or with the rest of the batch.
    async fn save_or_rescue(
        &self,
        name: &str,
        fresh: &Token,
        old: &Token,
        now: Timestamp,
    ) -> Result<(), RenewError> {
        let mut last_error = None;
        // While a save is failing, the batch sends no new request (see `batch`).
        let mut trouble = None;
        for attempt in 0..SAVE_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            match self.door.put_secret(name, fresh, old).await {
                Ok(Err(how)) => {
                    // Removed or replaced by the user meanwhile: theirs stands.
                    let rescue_file =
                        rescue::write(&self.store().paths().rescue_dir(), name, fresh, now).ok();
                    return Err(RenewError::Superseded {
                        name: name.to_owned(),
                        how,
                        token: fresh.clone(),
                        rescue_file,
                    });
                }
                Ok(Ok(())) => {
                    let saved = Saved::new(name, old, fresh, now);
                    match &self.batch {
                        Some(batch) => {
                            if let Some(due) = batch.saved(saved) {
                                self.record(due).await;
                            }
                        }
                        None => self.record_saved(vec![saved]).await,
                    }
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(name, attempt, error = %e, "saving renewed token failed");
                    if trouble.is_none() {
                        trouble = self.batch.as_ref().map(|batch| batch.save_failing());
                    }
                    last_error = Some(e);
                }
            }
        }
        let source = last_error.expect("at least one attempt");
        if let Some(trouble) = trouble {
            trouble.give_up(source.to_string());
        }
        let kept = rescue::keep(&self.store().paths().rescue_dir(), name, fresh, now);
        Err(RenewError::SaveFailed {
            name: name.to_owned(),
            source,
            token: fresh.clone(),
            kept,
        })
    }
}

#[cfg(test)]
mod tests {
    //! The workflow against a real loopback mock and an in-memory keyring that can be told to
    //! fail: every test checks what the store holds afterwards, not just the returned value.

    use super::*;
    use crate::api::ClientOptions;
    use crate::config::Paths;
    use crate::mock::{Fault, MintSpec, MockServer, mint};
    use std::path::PathBuf;
    use std::sync::Mutex;

    use crate::store::{EntryMeta, MemoryBackend, SecretBackend};

    struct World {
        _dir: tempfile::TempDir,
        paths: Paths,
        backend: MemoryBackend,
        mock: MockServer,
        renewer: Renewer,
    }

    async fn world(concurrency: usize) -> World {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let backend = MemoryBackend::new();
        let store = Store::open(&paths, Arc::new(backend.clone())).unwrap();
        let mock = MockServer::on_loopback().await.unwrap();
        let client = AcClient::new(&ClientOptions::default()).unwrap();
        let config = Config {
            concurrency,
            ..Config::default()
        };
        World {
            _dir: dir,
            paths,
            backend,
            renewer: Renewer::new(store, client, &config),
            mock,
        }
    }

    impl World {
        /// `count` tokens named `prefix0`, `prefix1`, …, each expiring in an hour; their names.
        fn add_each(&self, prefix: &str, count: usize) -> Vec<String> {
            let names: Vec<String> = (0..count).map(|i| format!("{prefix}{i}")).collect();
            for name in &names {
                self.add(name, hours(1));
            }
            names
        }

        /// Stores a mock-signed token expiring `expires_in` from now; returns it.
        fn add(&self, name: &str, expires_in: SignedDuration) -> Token {
            let token = mint(&MintSpec::new(
                "alice",
                "11112",
                Timestamp::now() + expires_in,
            ));
            let meta = EntryMeta::new(name, self.mock.base_url(), Timestamp::now());
            self.renewer.store().add(meta, &token, false).unwrap();
            token
        }

        fn held(&self, name: &str) -> Option<Token> {
            self.backend.get(name).unwrap()
        }

        fn rescue_files(&self) -> Vec<PathBuf> {
            match std::fs::read_dir(self.paths.rescue_dir()) {
                Ok(dir) => dir.map(|e| e.unwrap().path()).collect(),
                Err(_) => Vec::new(),
            }
        }
    }

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    #[tokio::test]
    async fn renewal_saves_a_later_token_and_records_renewed_at() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let old = w.add("east", hours(1));
        let now = Timestamp::now();
        let r = w.renewer.renew("east", When::Always, now).await.unwrap();
        assert!(r.called_server);
        assert_ne!(r.token, old);
        assert!(r.new_expiry > r.old_expiry.unwrap());
        assert_eq!(w.held("east"), Some(r.token.clone()));
        assert_eq!(
            w.renewer.store().meta("east").unwrap().renewed_at,
            Some(now)
        );
        assert_eq!(w.mock.renew_count(), 1);
        assert!(w.rescue_files().is_empty());
    }

    #[tokio::test]
    async fn save_failing_once_is_retried_and_leaves_no_rescue_file() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let old = w.add("east", hours(1));
        w.backend.fail_next_set("keyring hiccup");
        let r = w
            .renewer
            .renew("east", When::Always, Timestamp::now())
            .await
            .unwrap();
        assert_ne!(r.token, old);
        assert_eq!(w.held("east"), Some(r.token), "retry did not save it");
        assert!(w.rescue_files().is_empty(), "{:?}", w.rescue_files());
        assert_eq!(w.mock.renew_count(), 1, "a save retry must not renew again");
    }

    #[tokio::test]
    async fn save_always_failing_hands_back_the_token_and_a_private_rescue_file() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let old = w.add("east", hours(1));
        w.backend.fail_all_sets(true);
        let err = w
            .renewer
            .renew("east", When::Always, Timestamp::now())
            .await
            .unwrap_err();
        let RenewError::SaveFailed {
            name,
            token,
            kept: Kept::File(file),
            ..
        } = &err
        else {
            panic!("expected SaveFailed with a rescue file, got {err:?}");
        };
        assert_eq!(name, "east");
        assert_ne!(*token, old);
        token
            .decode()
            .expect("the handed-back token is the real one");
        assert_eq!(w.rescue_files(), vec![file.clone()]);
        assert_eq!(
            std::fs::read_to_string(file).unwrap().trim(),
            token.expose()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The store still holds a complete token: the old one (the failed writes changed nothing).
        assert_eq!(w.held("east"), Some(old));
        // The message says where the token is and how to restore it, but never the token.
        let msg = err.to_string();
        assert!(msg.contains(&file.display().to_string()), "{msg}");
        assert!(msg.contains("actoken add"), "{msg}");
        assert!(!msg.contains(token.expose()), "{msg}");
        assert!(!format!("{err:?}").contains(token.expose()));
        assert!(!err.needs_new_token());
    }

    #[tokio::test]
    async fn half_done_or_garbled_writes_are_undone_and_retried() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        w.add("east", hours(1));
        // A write that stores a damaged value and fails: the store puts the old one back, the
        // retry saves the new one.
        w.backend.fail_next_set_partially("interrupted");
        let r = w
            .renewer
            .renew("east", When::Always, Timestamp::now())
            .await
            .unwrap();
        assert_eq!(w.held("east"), Some(r.token.clone()));
        assert!(w.rescue_files().is_empty());
        assert_eq!(w.mock.renew_count(), 1);
        // The index describes what the keyring holds.
        let facts = w.renewer.store().meta("east").unwrap().facts.unwrap();
        assert!(facts.describes(&r.token));
    }

    #[tokio::test]
    async fn a_renewal_costs_one_keyring_read_and_one_write() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        w.add("east", hours(1));
        let before = w.backend.calls();
        let r = w
            .renewer
            .renew("east", When::Always, Timestamp::now())
            .await
            .unwrap();
        let after = w.backend.calls();
        assert_eq!(after.reads - before.reads, 1, "{before:?} -> {after:?}");
        assert_eq!(after.writes - before.writes, 1, "{before:?} -> {after:?}");
        assert_eq!(w.held("east"), Some(r.token.clone()));
        let meta = w.renewer.store().meta("east").unwrap();
        assert!(meta.facts.unwrap().describes(&r.token));
        assert!(meta.renewed_at.is_some());
    }

    #[tokio::test]
    async fn same_expiry_reply_is_refused_and_the_store_is_unchanged() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let old = w.add("east", hours(1));
        let index_before = std::fs::read(w.paths.index_file()).unwrap();
        w.mock.faults().set(Fault::SameExpiry);
        let err = w
            .renewer
            .renew("east", When::Always, Timestamp::now())
            .await
            .unwrap_err();
        let RenewError::NotLater {
            token,
            kept: Kept::File(file),
            ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert!(err.to_string().contains("kept"), "{err}");
        // The returned token is not thrown away: the server may have retired the old one.
        let rescued = std::fs::read_to_string(file).unwrap();
        assert_eq!(rescued.trim(), token.expose());
        assert!(!err.to_string().contains(token.expose()));
        assert_eq!(w.held("east"), Some(old));
        assert_eq!(std::fs::read(w.paths.index_file()).unwrap(), index_before);
    }

    #[tokio::test]
    async fn dead_token_never_reaches_the_server() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let dead = w.add("east", hours(-25));
        for when in [When::Always, When::ExpiringWithin(hours(2))] {
            let err = w
                .renewer
                .renew("east", when, Timestamp::now())
                .await
                .unwrap_err();
            assert!(matches!(err, RenewError::Dead { .. }), "{err:?}");
            assert!(err.needs_new_token());
        }
        assert_eq!(w.mock.renew_count(), 0);
        assert_eq!(w.held("east"), Some(dead));
    }

    #[tokio::test]
    async fn expiring_within_skips_a_fresh_token_without_a_call() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let fresh = w.add("east", hours(10));
        let r = w
            .renewer
            .renew("east", When::ExpiringWithin(hours(2)), Timestamp::now())
            .await
            .unwrap();
        assert!(!r.called_server);
        assert_eq!(r.token, fresh);
        assert_eq!(r.old_expiry, Some(r.new_expiry));
        assert_eq!(w.mock.renew_count(), 0);
        assert_eq!(w.renewer.store().meta("east").unwrap().renewed_at, None);

        // The same window renews a token that is due.
        let due = w.add("soon", SignedDuration::from_mins(30));
        let r = w
            .renewer
            .renew("soon", When::ExpiringWithin(hours(2)), Timestamp::now())
            .await
            .unwrap();
        assert!(r.called_server);
        assert_ne!(r.token, due);
        assert_eq!(w.mock.renew_count(), 1);
    }

    #[tokio::test]
    async fn rejected_and_failing_calls_change_nothing() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let old = w.add("east", hours(1));
        w.mock.faults().set(Fault::Code("10004".into()));
        let err = w
            .renewer
            .renew("east", When::Always, Timestamp::now())
            .await
            .unwrap_err();
        assert!(matches!(err, RenewError::Rejected { .. }), "{err:?}");
        w.mock.faults().set(Fault::Http(502));
        let err = w
            .renewer
            .renew("east", When::Always, Timestamp::now())
            .await
            .unwrap_err();
        assert!(matches!(err, RenewError::Api { .. }), "{err:?}");
        assert!(!err.needs_new_token());
        assert_eq!(w.held("east"), Some(old));
        assert!(w.rescue_files().is_empty());
    }

    #[tokio::test]
    async fn unknown_and_undecodable_tokens_are_reported_by_name() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let err = w
            .renewer
            .renew("ghost", When::Always, Timestamp::now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, RenewError::Store(StoreError::NotFound(_))),
            "{err:?}"
        );
        w.add("east", hours(1));
        w.backend.set("east", &Token::from_raw("garbage")).unwrap();
        let err = w
            .renewer
            .renew("east", When::Always, Timestamp::now())
            .await
            .unwrap_err();
        assert!(matches!(err, RenewError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(w.mock.renew_count(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn renew_many_respects_the_concurrency_limit_and_renews_all() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let names: Vec<String> = (0..4).map(|i| format!("t{i}")).collect();
        let old: Vec<Token> = names.iter().map(|n| w.add(n, hours(1))).collect();
        let delay = Duration::from_millis(500);
        w.mock.faults().set_delay(delay);
        let started = std::time::Instant::now();
        let results = w
            .renewer
            .renew_many(names.clone(), When::Always, Timestamp::now())
            .await;
        let elapsed = started.elapsed();
        assert_eq!(results.len(), 4);
        let mut seen: Vec<&str> = results.iter().map(|(n, _)| n.as_str()).collect();
        seen.sort();
        assert_eq!(seen, ["t0", "t1", "t2", "t3"]);
        for (name, result) in &results {
            let r = result.as_ref().unwrap();
            let i: usize = name[1..].parse().unwrap();
            assert_ne!(r.token, old[i]);
            assert_eq!(w.held(name), Some(r.token.clone()));
        }
        assert_eq!(w.mock.renew_count(), 4);
        // Two at a time: two rounds of the delay, not one (unlimited) and not four (serial).
        assert!(elapsed >= delay * 2, "ran more than 2 at once: {elapsed:?}");
        assert!(elapsed < delay * 4, "ran one at a time: {elapsed:?}");
    }

    #[tokio::test]
    async fn renew_many_reports_each_failure_separately() {
        let _watchdog = crate::watchdog::arm();
        let w = world(3).await;
        w.add("ok", hours(1));
        w.add("dead", hours(-30));
        let results = w
            .renewer
            .renew_many(
                vec!["ok".into(), "dead".into(), "ghost".into()],
                When::Always,
                Timestamp::now(),
            )
            .await;
        let get = |n: &str| &results.iter().find(|(name, _)| name == n).unwrap().1;
        assert!(get("ok").is_ok());
        assert!(matches!(get("dead"), Err(RenewError::Dead { .. })));
        assert!(matches!(get("ghost"), Err(RenewError::Store(_))));
        assert_eq!(w.mock.renew_count(), 1);
    }

    /// The index file is replaced (new inode) on every write: watch it through a batch.
    #[cfg(unix)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn renew_many_writes_the_index_once_after_every_token_is_in_the_keyring() {
        let _watchdog = crate::watchdog::arm();
        use std::os::unix::fs::MetadataExt;
        let w = world(2).await;
        let names = w.add_each("华中一区【A区】", 4);
        w.mock.faults().set_delay(Duration::from_millis(300));
        let index = w.paths.index_file();
        // The inode and the change time: a rename may reuse a just-freed inode number.
        let inode = move || {
            std::fs::metadata(&index)
                .map(|m| (m.ino(), m.ctime(), m.ctime_nsec()))
                .unwrap_or_default()
        };
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let watcher = {
            let (done, inode) = (Arc::clone(&done), inode.clone());
            std::thread::spawn(move || {
                let mut seen = vec![inode()];
                // One last look after `done`: the batch's write lands just before it is set.
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let now = inode();
                    if seen.last() != Some(&now) {
                        seen.push(now);
                    }
                    if finished {
                        break seen;
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        };
        let before = w.backend.calls();
        let results = w
            .renewer
            .renew_many(names.clone(), When::Always, Timestamp::now())
            .await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let seen = watcher.join().unwrap();
        let after = w.backend.calls();
        assert_eq!(seen.len(), 2, "index written more than once: {seen:?}");
        assert_eq!(after.reads - before.reads, 4);
        assert_eq!(after.writes - before.writes, 4);
        for (name, result) in &results {
            let r = result.as_ref().unwrap();
            let meta = w.renewer.store().meta(name).unwrap();
            assert!(meta.facts.unwrap().describes(&r.token), "{name}");
            assert!(meta.renewed_at.is_some());
        }
        // Another process sees the same on disk.
        let other = Store::open(&w.paths, Arc::new(w.backend.clone())).unwrap();
        for (name, result) in &results {
            let facts = other.meta(name).unwrap().facts.unwrap();
            assert!(facts.describes(&result.as_ref().unwrap().token));
        }
    }

    /// A batch reads its secrets before the locks, in two calls: the first `concurrency`
    /// tokens' (their requests need not wait for the rest), then the others'. Under each lock
    /// the index is unchanged, so no token is read again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_reads_its_secrets_in_two_batch_calls() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let names = w.add_each("华东一区【昆山】", 5);
        let before = w.backend.calls();
        let results = w
            .renewer
            .renew_many(names.clone(), When::Always, Timestamp::now())
            .await;
        let after = w.backend.calls();
        assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
        assert_eq!(after.batches - before.batches, 2, "{before:?} -> {after:?}");
        assert_eq!(after.reads - before.reads, 5, "{before:?} -> {after:?}");
        assert_eq!(after.writes - before.writes, 5, "{before:?} -> {after:?}");

        // No more tokens than request slots: one call.
        let before = w.backend.calls();
        let results = w
            .renewer
            .renew_many(names[..2].to_vec(), When::Always, Timestamp::now())
            .await;
        let after = w.backend.calls();
        assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
        assert_eq!(after.batches - before.batches, 1, "{before:?} -> {after:?}");
        assert_eq!(after.reads - before.reads, 2, "{before:?} -> {after:?}");

        // Nothing to renew (`renew --all` with no tokens): nothing read, nothing done.
        let before = w.backend.calls();
        let results = w
            .renewer
            .renew_many(Vec::new(), When::Always, Timestamp::now())
            .await;
        assert!(results.is_empty());
        assert_eq!(w.backend.calls().batches, before.batches);
    }

    /// With `concurrency` 2, the server never has more than 2 requests unanswered, although
    /// locks and keyring writes run ahead of the request slots.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_keeps_at_most_concurrency_requests_in_flight() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let names = w.add_each("西北一区", 6);
        w.mock.faults().set_delay(Duration::from_millis(150));
        let renewer = w.renewer.clone();
        let batch = tokio::spawn({
            let names = names.clone();
            async move {
                renewer
                    .renew_many(names, When::Always, Timestamp::now())
                    .await
            }
        });
        let mut most = 0;
        while !batch.is_finished() {
            let arrived = w.mock.arrived_count();
            let unanswered = arrived - w.mock.renew_count().min(arrived);
            assert!(unanswered <= 2, "{unanswered} requests in flight at once");
            most = most.max(unanswered);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let results = batch.await.unwrap();
        assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
        assert_eq!(most, 2, "the two slots were used together");
        assert_eq!(w.mock.renew_count(), 6);
    }

    /// Whoever takes a token's lock while a batch runs (another process would) finds the
    /// index describing the secret the keyring holds: the batch keeps each renewed token's
    /// lock until its index write.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_a_token_lock_the_index_always_describes_the_keyring() {
        let _watchdog = crate::watchdog::arm();
        // One request at a time, so the batch's later tokens are still unlocked while its
        // first ones are renewed.
        let w = world(1).await;
        let names = w.add_each("华中一区【A区】", 8);
        w.mock.faults().set_delay(Duration::from_millis(100));
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let observer = {
            let (done, paths, backend) = (Arc::clone(&done), w.paths.clone(), w.backend.clone());
            let names = names.clone();
            std::thread::spawn(move || {
                let mut looks = 0;
                loop {
                    // One last pass after `done`: the batch's end state too.
                    let last = done.load(std::sync::atomic::Ordering::SeqCst);
                    for name in &names {
                        let Ok(_lock) = TokenLock::acquire(&paths, name, Duration::ZERO) else {
                            continue;
                        };
                        let held = backend.get(name).unwrap().unwrap();
                        let index = crate::store::read_index(&paths.index_file()).unwrap();
                        let entry = index.iter().find(|e| &e.name == name).unwrap();
                        let facts = entry.facts.as_ref().unwrap();
                        assert!(facts.describes(&held), "{name}: index behind the keyring");
                        looks += 1;
                    }
                    if last {
                        break looks;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        };
        let results = w
            .renewer
            .renew_many(names.clone(), When::Always, Timestamp::now())
            .await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let looks = observer
            .join()
            .expect("the observer saw the index behind the keyring");
        assert!(looks >= names.len(), "{looks}");
        assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
        // Released at the end.
        for name in &names {
            TokenLock::acquire(&w.paths, name, Duration::ZERO).unwrap();
        }
    }

    /// A batch read goes stale as soon as the index is rewritten (another process renewed
    /// or healed something): then each token is read again under its lock.
    #[tokio::test]
    async fn a_stale_batch_read_is_not_used() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let names = w.add_each("test中心", 3);
        let store = w.renewer.store();
        let prefetched = store.prefetch(&names);
        assert_eq!(prefetched.len(), 3);
        assert!(prefetched.current(store, &names[0]).is_some());
        // Another process renews test中心1: new secret, then a new index.
        let other = Store::open(&w.paths, Arc::new(w.backend.clone())).unwrap();
        let newer = mint(&MintSpec::new(
            "alice",
            "11112",
            Timestamp::now() + hours(9),
        ));
        std::thread::sleep(Duration::from_millis(5)); // a distinct change time
        other
            .replace_token(&names[1], &newer, Timestamp::now())
            .unwrap();
        for name in &names {
            assert!(prefetched.current(store, name).is_none(), "{name}");
        }
        // Read again (after the index, as a new process would): current again.
        store.reload().unwrap();
        let again = store.prefetch(&names);
        assert_eq!(again.current(store, &names[1]).unwrap().1, newer);
    }

    #[tokio::test]
    async fn a_batch_whose_index_write_fails_keeps_the_tokens_and_heals_on_read() {
        let _watchdog = crate::watchdog::arm();
        let w = world(2).await;
        let names = w.add_each("华东一区【昆山】", 2);
        // A directory where the index's temp file goes makes the index write fail.
        let blocker = w
            .paths
            .config_dir
            .join(format!(".index.toml.{}.tmp", std::process::id()));
        std::fs::create_dir(&blocker).unwrap();
        let results = w
            .renewer
            .renew_many(names.clone(), When::Always, Timestamp::now())
            .await;
        std::fs::remove_dir(&blocker).unwrap();
        for (name, result) in &results {
            let token = &result.as_ref().unwrap().token;
            assert_eq!(w.held(name).as_ref(), Some(token), "{name}");
            // The index still describes the old token; the next read corrects it.
            let store = Store::open(&w.paths, Arc::new(w.backend.clone())).unwrap();
            assert!(!store.meta(name).unwrap().facts.unwrap().describes(token));
            let notices = Arc::new(Mutex::new(Vec::new()));
            let sink = Arc::clone(&notices);
            store.on_notice(move |m| sink.lock().unwrap().push(m.to_owned()));
            store.get(name).unwrap();
            assert!(store.meta(name).unwrap().facts.unwrap().describes(token));
            assert_eq!(notices.lock().unwrap().len(), 1, "{name}");
        }
        assert!(w.rescue_files().is_empty());
    }
}
