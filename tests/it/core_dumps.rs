//! Issue 22 item 12: a core file of a process holding tokens is a file of secrets. The binary
//! turns core dumps off (soft `RLIMIT_CORE` 0) as it starts, whatever limit it was given, and
//! `exec` hands the command it becomes the limit the user had.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use jiff::SignedDuration;

use crate::support::{self, Env, Mock};

/// `actoken ARGS` started by `sh` after raising the soft core limit to the hard one (test
/// runners often start with 0, which would prove nothing).
fn with_cores_allowed(env: &Env, args: &[&str]) -> Command {
    let cmd = env.std_cmd();
    let actoken = cmd.get_program().to_owned();
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(r#"ulimit -c "$(ulimit -H -c)" && exec "$0" "$@""#)
        .arg(actoken)
        .args(args);
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => sh.env(key, value),
            None => sh.env_remove(key),
        };
    }
    sh
}

/// The soft and hard "Max core file size" of a running process, as /proc shows them.
fn core_limits(pid: u32) -> (String, String) {
    core_limits_in(&std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap())
}

/// The soft and hard "Max core file size" of a /proc limits table.
fn core_limits_in(limits: &str) -> (String, String) {
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or_else(|| panic!("no core line in {limits}"));
    let fields: Vec<&str> = line["Max core file size".len()..]
        .split_whitespace()
        .collect();
    (fields[0].to_owned(), fields[1].to_owned())
}

/// Waits (bounded) for the first stdout line of `child` that contains `text`.
fn wait_for_line(child: &mut Child, text: &str) {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(text) => return,
            Ok(_) => {}
            Err(e) => {
                let _ = child.kill();
                panic!("no line with {text:?} within 30 s: {e}");
            }
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_binary_runs_with_core_dumps_off() {
    let env = Env::new();
    let mut child = with_cores_allowed(&env, &["mock-server", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_line(&mut child, "listening on");
    let (soft, hard) = core_limits(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(soft, "0", "core dumps are on (hard limit {hard})");
    // The hard limit is the one it was given (so `exec` can give the soft one back).
    let (_, ours) = core_limits(std::process::id());
    assert_eq!(hard, ours);
}

/// The command `exec` becomes gets the limit actoken was started with, not actoken's 0.
#[cfg(target_os = "linux")]
#[test]
fn exec_gives_the_command_the_limit_it_was_started_with() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let name = "alice/华东一区【昆山】";
    env.add(
        name,
        &mock.url(),
        &support::token("alice", SignedDuration::from_hours(5)),
    );
    let sh = with_cores_allowed(&env, &["exec", name, "--", "cat", "/proc/self/limits"]);
    let out = assert_cmd::Command::from_std(sh)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (soft, _) = core_limits_in(&String::from_utf8_lossy(&out.stdout));
    let (_, hard) = core_limits(std::process::id());
    assert_eq!(
        soft, hard,
        "the command did not get the limit actoken was started with"
    );
}
