//! Issue 26, item 4: the clients ask the agent transparently. `list`, `show`, `token --json`,
//! `env` and `exec` (with `--keep-fresh` too) run on a "remote" side (another HOME, no D-Bus,
//! an unreachable Secret Service forced) and must give what the same command gives on the
//! agent's machine; a gone agent is one line and exit 5, never this machine's store.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use predicates::prelude::*;
use serde_json::Value;

use crate::hostile_text::{assert_inert, hostile_token, hostile_user};
use crate::live_tokens::{
    Reads, expiry, lines_of, mock_issuing, reader_script, rest_of, secs, wait_bounded,
    wait_for_line,
};
use crate::support::agent::{Agent, remote_cmd, remote_std_cmd};
use crate::support::{Env, Mock, hours, token};

const NAME: &str = "华东一区【昆山】";
const DEAD: &str = "西北一区【西安】";

/// The agent's machine: a valid token and a dead one (its `problem` is a sentence), the agent
/// running on that store.
fn agent_with_two_tokens() -> (Env, Mock, Agent) {
    let (env, mock) = (Env::new(), Mock::start());
    env.add(NAME, &mock.url(), &token("alice", hours(5)));
    env.add(DEAD, &mock.url(), &token("bob", -hours(30)));
    let agent = Agent::start(&env, &["--interval", "1h"]);
    (env, mock, agent)
}

