//! The OS keyring as a [`SecretBackend`]: Secret Service on Linux/BSD (via D-Bus), Keychain on
//! macOS, Credential Manager on Windows, through `keyring-core` and the `keyring` crate's
//! choice of platform store.
//!
//! Each token is one keyring item with service `actoken` and user = the token name. Every call
//! runs on its own thread with a deadline, because a D-Bus call can block forever (a hung bus,
//! or a locked collection waiting for an unlock prompt nobody sees on a headless box).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::time::Duration;

use keyring_core::api::CredentialStore;
use zeroize::Zeroizing;

use super::{SecretBackend, StoreError};
use errors::{map_error, not_answering};

mod errors;
mod lazy;
mod light_search;
mod platform;
mod session;

use crate::token::Token;
pub use lazy::LazyKeyring;
pub(crate) use session::open_ahead;

/// One secret is about to be read (see [`platform::start`]).
pub(crate) fn set_up_ahead() {
    platform::start();
}

/// The keyring service name under which actoken keeps its tokens.
pub const SERVICE: &str = "actoken";

/// Prefix of the item written and deleted by the probe when the service has no items yet. Not
/// a valid token name (leading '.'), so it never collides with a token. The process id is
/// appended: two processes probing at once must not update and delete each other's item.
const PROBE_NAME: &str = ".actoken-probe";

/// Tokens in the OS keyring.
pub struct KeyringBackend {
    service: String,
    timeout: Duration,
}

impl std::fmt::Debug for KeyringBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringBackend")
            .field("service", &self.service)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl KeyringBackend {
    /// Opens the platform keyring under service [`SERVICE`] and probes it (a search), so that
    /// a missing D-Bus, a missing Secret Service or a locked keyring fails now, within
    /// `timeout`, with [`StoreError::Unavailable`] naming the cause and the fix. Later calls
    /// are bounded by the same `timeout` ([`StoreError::Timeout`]).
    ///
    /// The platform store is set up once per process (by the `keyring` crate), so if it could
    /// not be reached, later calls fail the same way until actoken is restarted.
    /// `service` is the keyring service name ([`SERVICE`] by default; tests use a unique one).
    pub fn with_service(service: &str, timeout: Duration) -> Result<KeyringBackend, StoreError> {
        let svc = service.to_owned();
        let opened = run_bounded(timeout, move || {
            // A plain search over a connection of its own (no encrypted session) answers
            // whether our items are there and unlocked.
            match light_search::count_items(&svc) {
                // Usable: the platform store is set up by the first call that needs it (a
                // batch read and the writes after it need none, see `session`).
                Some((1.., 0)) => Ok(()),
                count => probe(&platform::get(timeout)?, &svc, count),
            }
        });
        match opened {
            Ok(()) => Ok(KeyringBackend {
                service: service.to_owned(),
                timeout,
            }),
            Err(StoreError::Timeout) => Err(not_answering(timeout)),
            Err(e) => Err(e),
        }
    }

    /// The platform store, once set up (see [`platform`]).
    fn store(&self) -> Result<Arc<CredentialStore>, StoreError> {
        platform::get(self.timeout).map_err(|e| match e {
            StoreError::Timeout => not_answering(self.timeout),
            other => other,
        })
    }

    /// Runs `op` on the keyring entry for `name`, on a thread, within the timeout.
    fn with_entry<T: Send + 'static>(
        &self,
        name: &str,
        op: impl FnOnce(&keyring_core::Entry) -> Result<T, keyring_core::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store()?;
        let service = self.service.clone();
        let name = name.to_owned();
        run_bounded(self.timeout, move || {
            let entry = keyring_core::Entry::new_in_store(&store, &service, &name)
                .map_err(|e| map_error(e, &name))?;
            op(&entry).map_err(|e| map_error(e, &name))
        })
    }
}

