//! Leak nothing: a token must never show up in log output at the most verbose level, in error
//! or help output, in any file but the keyring, in the `Debug` of a type that holds one, in a
//! panic message, or in a process's argv.

use std::cell::Cell;
use std::panic::PanicHookInfo;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use actoken::api::ApiError;
use actoken::api::response::parse_envelope;
use actoken::renew::{RenewError, Renewed};
use actoken::store::{EntryMeta, SecretState, StoreError, StoredToken};
use actoken::token::Token;
use jiff::{SignedDuration, Timestamp};
use predicates::prelude::*;

use crate::support::{Env, Mock, token};

/// Pieces of `secret` long enough to identify it (the whole, and its signature and payload
/// parts, which is what a partial leak would print).
fn fragments(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_owned()];
    out.extend(
        secret
            .split('.')
            .skip(1)
            .filter(|p| p.len() >= 16)
            .map(str::to_owned),
    );
    out
}

fn assert_no_secret(what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        for f in fragments(s) {
            assert!(
                !text.contains(&f),
                "{what} contains a token fragment:\n{text}"
            );
        }
    }
}

/// Every file under `dir` (config, index, locks, anything) except rescue files.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn most_verbose_logs_and_files_never_hold_a_token() {
    // The Secret Service's own trace logs (D-Bus, the keyring library) are part of what is read.
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    let old = token("alice", SignedDuration::from_mins(20));
    let config = env.dir.path().join("config/actoken/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, format!("base-url = \"{}\"\n", mock.url())).unwrap();

    // Every command, at the most verbose level both ways (-vvv and ACTOKEN_LOG=trace, which
    // also turns on the HTTP, TLS and keyring libraries' own trace logs).
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = env.cmd();
        cmd.args(["-vvv"]).args(args).env("ACTOKEN_LOG", "trace");
        if let Some(s) = stdin {
            cmd.write_stdin(s.to_owned());
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let mut transcript = Vec::new();
    let (ok, stdout, stderr) = run(&["add", "east"], Some(old.expose()));
    assert!(ok, "{stderr}");
    // Logging really is on (the test would be vacuous otherwise).
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "{stderr}"
    );
    transcript.push(("add", stdout, stderr));
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", "east"],
        &["renew", "east"],
        &["renew", "--all"],
        &["paths"],
    ] {
        let (ok, stdout, stderr) = run(args, None);
        assert!(ok, "{args:?}: {stderr}");
        transcript.push((args[0], stdout, stderr));
    }
    let renewed = env.stored_raw("east");
    assert_ne!(renewed, old.expose());

    // `token` prints the token on stdout (its job), but never on stderr, even when it renews.
    let (ok, stdout, stderr) = run(&["token", "east", "--min-valid", "48h"], None);
    assert!(ok, "{stderr}");
    let newest = env.stored_raw("east");
    assert_eq!(stdout.trim(), newest);
    assert_no_secret(
        "token's stderr",
        &stderr,
        &[old.expose(), &renewed, &newest],
    );

    // Failures too: a server that answers with an error echoing the token.
    mock.server.faults().set(actoken::mock::Fault::Http(500));
    let (ok, stdout, stderr) = run(&["renew", "east"], None);
    assert!(!ok);
    transcript.push(("failed renew", stdout, stderr));

    let secrets = [old.expose(), renewed.as_str(), newest.as_str()];
    for (what, stdout, stderr) in &transcript {
        assert_no_secret(&format!("{what} stdout"), stdout, &secrets);
        assert_no_secret(&format!("{what} stderr"), stderr, &secrets);
    }
    for file in files_under(env.dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        assert_no_secret(
            &file.display().to_string(),
            &String::from_utf8_lossy(&bytes),
            &secrets,
        );
    }
    assert!(env.index_file().exists());

    env.cmd().args(["rm", "east", "-vvv"]).assert().success();
}

#[test]
fn help_and_usage_errors_never_echo_a_token() {
    let env = Env::new();
    let t = token("alice", SignedDuration::from_hours(1));
    env.cmd()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("never taken as arguments"));
    // No command takes a token as an argument, and a token typed there by mistake is refused
    // before anything else happens.
    for args in [
        vec!["add", "east", t.expose()],
        vec!["add", "east", "--token", t.expose()],
        vec!["renew", "east", "--token", t.expose()],
    ] {
        let out = env
            .cmd()
            .args(&args)
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_no_secret("usage error", &stderr, &[t.expose()]);
        assert_no_secret(
            "usage error",
            &String::from_utf8_lossy(&out.stdout),
            &[t.expose()],
        );
        assert!(!env.index_file().exists());
    }
}

