//! Live tokens (issue 25): `token --json`, the expiry in `env`/`exec`'s variables, and
//! `exec --keep-fresh` / `--from-env` against the mock on tokens that live a few seconds, with
//! a renew-ahead window of a few seconds in the test's config. Every wait has a limit.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use actoken::mock::{ALICE, MintSpec, MockOptions, mint};
use actoken::token::Token;
use jiff::{SignedDuration, Timestamp};
use predicates::prelude::*;

use crate::support::in_process::InProcess;
use crate::support::{Env, Mock, hours, token};

const KUNSHAN: &str = "华东一区【昆山】";

pub(crate) fn secs(s: i64) -> SignedDuration {
    SignedDuration::from_secs(s)
}

/// A mock whose renewals and logins issue tokens living `lifetime`.
pub(crate) fn mock_issuing(lifetime: SignedDuration) -> Mock {
    Mock::start_with(MockOptions {
        token_lifetime: lifetime,
        ..MockOptions::default()
    })
}

/// The lines a stream gives, on a channel (so that a test can wait for one with a limit).
pub(crate) fn lines_of(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (at most `limit`) for a line containing `text`; returns every line seen until then.
pub(crate) fn wait_for_line(lines: &Receiver<String>, text: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(text);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("no line with {text:?} within {limit:?}: {seen:#?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("stream ended without {text:?}: {seen:#?}")
            }
        }
    }
}

/// The lines still to come, until the stream ends (at most `limit`).
pub(crate) fn rest_of(lines: &Receiver<String>, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut rest = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => rest.push(line),
            Err(RecvTimeoutError::Disconnected) => return rest,
            Err(RecvTimeoutError::Timeout) => panic!("the stream did not end within {limit:?}"),
        }
    }
}

/// Waits for `child` at most `limit`; kills it and fails when it is still running.
pub(crate) fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// A child script: prints the token file's path, its mode and its directory's, whether
/// BEARER_TOKEN_FILE names the same file, then for `seconds` one line per read of the file
/// (`<epoch ms> <content>`), then exits 7.
pub(crate) fn reader_script(seconds: u32) -> String {
    format!(
        r#"f="$AC_TOKEN_FILE"; echo "$f"; stat -c %a "$f"; stat -c %a "$(dirname "$f")"
test "$BEARER_TOKEN_FILE" = "$f" && echo bearer || echo no-bearer
end=$(( $(date +%s) + {seconds} ))
while [ "$(date +%s)" -lt "$end" ]; do printf 'read %s %s\n' "$(date +%s%3N)" "$(cat "$f")"; sleep 0.05; done
exit 7"#
    )
}

/// What the reader saw.
pub(crate) struct Reads {
    pub file: PathBuf,
    pub modes: (String, String),
    pub bearer: bool,
    /// (read at, the file's content)
    pub reads: Vec<(Timestamp, String)>,
}

impl Reads {
    pub(crate) fn parse(stdout: &str) -> Reads {
        let mut lines = stdout.lines();
        let mut next = || lines.next().expect("a line").to_owned();
        let file = PathBuf::from(next());
        let modes = (next(), next());
        let bearer = next() == "bearer";
        let reads = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("read "))
            .map(|l| {
                let (ms, content) = l.split_once(' ').unwrap_or((l, ""));
                let at = Timestamp::from_millisecond(ms.parse().unwrap()).unwrap();
                (at, content.to_owned())
            })
            .collect();
        Reads {
            file,
            modes,
            bearer,
            reads,
        }
    }

    /// Every read was a whole token, valid when it was read; returns how many different
    /// tokens were seen and the latest expiry.
    pub(crate) fn check_every_read_valid(&self) -> (usize, Timestamp) {
        assert!(self.reads.len() > 20, "too few reads: {}", self.reads.len());
        let mut distinct: Vec<&str> = Vec::new();
        let mut latest = Timestamp::UNIX_EPOCH;
        for (at, content) in &self.reads {
            let (_, decoded) = Token::parse(content)
                .unwrap_or_else(|e| panic!("read at {at}: not a whole token ({e}): {content:?}"));
            let expires = decoded.claims.expire_time.unwrap();
            assert!(
                expires > *at,
                "read at {at}: the file held a token expired at {expires}"
            );
            latest = latest.max(expires);
            if !distinct.contains(&content.as_str()) {
                distinct.push(content);
            }
        }
        (distinct.len(), latest)
    }
}

