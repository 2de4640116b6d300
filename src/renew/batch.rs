//! What the renewals of one [`Renewer::renew_many`](super::Renewer::renew_many) share, so
//! that a batch costs one keyring read, one write per token and one index write, and the
//! keyring work overlaps the requests instead of queueing between them:
//!
//! - the batch's secrets, read before the locks ([`Prefetched`]) in two calls: the first
//!   `concurrency` tokens', so their requests go out without waiting for the rest, then the
//!   others', read while those requests are out;
//! - the request slots: at most `concurrency` requests in flight. A renewal gives its slot
//!   back as soon as the server answered, so its keyring write runs while the next request
//!   is already out;
//! - the saved tokens and their locks: each lock is held until the index write that records
//!   its token, so no other process sees the new secret before the index describes it (it
//!   would take it for a change made outside actoken). But a batch never waits for a lock
//!   while it holds others that way: another batch may be waiting for those while holding
//!   the one wanted (two `renew --all` at once stalled until both timed out). A renewal that
//!   finds its token's lock taken first has everything held recorded and let go, and until
//!   it has its lock, renewed tokens are recorded at once ([`Batch::start_waiting`]);
//! - whether the keyring still saves: while a save is failing and retried, no new request
//!   goes out, and once one has failed for good the batch starts no more renewals (each would
//!   only spend a token to leave it in a rescue file; see [`Batch::may_send`]).

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use tokio::sync::{OnceCell, Semaphore, SemaphorePermit, watch};

use crate::store::{Door, EntryMeta, Prefetched, Saved, TokenLock};
use crate::token::Token;

/// Saved tokens are recorded (and their locks released) at least this often, so that a very
/// large batch neither holds a file descriptor per token nor keeps other processes waiting.
const RECORD_EVERY: usize = 128;

pub(super) struct Batch {
    first: Prefetched,
    /// The names not in the first read, and their read once a renewal needs it.
    later_names: HashSet<String>,
    later: OnceCell<Prefetched>,
    requests: Semaphore,
    held: Mutex<Held>,
    saving: watch::Sender<Saving>,
}

#[derive(Default)]
pub(super) struct Pending {
    pub saved: Vec<Saved>,
    pub locks: Vec<TokenLock>,
}

#[derive(Default)]
struct Held {
    pending: Pending,
    /// Renewals of this batch waiting for a token's lock: while there are any, nothing is
    /// held (see [`Batch::start_waiting`]).
    waiting: usize,
}

/// How the batch's keyring writes are going.
#[derive(Default)]
struct Saving {
    /// Saves that failed at least once and are being retried.
    retrying: usize,
    /// Why the batch stopped: a save failed for good.
    stopped: Option<String>,
}

impl Batch {
    /// `first` read already; `later` read by the first renewal that needs one of them.
    pub fn new(first: Prefetched, later: Vec<String>, concurrency: usize) -> Batch {
        Batch {
            first,
            later_names: later.into_iter().collect(),
            later: OnceCell::new(),
            requests: Semaphore::new(concurrency.max(1)),
            held: Mutex::default(),
            saving: watch::Sender::new(Saving::default()),
        }
    }

    /// `name`'s entry and secret from the batch's reads, if still current (holding its lock).
    pub(crate) async fn current(&self, door: &Door, name: &str) -> Option<(EntryMeta, Token)> {
        if !self.later_names.contains(name) {
            return self.first.current(door.store(), name);
        }
        let later = self
            .later
            .get_or_init(|| prefetch(door, self.later_names.iter().cloned().collect()))
            .await;
        later.current(door.store(), name)
    }

    /// A request slot (released when the permit drops).
    pub(crate) async fn request_slot(&self) -> Option<SemaphorePermit<'_>> {
        // Never closed, so `acquire` only fails if it were; then no limit is better than none.
        self.requests.acquire().await.ok()
    }

    /// Adds a token saved in the keyring; `Some` with everything to record now when enough
    /// have gathered.
    pub(crate) fn saved(&self, saved: Saved) -> Option<Pending> {
        let mut held = self.held();
        held.pending.saved.push(saved);
        (held.pending.saved.len() >= RECORD_EVERY).then(|| held.take())
    }

    /// Keeps the lock of a renewed token until the index write that records it; `Some` with
    /// everything to record now when a renewal of the batch is waiting for a lock.
    pub(crate) fn hold(&self, lock: TokenLock) -> Option<Pending> {
        let mut held = self.held();
        held.pending.locks.push(lock);
        (held.waiting > 0).then(|| held.take())
    }

    /// A renewal is about to wait for a lock another process (or renewal) holds: everything
    /// held so far, to record and let go before waiting, and a guard that keeps later renewals
    /// from holding anything until it is dropped (lock taken, or given up).
    pub(crate) fn start_waiting(&self) -> (Waiting<'_>, Pending) {
        let mut held = self.held();
        held.waiting += 1;
        (Waiting(self), held.take())
    }

    /// Everything not recorded yet.
    pub(crate) fn take(&self) -> Pending {
        self.held().take()
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A save failed and is about to be retried: no new request goes out until the returned
    /// guard is dropped (saved after all) or [`SaveTrouble::give_up`] is called.
    pub(crate) fn save_failing(&self) -> SaveTrouble<'_> {
        self.saving.send_modify(|s| s.retrying += 1);
        SaveTrouble(self)
    }

    /// Why the batch stopped starting renewals, if it did.
    pub(crate) fn stopped(&self) -> Option<String> {
        self.saving.borrow().stopped.clone()
    }

    /// Waits while a save is being retried; `Err` with the reason once the batch stopped.
    pub(crate) async fn may_send(&self) -> Result<(), String> {
        let mut saving = self.saving.subscribe();
        // The sender is `self.saving`, alive as long as `self`: the wait ends by the condition.
        match saving
            .wait_for(|s| s.retrying == 0 || s.stopped.is_some())
            .await
        {
            Ok(s) => s.stopped.clone().map_or(Ok(()), Err),
            Err(_) => Ok(()),
        }
    }
}

impl Held {
    /// Everything held, leaving the count of waiting renewals.
    fn take(&mut self) -> Pending {
        std::mem::take(&mut self.pending)
    }
}

/// A renewal of the batch waiting for a lock (see [`Batch::start_waiting`]).
pub(super) struct Waiting<'a>(&'a Batch);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.held().waiting -= 1;
    }
}

/// A save being retried (see [`Batch::save_failing`]).
pub(super) struct SaveTrouble<'a>(&'a Batch);

impl SaveTrouble<'_> {
    /// The save failed for good: the batch starts no more renewals, for `reason`.
    pub(crate) fn give_up(self, reason: String) {
        self.0.saving.send_modify(|s| {
            s.stopped.get_or_insert(reason);
        });
    }
}

impl Drop for SaveTrouble<'_> {
    fn drop(&mut self) {
        self.0.saving.send_modify(|s| s.retrying -= 1);
    }
}

/// The secrets of `names` in one read; none when it fails (each renewal then reads its own).
pub(super) async fn prefetch(door: &Door, names: Vec<String>) -> Prefetched {
    if names.is_empty() {
        return Prefetched::none();
    }
    match door.run(move |store| Ok(store.prefetch(&names))).await {
        Ok(prefetched) => prefetched,
        Err(e) => {
            tracing::debug!(error = %e, "no batch read: each renewal reads its own token");
            Prefetched::none()
        }
    }
}
