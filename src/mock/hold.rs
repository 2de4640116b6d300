//! The hold switch (`testing` feature only): while it is on, requests wait after they arrive
//! and before they are handled, until a test turns it off. Unlike a delay, it keeps a request
//! in flight for exactly as long as the test needs (e.g. a renewal while the user runs `rm`).

use std::sync::Arc;

use tokio::sync::watch;

/// Shared: clones switch the same server.
#[derive(Debug, Clone)]
pub(super) struct Hold(Arc<watch::Sender<bool>>);

impl Default for Hold {
    fn default() -> Hold {
        Hold(Arc::new(watch::Sender::new(false)))
    }
}

impl Hold {
    pub fn set(&self, on: bool) {
        self.0.send_replace(on);
    }

    /// Returns once the switch is off (at once if it is).
    pub async fn released(&self) {
        let mut state = self.0.subscribe();
        // The sender lives as long as `self`, so this only ends when the switch is off.
        let _ = state.wait_for(|held| !held).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_held_request_waits_until_released() {
        let _watchdog = crate::watchdog::arm();
        let hold = Hold::default();
        hold.released().await; // off: at once
        hold.set(true);
        let waiting = tokio::spawn({
            let hold = hold.clone();
            async move { hold.released().await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "went through while held");
        hold.set(false);
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("still held after the release")
            .unwrap();
    }
}
