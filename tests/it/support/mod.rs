//! Shared by the integration tests: an isolated actoken environment (own XDG dirs, own keyring
//! service name) and a mock AC server on loopback.
#![allow(dead_code)]

/// Returns from the test (saying why) when no Secret Service runs; see [`keyring_available`].
/// Declared `#[macro_use]` in `main.rs`, so every module can use it.
#[allow(unused_macros)]
macro_rules! need_keyring {
    () => {
        if !crate::support::keyring_available(module_path!()) {
            return;
        }
    };
}

pub mod agent;
pub mod in_process;
pub mod logbuf;
pub mod mock_process;
pub mod recorder;
pub mod scnet_cli;
#[cfg(unix)]
pub mod sshd;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actoken::mock::{MintSpec, MockOptions, MockServer, mint};
use actoken::store::KeyringBackend;
use actoken::token::Token;
use assert_cmd::Command;
use jiff::{SignedDuration, Timestamp};

/// True when a Secret Service answers. When it does not, keyring tests skip with a message,
/// unless ACTOKEN_REQUIRE_KEYRING=1 (as in CI), where that is a failure.
pub fn keyring_available(test: &str) -> bool {
    let ok = secret_service_answers();
    if !ok {
        if std::env::var("ACTOKEN_REQUIRE_KEYRING").as_deref() == Ok("1") {
            panic!("{test}: no Secret Service reachable, but ACTOKEN_REQUIRE_KEYRING=1");
        }
        eprintln!(
            "SKIPPED {test}: no Secret Service (run inside `bash .ci/run`, or a D-Bus session with gnome-keyring)"
        );
    }
    ok
}

/// Whether a Secret Service answers; probed once per test process (parallel probes would only
/// race each other).
fn secret_service_answers() -> bool {
    static ANSWERS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANSWERS.get_or_init(|| {
        KeyringBackend::with_service("actoken-probe", Duration::from_secs(5)).is_ok()
    })
}

/// Returns from the test (saying why) when it has no real store to run on; see
/// [`store_available`]. For tests of what the binary does with a store, not of the Secret
/// Service itself (those use `need_keyring!`).
#[allow(unused_macros)]
macro_rules! need_store {
    () => {
        if !crate::support::store_available(module_path!()) {
            return;
        }
    };
}

