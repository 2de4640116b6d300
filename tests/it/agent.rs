//! `actoken agent` and its clients: the real binary as the agent, on a real store, with the
//! mock AC server; clients on a "remote" side (another HOME, no D-Bus, an unreachable Secret
//! Service forced) so that only the agent can answer them.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use actoken::mock::{ALICE, MintSpec, mint};
use jiff::{SignedDuration, Timestamp};
use predicates::prelude::*;

use crate::support::agent::{Agent, remote_cmd};
use crate::support::{Env, Mock, hours, token};

const NAME: &str = "华东一区【昆山】";

#[test]
fn token_and_env_come_from_the_agent_which_renews_on_its_side() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let stored = token("alice", hours(5));
    env.add(NAME, &mock.url(), &stored);
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let remote = tempfile::tempdir().unwrap();

    // Fresh enough: handed over as stored, nothing renewed.
    remote_cmd(remote.path(), &agent.socket)
        .args(["token", NAME])
        .assert()
        .success()
        .stdout(format!("{}\n", stored.expose()))
        .stderr("");
    assert_eq!(mock.server.renew_count(), 0);
    let line = agent.wait_for(&format!("token {NAME} from uid "));
    assert!(line.ends_with("(local): ok"), "{line}");
    assert!(!line.contains(stored.expose()), "{line}");

    // --min-valid longer than it lasts: the agent renews once, the client gets the new one.
    remote_cmd(remote.path(), &agent.socket)
        .args(["token", NAME, "--min-valid", "6h"])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("renewed {NAME}")));
    assert_eq!(mock.server.renew_count(), 1);
    let renewed = env.stored_raw(NAME);
    assert_ne!(renewed, stored.expose());
    agent.wait_for("ok (renewed)");

    // env: the renewed token and the entry's facts, from the agent.
    let out = remote_cmd(remote.path(), &agent.socket)
        .args(["env", NAME, "--min-valid", "1h"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains(&format!("AC_TOKEN='{renewed}'")), "{out}");
    assert!(out.contains(&mock.url()), "{out}");
    assert_eq!(mock.server.renew_count(), 1);

    // The remote side has no store of its own, and none was made: not even a directory.
    assert!(!remote.path().join("config").exists());
    // What it keeps (the region's addresses, cached) holds no token.
    for file in files_under(remote.path()) {
        let text = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&text);
        assert!(
            !text.contains(&renewed) && !text.contains(stored.expose()),
            "{file:?}"
        );
    }
}

#[test]
fn a_gone_agent_is_one_line_and_exit_5_never_the_local_store() {
    need_store!();
    let env = Env::new();
    // This machine has a token of that name: a fall back to it would print it.
    let local = token("alice", hours(5));
    env.add(NAME, "https://api.example.com:65102", &local);
    let socket = env.dir.path().join("gone.sock");
    for args in [vec!["token", NAME], vec!["env", NAME]] {
        env.cmd()
            .env("ACTOKEN_AGENT_SOCK", &socket)
            .args(&args)
            .assert()
            .code(5)
            .stdout("")
            .stderr(
                predicate::str::contains("no agent answers at")
                    .and(predicate::function(|e: &str| e.lines().count() == 1)),
            );
    }
    // --no-agent: this machine's own store.
    env.cmd()
        .env("ACTOKEN_AGENT_SOCK", &socket)
        .args(["--no-agent", "token", NAME])
        .assert()
        .success()
        .stdout(format!("{}\n", local.expose()));
}

#[test]
fn commands_that_change_the_store_say_it_is_on_the_agent_s_machine() {
    need_store!();
    let env = Env::new();
    let agent = Agent::start(&env, &[]);
    let remote = tempfile::tempdir().unwrap();
    for args in [
        vec!["rm", NAME],
        vec!["renew", NAME],
        vec!["login", "--user", "alice"],
        vec!["watch", "--once"],
    ] {
        remote_cmd(remote.path(), &agent.socket)
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("on the agent's machine"))
            .stderr(predicate::str::contains("--no-agent"));
    }
}

