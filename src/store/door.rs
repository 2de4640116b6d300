//! The one way async code reaches the blocking store: [`Door`] runs a store call on tokio's
//! blocking pool, bounds the wait by a deadline, and turns a panic or a hang into a typed
//! [`StoreError`] (`Panicked`, `Timeout`) instead of a panic or a hang of the caller.
//!
//! The store's methods block (D-Bus, file locks, fsync). Each keyring call is already bounded
//! by the backend (`keyring-timeout`, see `secret_service`), which the synchronous CLI commands
//! rely on; the door bounds the whole call for async callers, so whatever is not bounded below
//! (a wait for the index lock, a backend without its own bound, a hung file system) still
//! ends in [`StoreError::Timeout`].
//!
//! A thread cannot be cancelled: a call that passes its deadline keeps running and may still
//! finish. Reads that finish late are dropped. Writes to one token go through a gate per token
//! name, taken *inside* the blocking call, so a write that finishes late lands before any
//! later write to the same token starts: it is never overtaken (a retry, or the next renewal,
//! waits for it), so the newest write is the one that stays.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::blocking::off_thread;
use jiff::Timestamp;

use super::{EntryMeta, Saved, Store, StoreError, StoredToken, Superseded, TokenLock};
use crate::token::Token;

/// The config's default `keyring-timeout`, for a backend that does not bound its calls.
const DEFAULT_KEYRING_TIMEOUT: Duration = Duration::from_millis(1500);

/// A store call makes at most this many keyring calls (read, write, undo of a failed write),
/// each bounded by `keyring-timeout` in the backend.
const KEYRING_CALLS_PER_STORE_CALL: u32 = 3;

/// How long one store call may take before the door gives up: its keyring calls (each bounded
/// by the backend's own `keyring-timeout`) plus a wait for the index lock.
fn call_deadline(store: &Store) -> Duration {
    let keyring = store.call_timeout().unwrap_or(DEFAULT_KEYRING_TIMEOUT);
    super::token_store::INDEX_LOCK_TIMEOUT + keyring * KEYRING_CALLS_PER_STORE_CALL
}

impl Store {
    /// The store for async code: the one way to make a [`Door`] (its deadline comes from this
    /// store's backend).
    pub(crate) fn door(&self) -> Door {
        Door::new(self)
    }
}

/// Async access to a [`Store`]. Cheap to make and to clone (the store is shared).
#[derive(Clone, Debug)]
pub struct Door {
    store: Store,
    deadline: Duration,
}

impl Door {
    /// A door whose deadline comes from the store's `keyring-timeout`; see [`Store::door`],
    /// the way in for everyone else.
    fn new(store: &Store) -> Door {
        Door::with_deadline(store, call_deadline(store))
    }

    pub(crate) fn with_deadline(store: &Store, deadline: Duration) -> Door {
        Door {
            store: store.clone(),
            deadline,
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Runs `call` on the store, on the blocking pool, within the deadline. For reads and
    /// for writes that do not replace one token's secret (see [`Door::write`]).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        within(self.deadline, move || call(&store)).await?
    }

    /// [`Door::run`] for a write to token `name`: in order with every other write to it in
    /// this process, even one that passed its deadline and is still running.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        name: &str,
        call: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let gate = gate(self.store.paths().index_file(), name);
        self.run(move |store| {
            let _turn = gate.lock().unwrap_or_else(PoisonError::into_inner);
            call(store)
        })
        .await
    }

    /// [`Store::get`].
    pub async fn get(&self, name: &str) -> Result<(EntryMeta, Token), StoreError> {
        let name = name.to_owned();
        self.run(move |store| store.get(&name)).await
    }

    /// [`Store::put_secret`]: `token` replaces `old` in the keyring (the index is not told),
    /// unless the entry was removed or replaced meanwhile.
    pub(crate) async fn put_secret(
        &self,
        name: &str,
        token: &Token,
        old: &Token,
    ) -> Result<Result<(), Superseded>, StoreError> {
        let (owned, token, old) = (name.to_owned(), token.clone(), old.clone());
        self.write(name, move |store| store.put_secret(&owned, &token, &old))
            .await
    }

