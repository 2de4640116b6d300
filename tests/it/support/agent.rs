//! A real `actoken agent` for tests: the binary on an [`Env`]'s store, listening on a socket
//! in that Env's directory, its log lines collected; stopped (SIGTERM, then kill) on drop. And
//! the "remote" side: a client with another HOME and config, no D-Bus and a Secret Service
//! forced but unreachable, so that only the agent can answer.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Env;

pub struct Agent {
    pub child: Child,
    pub socket: PathBuf,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Agent {
    /// `actoken agent --socket ENV/agent/agent.sock --allow-root ARGS` (tests run as root in
    /// CI), waited for (up to 30 s) until it listens.
    pub fn start(env: &Env, args: &[&str]) -> Agent {
        let socket = env.dir.path().join("agent").join("agent.sock");
        let mut cmd = env.std_cmd();
        cmd.env_remove("JOURNAL_STREAM")
            .env_remove("ACTOKEN_AGENT_SOCK")
            .arg("agent")
            .arg("--socket")
            .arg(&socket)
            .arg("--allow-root")
            .args(args);
        Agent::spawn(cmd, socket)
    }

    /// `cmd` (an `actoken agent` listening on `socket`, however it is run) started with its
    /// log collected, and waited for (up to 30 s) until it listens.
    pub fn spawn(mut cmd: std::process::Command, socket: PathBuf) -> Agent {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (stderr, sink) = (child.stderr.take().unwrap(), lines.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let agent = Agent {
            child,
            socket,
            lines,
        };
        agent.wait_for("agent listening on");
        agent
    }

    /// Waits (up to 30 s) for a log line containing `text`; returns it.
    pub fn wait_for(&self, text: &str) -> String {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(line) = self.lines.lock().unwrap().iter().find(|l| l.contains(text)) {
                return line.clone();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "no agent line with {text:?} in {:#?}",
            self.lines.lock().unwrap()
        );
    }

    pub fn log(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// SIGTERM, and its exit status (waited for up to 30 s).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the agent did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client on the "remote" side: its own HOME and XDG dirs under `remote`, no D-Bus session,
/// the Secret Service forced (unreachable), ACTOKEN_AGENT_SOCK = `socket`.
pub fn remote_cmd(remote: &Path, socket: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(remote_std_cmd(remote, socket));
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// [`remote_cmd`] as a plain `std::process::Command`, for tests that wire stdio themselves.
pub fn remote_std_cmd(remote: &Path, socket: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("actoken"));
    remote_env(&mut cmd, remote, socket);
    cmd
}

/// [`remote_cmd`] run as user `uid` (and its group of the same number, no other groups)
/// through util-linux's `setpriv`: the caller checks that it may (root, `setpriv` installed).
pub fn remote_cmd_as(uid: u32, remote: &Path, socket: &Path) -> assert_cmd::Command {
    let mut cmd = std::process::Command::new("setpriv");
    cmd.arg(format!("--reuid={uid}"))
        .arg(format!("--regid={uid}"))
        .args(["--clear-groups", "--"])
        .arg(assert_cmd::cargo::cargo_bin("actoken"));
    remote_env(&mut cmd, remote, socket);
    let mut cmd = assert_cmd::Command::from_std(cmd);
    cmd.timeout(Duration::from_secs(60));
    cmd
}

fn remote_env(cmd: &mut std::process::Command, remote: &Path, socket: &Path) {
    cmd.env("HOME", remote)
        .env("XDG_CONFIG_HOME", remote.join("config"))
        .env("XDG_STATE_HOME", remote.join("state"))
        .env("XDG_RUNTIME_DIR", remote.join("run"))
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env("ACTOKEN_STORE", "secret-service")
        .env("ACTOKEN_AGENT_SOCK", socket)
        .env("ACTOKEN_LANG", "en")
        .env("SCNET_HOME", remote.join("scnet"))
        .env_remove("ACTOKEN_KEYRING_SERVICE")
        .env_remove("ACTOKEN_LOG");
}
