//! The CLI as a user and a script drive it: the real binary, a real Secret Service (skipped
//! with a message where none runs), and the mock AC server on loopback.

use jiff::SignedDuration;
use predicates::prelude::*;

use crate::support::{Env, Mock, token};

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

/// `--log` takes a level or `target=level` pairs: the client's debug line shows for
/// `actoken=debug`, not for another target's; a filter that does not parse falls back to -v.
#[test]
fn log_filters_pick_targets_and_levels() {
    need_store!();
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
    for args in [&["paths"][..], &["completions", "bash"], &["manpage"]] {
        let out = run_with_closed_stdout(&env, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?}: {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }

    need_store!();
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

/// `renew` tells a dead token's failure in the token's advice, as `show` does: the same
/// words, in the user's language, with the login command the renewer would run.
#[test]
fn renewing_a_dead_token_gives_the_tokens_advice() {
    need_store!();
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
    need_store!();
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
