//! The store against the real keyrings: the Secret Service and the Linux kernel keyring
//! (keyutils). The same suite runs on both.
//!
//! Each test uses its own keyring service name (in the kernel keyring: its own description
//! prefix in the user's persistent keyring, which every process of the user shares, so
//! parallel tests must not share names) and deletes what it created. Without a reachable
//! keyring the tests print SKIPPED and pass, unless `ACTOKEN_REQUIRE_KEYRING=1` (set by
//! `.ci/run`), when they fail.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actoken::config::Paths;
use actoken::samples::{SAMPLE_REQUEST, SAMPLE_RESPONSE};
use actoken::store::{
    EntryMeta, KeyringBackend, KeyutilsBackend, MoveOutcome, SecretBackend, SecretState, Store,
    StoreError, StoreKind, StorePair,
};
use actoken::token::Token;
use jiff::Timestamp;

use crate::support::have;

const TIMEOUT: Duration = Duration::from_secs(5);

/// A keyring backend under a fresh service name; deletes every item of that service on drop.
struct TestKeyring {
    backend: Arc<dyn SecretBackend>,
    kind: StoreKind,
    service: String,
}

impl Drop for TestKeyring {
    fn drop(&mut self) {
        match self.backend.names() {
            Ok(names) => {
                for n in names {
                    if let Err(e) = self.backend.delete(&n) {
                        eprintln!("cleanup of {n:?} in {} failed: {e}", self.service);
                    }
                }
            }
            Err(e) => eprintln!("cleanup of {} failed: {e}", self.service),
        }
    }
}

fn unique_service(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("actoken-test-{test}-{}-{nanos}", std::process::id())
}

/// A fresh namespace in `kind`, or `None` (SKIPPED) where that store cannot be reached.
fn keyring_of(kind: StoreKind, test: &str) -> Option<TestKeyring> {
    match kind {
        StoreKind::SecretService => keyring(test),
        StoreKind::Keyutils => kernel_keyring(test),
    }
}

/// The kernel keyring under a fresh service name.
fn kernel_keyring(test: &str) -> Option<TestKeyring> {
    let service = unique_service(test);
    match KeyutilsBackend::with_service(&service) {
        Ok(backend) => Some(TestKeyring {
            backend: Arc::new(backend),
            kind: StoreKind::Keyutils,
            service,
        }),
        Err(e) if std::env::var("ACTOKEN_REQUIRE_KEYRING").as_deref() == Ok("1") => {
            panic!("ACTOKEN_REQUIRE_KEYRING=1 but the kernel keyring cannot be used: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: the kernel keyring cannot be used here: {e}");
            None
        }
    }
}

fn keyring(test: &str) -> Option<TestKeyring> {
    let service = unique_service(test);
    match KeyringBackend::with_service(&service, TIMEOUT) {
        Ok(backend) => Some(TestKeyring {
            backend: Arc::new(backend),
            kind: StoreKind::SecretService,
            service,
        }),
        Err(e) if std::env::var("ACTOKEN_REQUIRE_KEYRING").as_deref() == Ok("1") => {
            panic!("ACTOKEN_REQUIRE_KEYRING=1 but the keyring cannot be opened: {e}")
        }
        Err(e) => {
            eprintln!(
                "SKIPPED: no Secret Service (run inside .ci/run or a D-Bus session with \
                 gnome-keyring): {e}"
            );
            None
        }
    }
}

fn meta(name: &str) -> EntryMeta {
    let added = Timestamp::from_second(1_700_000_000).unwrap();
    EntryMeta {
        note: Some("integration test".into()),
        ..EntryMeta::new(name, "https://api01.example.com:65102", added)
    }
}

/// Runs a suite function against both stores.
macro_rules! on_both_stores {
    ($suite:ident, $ss:ident, $ku:ident) => {
        #[test]
        fn $ss() {
            $suite(StoreKind::SecretService)
        }
        #[test]
        fn $ku() {
            $suite(StoreKind::Keyutils)
        }
    };
}