impl SecretBackend for KeyringBackend {
    fn get(&self, name: &str) -> Result<Option<Token>, StoreError> {
        self.with_entry(name, |entry| match entry.get_password() {
            Ok(raw) => {
                let raw = Zeroizing::new(raw);
                Ok(Some(Token::from_raw(&raw)))
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn set(&self, name: &str, token: &Token) -> Result<(), StoreError> {
        // An item this process read in a batch is replaced in one call.
        if session::knows(&self.service, name) {
            let (service, owned, secret) = (self.service.clone(), name.to_owned(), token.clone());
            let replaced = run_bounded(self.timeout, move || {
                Ok(session::replace(&service, &owned, secret.expose()))
            })?;
            if replaced == Some(true) {
                return Ok(());
            }
        }
        let token = token.clone();
        self.with_entry(name, move |entry| entry.set_password(token.expose()))
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        session::forget(&self.service, name);
        self.with_entry(name, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        })
    }

    fn names(&self) -> Result<Vec<String>, StoreError> {
        let store = self.store()?;
        let service = self.service.clone();
        run_bounded(self.timeout, move || {
            let found = search(&store, &service, "(search)")?;
            let mut names: Vec<String> = found
                .iter()
                .filter_map(|entry| entry.get_specifiers())
                .filter(|(svc, user)| *svc == service && !user.starts_with(PROBE_NAME))
                .map(|(_, user)| user)
                .collect();
            names.sort();
            names.dedup();
            Ok(names)
        })
    }

    /// One search: the item paths come back in one reply, without an attribute read per item
    /// (which `names` needs).
    fn count(&self) -> Result<usize, StoreError> {
        let service = self.service.clone();
        match run_bounded(self.timeout, move || {
            Ok(light_search::count_items(&service))
        })? {
            Some((unlocked, 0)) => Ok(unlocked),
            _ => {
                let store = self.store()?;
                let service = self.service.clone();
                run_bounded(self.timeout, move || {
                    Ok(search(&store, &service, "(search)")?.len())
                })
            }
        }
    }

    /// One batch read of the whole service (see `session`); item by item when the batch
    /// cannot answer for everything or the names are too few for it. The timeout bounds the
    /// wait for the next item, not the whole batch: a thousand items take longer than one
    /// timeout on a busy machine, and a batch cut short used to leave every entry unread.
    fn get_many(&self, names: &[String]) -> Vec<Result<Option<Token>, StoreError>> {
        let service = self.service.clone();
        let wanted = names.to_vec();
        let progress = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&progress);
        let batch = run_while_moving(self.timeout, &progress, move || {
            Ok(session::read_service(&service, &wanted, &counter))
        });
        match batch {
            Ok(Some(secrets)) => names
                .iter()
                .map(|name| Ok(secrets.get(name).map(|raw| Token::from_raw(raw))))
                .collect(),
            // A hung keyring: asking again item by item would wait once more per token.
            Err(StoreError::Timeout) => names.iter().map(|_| Err(StoreError::Timeout)).collect(),
            Ok(None) | Err(_) => super::backend::get_each(self, names),
        }
    }

    fn call_timeout(&self) -> Option<Duration> {
        Some(self.timeout)
    }

    fn describe(&self) -> String {
        describe(&self.service)
    }
}

/// Where the secrets of `service` are, for people.
pub fn describe(service: &str) -> String {
    let kind = if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "Secret Service (default collection)"
    };
    format!("{kind}, service {service:?}")
}

/// Checks that the keyring answers and can be used. A search reaches the daemon and unlocks
/// our existing items (or fails if it cannot). With no items yet, a search proves nothing
/// about writing (a fresh Secret Service may have no unlocked default collection), so a
/// probe item is written and deleted.
fn probe(
    store: &Arc<CredentialStore>,
    service: &str,
    count: Option<(usize, usize)>,
) -> Result<(), StoreError> {
    // Unlocked items of ours (`count`, from `light_search`) answer the question in one call.
    if let Some((1.., 0)) = count {
        return Ok(());
    }
    let found = search(store, service, "(probe)")?;
    if !found.is_empty() {
        return Ok(());
    }
    let probe_name = format!("{PROBE_NAME}-{}", std::process::id());
    let entry = keyring_core::Entry::new_in_store(store, service, &probe_name)
        .map_err(|e| map_error(e, "(probe)"))?;
    entry
        .set_password("probe")
        .map_err(|e| map_error(e, "(probe)"))?;
    match entry.delete_credential() {
        Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
        Err(e) => Err(map_error(e, "(probe)")),
    }
}

/// Every entry of `service`. An item can vanish between the daemon's search and the read of its
/// attributes (another actoken process deleting its probe item, seen with two processes
/// starting at once); that fails the whole search although the keyring is fine, so a failed
/// search is tried again, unless the keyring as a whole is unavailable.
fn search(
    store: &Arc<CredentialStore>,
    service: &str,
    what: &str,
) -> Result<Vec<keyring_core::Entry>, StoreError> {
    let spec = HashMap::from([("service", service)]);
    let mut attempt = 0;
    loop {
        match keyring_core::Entry::search_in_store(store, &spec) {
            Ok(found) => return Ok(found),
            Err(e) => {
                let err = map_error(e, what);
                attempt += 1;
                if attempt >= 3 || err.is_unavailable() {
                    return Err(err);
                }
                std::thread::sleep(Duration::from_millis(30 * attempt));
            }
        }
    }
}

/// Runs `f` on its own thread and waits at most `timeout` for it. On timeout the thread is
/// left to finish on its own (it cannot be cancelled) and `StoreError::Timeout` is returned.
fn run_bounded<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    // A counter nobody moves: the first stall is the deadline.
    run_while_moving(timeout, &AtomicUsize::new(0), f)
}