    /// [`Store::replace_token`].
    pub async fn replace_token(
        &self,
        name: &str,
        token: &Token,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (owned, token) = (name.to_owned(), token.clone());
        self.write(name, move |store| store.replace_token(&owned, &token, now))
            .await
    }

    /// [`Store::record`]: index entries of tokens already in the keyring. Safe to finish
    /// late: the index keeps an entry another write changed since.
    pub(crate) async fn record(&self, saved: Vec<Saved>) -> Result<(), StoreError> {
        self.run(move |store| store.record(&saved)).await
    }

    /// The index as another process may have left it, re-read, with no secret read.
    pub(crate) async fn reload_index(&self) -> Result<Vec<StoredToken>, StoreError> {
        self.run(|store| store.reload().map(|()| store.load_index()))
            .await
    }

    /// [`TokenLock::acquire`], waiting up to `wait` (the deadline comes on top of it). A lock
    /// taken after the caller gave up is released when the late call ends.
    pub(crate) async fn lock(&self, name: &str, wait: Duration) -> Result<TokenLock, StoreError> {
        let (paths, name) = (self.store.paths().clone(), name.to_owned());
        within(self.deadline + wait, move || {
            TokenLock::acquire(&paths, &name, wait)
        })
        .await?
    }
}

/// Held by the write to one token under way (see [`Door::write`]).
type Gate = Arc<Mutex<()>>;

/// The gate of token `name` in the store whose index is `index`; one per token for the
/// whole process, as every [`Door`] over that store must share it.
fn gate(index: PathBuf, name: &str) -> Gate {
    static GATES: OnceLock<Mutex<HashMap<(PathBuf, String), Gate>>> = OnceLock::new();
    let mut gates = GATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    // Gates nobody holds or waits for are dropped, so the map stays as small as the writes
    // under way.
    gates.retain(|_, gate| Arc::strong_count(gate) > 1);
    Arc::clone(gates.entry((index, name.to_owned())).or_default())
}