on_both_stores!(
    backend_set_get_delete_names,
    ss_backend_set_get_delete_names,
    keyutils_backend_set_get_delete_names
);
on_both_stores!(
    services_do_not_see_each_other,
    ss_services_do_not_see_each_other,
    keyutils_services_do_not_see_each_other
);
on_both_stores!(
    store_core_operations,
    ss_store_core_operations,
    keyutils_store_core_operations
);

fn backend_set_get_delete_names(kind: StoreKind) {
    let Some(k) = keyring_of(kind, "backend") else {
        return;
    };
    let b = &k.backend;
    assert!(b.describe().contains(&k.service), "{}", b.describe());
    assert_eq!(b.get("absent").unwrap(), None);
    b.delete("absent").unwrap();
    assert!(b.names().unwrap().is_empty());

    let one = Token::from_raw(SAMPLE_REQUEST);
    let two = Token::from_raw(SAMPLE_RESPONSE);
    b.set("hpc/one", &one).unwrap();
    b.set("华东一区【昆山】", &two).unwrap();
    assert_eq!(b.get("hpc/one").unwrap(), Some(one.clone()));
    assert_eq!(b.get("华东一区【昆山】").unwrap(), Some(two.clone()));
    assert_eq!(b.names().unwrap(), ["hpc/one", "华东一区【昆山】"]);

    // Overwriting keeps a single item with the new value.
    b.set("hpc/one", &two).unwrap();
    assert_eq!(b.get("hpc/one").unwrap(), Some(two));
    assert_eq!(b.names().unwrap().len(), 2);

    b.delete("hpc/one").unwrap();
    assert_eq!(b.get("hpc/one").unwrap(), None);
    assert_eq!(b.names().unwrap(), ["华东一区【昆山】"]);
}

fn services_do_not_see_each_other(kind: StoreKind) {
    let Some(a) = keyring_of(kind, "iso-a") else {
        return;
    };
    let Some(b) = keyring_of(kind, "iso-b") else {
        return;
    };
    a.backend
        .set("same", &Token::from_raw(SAMPLE_REQUEST))
        .unwrap();
    assert_eq!(b.backend.get("same").unwrap(), None);
    assert!(b.backend.names().unwrap().is_empty());
}

fn store_core_operations(kind: StoreKind) {
    let Some(k) = keyring_of(kind, "store") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let store = Store::open_in(&paths, k.backend.clone(), k.kind).unwrap();
    let old = Token::from_raw(SAMPLE_REQUEST);
    let new = Token::from_raw(SAMPLE_RESPONSE);

    store.add(meta("kunshan"), &old, false).unwrap();
    store.add(meta("wuxi"), &new, false).unwrap();
    assert!(matches!(
        store.add(meta("kunshan"), &new, false),
        Err(StoreError::Exists(_))
    ));
    // The index records which store holds it, and the token's facts.
    let in_store = EntryMeta {
        store: k.kind,
        facts: Some(actoken::store::TokenFacts::of(&old)),
        ..meta("kunshan")
    };
    assert_eq!(store.get("kunshan").unwrap(), (in_store, old.clone()));
    let index = std::fs::read_to_string(paths.index_file()).unwrap();
    assert_eq!(
        index.contains("store = \"keyutils\""),
        k.kind == StoreKind::Keyutils,
        "{index}"
    );

    let renewed = Timestamp::from_second(1_700_000_900).unwrap();
    store.replace_token("kunshan", &new, renewed).unwrap();
    let (m, t) = store.get("kunshan").unwrap();
    assert_eq!(t, new);
    assert_eq!(m.renewed_at, Some(renewed));

    // The secret is in the keyring, not in the index.
    let index = std::fs::read_to_string(paths.index_file()).unwrap();
    assert!(!index.contains(&SAMPLE_RESPONSE[40..80]));

    // Deleted behind our back: shown as missing.
    k.backend.delete("wuxi").unwrap();
    let all = store.load_all();
    assert!(matches!(&all[0].secret, SecretState::Present(t) if *t == new));
    assert!(matches!(all[1].secret, SecretState::Missing));

    // Index lost: the keyring's secrets show up as orphans.
    std::fs::remove_file(paths.index_file()).unwrap();
    let fresh = Store::open_in(&paths, k.backend.clone(), k.kind).unwrap();
    assert!(fresh.entries().is_empty());
    assert_eq!(fresh.orphans().unwrap(), ["kunshan"]);
    fresh.remove("kunshan").unwrap();
    assert!(fresh.orphans().unwrap().is_empty());
    assert_eq!(k.backend.get("kunshan").unwrap(), None);
}

