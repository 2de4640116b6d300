//! Everything a test can do to a running mock (`testing` feature only): faults, revoked
//! tokens, and counts of the renewals and logins it served.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::response::Response;
use sha2::{Digest, Sha256};

use super::delay::Delay;
use super::faults::{Fault, Faults, fault_reply};

/// The test switches of one mock. Clones control the same server.
#[derive(Debug, Clone)]
pub(super) struct Switches {
    pub faults: Faults,
    pub revoked: Revoked,
    /// Successful `tokens/next` calls served.
    renewals: Arc<AtomicUsize>,
    /// Successful logins (either get-token endpoint) served.
    logins: Arc<AtomicUsize>,
    /// Requests received, counted before the reply delay (a test waits for one in flight).
    arrived: Arc<AtomicUsize>,
}

impl Switches {
    pub fn new(delay: Delay) -> Switches {
        Switches {
            faults: Faults::new(delay),
            revoked: Revoked::default(),
            renewals: Arc::default(),
            logins: Arc::default(),
            arrived: Arc::default(),
        }
    }

    pub(crate) fn forced_reply(&self) -> Option<Response> {
        let fault = self.faults.current()?;
        fault_reply(&fault, self.faults.shape())
    }

    pub(crate) fn keeps_expiry(&self) -> bool {
        self.faults.current() == Some(Fault::SameExpiry)
    }

    /// What [`Fault::JunkAfterToken`] appends to a renewed token, if it is on.
    pub(crate) fn junk_after_token(&self) -> Option<String> {
        match self.faults.current() {
            Some(Fault::JunkAfterToken(junk)) => Some(junk),
            _ => None,
        }
    }

    /// Whether [`Fault::UnfilledPlaceholders`] is on.
    pub(crate) fn leaves_placeholders(&self) -> bool {
        self.faults.current() == Some(Fault::UnfilledPlaceholders)
    }

    pub(crate) fn count_renewal(&self) {
        self.renewals.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn count_login(&self) {
        self.logins.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn count_arrival(&self) {
        self.arrived.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn arrivals(&self) -> usize {
        self.arrived.load(Ordering::SeqCst)
    }

    pub(crate) fn renewals(&self) -> usize {
        self.renewals.load(Ordering::SeqCst)
    }

    pub(crate) fn logins(&self) -> usize {
        self.logins.load(Ordering::SeqCst)
    }
}

/// Tokens the mock no longer accepts though they are unexpired. Holds digests, not tokens.
#[derive(Debug, Clone, Default)]
pub(crate) struct Revoked(Arc<Mutex<HashSet<[u8; 32]>>>);

impl Revoked {
    pub fn revoke(&self, raw: &str) {
        self.lock().insert(digest(raw));
    }

    pub(crate) fn contains(&self, raw: &str) -> bool {
        self.lock().contains(&digest(raw))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<[u8; 32]>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn digest(raw: &str) -> [u8; 32] {
    Sha256::digest(raw.trim().as_bytes()).into()
}