/// Like [`run_bounded`], but the deadline is a stall: the wait goes on as long as `progress`
/// moved within the last `timeout`.
fn run_while_moving<T: Send + 'static>(
    timeout: Duration,
    progress: &AtomicUsize,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("actoken-keyring".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| StoreError::Backend(format!("cannot start a keyring thread: {e}")))?;
    let mut seen = progress.load(Ordering::Relaxed);
    loop {
        match rx.recv_timeout(timeout) {
            Ok(result) => return result,
            Err(RecvTimeoutError::Timeout) => {
                let now = progress.load(Ordering::Relaxed);
                if now == seen {
                    return Err(StoreError::Timeout);
                }
                seen = now;
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(StoreError::Backend(
                    "the keyring library crashed; retry, and report a bug if it keeps happening"
                        .into(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use errors::unavailable_at_start;

    fn platform(msg: &str) -> keyring_core::Error {
        keyring_core::Error::PlatformFailure(msg.to_owned().into())
    }

    #[test]
    fn start_failures_name_the_missing_piece_and_the_way_out() {
        let no_ss = unavailable_at_start(&platform(
            "zbus error: org.freedesktop.DBus.Error.ServiceUnknown: The name \
             org.freedesktop.secrets was not provided by any .service files",
        ));
        let no_bus = unavailable_at_start(&platform(
            "zbus error: Failed to connect to address `unix:path=/run/user/1000/bus`: No such \
             file or directory (os error 2)",
        ));
        let other = unavailable_at_start(&platform("something else"));
        for (err, cause) in [
            (no_ss, "no Secret Service on the D-Bus session bus"),
            (no_bus, "cannot reach a D-Bus session bus"),
            (
                other,
                "could not be opened (Platform failure: something else)",
            ),
        ] {
            assert!(err.is_unavailable());
            let msg = err.to_string();
            assert!(msg.contains(cause), "{msg}");
            assert!(msg.contains("gnome-keyring"), "{msg}");
            assert!(msg.contains("actoken demo"), "{msg}");
        }
    }

    #[test]
    fn errors_carrying_secret_bytes_do_not_show_them() {
        let secret = b"eyJhbGciOiJIUzI1NiJ9.secret-payload".to_vec();
        for e in [
            keyring_core::Error::BadEncoding(secret.clone()),
            keyring_core::Error::BadDataFormat(secret.clone(), "bad".into()),
        ] {
            let err = map_error(e, "hpc");
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("secret-payload"), "{shown}");
            assert!(shown.contains("\"hpc\""), "{shown}");
            assert!(shown.contains("add the token again"), "{shown}");
        }
    }

    #[test]
    fn locked_keyring_is_unavailable_with_unlock_advice() {
        let err = map_error(
            keyring_core::Error::NoStorageAccess("SS Error: object locked".into()),
            "hpc",
        );
        assert!(err.is_unavailable());
        assert!(
            err.to_string()
                .contains("gnome-keyring-daemon --replace --unlock")
        );
        let err = map_error(platform("broken pipe"), "hpc");
        assert!(!err.is_unavailable());
        assert!(err.to_string().contains("broken pipe"));
    }

    /// The keyring under `service`; `None` (the test is skipped, saying so) where no Secret
    /// Service runs, unless ACTOKEN_REQUIRE_KEYRING makes that a failure.
    fn test_backend(service: &str) -> Option<KeyringBackend> {
        match KeyringBackend::with_service(service, Duration::from_secs(10)) {
            Ok(b) => Some(b),
            Err(e) if std::env::var_os("ACTOKEN_REQUIRE_KEYRING").is_none() => {
                eprintln!("SKIPPED (no keyring; ACTOKEN_REQUIRE_KEYRING=1 makes this fail): {e}");
                None
            }
            Err(e) => panic!("{e}"),
        }
    }

    /// Deletes what a keyring test wrote, even when it fails.
    struct Cleanup<'a>(&'a KeyringBackend, &'a [&'a str]);

    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            for name in self.1 {
                let _ = self.0.delete(name);
            }
        }
    }

    #[test]
    fn get_many_reads_the_service_in_one_batch_and_agrees_with_get() {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let service = format!("actoken-test-batch-{}-{stamp}", std::process::id());
        let Some(backend) = test_backend(&service) else {
            return;
        };
        let _cleanup = Cleanup(&backend, &["a/x", "b"]);
        let (a, b) = (
            Token::from_raw(crate::samples::SAMPLE_REQUEST),
            Token::from_raw(crate::samples::SAMPLE_RESPONSE),
        );
        backend.set("a/x", &a).unwrap();
        backend.set("b", &b).unwrap();

        // The batch itself answers (so get_many did not just fall back to one by one).
        let progress = AtomicUsize::new(0);
        let stored: Vec<String> = ["a/x", "b"].map(String::from).into();
        let batch = super::session::read_service(&service, &stored, &progress).expect("batch read");
        assert_eq!(batch.len(), 2);
        // An attribute reply and a secret reply per item: a moving batch is not a hung one.
        assert_eq!(progress.load(Ordering::Relaxed), 4);

        let names: Vec<String> = ["b", "missing", "a/x"].map(String::from).into();
        let many: Vec<Option<Token>> = backend
            .get_many(&names)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let one: Vec<Option<Token>> = names.iter().map(|n| backend.get(n).unwrap()).collect();
        assert_eq!(many, one);
        assert_eq!(many, [Some(b), None, Some(a)]);
    }

    /// `secret-tool lookup`: what another Secret Service client sees.
    fn secret_tool_lookup(service: &str, name: &str) -> Option<String> {
        let out = std::process::Command::new("secret-tool")
            .args(["lookup", "service", service, "username", name])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// After a batch read, `set` replaces the item the read found in one call: the same item
    /// (no second one), holding the new secret for every client. An item deleted behind our
    /// back since is created again through the keyring crate.
    #[test]
    fn a_write_after_a_batch_read_replaces_the_item_in_place() {
        let service = format!("actoken-test-replace-{}", std::process::id());
        let Some(backend) = test_backend(&service) else {
            return;
        };
        let kunshan = "华东一区【昆山】";
        let _cleanup = Cleanup(&backend, &[kunshan, "西北一区"]);
        let (old, new) = (
            Token::from_raw(crate::samples::SAMPLE_REQUEST),
            Token::from_raw(crate::samples::SAMPLE_RESPONSE),
        );
        backend.set(kunshan, &old).unwrap();
        backend.set("西北一区", &old).unwrap();
        let names: Vec<String> = [kunshan, "西北一区"].map(String::from).into();
        assert!(backend.get_many(&names).iter().all(|r| r.is_ok()));

        // The batch read found both items: replaced in place, not through a search.
        assert_eq!(
            super::session::replace(&service, kunshan, new.expose()),
            Some(true)
        );
        let count = || super::light_search::count_items(&service);
        assert_eq!(count(), Some((2, 0)), "a second item was created");
        let seen = secret_tool_lookup(&service, kunshan);
        if seen.is_some() || std::env::var_os("ACTOKEN_REQUIRE_KEYRING").is_some() {
            assert_eq!(seen.as_deref(), Some(new.expose()));
        }
        assert_eq!(backend.get(kunshan).unwrap(), Some(new.clone()));

        // Deleted by someone else: the remembered item is gone, the write creates a new one.
        let cleared = std::process::Command::new("secret-tool")
            .args(["clear", "service", &service, "username", "西北一区"])
            .status();
        if cleared.is_ok_and(|s| s.success()) {
            backend.set("西北一区", &new).unwrap();
            assert_eq!(backend.get("西北一区").unwrap(), Some(new.clone()));
            assert_eq!(count(), Some((2, 0)));
            assert_eq!(
                super::session::replace(&service, "西北一区", new.expose()),
                None,
                "the gone item is forgotten"
            );
        }
        // Deleted through actoken: forgotten too.
        backend.delete(kunshan).unwrap();
        assert_eq!(
            super::session::replace(&service, kunshan, new.expose()),
            None
        );
    }

    #[test]
    fn bounded_calls_time_out_and_survive_panics() {
        let started = std::time::Instant::now();
        let slow = run_bounded(Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert!(matches!(slow, Err(StoreError::Timeout)));
        assert!(started.elapsed() < Duration::from_secs(2));
        let crashed: Result<(), _> = run_bounded(Duration::from_secs(5), || panic!("inside"));
        assert!(matches!(crashed, Err(StoreError::Backend(m)) if m.contains("crashed")));
        assert_eq!(run_bounded(Duration::from_secs(5), || Ok(7)).unwrap(), 7);
    }

    /// A batch that keeps reading items outlasts the timeout; one that stops does not.
    #[test]
    fn a_moving_batch_may_take_longer_than_the_timeout_a_stalled_one_may_not() {
        let timeout = Duration::from_millis(100);
        let progress = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&progress);
        let started = std::time::Instant::now();
        let moving = run_while_moving(timeout, &progress, move || {
            for _ in 0..10 {
                std::thread::sleep(Duration::from_millis(40));
                counter.fetch_add(1, Ordering::Relaxed);
            }
            Ok(10)
        });
        assert_eq!(moving.unwrap(), 10);
        assert!(started.elapsed() >= Duration::from_millis(400));

        let progress = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&progress);
        let started = std::time::Instant::now();
        let stalled = run_while_moving(timeout, &progress, move || {
            counter.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert!(matches!(stalled, Err(StoreError::Timeout)));
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