/// A real backend with one-shot faults, to break a move half-way.
struct Faulty {
    inner: Arc<dyn SecretBackend>,
    fail_set: std::sync::atomic::AtomicBool,
    fail_delete: std::sync::atomic::AtomicBool,
}

impl Faulty {
    fn new(inner: Arc<dyn SecretBackend>) -> Faulty {
        Faulty {
            inner,
            fail_set: false.into(),
            fail_delete: false.into(),
        }
    }
}

impl SecretBackend for Faulty {
    fn get(&self, name: &str) -> Result<Option<Token>, StoreError> {
        self.inner.get(name)
    }
    fn set(&self, name: &str, token: &Token) -> Result<(), StoreError> {
        if self
            .fail_set
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return Err(StoreError::Backend("injected: write failed".into()));
        }
        self.inner.set(name, token)
    }
    fn delete(&self, name: &str) -> Result<(), StoreError> {
        if self
            .fail_delete
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return Err(StoreError::Backend("injected: delete failed".into()));
        }
        self.inner.delete(name)
    }
    fn names(&self) -> Result<Vec<String>, StoreError> {
        self.inner.names()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[test]
fn move_between_the_real_stores_with_faults_loses_nothing() {
    let Some(ss) = keyring("move-ss") else { return };
    let Some(ku) = kernel_keyring("move-ku") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let name = "华中一区【A区】";
    let token = Token::from_raw(SAMPLE_REQUEST);
    Store::open_in(&paths, ss.backend.clone(), StoreKind::SecretService)
        .unwrap()
        .add(meta(name), &token, false)
        .unwrap();
    let (ss_f, ku_f) = (
        Faulty::new(ss.backend.clone()),
        Faulty::new(ku.backend.clone()),
    );
    let pair = StorePair {
        secret_service: &ss_f,
        keyutils: &ku_f,
    };
    let store = Store::open_in(&paths, ku.backend.clone(), StoreKind::Keyutils).unwrap();
    let in_index = || {
        store
            .reload()
            .and_then(|()| store.meta(name))
            .unwrap()
            .store
    };

    // The copy fails: the original stays where the index says.
    ku_f.fail_set
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let err = store
        .move_entry(name, pair, StoreKind::Keyutils)
        .unwrap_err();
    assert!(err.to_string().contains("injected"), "{err}");
    assert_eq!(in_index(), StoreKind::SecretService);
    assert_eq!(ss.backend.get(name).unwrap(), Some(token.clone()));
    assert_eq!(ku.backend.get(name).unwrap(), None);

    // Copied and recorded, but the original cannot be deleted: the token is used from the
    // kernel keyring, the leftover is reported, and the next move deletes it.
    ss_f.fail_delete
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let moved = store.move_entry(name, pair, StoreKind::Keyutils).unwrap();
    assert!(
        matches!(&moved, MoveOutcome::Moved { leftover: Some(why) } if why.contains("injected")),
        "{moved:?}"
    );
    assert_eq!(in_index(), StoreKind::Keyutils);
    assert_eq!(store.get(name).unwrap().1, token);
    assert_eq!(ss.backend.get(name).unwrap(), Some(token.clone()));
    assert_eq!(
        store.move_entry(name, pair, StoreKind::Keyutils).unwrap(),
        MoveOutcome::AlreadyThere { cleaned: true }
    );
    assert_eq!(ss.backend.get(name).unwrap(), None);
    assert_eq!(ku.backend.get(name).unwrap(), Some(token));
}

// --- failing fast without a usable keyring (run in child processes: the keyring crate sets
// up its platform store once per process) ---

/// Set in a child process started by the tests below.
const CHILD_ENV: &str = "ACTOKEN_KEYRING_TEST_CHILD";

/// The child half: opens the keyring with a 1 s timeout and reports how it failed.
#[test]
fn open_in_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let started = Instant::now();
    let result = KeyringBackend::with_service("actoken-test-child", Duration::from_secs(1));
    let elapsed = started.elapsed();
    match result {
        Ok(_) => println!("CHILD-RESULT opened"),
        Err(e) => println!(
            "CHILD-RESULT unavailable={} elapsed_ms={} message={}",
            e.is_unavailable() && matches!(e, StoreError::Unavailable { .. }),
            elapsed.as_millis(),
            e.to_string().replace('\n', " | ")
        ),
    }
}

