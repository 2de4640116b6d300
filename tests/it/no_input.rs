//! `--no-input` (and `ACTOKEN_NO_INPUT=1`): a run nobody watches never waits at a prompt, even
//! on a terminal (a job started from tmux has one). The real binary in a real pseudo-terminal
//! (`script`, from util-linux), so every prompt would really be shown.

use std::process::{Command, Output};

use predicates::prelude::*;

use crate::support::{Env, Mock, hours, token};

const KUNSHAN: &str = "华东一区【昆山】";

/// `actoken ARGS` on a pseudo-terminal, with `typed` arriving on it a second later (as a
/// person would type it); `None` (and a SKIPPED line) without `script`. Bounded: a prompt
/// nobody answers ends in 20 s with `timeout`'s 124.
fn in_terminal(env: &Env, args: &[&str], vars: &[(&str, &str)], typed: &str) -> Option<Output> {
    if !crate::support::have("script") {
        assert!(std::env::var("CI").is_err(), "script is required in CI");
        eprintln!("SKIPPED: script (util-linux) is not installed");
        return None;
    }
    let actoken = assert_cmd::cargo::cargo_bin("actoken");
    let words: Vec<String> = std::iter::once(actoken.display().to_string())
        .chain(args.iter().map(|a| (*a).to_owned()))
        .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
        .collect();
    let pipeline =
        format!("(sleep 1; printf '%s\\n' '{typed}') | timeout 20 script -qec \"$0\" /dev/null",);
    // The world of `Env::cmd` (its config, state and keyring service), around `script`.
    let world = env.std_cmd();
    let mut sh = Command::new("sh");
    for (name, value) in world.get_envs() {
        match value {
            Some(value) => sh.env(name, value),
            None => sh.env_remove(name),
        };
    }
    sh.envs(vars.iter().copied());
    Some(
        sh.arg("-c")
            .arg(pipeline)
            .arg(words.join(" "))
            .output()
            .unwrap(),
    )
}

fn text(out: &Output) -> String {
    // `script` puts the terminal's bytes (stdout and stderr) on its stdout.
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn add_on_a_terminal_names_the_piped_command_instead_of_prompting() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let url = mock.url();
    let add = ["add", KUNSHAN, "--base-url", &url];
    let with_flag = [&["--no-input"][..], &add].concat();
    let Some(out) = in_terminal(&env, &with_flag, &[], "not-a-token") else {
        return;
    };
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let want = format!(
        "--no-input (or ACTOKEN_NO_INPUT) says nobody is there; run instead: \
         `actoken add '{KUNSHAN}' --base-url {url} < TOKEN_FILE`"
    );
    assert!(text(&out).contains(&want), "{}", text(&out));
    assert!(!text(&out).contains("input hidden"), "{}", text(&out));
    // The variable does the same; "0" does not.
    let out = in_terminal(&env, &add, &[("ACTOKEN_NO_INPUT", "1")], "x").unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains(&want), "{}", text(&out));
    // Without it, the same terminal gets the prompt (and the typed line is read).
    let out = in_terminal(&env, &add, &[("ACTOKEN_NO_INPUT", "0")], "not-a-token").unwrap();
    assert!(
        text(&out).contains(&format!("Token for {KUNSHAN} (input hidden)")),
        "{}",
        text(&out)
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Nothing was stored by any of them.
    env.cmd()
        .args(["list", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(KUNSHAN).not());
}

#[test]
fn with_a_pipe_no_input_changes_nothing() {
    let world = crate::support::in_process::InProcess::new();
    let fresh = token("alice", hours(5));
    world
        .cmd()
        .args([
            "--no-input",
            "add",
            KUNSHAN,
            "--base-url",
            "https://127.0.0.1:1",
        ])
        .write_stdin(fresh.expose())
        .assert()
        .success();
    assert_eq!(world.stored_raw(KUNSHAN), fresh.expose());
}

#[test]
fn login_on_a_terminal_names_the_login_with_the_secret_piped_in() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let url = mock.url();
    let access_key = [
        "--no-input",
        "login",
        "--user",
        "alice",
        "--access-key",
        "AK1",
        "--base-url",
        &url,
    ];
    let Some(out) = in_terminal(&env, &access_key, &[], "SK") else {
        return;
    };
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let want = format!(
        "`printf '%s' \"$SECRET_KEY\" | actoken login --user alice --access-key AK1 \
         --base-url {url} --secret-key-stdin`"
    );
    assert!(text(&out).contains(&want), "{}", text(&out));
    assert!(!text(&out).contains("input hidden"), "{}", text(&out));
    // Told to read stdin, which is the terminal: that waits for a person too.
    let from_stdin = [&access_key[..], &["--secret-key-stdin"]].concat();
    let out = in_terminal(&env, &from_stdin, &[], "SK").unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains(&want), "{}", text(&out));

    let password = [
        "--no-input",
        "login",
        "--user",
        "alice",
        "--org-id",
        "ORG1",
        "--base-url",
        &url,
        "--no-remember",
    ];
    let out = in_terminal(&env, &password, &[], "pw").unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let want = format!(
        "`printf '%s' \"$PASSWORD\" | actoken login --user alice --org-id ORG1 \
         --password-stdin --base-url {url} --no-remember`"
    );
    assert!(text(&out).contains(&want), "{}", text(&out));
    assert_eq!(mock.server.login_count(), 0);
}

#[test]
fn the_dashboard_is_not_opened_for_nobody() {
    let env = Env::new();
    let Some(out) = in_terminal(&env, &["--no-input"], &[], "q") else {
        return;
    };
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("run instead: `actoken list` (or `actoken watch --once`)"),
        "{}",
        text(&out)
    );
    // In Chinese too.
    let out = in_terminal(&env, &["--no-input"], &[("ACTOKEN_LANG", "zh-CN")], "q").unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("请改为运行：`actoken list`"),
        "{}",
        text(&out)
    );
}
