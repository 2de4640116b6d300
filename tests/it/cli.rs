//! The CLI as a user and a script drive it: the real binary, a real Secret Service (skipped
//! with a message where none runs), and the mock AC server on loopback.

use jiff::SignedDuration;
use predicates::prelude::*;

use crate::support::{Env, Mock, keyring_available, token};

macro_rules! need_keyring {
    () => {
        if !keyring_available(module_path!()) {
            return;
        }
    };
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

#[test]
fn help_documents_commands_and_exit_codes_without_a_keyring() {
    let env = Env::new();
    env.cmd()
        .arg("--help")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("3  the token is dead"))
        .stdout(predicate::str::contains("renew"))
        .stdout(predicate::str::contains("mock-server"));
    env.cmd().arg("frobnicate").assert().code(2);
    env.cmd().args(["renew"]).assert().code(2);
}

#[test]
fn completions_are_generated() {
    Env::new()
        .cmd()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("actoken"));
}

#[test]
fn add_list_show_token_rm_round_trip() {
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    let t = token("alice", hours(3));
    env.add("hpc-east", &mock.url(), &t);

    env.cmd()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("hpc-east"))
        .stdout(predicate::str::contains("alice"))
        .stdout(predicate::str::contains("valid"))
        .stdout(predicate::str::contains("in 2h 59m").or(predicate::str::contains("in 3h 00m")));

    let out = env.cmd().args(["list", "--json"]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = &list[0];
    assert_eq!(entry["name"], "hpc-east");
    assert_eq!(entry["phase"], "valid");
    assert_eq!(entry["user"], "alice");
    assert_eq!(entry["compute_user"], "alice_c");
    assert_eq!(entry["cluster_id"], "11112");
    assert!(entry["expires_at"].as_str().unwrap().ends_with('Z'));
    let left = entry["expires_in_seconds"].as_i64().unwrap();
    assert!((3 * 3600 - 60..=3 * 3600).contains(&left), "{left}");
    assert_eq!(
        entry["renew_cutoff_in_seconds"].as_i64().unwrap() - left,
        24 * 3600
    );

    env.cmd()
        .args(["show", "hpc-east"])
        .assert()
        .success()
        .stdout(predicate::str::contains("computeUser:"))
        .stdout(predicate::str::contains("signature not verified"))
        .stdout(predicate::str::contains(t.expose()).not());

    assert_eq!(env.stored("hpc-east"), t.expose());

    env.cmd().args(["rm", "hpc-east"]).assert().success();
    env.cmd()
        .args(["token", "hpc-east"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("hpc-east"));
}

#[test]
fn add_refuses_bad_input_and_stores_nothing() {
    need_keyring!();
    let env = Env::new();
    let url = "https://api01.example.com:65102";
    for (input, why) in [
        ("", "empty"),
        ("not-a-jwt", "not a JWT"),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYSJ9.c2ln",
            "no expireTime",
        ),
    ] {
        env.cmd()
            .args(["add", "x", "--base-url", url])
            .write_stdin(input)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(why));
    }
    env.cmd()
        .args(["add", "bad name", "--base-url", url])
        .write_stdin(token("a", hours(1)).expose())
        .assert()
        .code(2);
    env.cmd()
        .args(["add", "x", "--base-url", "http://api01.example.com"])
        .write_stdin(token("a", hours(1)).expose())
        .assert()
        .failure()
        .stderr(predicate::str::contains("http"));
    env.cmd()
        .args(["list", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("[]"));
}

#[test]
fn add_refuses_to_overwrite_without_force() {
    need_keyring!();
    let env = Env::new();
    let url = "https://api01.example.com:65102";
    let first = token("a", hours(1));
    let second = token("b", hours(2));
    env.add("east", url, &first);
    env.cmd()
        .args(["add", "east", "--base-url", url])
        .write_stdin(second.expose())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(env.stored("east"), first.expose());
    env.cmd()
        .args(["add", "east", "--base-url", url, "--force"])
        .write_stdin(second.expose())
        .assert()
        .success();
    assert_eq!(env.stored("east"), second.expose());
}