#[test]
fn a_dead_token_without_a_key_is_exit_3_with_the_agent_s_advice() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add(NAME, &mock.url(), &token("alice", -hours(30)));
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let remote = tempfile::tempdir().unwrap();
    remote_cmd(remote.path(), &agent.socket)
        .args(["token", NAME])
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("actoken login --user alice"));
    remote_cmd(remote.path(), &agent.socket)
        .args(["token", "西北一区"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("西北一区"));
    assert_eq!(mock.server.renew_count(), 0);
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Talks the protocol by hand: one line out, one line back.
fn ask(stream: &mut BufReader<UnixStream>, line: &[u8]) -> serde_json::Value {
    stream.get_mut().write_all(line).unwrap();
    let mut reply = String::new();
    stream.read_line(&mut reply).unwrap();
    serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{e}: {reply:?}"))
}

fn connect(agent: &Agent) -> BufReader<UnixStream> {
    let stream = UnixStream::connect(&agent.socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    BufReader::new(stream)
}

#[test]
fn the_protocol_answers_hello_and_list_and_closes_on_bad_or_oversized_lines() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add(NAME, &mock.url(), &token("alice", hours(5)));
    let agent = Agent::start(&env, &[]);

    let mut stream = connect(&agent);
    let hello = ask(&mut stream, b"{\"version\":1,\"request\":\"hello\"}\n");
    assert_eq!(hello["version"], 1);
    assert_eq!(hello["reply"], "hello");
    assert_eq!(hello["protocols"], serde_json::json!([1]));
    assert_eq!(hello["confirm"], false);
    // Several requests on one connection.
    let list = ask(&mut stream, b"{\"version\":1,\"request\":\"list\"}\n");
    assert_eq!(list["tokens"][0]["name"], NAME);
    assert_eq!(list["tokens"][0]["phase"], "valid");
    assert!(!list.to_string().contains("eyJ"), "{list}");

    // Not a request: an error, then the connection is closed.
    let bad = ask(&mut stream, b"{\"version\":1,\"request\":\"secret_key\"}\n");
    assert_eq!(bad["reply"], "error");
    assert_eq!(bad["kind"], "bad_request");
    let mut rest = String::new();
    assert_eq!(stream.read_line(&mut rest).unwrap(), 0, "{rest}");

    let mut stream = connect(&agent);
    let version = ask(&mut stream, b"{\"version\":9,\"request\":\"hello\"}\n");
    assert_eq!(version["kind"], "unsupported_version");

    // 1 MiB without a newline: answered too_large at 16 KiB, not read to the end.
    let mut stream = connect(&agent);
    let big = vec![b'x'; 1 << 20];
    let _ = stream.get_mut().write_all(&big);
    let mut reply = String::new();
    stream.read_line(&mut reply).unwrap();
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["kind"], "too_large");
    agent.wait_for("oversized request");
}

#[test]
fn a_second_agent_on_a_live_socket_is_refused_and_sigterm_removes_the_socket() {
    need_store!();
    let env = Env::new();
    let mut agent = Agent::start(&env, &[]);
    env.cmd()
        .args(["agent", "--allow-root", "--socket"])
        .arg(&agent.socket)
        .assert()
        .failure()
        .stderr(predicate::str::contains("another agent is listening"));
    assert_eq!(agent.terminate().code(), Some(0));
    assert!(!agent.socket.exists());
    let _ = SignedDuration::ZERO;
}

#[test]
fn a_dead_token_comes_back_through_the_agent_s_remembered_key_without_a_secret_remote() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let url = mock.url();
    env.cmd()
        .args([
            "login",
            "--user",
            "alice",
            "--access-key",
            ALICE.access_key,
            "--secret-key-stdin",
            "--base-url",
            &url,
        ])
        .write_stdin(ALICE.secret_key)
        .assert()
        .success();
    // The agent's own first pass (at start) would bring a dead token back by itself: the
    // token dies after it, and the next pass is an hour away.
    let agent = Agent::start(&env, &["--interval", "1h"]);
    std::thread::sleep(Duration::from_secs(1));
    let name = "alice/华东一区【昆山】";
    let old = mint(&MintSpec::new(
        "alice",
        "11250",
        Timestamp::now() - hours(30),
    ));
    env.cmd()
        .args(["add", name, "--base-url", &url, "--force"])
        .write_stdin(old.expose())
        .assert()
        .success();
    let logins_before = mock.server.login_count();
    let remote = tempfile::tempdir().unwrap();
    let out = remote_cmd(remote.path(), &agent.socket)
        .args(["token", name])
        .assert()
        .success()
        .get_output()
        .clone();
    let log = agent.log();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("logged in again"),
        "{out:?} {log:#?}"
    );
    let out = out.stdout;
    let fresh = String::from_utf8(out).unwrap();
    assert_ne!(fresh.trim(), old.expose());
    assert_eq!(env.stored_raw(name), fresh.trim());
    assert_eq!(mock.server.login_count(), logins_before + 1);
    agent.wait_for("ok (logged in again)");
    // Nothing of the login reached the remote side: no file of its own, no key in its env.
    assert!(!remote.path().join("config").exists());
    env.cmd().args(["logout", "alice"]).assert().success();
}
