//! Files another user on the machine could have changed (issue 22): the config, the index, the
//! accounts file, the state directory, the address cache and the ca-file are refused when they
//! (or a directory above them) belong to another user or others can write them, with a message
//! naming the path and the fix, and `doctor` reports a FAIL. Giving files away needs root (CI
//! runs as root); those tests say SKIPPED otherwise. Size limits and symlinks in the files
//! actoken writes are here too.

use std::os::unix::fs::{PermissionsExt, chown, symlink};
use std::path::Path;

use jiff::SignedDuration;

use crate::support::in_process::InProcess;
use crate::support::{Env, Mock, token};

/// Another user (`nobody` on most systems).
const OTHER: u32 = 65534;

const NAME: &str = "alice/华东一区【昆山】";

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Gives `path` to [`OTHER`]; false (saying SKIPPED) when this process may not (not root).
fn give_away(test: &str, path: &Path) -> bool {
    match chown(path, Some(OTHER), Some(OTHER)) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("SKIPPED {test}: cannot give a file to another user here ({e}); run as root");
            false
        }
    }
}

/// `args` fails with exit 1, and stderr has every one of `says`.
fn refused(env: &InProcess, args: &[&str], says: &[&str]) -> String {
    let out = env.cmd().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for s in says {
        assert!(stderr.contains(s), "{args:?}: expected {s:?} in {stderr}");
    }
    stderr
}

/// The issue's case: `$XDG_CONFIG_HOME` is writable by another user, who moves `actoken/`
/// aside and puts their own in its place, with an index (theirs, mode 644) that lists the
/// user's token at their own server. The next renewal must not send it there, and `doctor`
/// must say FAIL.
#[test]
fn another_users_index_swapped_into_a_shared_config_home_never_gets_the_token() {
    need_store!();
    let (env, mock, theirs) = (Env::new(), Mock::start(), Mock::start());
    let t = token("alice", SignedDuration::from_hours(1));
    env.add(NAME, &mock.url(), &t);
    let config_home = env.dir.path().join("config");
    let mine = config_home.join("actoken");
    // The settings (store, keyring patience) stay the user's own, outside the swapped dir.
    let settings = env.dir.path().join("settings.toml");
    std::fs::copy(mine.join("config.toml"), &settings).unwrap();
    let renew = || {
        env.cmd()
            .args(["renew", NAME, "--config"])
            .arg(&settings)
            .output()
            .unwrap()
    };

    // A config home others can write is refused before anything is read from it.
    chmod(&config_home, 0o777);
    let out = renew();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("chmod go-w {}", config_home.display())),
        "{stderr}"
    );

    // Their directory and index in place of the user's.
    let index = std::fs::read_to_string(env.index_file()).unwrap();
    std::fs::rename(&mine, config_home.join("actoken.moved")).unwrap();
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(env.index_file(), index.replace(&mock.url(), &theirs.url())).unwrap();
    chmod(&env.index_file(), 0o644);
    if !give_away(module_path!(), &mine) || !give_away(module_path!(), &env.index_file()) {
        return;
    }
    chmod(&config_home, 0o755);
    let out = renew();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&mine.display().to_string()), "{stderr}");
    assert!(stderr.contains("another user (uid 65534)"), "{stderr}");
    assert_eq!(
        theirs.server.renew_count(),
        0,
        "the token went to their server"
    );
    assert_eq!(mock.server.renew_count(), 0);
    assert_eq!(env.stored_raw(NAME), t.expose());

    let out = env
        .cmd()
        .args(["doctor", "--config"])
        .arg(&settings)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let fail = stdout
        .lines()
        .find(|l| l.contains("[FAIL]") && l.contains("uid 65534"))
        .unwrap_or_else(|| panic!("no FAIL line about the foreign directory:\n{stdout}"));
    assert!(fail.contains(&mine.display().to_string()), "{fail}");
    assert!(
        !stdout
            .lines()
            .any(|l| l.contains("[ok  ]") && l.contains("index.toml")),
        "{stdout}"
    );
}

