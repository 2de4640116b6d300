//! `actoken env` and `actoken exec` as scripts use them: the real binary, a real Secret Service
//! (skipped with a message where none runs) and the mock AC server on loopback.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use actoken::mock::{ALICE, Fault, MintSpec, mint};
use actoken::token::Token;
use actoken::token_env::shell;
use jiff::Timestamp;
use predicates::prelude::*;

use crate::support::{Env, Mock, hours, token};

/// A claim with everything a careless quoting trips over (a token's claims are the issuer's).
const NASTY: &str = "alice a b 'c' \"d\" $HOME `id` $(id) back\\slash\nsecond line ’ 华东";

/// A plain process in the test user's world.
fn process(env: &Env, program: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    cmd.env("XDG_CONFIG_HOME", env.dir.path().join("config"))
        .env("XDG_STATE_HOME", env.dir.path().join("state"))
        .env("ACTOKEN_KEYRING_SERVICE", &env.service)
        .env_remove("ACTOKEN_LOG");
    cmd
}

/// What `sh -c SCRIPT` prints.
fn sh(env: &Env, script: &str) -> String {
    let out = process(env, std::path::Path::new("sh"))
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// `actoken ARGS` as a plain process, for tests that signal it or read its /proc entry.
fn spawn(env: &Env, args: &[&str]) -> std::process::Child {
    process(env, &assert_cmd::cargo::cargo_bin("actoken"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stdout(env: &Env, args: &[&str]) -> String {
    let out = env.cmd().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A hostile claim comes back exactly in every format that can carry it (a .env file cannot
/// give sh and python-dotenv this one alike: refused, see `dotenv.rs`); the same value as a
/// server's address is left out (issue 22).
#[test]
fn every_format_carries_a_hostile_value_exactly() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add("hpc-east", &mock.url(), &token(NASTY, hours(5)));
    mock.server
        .faults()
        .set(Fault::SuccessData(serde_json::json!({
            "hpcUrls": [{"url": NASTY, "enable": "true"}]
        })));

    // sh: through a real shell's eval.
    let script = format!(
        "eval \"$('{}' env hpc-east)\" && printf '%s|%s' \"$AC_USER\" \"${{AC_HPC_URL-unset}}\"",
        assert_cmd::cargo::cargo_bin("actoken").display()
    );
    let out = sh(&env, &script);
    assert_eq!(out, format!("{NASTY}|unset"));

    let line = |format: &str| stdout(&env, &["env", "hpc-east", "--format", format]);
    assert!(line("fish").contains(&format!("set -gx AC_USER {}\n", shell::fish_quote(NASTY))));
    assert!(line("powershell").contains(&format!(
        "$env:AC_USER = {}\n",
        shell::powershell_quote(NASTY)
    )));
    let json: serde_json::Value = serde_json::from_str(&line("json")).unwrap();
    assert_eq!(json["AC_USER"], NASTY);
    assert!(json.get("AC_HPC_URL").is_none(), "{json}");
    let dotenv = env
        .cmd()
        .args(["env", "hpc-east", "--format", "dotenv"])
        .output()
        .unwrap();
    assert_eq!(dotenv.status.code(), Some(1), "{dotenv:?}");
    assert!(dotenv.stdout.is_empty(), "{dotenv:?}");

    // exec hands it over untouched.
    let out = env
        .cmd()
        .args([
            "exec",
            "hpc-east",
            "--",
            "sh",
            "-c",
            "printf '%s' \"$AC_USER\"",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), NASTY);
}

#[test]
fn exec_passes_exit_codes_and_signals_through_and_keeps_the_token_out_of_argv() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let t = token("alice", hours(5));
    env.add("hpc-east", &mock.url(), &t);

    env.cmd()
        .args([
            "exec",
            "hpc-east",
            "--",
            "sh",
            "-c",
            "test \"$AC_TOKEN\" = \"$SCNET_TOKEN\" && exit 7",
        ])
        .assert()
        .code(7);
    env.cmd()
        .args(["exec", "hpc-east", "--", "no-such-command-xyz"])
        .assert()
        .code(127);

    // Killed by a signal: the caller sees exactly that, and a shell reports 128+N.
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        let status = spawn(
            &env,
            &["exec", "hpc-east", "--", "sh", "-c", "kill -TERM $$"],
        )
        .wait()
        .unwrap();
        assert_eq!(status.signal(), Some(15), "{status:?}");
        let script = format!(
            "'{}' exec hpc-east -- sh -c 'kill -KILL $$'; echo $?",
            assert_cmd::cargo::cargo_bin("actoken").display()
        );
        assert_eq!(sh(&env, &script).trim(), "137");
    }

    // A signal sent to the process the caller started reaches the command; the token is in
    // its environment, not in any argument.
    #[cfg(target_os = "linux")]
    {
        let mut child = spawn(
            &env,
            &[
                "exec",
                "hpc-east",
                "--",
                "sh",
                "-c",
                "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done",
            ],
        );
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "ready");
        let pid = child.id();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
        let has = |hay: &[u8]| {
            hay.windows(t.expose().len())
                .any(|w| w == t.expose().as_bytes())
        };
        assert!(!has(&cmdline));
        assert!(has(&environ));
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(42));
    }
}

#[test]
fn exec_with_also_names_the_second_token_by_a_suffix() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add("hpc-east", &mock.url(), &token("alice", hours(5)));
    env.add("hpc-west", &mock.url(), &token("bob", hours(5)));
    env.add("西北一区", &mock.url(), &token("carol", hours(5)));
    let out = stdout(
        &env,
        &[
            "exec",
            "hpc-east",
            "--also",
            "hpc-west",
            "--also",
            "西北一区=xian",
            "--",
            "sh",
            "-c",
            "echo $AC_USER $AC_USER_HPC_WEST $AC_USER_XIAN $AC_TOKEN_NAME_XIAN; test \"$AC_TOKEN_HPC_WEST\" != \"$AC_TOKEN\"",
        ],
    );
    assert_eq!(out, "alice bob carol 西北一区\n");
    env.cmd()
        .args(["env", "hpc-east", "--also", "西北一区"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--also '西北一区=WEST'"));
    env.cmd()
        .args([
            "env",
            "hpc-east",
            "--also",
            "hpc-west",
            "--also",
            "西北一区=HPC_WEST",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("AC_TOKEN_HPC_WEST"));
}

#[test]
fn a_silent_region_leaves_the_addresses_out_and_the_command_still_runs() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add("hpc-east", &mock.url(), &token("alice", hours(5)));
    mock.server.faults().set(Fault::Http(503));
    env.cmd()
        .args([
            "exec",
            "hpc-east",
            "--",
            "sh",
            "-c",
            "test -n \"$AC_TOKEN\" && test -z \"${AC_HPC_URL+x}\"",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "AC_HPC_URL, AC_AI_URL and the other variables from `center` are not set",
        ));
    // Once `center` answered, its addresses are reused for a while without asking again.
    mock.server.faults().clear();
    stdout(&env, &["env", "hpc-east"]);
    mock.server.faults().set(Fault::Http(503));
    assert!(stdout(&env, &["env", "hpc-east"]).contains("AC_HPC_URL="));
}

#[test]
fn dead_tokens_come_back_through_the_remembered_key_or_exit_3_naming_the_login() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let url = mock.url();
    let dead = |user: &str| mint(&MintSpec::new(user, "11250", Timestamp::now() - hours(30)));
    // No remembered login: exit 3, the command is not run.
    env.add("carol-east", &url, &dead("carol"));
    let marker = env.dir.path().join("ran");
    env.cmd()
        .args([
            "exec",
            "carol-east",
            "--",
            "touch",
            marker.to_str().unwrap(),
        ])
        .assert()
        .code(3)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!(
            "actoken login --user carol --access-key YOUR_KEY --base-url {url}"
        )));
    assert!(!marker.exists());
    env.cmd()
        .args(["env", "carol-east"])
        .assert()
        .code(3)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "error: carol-east: expired beyond renewal (",
        ));
    // The token's advice, as `renew` and `show` tell it: in the user's language.
    let kunshan = "carol/华东一区【昆山】";
    env.add(kunshan, &url, &dead("carol"));
    for args in [
        &["token", kunshan, "--min-valid", "1h"][..],
        &["exec", kunshan, "--", "true"][..],
        &["env", kunshan][..],
    ] {
        env.cmd()
            .env("ACTOKEN_LANG", "zh-CN")
            .args(args)
            .assert()
            .code(3)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(format!(
                "{kunshan}：已超过续约期限（"
            )))
            .stderr(predicate::str::contains("the token expired").not())
            .stderr(predicate::str::contains(format!(
                "actoken login --user carol --access-key YOUR_KEY --base-url {url}"
            )));
    }

    // A remembered secret key: a new login, then the command runs with the new token.
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
    let name = "alice/华东一区【昆山】";
    let old = dead("alice");
    env.cmd()
        .args(["add", name, "--base-url", &url, "--force"])
        .write_stdin(old.expose())
        .assert()
        .success();
    let out = env
        .cmd()
        .args(["exec", name, "--", "sh", "-c", "printf %s \"$AC_TOKEN\""])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let fresh = Token::from_raw(&String::from_utf8(out.stdout).unwrap());
    assert_ne!(fresh, old);
    assert_eq!(env.stored_raw(name), fresh.expose());
    assert!(String::from_utf8_lossy(&out.stderr).contains("logged in again"));
    // Clean the remembered key this test left in the keyring.
    env.cmd().args(["logout", "alice"]).assert().success();
}

