//! scnet-cli, a second and independent client of the platform (PyPI `scnet-cli`), in a
//! virtualenv of its own: the one `ACTOKEN_SCNET_CLI_VENV` names, else one made under
//! `target/` on first use (pip install of the pinned version).
//!
//! Without the package index (no network, no python3 venv) the tests that need it skip with a
//! message; with `ACTOKEN_REQUIRE_SCNET_CLI=1` (CI, which installs it beforehand) that is a
//! failure. Any other failure to install it fails.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The version the tests were written against (PyPI has only this one so far).
pub const SCNET_CLI: &str = "scnet-cli==0.1.0";
const VERSION: &str = "0.1.0";

/// The venv the tests use, if set (CI makes it before the suite).
const VENV_VAR: &str = "ACTOKEN_SCNET_CLI_VENV";
/// `1`: a missing scnet-cli fails instead of skipping.
const REQUIRE_VAR: &str = "ACTOKEN_REQUIRE_SCNET_CLI";

/// How long pip may take; then the index counts as unreachable.
const INSTALL_WITHIN: Duration = Duration::from_secs(120);

/// The venv's python with scnet-cli importable, or `None` after saying why the test skips.
pub fn python(test: &str) -> Option<PathBuf> {
    let venv = std::env::var_os(VENV_VAR).map_or_else(default_venv, PathBuf::from);
    let python = venv.join("bin/python");
    if installed(&python) {
        return Some(python);
    }
    let _turn = lock(&venv);
    if installed(&python) {
        return Some(python);
    }
    match install(&venv) {
        Ok(()) => {
            assert!(
                installed(&python),
                "{test}: pip installed {SCNET_CLI} into {} but `import scnet` does not work",
                venv.display()
            );
            Some(python)
        }
        Err(Unavailable(why)) => {
            if std::env::var(REQUIRE_VAR).as_deref() == Ok("1") {
                panic!("{test}: {SCNET_CLI} cannot be installed, but {REQUIRE_VAR}=1: {why}");
            }
            eprintln!(
                "SKIPPED {test}: {SCNET_CLI} is not installed and cannot be: {why} \
                 (set {VENV_VAR} to a venv that has it)"
            );
            None
        }
    }
}

fn default_venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/scnet-cli-{VERSION}"))
}

/// scnet-cli of the pinned version imports in that python.
fn installed(python: &Path) -> bool {
    let check = "import scnet, sys; sys.exit(0 if scnet.__version__ == sys.argv[1] else 1)";
    Command::new(python)
        .args(["-c", check, VERSION])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Why scnet-cli is not there and cannot be had here (the index cannot be reached).
struct Unavailable(String);

/// Makes the venv and installs the pinned scnet-cli. Panics on a failure that is not the
/// network's (a broken install must not pass as "offline").
fn install(venv: &Path) -> Result<(), Unavailable> {
    if venv.exists() {
        std::fs::remove_dir_all(venv).expect("remove a half-made venv");
    }
    let made = run_within(
        Command::new("python3").args(["-m", "venv"]).arg(venv),
        INSTALL_WITHIN,
    );
    match made {
        Some(out) if out.status.success() => {}
        Some(out) => {
            return Err(Unavailable(format!(
                "`python3 -m venv` failed (install python3-venv): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        None => return Err(Unavailable("`python3 -m venv` did not finish".into())),
    }
    let pip = run_within(
        Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .args(["--timeout", "20", "--retries", "1", SCNET_CLI]),
        INSTALL_WITHIN,
    );
    let out = match pip {
        Some(out) if out.status.success() => return Ok(()),
        Some(out) => out,
        None => {
            return Err(Unavailable(format!(
                "pip did not finish within {INSTALL_WITHIN:?}"
            )));
        }
    };
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let offline = [
        "NewConnectionError",
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Name or service not known",
        "Network is unreachable",
        "No route to host",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ProxyError",
        "Max retries exceeded",
        "Could not fetch URL",
    ];
    if offline.iter().any(|w| said.contains(w)) {
        let last = said
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(Unavailable(format!(
            "the package index cannot be reached ({})",
            last.trim()
        )));
    }
    panic!("pip install {SCNET_CLI} failed, and not for want of a network:\n{said}");
}

/// One install at a time (two test runs side by side): an advisory lock beside the venv.
fn lock(venv: &Path) -> std::fs::File {
    use fs4::FileExt;
    let mut path = venv.as_os_str().to_owned();
    path.push(".lock");
    let path = PathBuf::from(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(&path).unwrap();
    let deadline = Instant::now() + INSTALL_WITHIN + Duration::from_secs(30);
    loop {
        match FileExt::try_lock(&file) {
            Ok(()) => return file,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => panic!("another run holds {} too long: {e:?}", path.display()),
        }
    }
}

/// Runs `command` to its end, or kills it (by its own handle) after `limit`: `None` then.
/// Output is read as it comes, so a chatty child never blocks on a full pipe.
pub fn run_within(command: &mut Command, limit: Duration) -> Option<Output> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    Some(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}