/// Runs `open_in_child` with `DBUS_SESSION_BUS_ADDRESS=address`; returns its result line.
fn open_with_bus(address: &str) -> String {
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store_keyring::open_in_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "child failed: {output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The harness prints "test store_keyring::open_in_child ... " on the same line.
    stdout
        .split_once("CHILD-RESULT")
        .and_then(|(_, rest)| rest.lines().next())
        .unwrap_or_else(|| panic!("no result from child: {stdout}"))
        .to_owned()
}

fn assert_fast_unavailable(line: &str) {
    assert!(line.contains("unavailable=true"), "{line}");
    let ms: u128 = line
        .split("elapsed_ms=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(ms < 2000, "open took {ms} ms: {line}");
    assert!(line.contains("actoken demo"), "no way forward in: {line}");
}

#[test]
fn missing_bus_socket_fails_fast_with_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let address = format!("unix:path={}", dir.path().join("no-such-bus").display());
    let line = open_with_bus(&address);
    assert_fast_unavailable(&line);
    assert!(line.contains("D-Bus"), "{line}");
}

#[cfg(unix)]
#[test]
fn hung_bus_fails_fast_with_unavailable() {
    // A socket that accepts connections and never answers, like a wedged bus daemon.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("hung-bus");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        while let Ok((stream, _)) = listener.accept() {
            // Read (and ignore) until the client hangs up, so its writes never fail.
            let mut sink = Vec::new();
            let _ = BufReader::new(stream).read_until(0xff, &mut sink);
        }
    });
    let line = open_with_bus(&format!("unix:path={}", socket.display()));
    assert_fast_unavailable(&line);
    assert!(line.contains("did not answer"), "{line}");
}

#[test]
fn keyring_without_usable_collection_fails_fast_at_open() {
    // A private session bus where the Secret Service is D-Bus-activated on demand but has no
    // unlocked collection (what a headless box gives you): open must say so, quickly, rather
    // than succeed and fail at the first save.
    if !have("dbus-run-session") || !have("gnome-keyring-daemon") {
        assert!(
            std::env::var("ACTOKEN_REQUIRE_KEYRING").as_deref() != Ok("1"),
            "ACTOKEN_REQUIRE_KEYRING=1 but dbus-run-session or gnome-keyring-daemon is missing"
        );
        eprintln!(
            "SKIPPED: needs dbus-run-session and gnome-keyring-daemon (installed by .ci/run)"
        );
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let runtime = home.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let output = Command::new("dbus-run-session")
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store_keyring::open_in_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .split_once("CHILD-RESULT")
        .and_then(|(_, rest)| rest.lines().next())
        .unwrap_or_else(|| panic!("no result from child: {output:?}"));
    eprintln!("child said:{line}");
    assert!(line.contains("unavailable=true"), "{line}");
    let ms: u128 = line
        .split("elapsed_ms=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(ms < 2000, "open took {ms} ms: {line}");
    assert!(line.contains("unlock"), "no way forward in: {line}");
}