#[test]
fn no_process_argv_holds_the_token() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let old = token("alice", SignedDuration::from_hours(1));
    env.add("east", &mock.url(), &old);
    mock.server.faults().set_delay(Duration::from_millis(800));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("actoken"))
        .args(["renew", "east", "-vvv"])
        .env("XDG_CONFIG_HOME", env.dir.path().join("config"))
        .env("XDG_STATE_HOME", env.dir.path().join("state"))
        .env("ACTOKEN_KEYRING_SERVICE", &env.service)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // While the renewal is in flight, look at every process's command line we can see.
    std::thread::sleep(Duration::from_millis(400));
    let mut looked = 0;
    if let Ok(procs) = std::fs::read_dir("/proc") {
        for p in procs.flatten() {
            if let Ok(cmdline) = std::fs::read(p.path().join("cmdline")) {
                looked += 1;
                assert_no_secret(
                    &format!("argv of {}", p.path().display()),
                    &String::from_utf8_lossy(&cmdline),
                    &[old.expose()],
                );
            }
        }
    }
    assert!(child.wait().unwrap().success());
    if cfg!(target_os = "linux") {
        assert!(looked > 1, "could not inspect /proc");
    }
}

fn sample() -> Token {
    token("alice", SignedDuration::from_hours(1))
}

#[test]
fn debug_of_every_type_holding_a_token_is_redacted() {
    let t = sample();
    let meta = EntryMeta::new("east", "https://h:1", Timestamp::UNIX_EPOCH);
    let renewed = Renewed {
        name: "east".into(),
        old_expiry: None,
        new_expiry: Timestamp::UNIX_EPOCH,
        token: t.clone(),
        called_server: true,
        via_login: false,
    };
    let save_failed = RenewError::SaveFailed {
        name: "east".into(),
        source: StoreError::Backend("disk full".into()),
        token: t.clone(),
        kept: actoken::rescue::Kept::File("/tmp/rescue.jwt".into()),
    };
    let superseded = RenewError::Superseded {
        name: "east".into(),
        how: actoken::store::Superseded::Removed,
        token: t.clone(),
        rescue_file: Some("/tmp/rescue.jwt".into()),
    };
    let body = format!(r#"{{"code":"0","msg":"ok {0}","data":"{0}"}}"#, t.expose());
    let envelope = parse_envelope(body.as_bytes(), None).unwrap();
    let echoed = format!(r#"{{"code":"10004","msg":"bad token {}"}}"#, t.expose());
    let platform_error: ApiError = parse_envelope(echoed.as_bytes(), None)
        .unwrap()
        .to_error(Some(t.expose()));
    let decoded = t.decode().unwrap();

    let dumps = [
        format!("{t:?}"),
        format!("{:?}", Some(t.clone())),
        format!("{:?}", SecretState::Present(t.clone())),
        format!(
            "{:?}",
            StoredToken {
                meta: meta.clone(),
                secret: SecretState::Present(t.clone())
            }
        ),
        format!("{renewed:?}"),
        format!("{renewed:#?}"),
        format!("{save_failed:?}"),
        format!("{save_failed}"),
        format!("{superseded:?}"),
        format!("{superseded}"),
        format!("{envelope:?}"),
        format!("{platform_error:?}"),
        format!("{platform_error}"),
        format!("{:?}", Ok::<_, ()>(renewed.clone())),
    ];
    for d in &dumps {
        assert_no_secret("Debug output", d, &[t.expose()]);
    }
    assert!(dumps[0].contains("redacted"));
    // Decoded claims are not the secret (no signature): showing them is fine and expected.
    assert!(format!("{decoded:?}").contains("alice"));
}

#[test]
#[allow(clippy::unnecessary_literal_unwrap)] // unwrapping an error is the point
fn panics_carrying_token_holders_never_print_the_token() {
    let t = sample();
    let failures: Vec<Box<dyn FnOnce() + std::panic::UnwindSafe>> = vec![
        {
            let t = t.clone();
            Box::new(move || {
                let r: Result<(), RenewError> = Err(RenewError::SaveFailed {
                    name: "east".into(),
                    source: StoreError::Backend("x".into()),
                    token: t,
                    kept: actoken::rescue::Kept::Nowhere,
                });
                r.unwrap();
            })
        },
        {
            let t = t.clone();
            Box::new(move || {
                let r: Result<(), Token> = Err(t);
                r.expect("no token");
            })
        },
        {
            let t = t.clone();
            Box::new(move || {
                assert_eq!(Some(t), None, "tokens differ");
            })
        },
    ];
    // Keep the test output quiet: no message for the panics caught here. The hook is
    // process-wide and, in the one test binary, other modules' tests run beside this one under
    // plain `cargo test`, so it is silent only on this thread and only while a panic is caught.
    thread_local!(static QUIET: Cell<bool> = const { Cell::new(false) });
    let previous: Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync> = std::panic::take_hook().into();
    let delegate = previous.clone();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.get() {
            delegate(info);
        }
    }));
    for f in failures {
        QUIET.set(true);
        let caught = std::panic::catch_unwind(f);
        QUIET.set(false);
        let payload = caught.unwrap_err();
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap();
        assert!(msg.contains("redacted") || msg.contains("Token("), "{msg}");
        assert_no_secret("panic message", &msg, &[t.expose()]);
    }
    drop(std::panic::take_hook());
    std::panic::set_hook(Box::new(move |info| previous(info)));
}