/// Runs blocking `work` on the blocking pool and waits at most `deadline` for it
/// ([`StoreError::Timeout`]; the work itself runs on, see the module docs). A panic in it is
/// [`StoreError::Panicked`] with the panic's message.
pub async fn within<T: Send + 'static>(
    deadline: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::time::timeout(deadline, off_thread(work)).await {
        Ok(done) => done.map_err(StoreError::Panicked),
        Err(_) => Err(StoreError::Timeout),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::config::Paths;
    use crate::mock::{MintSpec, mint};
    use crate::store::MemoryBackend;
    use std::sync::atomic::Ordering;

    const KUNSHAN: &str = "alice/华东一区【昆山】";
    const SHORT: Duration = Duration::from_millis(150);
    /// For calls that must finish: a loaded CI machine (or a panic printing its backtrace)
    /// may take far longer than SHORT.
    const AMPLE: Duration = Duration::from_secs(10);

    fn token(hours: i64) -> Token {
        let expire = Timestamp::now() + jiff::SignedDuration::from_hours(hours);
        mint(&MintSpec::new("alice", "11", expire))
    }

    /// A store in a temporary directory holding `KUNSHAN` = `first`.
    fn store_with(first: &Token) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let store = Store::open(&paths, Arc::new(MemoryBackend::new())).unwrap();
        let meta = EntryMeta::new(KUNSHAN, "https://ac.example:8443", Timestamp::now());
        store.add(meta, first, false).unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn a_call_that_returns_in_time_gives_its_value() {
        let _watchdog = crate::watchdog::arm();
        let first = token(5);
        let (_dir, store) = store_with(&first);
        let door = Door::with_deadline(&store, AMPLE);
        let (meta, got) = door.get(KUNSHAN).await.unwrap();
        assert_eq!((meta.name.as_str(), &got), (KUNSHAN, &first));
        let missing = door.get("alice/西北一区【西安】").await.unwrap_err();
        assert!(matches!(missing, StoreError::NotFound(_)), "{missing}");
    }

    #[tokio::test]
    async fn a_call_that_hangs_past_the_deadline_is_a_timeout_in_deadline_time() {
        let _watchdog = crate::watchdog::arm();
        let (_dir, store) = store_with(&token(5));
        let door = Door::with_deadline(&store, SHORT);
        let started = Instant::now();
        let hung = door
            .run(|_| {
                std::thread::sleep(Duration::from_secs(1));
                Ok(())
            })
            .await;
        let waited = started.elapsed();
        assert!(matches!(hung, Err(StoreError::Timeout)), "{hung:?}");
        assert!(
            waited >= SHORT && waited < Duration::from_secs(1),
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn a_panicking_call_is_an_error_with_its_message_not_a_panic() {
        let _watchdog = crate::watchdog::arm();
        let (_dir, store) = store_with(&token(5));
        let door = Door::with_deadline(&store, AMPLE);
        let err = door
            .run::<()>(|_| panic!("{}", String::from("keyring library blew up")))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Panicked(m) if m == "keyring library blew up"),
            "{err:?}"
        );
        assert!(err.to_string().contains("keyring library blew up"), "{err}");
        let kind = crate::failure::kind_of(&err);
        assert_eq!(kind, Some(crate::failure::FailureKind::Bug));
        // The door still works afterwards.
        assert!(door.get(KUNSHAN).await.is_ok());
    }

    #[tokio::test]
    async fn a_late_write_lands_before_the_next_write_to_that_token_not_after_it() {
        let _watchdog = crate::watchdog::arm();
        let (old, late, newest) = (token(1), token(5), token(9));
        let (_dir, store) = store_with(&old);
        let impatient = Door::with_deadline(&store, SHORT);
        let (o, l) = (old.clone(), late.clone());
        let slow = impatient
            .write(KUNSHAN, move |store| {
                std::thread::sleep(Duration::from_millis(600));
                store.put_secret(KUNSHAN, &l, &o)
            })
            .await;
        assert!(matches!(slow, Err(StoreError::Timeout)), "{slow:?}");

        // The late write still runs; the next one waits for it instead of being overwritten.
        // (Neither is recorded, so the index still describes `old` for both.)
        let patient = Door::with_deadline(&store, AMPLE);
        patient
            .put_secret(KUNSHAN, &newest, &old)
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        let (_, stored) = patient.get(KUNSHAN).await.unwrap();
        assert_eq!(stored, newest, "the late write overtook the newer one");
    }

    #[tokio::test]
    async fn writes_to_other_tokens_do_not_wait_for_a_hung_one() {
        let _watchdog = crate::watchdog::arm();
        let (_dir, store) = store_with(&token(5));
        let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = Arc::clone(&finished);
        let impatient = Door::with_deadline(&store, SHORT);
        let hung = impatient.write(KUNSHAN, move |_| {
            std::thread::sleep(Duration::from_secs(2));
            done.store(true, Ordering::SeqCst);
            Ok(())
        });
        let patient = Door::with_deadline(&store, AMPLE);
        let other = async {
            tokio::time::sleep(Duration::from_millis(50)).await; // the hung write goes first
            let written = patient.write("alice/西北一区【西安】", |_| Ok(7)).await;
            (written, finished.load(Ordering::SeqCst))
        };
        let (hung, (other, hung_had_finished)) = tokio::join!(hung, other);
        assert!(matches!(hung, Err(StoreError::Timeout)), "{hung:?}");
        assert_eq!(other.unwrap(), 7);
        assert!(
            !hung_had_finished,
            "a write to another token waited for the hung one"
        );
    }

    #[tokio::test]
    async fn the_lock_waits_for_its_holder_within_wait_plus_deadline() {
        let _watchdog = crate::watchdog::arm();
        let (_dir, store) = store_with(&token(5));
        let door = Door::with_deadline(&store, AMPLE);
        let held = door.lock(KUNSHAN, SHORT).await.unwrap();
        let busy = door.lock(KUNSHAN, SHORT).await.unwrap_err();
        assert!(matches!(busy, StoreError::LockTimeout { .. }), "{busy}");
        drop(held);
        assert!(door.lock(KUNSHAN, SHORT).await.is_ok());
    }
}