pub(crate) fn expiry(raw: &str) -> Timestamp {
    Token::from_raw(raw)
        .decode()
        .unwrap()
        .claims
        .expire_time
        .unwrap()
}

// ---- item 1: the handoff carries the expiry ----

#[test]
fn token_json_is_one_versioned_object_with_expiry_cutoff_claims_and_addresses() {
    let (world, mock) = (InProcess::new(), Mock::start());
    let t = token("alice", hours(5));
    world.add(KUNSHAN, &mock.url(), &t);
    let out = world
        .cmd()
        .args(["token", KUNSHAN, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let expires = expiry(t.expose());
    assert_eq!(v["version"], 1);
    assert_eq!(v["name"], KUNSHAN);
    assert_eq!(v["token"], t.expose());
    assert_eq!(
        v["expires_at"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .unwrap(),
        expires
    );
    assert_eq!(
        v["renew_cutoff"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .unwrap(),
        expires + hours(24)
    );
    assert_eq!(v["user"], "alice");
    assert_eq!(v["compute_user"], "alice_c");
    assert_eq!(v["cluster_id"], "11112");
    // Added by hand: no login list, so the claim's id and center's name for the region.
    assert_eq!(v["cluster_name"], "mock region 11112");
    assert_eq!(v["base_url"], mock.url());
    assert!(
        v["hpc_url"].as_str().unwrap().starts_with("https://"),
        "the region's addresses, as env finds them: {v}"
    );
    assert!(v.as_object().unwrap().contains_key("ai_url"));

    // With --min-valid: renewed first, and the object describes the new token.
    let out = world
        .cmd()
        .args(["token", KUNSHAN, "--json", "--min-valid", "6h"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(v["token"], t.expose());
    assert_eq!(v["token"], world.stored_raw(KUNSHAN));
    // Without --json, only the token, as before.
    world
        .cmd()
        .args(["token", KUNSHAN])
        .assert()
        .success()
        .stdout(format!("{}\n", world.stored_raw(KUNSHAN)));
}

#[test]
fn env_and_exec_carry_the_expiry_and_the_renew_cutoff() {
    let (world, mock) = (InProcess::new(), Mock::start());
    let t = token("alice", hours(5));
    world.add(KUNSHAN, &mock.url(), &t);
    let out = world
        .cmd()
        .args(["env", KUNSHAN, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let read = |key: &str| v[key].as_str().unwrap().parse::<Timestamp>().unwrap();
    assert_eq!(read("AC_TOKEN_EXPIRES_AT"), expiry(t.expose()));
    assert_eq!(
        read("AC_TOKEN_RENEW_CUTOFF"),
        expiry(t.expose()) + hours(24)
    );
}

// ---- item 2: exec --keep-fresh ----

#[test]
fn keep_fresh_rewrites_a_private_file_that_is_always_a_whole_valid_token_and_goes_away() {
    need_store!();
    let (env, mock) = (Env::new(), mock_issuing(secs(6)));
    env.write_config("renew-ahead = \"4s\"\n");
    let first = token("alice", secs(6));
    env.add(KUNSHAN, &mock.url(), &first);
    let out = env
        .cmd()
        .args(["exec", KUNSHAN, "--keep-fresh", "--bearer-token-file", "--"])
        .args(["sh", "-c", &reader_script(10)])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(7), "CMD's exit code: {stderr}");
    let seen = Reads::parse(&stdout);
    assert_eq!(seen.modes, ("600".into(), "700".into()));
    assert!(seen.bearer, "BEARER_TOKEN_FILE is the same file");
    let (distinct, latest) = seen.check_every_read_valid();
    assert!(
        distinct >= 3,
        "the file changed while CMD ran: {distinct} tokens\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("renewed {KUNSHAN}; AC_TOKEN_FILE now holds")),
        "{stderr}"
    );
    // Gone afterwards, directory and all.
    assert!(!seen.file.exists() && !seen.file.parent().unwrap().exists());
    // The store holds the newest token: each renewal was stored as any renewal is.
    let stored = env.stored_raw(KUNSHAN);
    assert!(
        expiry(&stored) >= latest,
        "stored token older than one CMD read"
    );
    assert_ne!(stored, first.expose());
}

#[cfg(unix)]
#[test]
fn keep_fresh_passes_signals_on_and_exits_with_cmds_status() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add(KUNSHAN, &mock.url(), &token("alice", hours(5)));
    let start = |script: &str| {
        env.std_cmd()
            .args(["exec", KUNSHAN, "--keep-fresh", "--", "sh", "-c", script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // SIGTERM, SIGINT and SIGHUP sent to actoken (by a process: `kill`) reach CMD.
    for (name, code) in [("TERM", 42), ("INT", 43), ("HUP", 44)] {
        let mut child = start(&format!(
            "trap 'exit {code}' {name}; echo \"$AC_TOKEN_FILE\"; while :; do sleep 0.05; done"
        ));
        let lines = lines_of(child.stdout.take().unwrap());
        let file = PathBuf::from(
            wait_for_line(&lines, "/", Duration::from_secs(30))
                .pop()
                .unwrap(),
        );
        assert!(file.exists());
        signal(child.id(), name);
        let status = wait_bounded(&mut child, Duration::from_secs(30));
        assert_eq!(status.code(), Some(code), "SIG{name}");
        assert!(
            !file.exists() && !file.parent().unwrap().exists(),
            "SIG{name}"
        );
    }
    // CMD killed by a signal: 128+N (actoken itself exits normally, with that code).
    let mut child = start("kill -KILL $$");
    assert_eq!(
        wait_bounded(&mut child, Duration::from_secs(30)).code(),
        Some(137)
    );
    let mut child = start("exit 0");
    assert_eq!(
        wait_bounded(&mut child, Duration::from_secs(30)).code(),
        Some(0)
    );
    // A command that cannot be started: 127, as plain exec.
    env.cmd()
        .args(["exec", KUNSHAN, "--keep-fresh", "--", "no-such-command-xyz"])
        .assert()
        .code(127);
}

#[test]
fn a_failed_renewal_is_said_retried_and_the_file_keeps_the_last_good_token() {
    need_store!();
    let (env, mock) = (Env::new(), mock_issuing(secs(8)));
    env.write_config("renew-ahead = \"6s\"\n");
    env.add(KUNSHAN, &mock.url(), &token("alice", secs(8)));
    let mut child = env
        .std_cmd()
        .args(["exec", KUNSHAN, "--keep-fresh", "--"])
        .args(["sh", "-c", &reader_script(9)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reads = lines_of(child.stdout.take().unwrap());
    let errors = lines_of(child.stderr.take().unwrap());
    // Once CMD runs (the first renewals must fail, not exec's own start).
    let mut stdout = wait_for_line(&reads, "/", Duration::from_secs(30));
    mock.server.faults().set(actoken::mock::Fault::Http(503));
    let failed = wait_for_line(&errors, "renewal failed", Duration::from_secs(30));
    let line = failed.last().unwrap();
    assert!(
        line.contains("AC_TOKEN_FILE keeps the last good token"),
        "{line}"
    );
    assert!(line.contains("next try in"), "{line}");
    mock.server.faults().clear();
    wait_for_line(
        &errors,
        &format!("renewed {KUNSHAN}"),
        Duration::from_secs(30),
    );
    assert_eq!(
        wait_bounded(&mut child, Duration::from_secs(60)).code(),
        Some(7)
    );
    stdout.extend(rest_of(&reads, Duration::from_secs(30)));
    let seen = Reads::parse(&stdout.join("\n"));
    let (distinct, latest) = seen.check_every_read_valid();
    assert!(distinct >= 2);
    assert!(expiry(&env.stored_raw(KUNSHAN)) >= latest);
}

#[test]
fn a_token_that_dies_while_cmd_runs_comes_back_through_the_remembered_key() {
    need_store!();
    let (env, mock) = (Env::new(), mock_issuing(secs(6)));
    env.write_config("renew-ahead = \"4s\"\n");
    let url = mock.url();
    env.cmd()
        .args(["login", "--user", "alice", "--access-key", ALICE.access_key])
        .args(["--secret-key-stdin", "--base-url", &url])
        .write_stdin(ALICE.secret_key)
        .assert()
        .success();
    let name = "alice/华东一区【昆山】";
    let mut child = env
        .std_cmd()
        .args(["exec", name, "--keep-fresh", "--"])
        .args(["sh", "-c", &reader_script(8)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reads = lines_of(child.stdout.take().unwrap());
    let errors = lines_of(child.stderr.take().unwrap());
    // The server stops accepting the token the file holds (as if it died early).
    let first = wait_for_line(&reads, "read ", Duration::from_secs(30));
    let held = first
        .last()
        .unwrap()
        .splitn(3, ' ')
        .nth(2)
        .unwrap()
        .to_owned();
    mock.server.revoke(&Token::from_raw(&held));
    wait_for_line(
        &errors,
        "logged in again with the remembered secret key",
        Duration::from_secs(30),
    );
    assert_eq!(
        wait_bounded(&mut child, Duration::from_secs(60)).code(),
        Some(7)
    );
    let last = rest_of(&reads, Duration::from_secs(30));
    let latest = last
        .iter()
        .rev()
        .find_map(|l| l.splitn(3, ' ').nth(2))
        .unwrap();
    assert_ne!(latest, held, "the file holds the token of the new login");
    env.cmd().args(["logout", "alice"]).assert().success();
}

#[test]
fn keep_fresh_picks_up_a_token_another_process_renewed() {
    need_store!();
    let (env, mock) = (Env::new(), mock_issuing(secs(60)));
    // An 8s window: the store is looked at every 2s; the token's own renewal is 20s away.
    env.write_config("renew-ahead = \"8s\"\n");
    env.add(KUNSHAN, &mock.url(), &token("alice", secs(30)));
    let mut child = env
        .std_cmd()
        .args(["exec", KUNSHAN, "--keep-fresh", "--"])
        .args(["sh", "-c", &reader_script(6)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reads = lines_of(child.stdout.take().unwrap());
    let errors = lines_of(child.stderr.take().unwrap());
    let mut stdout = wait_for_line(&reads, "read ", Duration::from_secs(30));
    // `actoken renew` elsewhere: the server may retire the token the file holds.
    env.cmd().args(["renew", KUNSHAN]).assert().success();
    let renewed = env.stored_raw(KUNSHAN);
    wait_for_line(
        &errors,
        "was renewed by another actoken",
        Duration::from_secs(30),
    );
    assert_eq!(
        wait_bounded(&mut child, Duration::from_secs(60)).code(),
        Some(7)
    );
    stdout.extend(rest_of(&reads, Duration::from_secs(30)));
    let seen = Reads::parse(&stdout.join("\n"));
    assert_eq!(seen.reads.last().unwrap().1, renewed);
    assert_eq!(mock.server.renew_count(), 1, "picked up, not renewed again");
}

#[test]
fn keep_fresh_with_a_dead_token_and_no_remembered_key_does_not_start_cmd() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let dead = mint(&MintSpec::new(
        "carol",
        "11250",
        Timestamp::now() - hours(30),
    ));
    env.add(KUNSHAN, &mock.url(), &dead);
    let marker = env.dir.path().join("ran");
    env.cmd()
        .args(["exec", KUNSHAN, "--keep-fresh", "--", "touch"])
        .arg(&marker)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("actoken login --user carol"));
    assert!(!marker.exists());
}

// ---- item 3: --from-env ----

/// actoken as on a compute node: HOME read-only, no D-Bus to be found, the store set to the
/// Secret Service (which would fail if opened), a runtime dir of its own.
struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    fn new() -> Node {
        let node = Node {
            dir: tempfile::tempdir().unwrap(),
        };
        for d in ["home", "run"] {
            std::fs::create_dir(node.dir.path().join(d)).unwrap();
        }
        set_mode(&node.run(), 0o700);
        set_mode(&node.home(), 0o555);
        node
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn run(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    fn cmd(&self, token: &str, base_url: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("actoken"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_RUNTIME_DIR", self.run())
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/actoken-test-bus",
            )
            .env("ACTOKEN_STORE", "secret-service")
            .env("ACTOKEN_LANG", "en")
            .env("AC_TOKEN", token)
            .env("AC_TOKEN_NAME", KUNSHAN)
            .env("AC_BASE_URL", base_url);
        // The node runs on the test's clock: CI runs the suite a year ahead through libfaketime,
        // and the tokens here are minted on that clock.
        for (name, value) in std::env::vars_os() {
            let name_str = name.to_string_lossy();
            if name_str == "LD_PRELOAD" || name_str.starts_with("FAKETIME") {
                cmd.env(&name, value);
            }
        }
        cmd
    }

    /// Everything under HOME (nothing may be written there).
    fn home_entries(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                out.push(e.path());
                if e.path().is_dir() {
                    walk(&e.path(), out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.home(), &mut out);
        out
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        set_mode(&self.home(), 0o700);
    }
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

#[test]
fn from_env_keeps_the_token_fresh_with_no_store_no_dbus_and_a_read_only_home() {
    let (node, mock) = (Node::new(), mock_issuing(secs(6)));
    let first = token("alice", secs(6));
    let out = node
        .cmd(first.expose(), &mock.url())
        // A short window; no config file can be written to this HOME.
        .args([
            "exec",
            "--from-env",
            "--keep-fresh",
            "--min-valid",
            "4s",
            "--",
        ])
        .args([
            "sh",
            "-c",
            &reader_script(8).replace(
                "exit 7",
                "echo \"$AC_TOKEN_NAME $AC_TOKEN_EXPIRES_AT\"; exit 7",
            ),
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    let seen = Reads::parse(&stdout);
    assert!(
        seen.file.starts_with(node.run()),
        "{:?} is under XDG_RUNTIME_DIR",
        seen.file
    );
    assert_eq!(seen.modes, ("600".into(), "700".into()));
    let (distinct, _) = seen.check_every_read_valid();
    assert!(distinct >= 2, "{distinct} tokens\n{stderr}");
    assert!(mock.server.renew_count() >= 2);
    assert!(stderr.contains(&format!("renewed {KUNSHAN}")), "{stderr}");
    // AC_TOKEN_NAME passes through; the expiry is the token's.
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with(&format!("{KUNSHAN} ")), "{last}");
    assert!(!seen.file.exists() && !seen.file.parent().unwrap().exists());
    assert_eq!(
        node.home_entries(),
        Vec::<PathBuf>::new(),
        "nothing written under HOME"
    );
}

#[test]
fn from_env_without_keep_fresh_renews_once_in_memory_and_becomes_cmd() {
    let (node, mock) = (Node::new(), mock_issuing(hours(1)));
    let old = token("alice", secs(60));
    let out = node
        .cmd(old.expose(), &mock.url())
        .args(["exec", "--from-env", "--min-valid", "10m", "--"])
        .args(["sh", "-c", "printf %s \"$AC_TOKEN\""])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let handed = String::from_utf8(out.stdout).unwrap();
    assert_ne!(handed, old.expose());
    assert!(expiry(&handed) > Timestamp::now() + SignedDuration::from_mins(50));
    assert_eq!(node.home_entries(), Vec::<PathBuf>::new());
}

#[test]
fn from_env_refuses_a_missing_bad_or_dead_token_before_cmd_starts() {
    let (node, mock) = (Node::new(), Mock::start());
    let marker = node.dir.path().join("ran");
    let run = |token: &str| {
        let out = node
            .cmd(token, &mock.url())
            .args(["exec", "--from-env", "--keep-fresh", "--", "touch"])
            .arg(&marker)
            .output()
            .unwrap();
        assert!(!marker.exists(), "CMD must not start");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run("");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("AC_TOKEN is not set"), "{err}");
    let not_a_token = "eyJzZWNyZXQiOiJ4In0.not-a-token";
    let (code, err) = run(not_a_token);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("AC_TOKEN does not hold a region token"),
        "{err}"
    );
    assert!(!err.contains(not_a_token), "the value is not echoed: {err}");
    let dead = mint(&MintSpec::new(
        "alice",
        "11250",
        Timestamp::now() - hours(30),
    ));
    let (code, err) = run(dead.expose());
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("past its renew cutoff"), "{err}");
    // No base URL anywhere.
    let out = node
        .cmd(token("alice", hours(5)).expose(), "")
        .args(["exec", "--from-env", "--", "touch"])
        .arg(&marker)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(!marker.exists());
}

// ---- the job warning ----

#[test]
fn exec_warns_when_an_sbatch_job_may_outlive_the_token_it_is_handed() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add(KUNSHAN, &mock.url(), &token("alice", hours(5)));
    // A stand-in sbatch on PATH that only says it ran.
    let bin = env.dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let sbatch = bin.join("sbatch");
    std::fs::write(&sbatch, "#!/bin/sh\necho submitted\n").unwrap();
    set_mode(&sbatch, 0o755);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let job = env.dir.path().join("job.sh");
    std::fs::write(
        &job,
        "#!/bin/sh\n#SBATCH --time=2-00:00:00\nsrun ./long_program\n",
    )
    .unwrap();
    env.cmd()
        .env("PATH", &path)
        .args(["exec", KUNSHAN, "--", "sbatch"])
        .arg(&job)
        .assert()
        .success()
        .stdout("submitted\n")
        .stderr(predicate::str::contains(
            "warning: the job may run for 2d 0h",
        ))
        .stderr(predicate::str::contains("--from-env --keep-fresh"));
    // A job that keeps the token fresh itself, or ends before the token does: no warning.
    std::fs::write(
        &job,
        "#!/bin/sh\n#SBATCH --time=2-00:00:00\nactoken exec --from-env --keep-fresh -- ./long_program\n",
    )
    .unwrap();
    env.cmd()
        .env("PATH", &path)
        .args(["exec", KUNSHAN, "--", "sbatch"])
        .arg(&job)
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not());
    env.cmd()
        .env("PATH", &path)
        .args([
            "exec", KUNSHAN, "--", "sbatch", "-t", "1:00:00", "--wrap", "./x",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not());
}

// ---- a long job, compressed ----

/// A "multi-hour job" on tokens that live 6 s: CMD reads AC_TOKEN_FILE every 50 ms for
/// ACTOKEN_LONG_JOB_SECS (default 120) while actoken renews about every 3 s. Not in the
/// default run (two minutes); run it with
/// `cargo nextest run --run-ignored only -E 'test(/a_long_job/)' --no-capture`.
#[test]
#[ignore = "two minutes long; run by hand"]
fn a_long_job_on_six_second_tokens_always_reads_a_valid_token() {
    need_store!();
    let seconds: u32 = std::env::var("ACTOKEN_LONG_JOB_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let (env, mock) = (Env::new(), mock_issuing(secs(6)));
    env.write_config("renew-ahead = \"3s\"\n");
    env.add(KUNSHAN, &mock.url(), &token("alice", secs(6)));
    let out = env
        .cmd()
        .timeout(Duration::from_secs(u64::from(seconds) + 60))
        .args(["exec", KUNSHAN, "--keep-fresh", "--"])
        .args(["sh", "-c", &reader_script(seconds)])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    let seen = Reads::parse(&stdout);
    let failed: Vec<&(Timestamp, String)> = seen
        .reads
        .iter()
        .filter(|(at, content)| {
            Token::parse(content)
                .ok()
                .and_then(|(_, d)| d.claims.expire_time)
                .is_none_or(|expires| expires <= *at)
        })
        .collect();
    let mut distinct: Vec<&str> = seen.reads.iter().map(|(_, c)| c.as_str()).collect();
    distinct.dedup();
    let logged = stderr.matches("AC_TOKEN_FILE now holds").count();
    eprintln!(
        "long job: {seconds}s, {} reads, {} failed reads, {} tokens seen by CMD, {} renewals \
         logged, {} renewals at the mock, {} failures logged",
        seen.reads.len(),
        failed.len(),
        distinct.len(),
        logged,
        mock.server.renew_count(),
        stderr.matches("renewal failed").count()
    );
    assert!(failed.is_empty(), "{failed:?}");
    assert!(distinct.len() as u32 >= seconds / 4, "{stderr}");
    assert!(!seen.file.exists());
    assert!(expiry(&env.stored_raw(KUNSHAN)) >= expiry(&seen.reads.last().unwrap().1));
}
