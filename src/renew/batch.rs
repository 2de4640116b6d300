//! What the renewals of one [`Renewer::renew_many`](super::Renewer::renew_many) share, so
//! that a batch costs one keyring read, one write per token and one index write, and the
//! keyring work overlaps the requests instead of queueing between them:
//!
//! - the batch's secrets, read in one call before the locks ([`Prefetched`]);
//! - the request slots: at most `concurrency` requests in flight. A renewal gives its slot
//!   back as soon as the server answered, so its keyring write runs while the next request
//!   is already out;
//! - the saved tokens and their locks: each lock is held until the index write that records
//!   its token, so no other process sees the new secret before the index describes it (it
//!   would take it for a change made outside actoken).

use std::sync::{Mutex, PoisonError};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::store::{EntryMeta, Prefetched, Saved, Store, TokenLock};
use crate::token::Token;

/// Saved tokens are recorded (and their locks released) at least this often, so that a very
/// large batch neither holds a file descriptor per token nor keeps other processes waiting.
const RECORD_EVERY: usize = 128;

pub(super) struct Batch {
    prefetched: Prefetched,
    requests: Semaphore,
    pending: Mutex<Pending>,
}

#[derive(Default)]
pub(super) struct Pending {
    pub saved: Vec<Saved>,
    pub locks: Vec<TokenLock>,
}

impl Batch {
    pub fn new(prefetched: Prefetched, concurrency: usize) -> Batch {
        Batch {
            prefetched,
            requests: Semaphore::new(concurrency.max(1)),
            pending: Mutex::new(Pending::default()),
        }
    }

    /// `name`'s entry and secret from the batch read, if still current (holding its lock).
    pub fn current(&self, store: &Store, name: &str) -> Option<(EntryMeta, Token)> {
        self.prefetched.current(store, name)
    }

    /// A request slot (released when the permit drops).
    pub async fn request_slot(&self) -> Option<SemaphorePermit<'_>> {
        // Never closed, so `acquire` only fails if it were; then no limit is better than none.
        self.requests.acquire().await.ok()
    }

    /// Adds a token saved in the keyring; `Some` with everything to record now when enough
    /// have gathered.
    pub fn saved(&self, saved: Saved) -> Option<Pending> {
        let mut pending = self.pending();
        pending.saved.push(saved);
        (pending.saved.len() >= RECORD_EVERY).then(|| std::mem::take(&mut *pending))
    }

    /// Keeps the lock of a renewed token until the index write that records it.
    pub fn hold(&self, lock: TokenLock) {
        self.pending().locks.push(lock);
    }

    /// Everything not recorded yet.
    pub fn take(&self) -> Pending {
        std::mem::take(&mut *self.pending())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
