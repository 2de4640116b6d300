//! A machine without a desktop: no D-Bus session, so tokens and remembered secret keys live in
//! the Linux kernel keyring. The real binary, the real kernel keyring, the mock AC server on
//! loopback, and `keyctl` (which we did not write) to look at what was stored.
//!
//! Each test has its own keyring service (a description prefix in the user's persistent
//! keyring, which all of the user's processes share) and deletes what it created.

use std::process::Command as Process;

use actoken::mock::ALICE;
use actoken::store::{KeyringBackend, KeyutilsBackend, SecretBackend};
use jiff::SignedDuration;
use predicates::prelude::*;

use crate::support::{Env, Mock, kernel_keyring_available, keyring_available, token};

macro_rules! need_kernel_keyring {
    () => {
        if !kernel_keyring_available(module_path!()) {
            return;
        }
    };
}

const NOTICE: &str = "note: no usable Secret Service";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The secret as `keyctl` reads it from the persistent keyring, in a throwaway session
/// keyring (so the test links nothing into a keyring that outlives it). `None` without keyctl.
fn keyctl_read(service: &str, name: &str) -> Option<String> {
    let script = format!(
        "p=$(keyctl get_persistent @s) && k=$(keyctl search \"$p\" user '{service}:{name}') && keyctl pipe \"$k\""
    );
    let out = Process::new("keyctl")
        .args(["session", "-", "sh", "-c", &script])
        .output();
    match out {
        Ok(out) if out.status.success() => Some(stdout(&out)),
        Ok(out) => panic!("keyctl could not read {name}: {}", stderr(&out)),
        Err(_) => {
            assert!(
                std::env::var("ACTOKEN_REQUIRE_KEYRING").as_deref() != Ok("1"),
                "ACTOKEN_REQUIRE_KEYRING=1 but keyctl is missing (apt-get install keyutils)"
            );
            eprintln!("keyctl missing: command-line check skipped");
            None
        }
    }
}

/// `actoken login` as the mock's demo user alice, her secret key on stdin.
fn login_alice(mut cmd: assert_cmd::Command, mock: &Mock) -> assert_cmd::assert::Assert {
    cmd.args([
        "login",
        "--user",
        ALICE.user,
        "--access-key",
        ALICE.access_key,
        "--secret-key-stdin",
        "--base-url",
        &mock.url(),
    ])
    .write_stdin(ALICE.secret_key)
    .assert()
}

#[test]
fn without_dbus_tokens_are_stored_listed_renewed_and_logged_in_through_the_kernel_keyring() {
    need_kernel_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    let t = token("alice", SignedDuration::from_hours(3));

    // First command: stored, and a one-line notice says where (once).
    let out = env
        .headless_cmd()
        .args(["add", "hpc-east", "--base-url", &mock.url()])
        .write_stdin(t.expose())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.matches(NOTICE).count(), 1, "{err}");
    assert!(err.contains("kernel keyring"), "{err}");
    assert!(err.contains("cleared at reboot"), "{err}");

    // The kernel keyring holds it (asked directly, and through keyctl).
    let kernel = KeyutilsBackend::with_service(&env.service).unwrap();
    assert_eq!(kernel.get("hpc-east").unwrap(), Some(t.clone()));
    if let Some(raw) = keyctl_read(&env.service, "hpc-east") {
        assert_eq!(raw, t.expose());
    }

    // Listed, with no second notice.
    let out = env.headless_cmd().arg("list").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("hpc-east"), "{}", stdout(&out));
    assert!(stdout(&out).contains("valid"), "{}", stdout(&out));
    assert!(!stderr(&out).contains(NOTICE), "notice shown twice");
    let out = env
        .headless_cmd()
        .args(["list", "--json"])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["store"], "keyutils");

    // Renewed in place.
    env.headless_cmd()
        .args(["renew", "hpc-east"])
        .assert()
        .success()
        .stdout(predicate::str::contains("renewed"));
    assert_eq!(mock.server.renew_count(), 1);
    let renewed = kernel.get("hpc-east").unwrap().unwrap();
    assert_ne!(renewed, t);
    let out = env
        .headless_cmd()
        .args(["token", "hpc-east"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), renewed.expose());

    // Logged in: region tokens and the remembered secret key in the kernel keyring.
    login_alice(env.headless_cmd(), &mock)
        .success()
        .stdout(predicate::str::contains("kernel keyring"));
    env.headless_cmd()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("alice/华东一区【昆山】"));
    let keys =
        KeyutilsBackend::with_service(&actoken::store::accounts_service(&env.service)).unwrap();
    assert_eq!(keys.names().unwrap().len(), 1, "secret key not remembered");

    // Removed from the kernel keyring too.
    env.headless_cmd()
        .args(["rm", "hpc-east"])
        .assert()
        .success();
    assert_eq!(kernel.get("hpc-east").unwrap(), None);
}

