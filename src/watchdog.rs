//! A real-time limit for a test that waits (test builds only). A test on tokio's paused clock
//! that hangs does not sleep: it races through timer beats at full CPU, so no tokio timeout
//! ends it. This watchdog runs on its own thread and the wall's monotonic clock: if the test
//! is still running when the limit passes, it says which test hung and ends the process, so
//! the hang fails in seconds with its name instead of at CI's limit.
//!
//! ```text
//! #[tokio::test]
//! async fn renews() {
//!     let _watchdog = actoken::watchdog::arm();
//!     …
//! }
//! ```

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// Longer than any test here takes on a loaded 2-core machine (the slowest take ~10 s), far
/// shorter than the runner's own per-test kill (`.config/nextest.toml`).
pub(crate) const LIMIT: Duration = Duration::from_secs(90);

/// Disarmed when dropped, at the end of the test.
#[must_use = "the watchdog is disarmed when dropped: bind it with `let _watchdog = …`"]
pub struct Watchdog {
    _disarm: mpsc::Sender<()>,
}

/// Arms a watchdog with [`LIMIT`] for the test running on this thread.
pub fn arm() -> Watchdog {
    arm_for(LIMIT)
}

pub(crate) fn arm_for(limit: Duration) -> Watchdog {
    // libtest names each test's thread after the test.
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let (disarm, disarmed) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(RecvTimeoutError::Timeout) = disarmed.recv_timeout(limit) {
            eprintln!(
                "\nTIMEOUT: test `{test}` is still running after {} s: it hangs; ending the test process",
                limit.as_secs()
            );
            std::process::exit(101);
        }
    });
    Watchdog { _disarm: disarm }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disarmed_watchdog_lets_the_process_live() {
        let watchdog = arm_for(Duration::from_millis(200));
        drop(watchdog);
        std::thread::sleep(Duration::from_millis(400));
    }

    /// The firing half runs in a child process (it ends its process by design).
    #[test]
    fn a_hung_test_is_named_and_fails() {
        if std::env::var_os("ACTOKEN_WATCHDOG_CHILD").is_some() {
            let _watchdog = arm_for(Duration::from_millis(100));
            std::thread::sleep(Duration::from_secs(30));
            return;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "watchdog::tests::a_hung_test_is_named_and_fails"])
            .args(["--nocapture", "--test-threads=1"])
            .env("ACTOKEN_WATCHDOG_CHILD", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(101), "{stderr}");
        assert!(
            stderr.contains("TIMEOUT: test `watchdog::tests::a_hung_test_is_named_and_fails`"),
            "{stderr}"
        );
    }
}