/// The remote side's own config (e.g. its renew-ahead window).
fn remote_config(remote: &Path, text: &str) {
    let dir = remote.join("config/actoken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

fn stdout_of(mut cmd: assert_cmd::Command, args: &[&str]) -> String {
    let out = cmd.args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

/// `remote` equals the local output, taken just before it or (when a minute of a relative
/// time turned in between) just after it.
#[track_caller]
fn assert_same_as_local(what: &str, local: impl Fn() -> String, remote: impl Fn() -> String) {
    let before = local();
    let got = remote();
    if got != before {
        assert_eq!(got, local(), "{what}: through the agent vs on its machine");
    }
}

/// A `--json` document with the relative seconds (taken at two instants) blanked out; the
/// rest, its key order and its formatting, as printed.
fn without_relative_seconds(text: &str) -> String {
    assert!(text.ends_with("}\n") || text.ends_with("]\n"), "{text}");
    let mut json: Value = serde_json::from_str(text).unwrap();
    let blank = |object: &mut Value| {
        for key in ["expires_in_seconds", "renew_cutoff_in_seconds"] {
            if let Some(value) = object.get_mut(key).filter(|v| !v.is_null()) {
                *value = Value::from("<relative>");
            }
        }
    };
    match &mut json {
        Value::Array(objects) => objects.iter_mut().for_each(blank),
        object => blank(object),
    }
    format!("{}\n", serde_json::to_string_pretty(&json).unwrap())
}

#[test]
fn list_through_the_agent_is_the_local_table_and_json() {
    need_store!();
    let (env, _mock, agent) = agent_with_two_tokens();
    let remote = tempfile::tempdir().unwrap();
    for lang in ["en", "zh-CN"] {
        assert_same_as_local(
            &format!("list --lang {lang}"),
            || stdout_of(env.cmd(), &["--lang", lang, "list"]),
            || {
                stdout_of(
                    remote_cmd(remote.path(), &agent.socket),
                    &["--lang", lang, "list"],
                )
            },
        );
    }
    let local = || without_relative_seconds(&stdout_of(env.cmd(), &["list", "--json"]));
    let remote_json = stdout_of(
        remote_cmd(remote.path(), &agent.socket),
        &["list", "--json"],
    );
    assert_same_as_local("list --json", local, || {
        without_relative_seconds(&remote_json)
    });
    let listed: Value = serde_json::from_str(&remote_json).unwrap();
    assert_eq!(listed[0]["name"], NAME);
    assert_eq!(listed[1]["phase"], "dead");
    agent.wait_for("list from uid ");

    // Where the list came from: only with -v, on stderr.
    let out = remote_cmd(remote.path(), &agent.socket)
        .args(["-v", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&agent.socket.display().to_string()),
        "{stderr}"
    );
    remote_cmd(remote.path(), &agent.socket)
        .arg("list")
        .assert()
        .success()
        .stderr("");
}

#[test]
fn show_through_the_agent_is_the_local_text_and_json() {
    need_store!();
    let (env, _mock, agent) = agent_with_two_tokens();
    let remote = tempfile::tempdir().unwrap();
    for (name, langs) in [(NAME, &["en", "zh-CN"][..]), (DEAD, &["en"][..])] {
        for lang in langs {
            let args = ["--lang", lang, "show", name];
            assert_same_as_local(
                &format!("{args:?}"),
                || stdout_of(env.cmd(), &args),
                || stdout_of(remote_cmd(remote.path(), &agent.socket), &args),
            );
        }
        let args = ["show", name, "--json"];
        assert_same_as_local(
            &format!("{args:?}"),
            || without_relative_seconds(&stdout_of(env.cmd(), &args)),
            || {
                without_relative_seconds(&stdout_of(
                    remote_cmd(remote.path(), &agent.socket),
                    &args,
                ))
            },
        );
    }
    let text = stdout_of(remote_cmd(remote.path(), &agent.socket), &["show", NAME]);
    // The claims and the masked fingerprint, as locally; never the token.
    assert!(
        text.contains("alice_c") && text.contains("sha256:"),
        "{text}"
    );
    assert!(!text.contains("eyJ"), "{text}");
    // The dead one's problem is the agent's sentence (English in every language).
    let text = stdout_of(remote_cmd(remote.path(), &agent.socket), &["show", DEAD]);
    assert!(text.contains("actoken login --user bob"), "{text}");
    agent.wait_for(&format!("show {DEAD} from uid "));
    // A name the agent does not hold: its error, one line, exit 1 as locally.
    remote_cmd(remote.path(), &agent.socket)
        .args(["show", "华北一区【北京】"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains("华北一区【北京】")
                .and(predicate::function(|e: &str| e.lines().count() == 1)),
        );
}

#[test]
fn what_the_agent_sends_is_shown_inert_and_json_stays_exact() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add(
        NAME,
        &mock.url(),
        &hostile_token(&hostile_user(), hours(10)),
    );
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let remote = tempfile::tempdir().unwrap();
    let table = stdout_of(remote_cmd(remote.path(), &agent.socket), &["list"]);
    assert_inert("list through the agent", &table);
    let shown = stdout_of(remote_cmd(remote.path(), &agent.socket), &["show", NAME]);
    assert_inert("show through the agent", &shown);
    let json = stdout_of(
        remote_cmd(remote.path(), &agent.socket),
        &["list", "--json"],
    );
    let listed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(listed[0]["user"], hostile_user(), "--json is exact");
}

#[test]
fn token_json_and_env_through_the_agent_carry_the_agent_s_renew_cutoff() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    // The agent's machine says the server's grace is 12 h; the remote side has no config.
    env.write_config("renew-grace = \"12h\"\n");
    let stored = token("alice", hours(5));
    env.add(NAME, &mock.url(), &stored);
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let remote = tempfile::tempdir().unwrap();

    let args = ["token", NAME, "--json"];
    let remote_json = stdout_of(remote_cmd(remote.path(), &agent.socket), &args);
    assert_eq!(remote_json, stdout_of(env.cmd(), &args));
    let handed: Value = serde_json::from_str(&remote_json).unwrap();
    assert_eq!(handed["token"], stored.expose());
    let cutoff: jiff::Timestamp = handed["renew_cutoff"].as_str().unwrap().parse().unwrap();
    assert_eq!(cutoff, expiry(stored.expose()) + hours(12));

    let args = ["env", NAME, "--format", "json"];
    assert_eq!(
        stdout_of(remote_cmd(remote.path(), &agent.socket), &args),
        stdout_of(env.cmd(), &args)
    );
    assert_eq!(mock.server.renew_count(), 0);
}

#[test]
fn exec_through_the_agent_hands_its_token_and_passes_the_exit_status_on() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let stored = token("alice", hours(5));
    env.add(NAME, &mock.url(), &stored);
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let remote = tempfile::tempdir().unwrap();
    remote_cmd(remote.path(), &agent.socket)
        .args(["exec", NAME, "--", "sh", "-c"])
        .arg(r#"printf '%s\n' "$AC_TOKEN" "$AC_TOKEN_NAME"; exit 7"#)
        .assert()
        .code(7)
        .stdout(format!("{}\n{NAME}\n", stored.expose()));
    // --keep-fresh: the token in AC_TOKEN and in the file.
    remote_cmd(remote.path(), &agent.socket)
        .args(["exec", NAME, "--keep-fresh", "--", "sh", "-c"])
        .arg(r#"printf '%s\n' "$AC_TOKEN" "$(cat "$AC_TOKEN_FILE")"; exit 9"#)
        .assert()
        .code(9)
        .stdout(format!("{}\n{}\n", stored.expose(), stored.expose()));
    assert_eq!(mock.server.renew_count(), 0);
    agent.wait_for(&format!("token {NAME} from uid "));
}

#[test]
fn keep_fresh_through_the_agent_asks_it_again_when_the_token_is_due() {
    need_store!();
    let (env, mock) = (Env::new(), mock_issuing(secs(6)));
    env.write_config("renew-ahead = \"4s\"\n");
    let first = token("alice", secs(6));
    env.add(NAME, &mock.url(), &first);
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let remote = tempfile::tempdir().unwrap();
    remote_config(remote.path(), "renew-ahead = \"4s\"\n");
    let out = remote_cmd(remote.path(), &agent.socket)
        .args(["exec", NAME, "--keep-fresh", "--bearer-token-file", "--"])
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
    let (distinct, latest) = seen.check_every_read_valid();
    assert!(distinct >= 3, "{distinct} tokens while CMD ran\n{stderr}");
    assert!(
        stderr.contains(&format!("renewed {NAME}; AC_TOKEN_FILE now holds")),
        "{stderr}"
    );
    assert!(!seen.file.exists());
    // The agent renewed and stored each one; its log shows the requests.
    assert!(expiry(&env.stored_raw(NAME)) >= latest);
    assert_ne!(env.stored_raw(NAME), first.expose());
    let renewed = agent
        .log()
        .iter()
        .filter(|l| l.contains(&format!("token {NAME} from uid ")) && l.ends_with("ok (renewed)"))
        .count();
    assert!(renewed >= 2, "{:#?}", agent.log());
    assert!(mock.server.renew_count() >= 2);
}

#[test]
fn keep_fresh_retries_while_the_agent_is_gone_and_cmd_keeps_running() {
    need_store!();
    let (env, mock) = (Env::new(), mock_issuing(secs(8)));
    env.write_config("renew-ahead = \"6s\"\n");
    let first = token("alice", secs(8));
    env.add(NAME, &mock.url(), &first);
    let mut agent = Agent::start(&env, &["--interval", "1h"]);
    let remote = tempfile::tempdir().unwrap();
    remote_config(remote.path(), "renew-ahead = \"6s\"\n");
    let mut child = remote_std_cmd(remote.path(), &agent.socket)
        .args(["exec", NAME, "--keep-fresh", "--"])
        .args(["sh", "-c", &reader_script(12)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reads = lines_of(child.stdout.take().unwrap());
    let errors = lines_of(child.stderr.take().unwrap());
    let mut stdout = wait_for_line(&reads, "read ", Duration::from_secs(30));
    // The agent goes away (a closed SSH session) while CMD runs.
    agent.terminate();
    let failed = wait_for_line(&errors, "renewal failed", Duration::from_secs(30));
    let line = failed.last().unwrap();
    assert!(line.contains("no agent answers at"), "{line}");
    assert!(
        line.contains("AC_TOKEN_FILE keeps the last good token") && line.contains("next try in"),
        "{line}"
    );
    // It comes back: the next try (or look) gets a token from it.
    let agent = Agent::start(&env, &["--interval", "1h"]);
    wait_for_line(&errors, "AC_TOKEN_FILE now holds", Duration::from_secs(30));
    assert_eq!(
        wait_bounded(&mut child, Duration::from_secs(60)).code(),
        Some(7),
        "CMD ran to its end"
    );
    stdout.extend(rest_of(&reads, Duration::from_secs(30)));
    let seen = Reads::parse(&stdout.join("\n"));
    let last = &seen.reads.last().unwrap().1;
    assert_ne!(last, first.expose(), "the file holds the agent's new token");
    assert!(expiry(&env.stored_raw(NAME)) >= expiry(last));
    agent.wait_for(&format!("token {NAME} from uid "));
}

#[test]
fn list_show_and_exec_with_a_gone_agent_are_one_line_and_exit_5() {
    need_store!();
    let env = Env::new();
    // This machine has a token of that name: a fall back to its store would show it.
    env.add(
        NAME,
        "https://api.example.com:65102",
        &token("alice", hours(5)),
    );
    let socket = env.dir.path().join("gone.sock");
    let marker = env.dir.path().join("ran");
    let marker = marker.to_str().unwrap();
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", NAME],
        vec!["show", NAME, "--json"],
        vec!["exec", NAME, "--", "touch", marker],
        vec!["exec", NAME, "--keep-fresh", "--", "touch", marker],
    ] {
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
    assert!(!Path::new(marker).exists(), "CMD ran without a token");
    // --no-agent: this machine's own store.
    env.cmd()
        .env("ACTOKEN_AGENT_SOCK", &socket)
        .args(["--no-agent", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(NAME));
}

/// `exec --from-env` takes its token from the environment (a compute node): no agent is
/// asked, even when ACTOKEN_AGENT_SOCK is set (and gone).
#[test]
fn exec_from_env_asks_no_agent() {
    let (env, mock) = (Env::new(), Mock::start());
    let handed = token("alice", hours(5));
    env.cmd()
        .env("ACTOKEN_AGENT_SOCK", env.dir.path().join("gone.sock"))
        .env("AC_TOKEN", handed.expose())
        .env("AC_BASE_URL", mock.url())
        .args([
            "exec",
            "--from-env",
            "--",
            "sh",
            "-c",
            r#"printf %s "$AC_TOKEN""#,
        ])
        .assert()
        .success()
        .stdout(handed.expose().to_owned());
}