#[test]
fn the_fallback_notice_speaks_chinese_under_zh_cn() {
    need_kernel_keyring!();
    let env = Env::new();
    let out = env
        .headless_cmd()
        .args(["--lang", "zh-CN", "list"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("备注：系统密钥环（Secret Service）不可用（"),
        "{err}"
    );
    assert!(err.contains("Linux 内核密钥环"), "{err}");
    assert!(err.contains("store = \"keyutils\""), "{err}");
    assert!(err.contains("此提示只显示一次"), "{err}");
    assert!(!err.contains(NOTICE), "{err}");
}

#[test]
fn store_flag_env_and_config_choose_the_kernel_keyring_without_a_notice() {
    need_kernel_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
    let t = token("bob", SignedDuration::from_hours(1));
    for (i, how) in ["flag", "env", "config"].into_iter().enumerate() {
        let name = format!("西北一区-{i}");
        let mut cmd = env.cmd();
        match how {
            "flag" => {
                cmd.args(["--store", "keyutils"]);
            }
            "env" => {
                cmd.env("ACTOKEN_STORE", "keyutils");
            }
            _ => env.write_config("store = \"keyutils\"\n"),
        }
        let out = cmd
            .args(["add", &name, "--base-url", &mock.url()])
            .write_stdin(t.expose())
            .output()
            .unwrap();
        assert!(out.status.success(), "{how}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains(NOTICE),
            "{how}: chosen, not fallen back to"
        );
        let kernel = KeyutilsBackend::with_service(&env.service).unwrap();
        assert_eq!(kernel.get(&name).unwrap(), Some(t.clone()), "{how}");
    }
    env.cmd()
        .args(["--store", "kernel", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("keyutils"));
}

#[test]
fn switching_stores_lists_the_other_store_and_move_brings_everything_over() {
    need_kernel_keyring!();
    if !keyring_available(module_path!()) {
        return;
    }
    let (env, mock) = (Env::new(), Mock::start());
    // A desktop session first: a login stores tokens and the secret key in the Secret Service.
    let mut cmd = env.cmd();
    cmd.args(["--store", "secret-service"]);
    login_alice(cmd, &mock).success();
    let name = "alice/华东一区【昆山】";
    let ss = KeyringBackend::with_service(&env.service, std::time::Duration::from_secs(5)).unwrap();
    let original = ss.get(name).unwrap().expect("stored in the Secret Service");

    // Then over SSH with the kernel keyring: nothing vanishes, each entry says where it is.
    let ku = || {
        let mut cmd = env.cmd();
        cmd.args(["--store", "keyutils"]);
        cmd
    };
    let out = ku().args(["list", "--json"]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = list.as_array().unwrap();
    assert_eq!(entries.len(), 4, "{list}");
    for e in entries {
        assert_eq!(e["phase"], "other-store", "{e}");
        assert_eq!(e["store"], "secret-service", "{e}");
        assert!(
            e["problem"].as_str().unwrap().contains("--to keyutils"),
            "{e}"
        );
    }
    ku().args(["token", name])
        .assert()
        .failure()
        .stderr(predicate::str::contains("actoken move"));

    // Move everything, the remembered key included.
    ku().args(["move", "--all", "--to", "keyutils"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{name}: moved to the kernel keyring"
        )))
        .stdout(predicate::str::contains("secret key of alice@"));
    let kernel = KeyutilsBackend::with_service(&env.service).unwrap();
    assert_eq!(kernel.get(name).unwrap(), Some(original.clone()));
    assert_eq!(ss.get(name).unwrap(), None, "original left behind");
    let out = ku().args(["token", name]).output().unwrap();
    assert_eq!(stdout(&out).trim(), original.expose());
    let keys =
        KeyutilsBackend::with_service(&actoken::store::accounts_service(&env.service)).unwrap();
    assert_eq!(keys.names().unwrap().len(), 1, "secret key not moved");

    // And back, by name, told in Chinese under zh-CN.
    env.cmd()
        .args(["--lang", "zh-CN", "move", name, "--to", "secret-service"])
        .assert()
        .success()
        .stdout(format!("{name}：已迁移到系统密钥环（secret-service）\n"));
    env.cmd()
        .env("ACTOKEN_LANG", "zh-CN")
        .args(["move", name, "--to", "secret-service"])
        .assert()
        .success()
        .stdout(format!("{name}：已在系统密钥环中\n"));
    env.cmd()
        .args(["--lang", "zh-CN", "move", "test中心", "--to", "keyutils"])
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("错误： test中心："));
    assert_eq!(ss.get(name).unwrap(), Some(original));
    assert_eq!(kernel.get(name).unwrap(), None);
}