#[test]
fn manpage_comes_from_the_same_definitions_as_help() {
    let env = Env::new();
    let page = stdout(&env, &["manpage"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH actoken 1"),
        "{page}"
    );
    for text in [".TH actoken 1", "exec", "watch", "manpage", "Exit codes:"] {
        assert!(page.contains(text), "{text} missing from the page");
    }
    let dir = env.dir.path().join("man1");
    env.cmd()
        .args(["manpage", "--dir", dir.to_str().unwrap()])
        .assert()
        .success();
    let exec = std::fs::read_to_string(dir.join("actoken-exec.1")).unwrap();
    assert!(exec.contains("SCNET_OPENAPI_TOKEN"), "{exec}");
    assert!(exec.contains("min\\-valid"), "{exec}");
    assert!(dir.join("actoken-watch.1").exists());
    assert!(dir.join("actoken.1").exists());
}

#[test]
fn login_takes_user_and_access_key_from_the_sdk_variables_and_a_secret_only_by_name() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let url = mock.url();
    // The secret in the SDKs' variable is not read unless named: a script without a terminal
    // and without a remembered key is told how to give it.
    env.cmd()
        .args(["login", "--base-url", &url])
        .env("SCNET_USER", "alice")
        .env("SCNET_ACCESS_KEY", ALICE.access_key)
        .env("SCNET_SECRET_KEY", ALICE.secret_key)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--secret-key-stdin"));
    assert_eq!(mock.server.login_count(), 0);
    env.cmd()
        .args([
            "login",
            "--base-url",
            &url,
            "--secret-key-env",
            "SCNET_SECRET_KEY",
        ])
        .env("SCNET_USER", "alice")
        .env("SCNET_ACCESS_KEY", ALICE.access_key)
        .env("SCNET_SECRET_KEY", ALICE.secret_key)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Logged in as alice (access key AKDEMOALICE",
        ));
    assert_eq!(mock.server.login_count(), 1);
    assert!(stdout(&env, &["list"]).contains("alice/华东一区【昆山】"));
    env.cmd()
        .args(["login", "--base-url", &url, "--secret-key-env", "EMPTY"])
        .env("SCNET_USER", "alice")
        .env("EMPTY", "")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("$EMPTY is not set or empty"));
    env.cmd()
        .args(["login", "--base-url", &url])
        .env_remove("SCNET_USER")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--user USER (or set SCNET_USER)"));
    env.cmd().args(["logout", "alice"]).assert().success();
}

