//! The reply delay: set at start (`mock-server --delay`) and, in tests, while the mock runs.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The reply delay, shared so that tests can change it while the mock runs.
#[derive(Debug, Clone, Default)]
pub(super) struct Delay(Arc<Mutex<Duration>>);

impl Delay {
    pub fn get(&self) -> Duration {
        *self.lock()
    }

    pub fn set(&self, d: Duration) {
        *self.lock() = d;
    }

    fn lock(&self) -> MutexGuard<'_, Duration> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep serving.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
