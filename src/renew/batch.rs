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
//!   would take it for a change made outside actoken).

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

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
    pending: Mutex<Pending>,
}

#[derive(Default)]
pub(super) struct Pending {
    pub saved: Vec<Saved>,
    pub locks: Vec<TokenLock>,
}

impl Batch {
    /// `first` read already; `later` read by the first renewal that needs one of them.
    pub fn new(first: Prefetched, later: Vec<String>, concurrency: usize) -> Batch {
        Batch {
            first,
            later_names: later.into_iter().collect(),
            later: OnceCell::new(),
            requests: Semaphore::new(concurrency.max(1)),
            pending: Mutex::new(Pending::default()),
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
        let mut pending = self.pending();
        pending.saved.push(saved);
        (pending.saved.len() >= RECORD_EVERY).then(|| std::mem::take(&mut *pending))
    }

    /// Keeps the lock of a renewed token until the index write that records it.
    pub(crate) fn hold(&self, lock: TokenLock) {
        self.pending().locks.push(lock);
    }

    /// Everything not recorded yet.
    pub(crate) fn take(&self) -> Pending {
        std::mem::take(&mut *self.pending())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
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