#[test]
fn another_users_config_index_accounts_and_state_dir_are_refused() {
    let env = InProcess::new();
    let mock = Mock::start();
    env.add(
        NAME,
        &mock.url(),
        &token("alice", SignedDuration::from_hours(1)),
    );
    // A remembered login, so the accounts file exists.
    std::fs::write(
        env.dir().join("config/accounts.toml"),
        "version = 1\n[[account]]\nuser = \"alice\"\nmethod = \"password\"\nbase-url = \"https://h\"\nauth-url = \"https://h\"\n",
    )
    .unwrap();
    chmod(&env.dir().join("config/accounts.toml"), 0o600);
    let config = env.dir().join("config.toml");
    std::fs::write(&config, "concurrency = 2\n").unwrap();
    chmod(&config, 0o644);
    let uid = "another user (uid 65534)";

    if !give_away(module_path!(), &config) {
        return;
    }
    let config_arg = config.to_str().unwrap();
    refused(
        &env,
        &["list", "--config", config_arg],
        &["config file", config_arg, uid],
    );
    std::fs::remove_file(&config).unwrap();

    let index = env.index_file();
    let before = std::fs::read(&index).unwrap();
    give_away(module_path!(), &index);
    refused(
        &env,
        &["list"],
        &["token index", &index.display().to_string(), uid, "chown"],
    );
    assert_eq!(
        std::fs::read(&index).unwrap(),
        before,
        "the index was rewritten"
    );
    chown(&index, Some(0), Some(0)).unwrap();

    let accounts = env.dir().join("config/accounts.toml");
    give_away(module_path!(), &accounts);
    refused(
        &env,
        &["accounts"],
        &["accounts file", &accounts.display().to_string(), uid],
    );
    chown(&accounts, Some(0), Some(0)).unwrap();

    let state = env.state_dir();
    give_away(module_path!(), &state);
    refused(
        &env,
        &["list"],
        &["state directory", &state.display().to_string(), uid],
    );
    chown(&state, Some(0), Some(0)).unwrap();
    env.cmd().arg("list").assert().success();
}

#[test]
fn directories_others_can_write_are_refused_with_the_chmod_that_fixes_them() {
    let env = InProcess::new();
    env.add(
        NAME,
        "https://api01.example.com:65102",
        &token("alice", SignedDuration::from_hours(1)),
    );
    let state = env.state_dir();
    chmod(&state, 0o770);
    let state_text = state.display().to_string();
    refused(
        &env,
        &["list"],
        &[
            "state directory",
            &state_text,
            &format!("chmod 700 {state_text}"),
        ],
    );
    chmod(&state, 0o700);
    // The directory holding both (as `$HOME` or `~/.config` would).
    let above = env.dir();
    chmod(above, 0o777);
    refused(
        &env,
        &["list"],
        &[&format!("chmod go-w {}", above.display())],
    );
    // With the sticky bit (as /tmp) others cannot replace what is not theirs: accepted.
    chmod(above, 0o1777);
    env.cmd().arg("list").assert().success();
    chmod(above, 0o700);
}

#[test]
fn a_ca_file_others_could_change_is_refused_and_nothing_is_sent() {
    let (env, mock) = (InProcess::new(), Mock::start());
    let t = token("alice", SignedDuration::from_hours(1));
    env.add(NAME, &mock.url(), &t);
    let pem = env.dir().join("extra-ca.pem");
    std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\n").unwrap();
    chmod(&pem, 0o666);
    let pem_text = pem.display().to_string();
    refused(
        &env,
        &["renew", NAME, "--ca-file", &pem_text],
        &[
            "ca-file",
            &pem_text,
            "mode 0666",
            &format!("chmod 600 {pem_text}"),
        ],
    );
    chmod(&pem, 0o644);
    if give_away(module_path!(), &pem) {
        refused(
            &env,
            &["renew", NAME, "--ca-file", &pem_text],
            &["ca-file", &pem_text, "another user (uid 65534)"],
        );
    }
    assert_eq!(mock.server.renew_count(), 0);
    assert_eq!(env.stored_raw(NAME), t.expose());
}