/// Everything the hot path must not touch, broken: the lock directory is a file (no lock can
/// be taken), the ca-file holds no certificate (no HTTP client can be set up). Returns the
/// `--ca-file` to pass and the index's inode (an index write replaces the file).
#[cfg(unix)]
fn trap_all_but_the_index_and_one_secret(
    state_dir: &std::path::Path,
    home: &std::path::Path,
    index: &std::path::Path,
) -> (std::path::PathBuf, u64) {
    use std::os::unix::fs::MetadataExt;
    let locks = state_dir.join("locks");
    let _ = std::fs::remove_dir_all(&locks);
    std::fs::create_dir_all(state_dir).unwrap();
    std::fs::write(&locks, "not a directory").unwrap();
    let ca_file = home.join("not-a-certificate.pem");
    std::fs::write(&ca_file, "no certificate here\n").unwrap();
    (ca_file, std::fs::metadata(index).unwrap().ino())
}

#[cfg(unix)]
fn inode(path: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().ino()
}

/// `token --min-valid` and `env` for a token that needs no renewal (its region's addresses
/// cached): the index and one secret, nothing else. A lock, an index write, an HTTP client or
/// a request on that path again fails this test.
#[cfg(unix)]
#[test]
fn the_hot_path_takes_no_lock_writes_no_index_and_sets_up_no_client() {
    let (world, mock) = (crate::support::in_process::InProcess::new(), Mock::start());
    let name = "华东一区【昆山】";
    let t = token("alice", hours(5));
    world.add(name, &mock.url(), &t);
    world.add("alice/西北一区", &mock.url(), &token("alice", hours(5)));
    // The first `env` asks `center` for the region's addresses, and caches them.
    world
        .cmd()
        .args(["env", name])
        .assert()
        .success()
        .stdout(predicate::str::contains("AC_HPC_URL="));
    let asked = mock.server.arrived_count();
    let (ca_file, index) =
        trap_all_but_the_index_and_one_secret(&world.state_dir(), world.dir(), &world.index_file());

    let hot = |args: &[&str]| {
        world
            .cmd()
            .arg("--ca-file")
            .arg(&ca_file)
            .args(args)
            .assert()
    };
    hot(&["token", name, "--min-valid", "1h"])
        .success()
        .stdout(format!("{}\n", t.expose()))
        .stderr(predicate::str::is_empty());
    for args in [&["env", name, "--min-valid", "1h"][..], &["env", name][..]] {
        hot(args)
            .success()
            .stdout(predicate::str::contains(format!(
                "AC_TOKEN='{}'",
                t.expose()
            )))
            .stdout(predicate::str::contains("AC_HPC_URL="))
            .stderr(predicate::str::is_empty());
    }
    hot(&["env", name, "--also", "alice/西北一区=XIBEI"])
        .success()
        .stdout(predicate::str::contains("AC_TOKEN_XIBEI="));
    assert_eq!(mock.server.arrived_count(), asked, "no request");
    assert_eq!(inode(&world.index_file()), index, "no index write");

    // The traps hold: a token that does need renewing takes the other path, and is caught.
    hot(&["token", name, "--min-valid", "6h"]).failure();
    assert_eq!(mock.server.renew_count(), 0);
}