thread_local! {
    /// Set by [`store_available`] for the test running on this thread (under plain `cargo
    /// test` the tests of every module share one process: the choice must not leak).
    static ON_KERNEL_KEYRING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True when the binary has a real store to run on: the Secret Service when one answers (always
/// in CI), else the kernel keyring, as on a headless machine (every [`Env`] this test makes
/// after the call then writes `store = "keyutils"` into its config). When neither works, the
/// test skips with a message.
pub fn store_available(test: &str) -> bool {
    if secret_service_answers() || std::env::var("ACTOKEN_REQUIRE_KEYRING").as_deref() == Ok("1") {
        return keyring_available(test);
    }
    if actoken::store::KeyutilsBackend::with_service("actoken-probe").is_ok() {
        ON_KERNEL_KEYRING.with(|on| on.set(true));
        eprintln!("NOTE {test}: no Secret Service: the binary runs on the kernel keyring");
        return true;
    }
    eprintln!("SKIPPED {test}: neither a Secret Service nor the kernel keyring can be used here");
    false
}

fn on_kernel_keyring() -> bool {
    ON_KERNEL_KEYRING.with(std::cell::Cell::get)
}

/// True if `program` can be run (found on PATH).
pub fn have(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The config line that puts the binary on the kernel keyring, when [`store_available`] chose it.
fn store_line() -> &'static str {
    if on_kernel_keyring() {
        "store = \"keyutils\"\n"
    } else {
        ""
    }
}

/// One user's world: private config/state dirs and a keyring namespace, removed on drop.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub service: String,
}

impl Env {
    pub fn new() -> Env {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = tempfile::tempdir().unwrap();
        // A patient keyring: on a loaded 2-core machine (parallel test binaries, builds beside
        // them) gnome-keyring can take longer than the 1.5 s default to answer, which would
        // turn an unrelated test into a "keyring not usable" failure. Tests that need the
        // default write their own config.
        let config = dir.path().join("config/actoken/config.toml");
        std::fs::create_dir_all(config.parent().unwrap()).unwrap();
        std::fs::write(
            &config,
            format!("keyring-timeout = \"10s\"\n{}", store_line()),
        )
        .unwrap();
        Env {
            dir,
            service: format!("actoken-test-{}-{n}", std::process::id()),
        }
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::from_std(self.std_cmd());
        cmd.timeout(Duration::from_secs(60));
        cmd
    }

    /// [`Env::cmd`] as a plain `std::process::Command`, for tests that wire stdio themselves.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("actoken"));
        cmd.env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("ACTOKEN_KEYRING_SERVICE", &self.service)
            .env_remove("ACTOKEN_LOG")
            .env_remove("ACTOKEN_STORE")
            // scnet-cli's directory: never the developer's own ~/.scnet (doctor reads it).
            .env("SCNET_HOME", self.dir.path().join("scnet"))
            // Messages checked by the tests are English, whatever the developer's locale.
            .env("ACTOKEN_LANG", "en");
        cmd
    }

    /// Like [`Env::cmd`] on a machine without a desktop: no D-Bus session bus to be found
    /// (`DBUS_SESSION_BUS_ADDRESS` unset, a runtime dir without a bus socket), no store chosen.
    pub fn headless_cmd(&self) -> Command {
        let runtime = self.dir.path().join("run");
        std::fs::create_dir_all(&runtime).unwrap();
        let mut cmd = self.cmd();
        cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("ACTOKEN_STORE")
            .env("XDG_RUNTIME_DIR", runtime);
        cmd
    }

    /// Writes `config.toml`: `text` after the patient keyring timeout of [`Env::new`]
    /// (unless `text` sets its own).
    pub fn write_config(&self, text: &str) {
        let dir = self.dir.path().join("config/actoken");
        std::fs::create_dir_all(&dir).unwrap();
        let patient = if text.contains("keyring-timeout") {
            ""
        } else {
            "keyring-timeout = \"10s\"\n"
        };
        let store = if text.contains("store =") {
            ""
        } else {
            store_line()
        };
        std::fs::write(dir.join("config.toml"), format!("{patient}{store}{text}")).unwrap();
    }

    pub fn index_file(&self) -> PathBuf {
        self.dir.path().join("config/actoken/index.toml")
    }

    /// `actoken add NAME --base-url URL` with the token on stdin; panics unless it succeeds.
    pub fn add(&self, name: &str, base_url: &str, token: &Token) {
        self.cmd()
            .args(["add", name, "--base-url", base_url])
            .write_stdin(token.expose())
            .assert()
            .success();
    }

    /// The secret exactly as the keyring holds it (bypassing every check of the CLI).
    pub fn stored_raw(&self, name: &str) -> String {
        use actoken::store::{KeyutilsBackend, SecretBackend};
        let backend: Box<dyn SecretBackend> = if on_kernel_keyring() {
            Box::new(KeyutilsBackend::with_service(&self.service).unwrap())
        } else {
            Box::new(KeyringBackend::with_service(&self.service, Duration::from_secs(2)).unwrap())
        };
        backend
            .get(name)
            .unwrap()
            .expect("a stored secret")
            .expose()
            .to_owned()
    }

    /// The stored token, via `actoken token NAME` (exercising the script path).
    pub fn stored(&self, name: &str) -> String {
        let out = self.cmd().args(["token", name]).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // Leave no test secrets in the real keyrings. The kernel keyring is always there on
        // Linux (and shared by every process of the user), so it is cleaned without a probe.
        use actoken::store::{KeyutilsBackend, SecretBackend, accounts_service};
        if let Ok(backend) = KeyringBackend::with_service(&self.service, Duration::from_secs(2)) {
            for name in backend.names().unwrap_or_default() {
                let _ = backend.delete(&name);
            }
        }
        for service in [self.service.clone(), accounts_service(&self.service)] {
            if let Ok(backend) = KeyutilsBackend::with_service(&service) {
                for name in backend.names().unwrap_or_default() {
                    let _ = backend.delete(&name);
                }
            }
        }
    }
}

/// True when the kernel keyring can be used. When it cannot, kernel keyring tests skip with a
/// message, unless ACTOKEN_REQUIRE_KEYRING=1 (as in CI), where that is a failure.
pub fn kernel_keyring_available(test: &str) -> bool {
    match actoken::store::KeyutilsBackend::with_service("actoken-probe") {
        Ok(_) => true,
        Err(e) if std::env::var("ACTOKEN_REQUIRE_KEYRING").as_deref() == Ok("1") => {
            panic!("{test}: the kernel keyring cannot be used, but ACTOKEN_REQUIRE_KEYRING=1: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED {test}: the kernel keyring cannot be used here: {e}");
            false
        }
    }
}

/// A running mock AC server and the runtime that drives it.
pub struct Mock {
    pub server: MockServer,
    _rt: tokio::runtime::Runtime,
}

impl Mock {
    pub fn start() -> Mock {
        Mock::start_with(MockOptions::default())
    }

    pub fn start_with(opts: MockOptions) -> Mock {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt
            .block_on(MockServer::start("127.0.0.1:0".parse().unwrap(), opts))
            .unwrap();
        Mock { server, _rt: rt }
    }

    pub fn url(&self) -> String {
        self.server.base_url()
    }
}

/// A mock-signed token for `user` that expires `in_` from now (negative: already expired).
pub fn token(user: &str, in_: SignedDuration) -> Token {
    mint(&MintSpec {
        user: user.into(),
        compute_user: format!("{user}_c"),
        cluster_id: "11112".into(),
        account_status: "Normal".into(),
        expire_at: Timestamp::now() + in_,
    })
}

/// A URL on a port that was free a moment ago: nothing listens there (connection refused).
pub fn closed_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

pub fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}