#[test]
fn an_address_cache_of_another_user_is_not_used_and_is_replaced() {
    let (env, mock) = (InProcess::new(), Mock::start());
    env.add(
        NAME,
        &mock.url(),
        &token("alice", SignedDuration::from_hours(5)),
    );
    let env_out = |env: &InProcess| {
        let out = env.cmd().args(["env", NAME]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (first, _) = env_out(&env);
    assert!(first.contains("hpc.example.com:65103/efile"), "{first}");
    let cache = env.state_dir().join("center-cache.json");
    let text = std::fs::read_to_string(&cache).unwrap();
    std::fs::write(
        &cache,
        text.replace("hpc.example.com", "attacker.example.net"),
    )
    .unwrap();
    if !give_away(module_path!(), &cache) {
        return;
    }
    let (second, stderr) = env_out(&env);
    assert!(!second.contains("attacker"), "{second}");
    assert!(second.contains("hpc.example.com:65103/efile"), "{second}");
    assert!(stderr.contains(&cache.display().to_string()), "{stderr}");
    assert!(stderr.contains("uid 65534"), "{stderr}");
    // Replaced by a private file of the user's own, used again from then on.
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(&cache).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (0, 0o600));
    let (_, quiet) = env_out(&env);
    assert!(!quiet.contains("uid"), "{quiet}");
}

/// `doctor` says FAIL for a state directory of another user and for a ca-file others can write.
#[test]
fn doctor_fails_on_a_foreign_state_dir_and_a_writable_ca_file() {
    let env = Env::new();
    let pem = env.dir.path().join("extra-ca.pem");
    std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\n").unwrap();
    chmod(&pem, 0o646);
    let doctor = |env: &Env| {
        let out = env
            .cmd()
            .args(["--store", "keyutils", "doctor", "--ca-file"])
            .arg(&pem)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, stdout) = doctor(&env);
    assert_eq!(code, Some(1), "{stdout}");
    let fail = stdout
        .lines()
        .find(|l| l.contains("[FAIL]") && l.contains("ca-file"))
        .unwrap_or_else(|| panic!("no FAIL line for the ca-file:\n{stdout}"));
    assert!(fail.contains(&pem.display().to_string()), "{fail}");
    assert!(fail.contains("mode 0646"), "{fail}");

    chmod(&pem, 0o600);
    let state = env.dir.path().join("state/actoken");
    std::fs::create_dir_all(&state).unwrap();
    chmod(&state, 0o700);
    if !give_away(module_path!(), &state) {
        return;
    }
    let (code, stdout) = doctor(&env);
    assert_eq!(code, Some(1), "{stdout}");
    let fail = stdout
        .lines()
        .find(|l| l.contains("[FAIL]") && l.contains("state directory"))
        .unwrap_or_else(|| panic!("no FAIL line for the state directory:\n{stdout}"));
    assert!(fail.contains(&state.display().to_string()), "{fail}");
    assert!(fail.contains("uid 65534"), "{fail}");
}

/// Run as an unprivileged user (setpriv): root's files are trusted (a system CA bundle), a
/// third user's are not.
#[test]
fn an_unprivileged_user_trusts_roots_files_but_not_another_users() {
    let tmp = tempfile::tempdir().unwrap();
    chmod(tmp.path(), 0o755);
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    if !give_away(module_path!(), &home) {
        return;
    }
    if std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED {}: setpriv is not installed", module_path!());
        return;
    }
    let pem = tmp.path().join("ca.pem");
    std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\n").unwrap();
    chmod(&pem, 0o644);
    let doctor = || {
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(assert_cmd::cargo::cargo_bin("actoken"))
            .args(["--store", "keyutils", "doctor", "--ca-file"])
            .arg(&pem)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env("ACTOKEN_LANG", "en")
            .env_remove("ACTOKEN_STORE")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Root's (this process's) file: no complaint about it.
    let stdout = doctor();
    assert!(
        stdout.contains("token index"),
        "doctor did not run: {stdout}"
    );
    assert!(!stdout.contains("ca-file"), "{stdout}");
    // A third user's.
    chown(&pem, Some(OTHER - 1), None).unwrap();
    let stdout = doctor();
    let fail = stdout
        .lines()
        .find(|l| l.contains("[FAIL]") && l.contains("ca-file"))
        .unwrap_or_else(|| panic!("no FAIL line for the ca-file:\n{stdout}"));
    assert!(fail.contains(&format!("uid {}", OTHER - 1)), "{fail}");
}

// ---- limits on what actoken reads, and symlinks where it writes ----

