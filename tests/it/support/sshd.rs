//! A real OpenSSH `sshd` on loopback, for the tests of `actoken ssh` and of the agent over a
//! forwarded socket: its own temporary directory, host key, client key, free port and config,
//! run in the foreground and killed (by its own handle) when dropped. A client config beside it
//! makes `ssh -F CONFIG testhost` log in as the user running the tests, with the host key
//! pinned and no prompt.
//!
//! Without `sshd` (Debian: openssh-server) the test says SKIPPED, unless
//! `ACTOKEN_REQUIRE_SSHD=1` (as in CI), where that is a failure.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// sshd re-executes itself and so must be started by its absolute path.
const SSHD: &str = "/usr/sbin/sshd";
/// The host name the client config gives the server.
pub const HOST: &str = "testhost";
/// How long sshd may take to say it listens.
const READY_WITHIN: Duration = Duration::from_secs(20);
/// Variables a session gets from the test's own environment: the tools it finds, and the
/// shifted clock of CI's year-ahead run (libfaketime), so both ends of a connection agree on
/// the date.
const PASSED_ON: &[&str] = &[
    "PATH",
    "LD_PRELOAD",
    "FAKETIME",
    "FAKETIME_DONT_FAKE_MONOTONIC",
];

pub struct Sshd {
    pub dir: tempfile::TempDir,
    child: Child,
    pub port: u16,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Sshd {
    /// Starts a server whose sessions get `env` (on top of their own directory as
    /// XDG_RUNTIME_DIR and [`PASSED_ON`]), or `None` (having said SKIPPED) when sshd is not
    /// installed.
    pub fn start(test: &str, env: &[(&str, &str)]) -> Option<Sshd> {
        if !installed(test) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        make_keys(dir.path());
        // Privilege separation needs this directory; systemd's unit would make it.
        let _ = std::fs::create_dir_all("/run/sshd");
        let runtime = dir.path().join("run");
        std::fs::create_dir_all(&runtime).unwrap();
        set_mode(&runtime, 0o700);
        let mut session_env: Vec<(String, String)> = PASSED_ON
            .iter()
            .filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?)))
            .collect();
        session_env.push(("XDG_RUNTIME_DIR".into(), runtime.display().to_string()));
        session_env.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        // A port free a moment ago may be taken before sshd binds it: try a few.
        let mut failures = String::new();
        for _ in 0..5 {
            let port = free_port();
            write_configs(dir.path(), port, &session_env);
            match launch(dir.path()) {
                Ok((child, lines)) => {
                    return Some(Sshd {
                        dir,
                        child,
                        port,
                        lines,
                    });
                }
                Err(log) => failures.push_str(&format!("--- port {port}:\n{log}\n")),
            }
        }
        panic!("{test}: sshd did not start:\n{failures}");
    }

    /// The client config: `ssh -F THIS testhost` logs in without a prompt.
    pub fn client_config(&self) -> PathBuf {
        self.dir.path().join("ssh_config")
    }

    /// The sessions' XDG_RUNTIME_DIR (a private directory of this server's).
    pub fn remote_runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// `ssh -F CONFIG`, to which a test adds `testhost` and a command.
    pub fn ssh(&self) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.arg("-F").arg(self.client_config());
        cmd
    }

    /// What sshd logged so far (for a failing test's message).
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether sshd, ssh and ssh-keygen are there; says SKIPPED (or fails, under
/// ACTOKEN_REQUIRE_SSHD=1) when not.
fn installed(test: &str) -> bool {
    let missing: Vec<&str> = [SSHD, "ssh", "ssh-keygen"]
        .into_iter()
        .filter(|program| !runs(program))
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("ACTOKEN_REQUIRE_SSHD").as_deref() == Ok("1") {
        panic!("{test}: {missing:?} not installed, but ACTOKEN_REQUIRE_SSHD=1");
    }
    eprintln!(
        "SKIPPED {test}: {} not installed (Debian: apt-get install openssh-server openssh-client)",
        missing.join(", ")
    );
    false
}

/// Whether `program` can be started (sshd has no --version: any start counts).
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("-V")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn make_keys(dir: &Path) {
    for key in ["host_key", "client_key"] {
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", key, "-f"])
            .arg(dir.join(key))
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "ssh-keygen for {key}: {status}");
    }
    std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
    // The host key, pinned under the name the client asks for.
    let host_pub = std::fs::read_to_string(dir.join("host_key.pub")).unwrap();
    let key: Vec<&str> = host_pub.split_whitespace().take(2).collect();
    std::fs::write(
        dir.join("known_hosts"),
        format!("{HOST} {}\n", key.join(" ")),
    )
    .unwrap();
}