#[test]
fn renew_replaces_the_token_and_reports_both_expiries() {
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    let old = token("alice", hours(1));
    env.add("east", &mock.url(), &old);
    env.cmd()
        .args(["renew", "east"])
        .assert()
        .success()
        .stdout(predicate::str::contains("east: renewed, expiry"))
        .stdout(predicate::str::contains("->"));
    let new = env.stored("east");
    assert_ne!(new, old.expose());
    assert_eq!(mock.server.renew_count(), 1);
    let out = env.cmd().args(["list", "--json"]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(list[0]["expires_in_seconds"].as_i64().unwrap() > 23 * 3600);
    assert!(list[0]["renewed_at"].is_string());
}

/// `--log` takes a level or `target=level` pairs: the client's debug line shows for
/// `actoken=debug`, not for another target's; a filter that does not parse falls back to -v.
#[test]
fn log_filters_pick_targets_and_levels() {
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add("华东一区【昆山】", &mock.url(), &token("alice", hours(1)));
    let stderr_of = |args: &[&str]| {
        let out = env.cmd().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let renew = ["renew", "华东一区【昆山】"];
    let shown = stderr_of(&[&["--log", "actoken=debug,hyper=info"][..], &renew].concat());
    assert!(shown.contains("response headers"), "{shown}");
    let other = stderr_of(&[&["--log", "hyper=debug"][..], &renew].concat());
    assert!(!other.contains("response headers"), "{other}");
    let fallback = stderr_of(&[&["-vv", "--log", "actoken=loud"][..], &renew].concat());
    assert!(fallback.contains("response headers"), "{fallback}");
}

/// Runs `args` with stdout a pipe whose reader is already gone, as in `actoken … | head -0`.
fn run_with_closed_stdout(env: &Env, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    env.std_cmd()
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_pipe_silences_output_but_not_the_work() {
    let env = Env::new();
    let out = run_with_closed_stdout(&env, &["paths"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");

    need_keyring!();
    let mock = Mock::start();
    let old = token("alice", hours(1));
    env.add("华东一区【昆山】", &mock.url(), &old);
    let out = run_with_closed_stdout(&env, &["renew", "华东一区【昆山】"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(env.stored("华东一区【昆山】"), old.expose());
    assert_eq!(mock.server.renew_count(), 1);
}

#[test]
fn failed_renewal_leaves_the_token_byte_for_byte() {
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    let old = token("alice", hours(1));
    env.add("east", &mock.url(), &old);
    let index_before = std::fs::read(env.index_file()).unwrap();
    mock.server.faults().set(actoken::mock::Fault::Http(503));
    env.cmd()
        .args(["renew", "east"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("503"));
    assert_eq!(env.stored("east"), old.expose());
    assert_eq!(std::fs::read(env.index_file()).unwrap(), index_before);
}

/// `renew` tells a dead token's failure in the token's advice, as `show` does: the same
/// words, in the user's language, with the login command the renewer would run.
#[test]
fn renewing_a_dead_token_gives_the_tokens_advice() {
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    let name = "alice/华东一区【昆山】";
    env.add(name, &mock.url(), &token("alice", hours(-25)));
    let login = format!(
        "`actoken login --user alice --access-key YOUR_KEY --base-url {}`",
        mock.url()
    );
    let out = env.cmd().args(["renew", name]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("error: {name}: expired beyond renewal (")),
        "{stderr}"
    );
    assert!(
        stderr.contains("no remembered login owns it): log in again as alice with"),
        "{stderr}"
    );
    assert!(stderr.trim_end().ends_with(&login), "{stderr}");
    env.cmd()
        .args(["show", name])
        .assert()
        .stdout(predicate::str::contains(format!(
            "expired beyond renewal: log in again as alice with {login}"
        )));
    env.cmd()
        .env("ACTOKEN_LANG", "zh-CN")
        .args(["renew", name])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "{name}：已超过续约期限（"
        )))
        .stderr(predicate::str::contains(login.as_str()));
    assert_eq!(mock.server.renew_count(), 0);
}

#[test]
fn dead_token_exits_3_without_calling_the_server() {
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    let dead = token("alice", hours(-25));
    env.add("east", &mock.url(), &dead);
    env.cmd()
        .args(["renew", "east"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("expired beyond renewal"));
    env.cmd().args(["token", "east"]).assert().code(3);
    env.cmd().args(["renew", "--all"]).assert().code(3);
    assert_eq!(mock.server.renew_count(), 0);
    assert_eq!(env.stored_raw("east"), dead.expose());
}

#[test]
fn min_valid_renews_only_when_needed() {
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    let t = token("alice", SignedDuration::from_mins(20));
    env.add("east", &mock.url(), &t);
    let printed = env
        .cmd()
        .args(["token", "east", "--min-valid", "10m"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(printed.stdout).unwrap().trim(),
        t.expose()
    );
    assert_eq!(mock.server.renew_count(), 0);

    let printed = env
        .cmd()
        .args(["token", "east", "--min-valid", "30m"])
        .output()
        .unwrap();
    assert!(printed.status.success());
    let fresh = String::from_utf8(printed.stdout).unwrap();
    assert_ne!(fresh.trim(), t.expose());
    assert_eq!(
        fresh.lines().count(),
        1,
        "stdout holds the token and nothing else"
    );
    assert_eq!(mock.server.renew_count(), 1);
    assert_eq!(env.stored("east"), fresh.trim());
}

#[test]
fn renew_all_within_a_window_renews_only_those_expiring() {
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add(
        "soon",
        &mock.url(),
        &token("a", SignedDuration::from_mins(30)),
    );
    env.add("later", &mock.url(), &token("b", hours(10)));
    env.add("expired", &mock.url(), &token("c", hours(-2)));
    env.cmd()
        .args(["renew", "--all", "--within", "2h"])
        .assert()
        .success()
        .stdout(predicate::str::contains("soon: renewed"))
        .stdout(predicate::str::contains("expired: renewed"))
        .stdout(predicate::str::contains("later: not due"));
    assert_eq!(mock.server.renew_count(), 2);
}

#[test]
fn unreachable_keyring_fails_fast_with_exit_5() {
    // With the Secret Service asked for by name (`auto` would fall back to the kernel keyring,
    // see tests/headless.rs).
    let env = Env::new();
    let started = std::time::Instant::now();
    env.cmd()
        .arg("list")
        .env("ACTOKEN_STORE", "secret-service")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .assert()
        .code(5)
        .stderr(predicate::str::contains("keyring").or(predicate::str::contains("Secret Service")));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "must fail fast, not hang"
    );
}

/// The command-line interface is what scripts rely on: any change to it shows up here.
#[test]
fn help_is_stable() {
    let env = Env::new();
    for args in [
        &["--help"][..],
        &["renew", "--help"],
        &["token", "--help"],
        &["login", "--help"],
    ] {
        let out = env.cmd().args(args).env("COLUMNS", "100").output().unwrap();
        assert!(out.status.success());
        let name = format!(
            "help_{}",
            args.join("_").trim_start_matches('-').replace("--", "")
        );
        insta::assert_snapshot!(name, String::from_utf8(out.stdout).unwrap());
    }
}

/// Every environment variable actoken reads is a flag's `env` too: `--help` names it next to
/// its flag and the README lists it; the variable and the flag do the same thing.
#[test]
fn every_environment_variable_is_in_help_and_readme() {
    const VARIABLES: [(&str, &str); 4] = [
        ("ACTOKEN_KEYRING_SERVICE", "--keyring-service"),
        ("ACTOKEN_LOG", "--log"),
        ("NO_COLOR", "--no-color"),
        ("NO_SYSTEM_CLIPBOARD", "--no-system-clipboard"),
    ];
    let env = Env::new();
    let out = env.cmd().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for (variable, flag) in VARIABLES {
        let line = help.lines().position(|l| l.trim_start().starts_with(flag));
        let entry: String = line
            .map(|i| help.lines().skip(i).take(5).collect())
            .unwrap_or_default();
        assert!(
            entry.contains(&format!("[env: {variable}")),
            "{flag} / {variable} in:\n{help}"
        );
        assert!(
            readme.contains(&format!("`{variable}`")),
            "README lacks {variable}"
        );
    }

    // The service: the variable, the flag over the variable, and empty meaning the default.
    let service = |cmd: &mut assert_cmd::Command| {
        let out = cmd.arg("paths").output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("keyring:"))
            .unwrap()
            .to_owned();
        line.split('"').nth(1).unwrap().to_owned()
    };
    let mut cmd = env.cmd();
    assert_eq!(
        service(cmd.env("ACTOKEN_KEYRING_SERVICE", "华东一区")),
        "华东一区"
    );
    let mut cmd = env.cmd();
    cmd.env("ACTOKEN_KEYRING_SERVICE", "env-side")
        .args(["--keyring-service", "flag-side"]);
    assert_eq!(service(&mut cmd), "flag-side");
    let mut cmd = env.cmd();
    assert_eq!(service(cmd.env("ACTOKEN_KEYRING_SERVICE", "")), "actoken");
}

#[test]
fn language_follows_the_locale_and_lang_overrides_it() {
    let env = Env::new();
    let zh = |cmd: &mut assert_cmd::Command| {
        cmd.env_remove("ACTOKEN_LANG")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "zh_CN.UTF-8");
    };
    let mut cmd = env.cmd();
    zh(&mut cmd);
    cmd.arg("paths")
        .assert()
        .success()
        .stdout(predicate::str::contains("配置文件:").and(predicate::str::contains("密钥环:")));
    let mut cmd = env.cmd();
    zh(&mut cmd);
    cmd.args(["--lang", "en", "paths"])
        .assert()
        .success()
        .stdout(predicate::str::contains("config file:"));
    let mut cmd = env.cmd();
    zh(&mut cmd);
    cmd.env("ACTOKEN_LANG", "fr")
        .arg("paths")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("en or zh-CN"));
    // LC_ALL beats LANG, as in POSIX.
    let mut cmd = env.cmd();
    zh(&mut cmd);
    cmd.env("LC_ALL", "C.UTF-8")
        .arg("paths")
        .assert()
        .stdout(predicate::str::contains("config file:"));
    // The config's `language` beats the locale.
    std::fs::create_dir_all(env.dir.path().join("config/actoken")).unwrap();
    std::fs::write(
        env.dir.path().join("config/actoken/config.toml"),
        "language = \"zh-CN\"\n",
    )
    .unwrap();
    env.cmd()
        .env_remove("ACTOKEN_LANG")
        .env("LANG", "C.UTF-8")
        .arg("paths")
        .assert()
        .stdout(predicate::str::contains("配置文件:"));
}

#[test]
fn json_and_exit_codes_do_not_change_with_the_language() {
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add(
        "alice/华东一区【昆山】",
        &mock.url(),
        &token("alice", hours(5)),
    );
    env.add("alice/西北一区", &mock.url(), &token("alice", hours(-25)));
    let json = |lang: &str| {
        let out = env
            .cmd()
            .args(["--lang", lang, "list", "--json"])
            .output()
            .unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for entry in v.as_array_mut().unwrap() {
            // Seconds left tick between the two runs.
            for key in ["expires_in_seconds", "renew_cutoff_in_seconds"] {
                entry[key] = serde_json::Value::Null;
            }
        }
        v
    };
    assert_eq!(json("en"), json("zh-CN"));
    for lang in ["en", "zh-CN"] {
        env.cmd()
            .args(["--lang", lang, "token", "alice/西北一区"])
            .assert()
            .code(3);
    }
    env.cmd()
        .args(["--lang", "zh-CN", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("续约截止").and(predicate::str::contains("已失效")));
}