#[test]
fn an_index_over_its_size_limit_is_refused_quickly_naming_the_limit() {
    let env = InProcess::new();
    let index = env.index_file();
    std::fs::create_dir_all(index.parent().unwrap()).unwrap();
    chmod(index.parent().unwrap(), 0o700);
    // Half again the limit (sparse: no disk used). The report's 200 MB took 1.2 GB to parse;
    // any size past the limit is refused the same way, without reading it.
    let size = 24 * 1024 * 1024;
    let file = std::fs::File::create(&index).unwrap();
    file.set_len(size).unwrap();
    chmod(&index, 0o600);
    let started = std::time::Instant::now();
    refused(
        &env,
        &["list"],
        &[&index.display().to_string(), "larger than 16 MiB"],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(std::fs::metadata(&index).unwrap().len(), size);
}

#[test]
fn a_config_or_accounts_file_over_its_limit_is_refused_naming_the_limit() {
    let env = InProcess::new();
    let config = env.dir().join("big.toml");
    std::fs::File::create(&config)
        .unwrap()
        .set_len(2 * 1024 * 1024)
        .unwrap();
    chmod(&config, 0o600);
    let config_text = config.display().to_string();
    refused(
        &env,
        &["list", "--config", &config_text],
        &[&config_text, "larger than 1 MiB"],
    );
    let accounts = env.dir().join("config/accounts.toml");
    std::fs::create_dir_all(accounts.parent().unwrap()).unwrap();
    chmod(accounts.parent().unwrap(), 0o700);
    std::fs::File::create(&accounts)
        .unwrap()
        .set_len(5 * 1024 * 1024)
        .unwrap();
    chmod(&accounts, 0o600);
    refused(
        &env,
        &["accounts"],
        &[&accounts.display().to_string(), "larger than 4 MiB"],
    );
}

#[test]
fn manpage_dir_replaces_a_planted_symlink_instead_of_writing_through_it() {
    let env = InProcess::new();
    let victim = env.dir().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let dir = env.dir().join("man1");
    std::fs::create_dir(&dir).unwrap();
    for page in ["actoken.1", "actoken-exec.1"] {
        symlink(&victim, dir.join(page)).unwrap();
    }
    env.cmd()
        .args(["manpage", "--dir"])
        .arg(&dir)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    for page in ["actoken.1", "actoken-exec.1"] {
        let meta = std::fs::symlink_metadata(dir.join(page)).unwrap();
        assert!(meta.file_type().is_file(), "{page} is still a symlink");
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains(".TH actoken"), "{text}");
    }
}

#[test]
fn watch_install_force_replaces_a_planted_symlink_instead_of_writing_through_it() {
    let env = Env::new();
    let victim = env.dir.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let unit = env
        .dir
        .path()
        .join("config/systemd/user/actoken-watch.service");
    std::fs::create_dir_all(unit.parent().unwrap()).unwrap();
    symlink(&victim, &unit).unwrap();
    // Without --force a unit that differs is left alone, as before.
    env.cmd().args(["watch", "--install"]).assert().code(1);
    env.cmd()
        .args(["watch", "--install", "--force"])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let meta = std::fs::symlink_metadata(&unit).unwrap();
    assert!(meta.file_type().is_file(), "the unit is still a symlink");
    assert!(std::fs::read_to_string(&unit).unwrap().contains("watch\n"),);
}

#[test]
fn a_keyring_service_name_with_a_line_break_is_refused_before_the_unit_is_written() {
    let env = Env::new();
    let unit = env
        .dir
        .path()
        .join("config/systemd/user/actoken-watch.service");
    for service in [
        "work\nExecStartPre=/bin/sh -c id",
        "work\r",
        "work\u{1b}[2J",
    ] {
        let out = env
            .cmd()
            .args(["watch", "--install"])
            .env("ACTOKEN_KEYRING_SERVICE", service)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{service:?}: {stderr}");
        assert!(stderr.contains("control character"), "{stderr}");
        assert!(!stderr.contains("ExecStartPre"), "{stderr}");
        assert!(!unit.exists(), "{service:?}: the unit was written");
    }
}

#[test]
fn a_base_url_with_a_line_break_or_control_character_is_refused() {
    let env = InProcess::new();
    let t = token("alice", SignedDuration::from_hours(1));
    for url in [
        "https://api01.example.com:65102\nX-Injected: 1",
        "https://api01.example.com:65102/\r/ac",
        "https://api01.\texample.com",
        "https://api01.example.com\u{1b}]52;c;aGk=\u{7}",
    ] {
        let out = env
            .cmd()
            .args(["add", NAME, "--base-url", url])
            .write_stdin(t.expose())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url:?} was accepted");
        assert!(stderr.contains("control character"), "{url:?}: {stderr}");
        assert!(env.stored_names().is_empty(), "{url:?} was stored");
    }
    // The config's base-url goes through the same check.
    let config = env.dir().join("config.toml");
    std::fs::write(&config, "base-url = \"https://api01.example.com\\nX: 1\"\n").unwrap();
    chmod(&config, 0o600);
    let out = env
        .cmd()
        .args(["add", NAME, "--config", config.to_str().unwrap()])
        .write_stdin(t.expose())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("control character"));
}