fn write_configs(dir: &Path, port: u16, session_env: &[(String, String)]) {
    let d = dir.display();
    // One line: sshd takes the first SetEnv it reads and ignores the others.
    let set_env: Vec<String> = session_env
        .iter()
        .map(|(k, v)| format!("\"{k}={v}\""))
        .collect();
    let set_env = set_env.join(" ");
    // Tests run as root in CI: root logs in with the key (prohibit-password). StrictModes off:
    // the temporary directory's modes are not a user's home's. AllowTcpForwarding stays on:
    // OpenSSH 9.2 refuses socket forwards too under `AllowTcpForwarding no`.
    let server = format!(
        "Port {port}\n\
         ListenAddress 127.0.0.1\n\
         HostKey {d}/host_key\n\
         PidFile {d}/sshd.pid\n\
         AuthorizedKeysFile {d}/authorized_keys\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         UsePAM no\n\
         StrictModes no\n\
         PermitRootLogin prohibit-password\n\
         AllowStreamLocalForwarding yes\n\
         StreamLocalBindUnlink yes\n\
         X11Forwarding no\n\
         UseDNS no\n\
         PrintMotd no\n\
         PrintLastLog no\n\
         LogLevel VERBOSE\n\
         SetEnv {set_env}\n"
    );
    std::fs::write(dir.join("sshd_config"), server).unwrap();
    let client = format!(
        "Host {HOST}\n\
         \x20 HostName 127.0.0.1\n\
         \x20 Port {port}\n\
         \x20 IdentityFile {d}/client_key\n\
         \x20 IdentitiesOnly yes\n\
         \x20 UserKnownHostsFile {d}/known_hosts\n\
         \x20 GlobalKnownHostsFile /dev/null\n\
         \x20 HostKeyAlias {HOST}\n\
         \x20 StrictHostKeyChecking yes\n\
         \x20 BatchMode yes\n\
         \x20 ConnectTimeout 20\n\
         \x20 LogLevel ERROR\n"
    );
    std::fs::write(dir.join("ssh_config"), client).unwrap();
}

/// sshd in the foreground, logging to stderr; `Ok` once it listens, `Err(its log)` if it ended
/// first. Fails loudly if it neither listens nor ends in time.
#[allow(clippy::type_complexity)]
fn launch(dir: &Path) -> Result<(Child, Arc<Mutex<Vec<String>>>), String> {
    let mut child = Command::new(SSHD)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(dir.join("sshd_config"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sshd starts");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (stderr, sink) = (child.stderr.take().unwrap(), lines.clone());
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let started = Instant::now();
    loop {
        if lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("Server listening on 127.0.0.1"))
        {
            return Ok((child, lines));
        }
        if let Ok(Some(status)) = child.try_wait() {
            // Give the reader a moment to collect the last lines.
            std::thread::sleep(Duration::from_millis(100));
            return Err(format!("{status}\n{}", lines.lock().unwrap().join("\n")));
        }
        if started.elapsed() > READY_WITHIN {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "sshd did not listen within {READY_WITHIN:?}:\n{}",
                lines.lock().unwrap().join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