/// `exec` on the hot path, as a process (it becomes the command): no lock, no index write,
/// no HTTP client; and a nested `exec` for another token says so, once.
#[cfg(unix)]
#[test]
fn exec_on_the_hot_path_and_nested() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let (outer, inner) = ("alice/华东一区【昆山】", "华东一区【昆山】");
    env.add(outer, &mock.url(), &token("alice", hours(5)));
    env.add(inner, &mock.url(), &token("bob", hours(5)));
    // The addresses of both, cached.
    stdout(&env, &["env", inner]);
    stdout(&env, &["env", outer]);
    let asked = mock.server.arrived_count();
    let (ca_file, index) = trap_all_but_the_index_and_one_secret(
        &env.dir.path().join("state/actoken"),
        env.dir.path(),
        &env.index_file(),
    );
    let note = format!(
        "note: inside `actoken exec` for {outer} (AC_TOKEN_NAME is set): \
         the command gets the variables of {inner} instead\n"
    );
    // Run from inside `exec OUTER`, as a job script would.
    let out = env
        .cmd()
        .args(["exec", outer, "--"])
        .arg(assert_cmd::cargo::cargo_bin("actoken"))
        .arg("--ca-file")
        .arg(&ca_file)
        .args(["exec", inner, "--min-valid", "1h", "--", "sh", "-c"])
        .arg("echo \"$AC_TOKEN_NAME $AC_USER\"")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{inner} bob\n")
    );
    assert_eq!(String::from_utf8(out.stderr).unwrap(), note);
    assert_eq!(mock.server.arrived_count(), asked, "no request");
    assert_eq!(inode(&env.index_file()), index, "no index write");
    // The same token inside itself: nothing to say. In Chinese, the note is Chinese.
    env.cmd()
        .env("AC_TOKEN_NAME", inner)
        .args(["exec", inner, "--", "true"])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    env.cmd()
        .env("AC_TOKEN_NAME", outer)
        .env("ACTOKEN_LANG", "zh-CN")
        .args(["exec", inner, "--", "true"])
        .assert()
        .success()
        .stderr(format!(
            "提示：正在 {outer} 的 `actoken exec` 之内运行（已设置 AC_TOKEN_NAME）：该命令改为获得 {inner} 的变量\n"
        ));
}
