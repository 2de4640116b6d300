//! The `keyring` crate's platform store, set up once per process on a thread of its own.
//!
//! Setting it up opens a D-Bus connection and an encrypted session, whose Diffie-Hellman
//! exchange is computed in pure Rust: about 10 ms of CPU. A keyring whose items a plain search
//! already found unlocked is known to work, so [`KeyringBackend`](super::KeyringBackend) does
//! not set the store up to open; the first call that needs it does. `renew --all` never
//! does: its batch read and the writes after it go over actoken's own connection
//! ([`super::session`]), and on a two-core machine the set-up's CPU slowed its first
//! requests by ~6 ms.
//!
//! The set-up runs on a thread of its own so that a hung D-Bus costs each caller its timeout,
//! not forever.

use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use keyring_core::api::CredentialStore;

use crate::store::StoreError;

type SetUp = Result<Arc<CredentialStore>, StoreError>;

/// The set-up's result once known, and a signal for those waiting for it.
struct Slot {
    result: Mutex<Option<SetUp>>,
    done: Condvar,
}

fn slot() -> &'static Arc<Slot> {
    static SLOT: OnceLock<Arc<Slot>> = OnceLock::new();
    SLOT.get_or_init(|| {
        let slot = Arc::new(Slot {
            result: Mutex::new(None),
            done: Condvar::new(),
        });
        let filler = Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name("actoken-keyring-setup".into())
            .spawn(move || filler.fill(set_up()));
        if let Err(e) = spawned {
            slot.fill(Err(StoreError::Backend(format!(
                "cannot start a keyring thread: {e}"
            ))));
        }
        slot
    })
}

impl Slot {
    fn fill(&self, result: SetUp) {
        *self.result.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
        self.done.notify_all();
    }
}

fn set_up() -> SetUp {
    if let Err(e) = keyring::Entry::store_status() {
        return Err(super::errors::unavailable_at_start(e));
    }
    keyring_core::get_default_store().ok_or_else(|| StoreError::Unavailable {
        cause: "no keyring is available on this platform".into(),
        fix: crate::store::words::fix_no_keyring(),
    })
}

/// Starts the set-up now, on its thread, for a read to come: its D-Bus connection and
/// Diffie-Hellman exchange then overlap the keyring probe and the index instead of following
/// them (the scripts' hot path reads one secret and nothing else).
pub(super) fn start() {
    slot();
}

/// The platform store, set up by the first call; waits at most `timeout` for the set-up
/// ([`StoreError::Timeout`]). A set-up that failed gives its error to every caller.
pub(super) fn get(timeout: Duration) -> SetUp {
    let slot = slot();
    let guard = slot.result.lock().unwrap_or_else(PoisonError::into_inner);
    let (guard, _) = slot
        .done
        .wait_timeout_while(guard, timeout, |result| result.is_none())
        .unwrap_or_else(PoisonError::into_inner);
    match guard.as_ref() {
        Some(Ok(store)) => Ok(Arc::clone(store)),
        Some(Err(e)) => Err(e.again()),
        None => Err(StoreError::Timeout),
    }
}
