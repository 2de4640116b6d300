//! Hostile and mistaken input to the CLI: malformed tokens on stdin, odd names, and broken
//! config and index files. Each must end in a clear message and a non-zero exit, never a
//! panic, never a partial store, and never a rewrite of the user's file. What commands do with
//! tokens and the index runs in-process on memory stores (`support::in_process`); config files
//! and the restore from a lost index run against the binary (and the real keyring).

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use jiff::SignedDuration;
use predicates::prelude::*;

use crate::support::in_process::InProcess;
use crate::support::{Env, keyring_available, token};

macro_rules! need_keyring {
    () => {
        if !keyring_available(module_path!()) {
            return;
        }
    };
}

const URL: &str = "https://api01.example.com:65102";

/// A JWT-shaped string with this payload (the signature is never checked).
fn jwt(payload: &str) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.c2ln",
        e.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        e.encode(payload)
    )
}

fn expire_in_ms(d: SignedDuration) -> i64 {
    (jiff::Timestamp::now() + d).as_millisecond()
}

/// `add x` with `stdin`: asserts exit 2, the message, no panic, and that nothing was stored.
fn refused(env: &InProcess, stdin: impl Into<Vec<u8>>, says: &str) {
    let out = env
        .cmd()
        .args(["add", "x", "--base-url", URL])
        .write_stdin(stdin.into())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(says), "expected {says:?} in {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!env.index_file().exists(), "a refused add wrote the index");
}

#[test]
fn token_is_trimmed_of_surrounding_whitespace_and_newlines() {
    let env = InProcess::new();
    let t = token("alice", SignedDuration::from_hours(2));
    env.cmd()
        .args(["add", "east", "--base-url", URL])
        .write_stdin(format!(" \r\n\t{}\n\n", t.expose()))
        .assert()
        .success();
    assert_eq!(env.stored_raw("east"), t.expose());
}

#[test]
fn malformed_tokens_are_refused_with_the_reason() {
    let env = InProcess::new();
    let ms = expire_in_ms(SignedDuration::from_hours(1));
    refused(&env, "", "empty");
    refused(&env, " \n\t\n", "empty");
    refused(&env, "hello world", "not a JWT");
    refused(&env, "a.b", "not a JWT");
    refused(&env, "eyJhbGciOiJIUzI1NiJ9.!!!.c2ln", "base64");
    refused(&env, jwt("not json"), "not a JSON object");
    refused(&env, jwt("[1,2,3]"), "not a JSON object");
    refused(&env, jwt(r#"{"user":"a"}"#), "no expireTime");
    refused(
        &env,
        jwt(r#"{"expireTime":"tomorrow"}"#),
        "not epoch milliseconds",
    );
    refused(
        &env,
        jwt(r#"{"expireTime":{"ms":1}}"#),
        "not epoch milliseconds",
    );
    refused(
        &env,
        jwt(r#"{"expireTime":"1e400"}"#),
        "not epoch milliseconds",
    );
    refused(
        &env,
        jwt(&format!(r#"{{"expireTime":"{ms}0000000"}}"#)),
        "not epoch milliseconds",
    );
    // Two tokens pasted together are not one token.
    let t = token("a", SignedDuration::from_hours(1));
    refused(&env, format!("{}\n{}", t.expose(), t.expose()), "not a JWT");
}

#[test]
fn junk_after_the_signature_is_refused_and_nothing_is_stored() {
    // Such a token could never be sent again (not a valid header value); it is refused before
    // it is stored, whatever follows the signature.
    let env = InProcess::new();
    let t = token("alice", SignedDuration::from_hours(1));
    for junk in [
        "\r\nX-Injected: 1",
        " tail",
        "\u{1b}]52;c;aGk=\u{7}",
        "\u{1b}[31m",
    ] {
        let out = env
            .cmd()
            .args(["add", "alice/华东一区【昆山】", "--base-url", URL])
            .write_stdin(format!("{}{junk}\n", t.expose()))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{junk:?}: {stderr}");
        assert!(stderr.contains("base64url"), "{junk:?}: {stderr}");
        assert!(!stderr.contains(t.expose()), "{stderr}");
        assert!(env.stored_names().is_empty(), "{junk:?} was stored");
        assert!(!env.index_file().exists(), "a refused add wrote the index");
    }
}

#[test]
fn expire_time_in_seconds_warns_but_is_stored() {
    let env = InProcess::new();
    let seconds = jiff::Timestamp::now().as_second() + 3600;
    let raw = jwt(&format!(r#"{{"user":"a","expireTime":"{seconds}"}}"#));
    env.cmd()
        .args(["add", "secs", "--base-url", URL])
        .write_stdin(raw.clone())
        .assert()
        .success()
        .stderr(predicate::str::contains("looks like seconds"));
    assert_eq!(env.stored_raw("secs"), raw);
}

#[test]
fn ten_megabytes_on_stdin_is_refused_quickly() {
    let env = InProcess::new();
    let started = Instant::now();
    let out = env
        .cmd()
        .args(["add", "x", "--base-url", URL])
        .write_stdin(vec![b'a'; 10 * 1024 * 1024])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("larger than"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(!env.index_file().exists());
}

#[test]
fn non_utf8_stdin_is_refused() {
    let env = InProcess::new();
    let mut bytes = token("a", SignedDuration::from_hours(1))
        .expose()
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, 0x00]);
    refused(&env, bytes, "not UTF-8");
    refused(&env, vec![0xc3, 0x28], "not UTF-8");
}

/// The allowed set (store::validate_name): letters and digits of any script, `.` `_` `-` `/`
/// inside the name (no `//`), CJK brackets; at most 64 characters.
#[test]
fn names_are_checked_against_the_allowed_set() {
    let env = InProcess::new();
    let t = token("a", SignedDuration::from_hours(1));
    for good in ["team/east", "hpc-01.prod_a", "华东一区【昆山】", "Zürich"] {
        env.cmd()
            .args(["add", good, "--base-url", URL])
            .write_stdin(t.expose())
            .assert()
            .success();
        assert_eq!(env.stored_raw(good), t.expose(), "{good}");
    }
    for (bad, says) in [
        ("/east", "start with '/'"),
        ("east/", "end with '/'"),
        ("a//b", "//"),
        ("my token", "a space"),
        ("tab\there", "a space"),
        ("bell\u{7}", "control character"),
        ("esc\u{1b}[31m", "control character"),
        ("new\nline", "a space"),
        ("rtl\u{202e}gnp", "not allowed"),
        ("zero\u{200b}width", "not allowed"),
        ("semi;colon", "';'"),
        ("..", "start with '.'"),
        ("", "empty"),
    ] {
        let out = env
            .cmd()
            .args(["add", bad, "--base-url", URL])
            .write_stdin(t.expose())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(
            stderr.contains(says),
            "{bad:?}: expected {says:?} in {stderr}"
        );
        // Control characters are escaped in the message, never sent raw to the terminal.
        assert!(
            !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
            "{stderr:?}"
        );
    }
    let long = "x".repeat(65);
    env.cmd()
        .args(["add", &long, "--base-url", URL])
        .write_stdin(t.expose())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("65 characters"));
    let out = env.cmd().args(["list", "--json"]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 4, "{list}");
}

#[cfg(unix)]
#[test]
fn non_utf8_name_in_argv_is_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    env.cmd()
        .arg("add")
        .arg(std::ffi::OsStr::from_bytes(b"bad\xffname"))
        .args(["--base-url", URL])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("panicked").not());
}

// ---- config files ----

/// Runs `list` with `--config FILE` holding `text`: asserts a non-zero exit, the file named in
/// the message with `says`, no panic, and the file left as it was.
fn bad_config(text: &str, says: &[&str]) {
    let env = Env::new();
    let file = env.dir.path().join("config.toml");
    std::fs::write(&file, text).unwrap();
    let out = env
        .cmd()
        .args(["list", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    for s in says {
        assert!(stderr.contains(s), "expected {s:?} in {stderr}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn malformed_config_names_the_file_and_line() {
    bad_config("renew-grace = \"24h\"\nrequest-timeout = \n", &["line 2"]);
    bad_config("[broken\n", &["line 1"]);
    bad_config("renew-grace = \"forever\"\n", &["line 1", "renew-grace"]);
    bad_config("concurrency = -1\n", &["concurrency"]);
    bad_config("concurrency = 0\n", &["at least 1"]);
    bad_config("renew-grace = \"-1h\"\n", &["negative"]);
}

#[test]
fn config_from_a_newer_version_or_with_typos_is_refused_not_ignored() {
    // A setting this build does not know (a newer version's, or a typo) must not be dropped.
    bad_config("request-timout = \"5s\"\n", &["line 1", "request-timout"]);
    bad_config("version = 2\n", &["version"]);
}

#[test]
fn bad_keys_table_is_refused_naming_the_line() {
    bad_config(
        "auto-renew = true\n\n[keys]\nrenew = \"x\"\ncopy = [\"c\", \"x\"]\n",
        &[
            "line 5: key \"x\" is bound to both renew and copy",
            "every setting has a default",
        ],
    );
    bad_config(
        "[keys]\nrefresh = \"f5\"\n",
        &["line 2", "no command \"refresh\""],
    );
    bad_config("[keys]\ncopy = \"hyper-c\"\n", &["line 2", "\"hyper-c\""]);
}

/// The dashboard itself (`actoken` without a command) refuses to start on a bad `[keys]`
/// table rather than starting with keys the user did not ask for.
#[test]
fn dashboard_refuses_a_bad_keys_table() {
    let env = Env::new();
    env.write_config("[keys]\nsort = \"r\"\n");
    let out = env.cmd().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("line 3: key \"r\" is bound to both renew and sort"),
        "{stderr}"
    );
}

#[test]
fn non_utf8_config_is_refused() {
    let env = Env::new();
    let file = env.dir.path().join("config.toml");
    std::fs::write(&file, b"base-url = \"\xff\"\n").unwrap();
    let out = env
        .cmd()
        .args(["list", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
}

#[test]
fn unreadable_config_is_named() {
    let env = Env::new();
    // A directory where the file should be: unreadable as a file even for root.
    let file = env.dir.path().join("config.toml");
    std::fs::create_dir(&file).unwrap();
    env.cmd()
        .args(["list", "--config"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot read config file"))
        .stderr(predicate::str::contains(file.display().to_string()))
        .stderr(predicate::str::contains("panicked").not());
}

#[cfg(unix)]
#[test]
fn config_that_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let file = env.dir.path().join("config.toml");
    // Whoever can edit the config can point ca-file at their own CA and read every token.
    std::fs::write(&file, "concurrency = 2\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    env.cmd()
        .args(["list", "--config"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains(file.display().to_string()))
        .stderr(predicate::str::contains("chmod 600"));
}

// ---- index file ----

fn write_index(env: &InProcess, bytes: &[u8]) {
    let path = env.index_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let dir = path.parent().unwrap();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

/// `list` and `add` against an index holding `bytes`: both fail naming the index file and
/// `says`, and the file is left byte-for-byte as it was.
fn bad_index(bytes: &[u8], says: &[&str]) {
    let env = InProcess::new();
    write_index(&env, bytes);
    let t = token("a", SignedDuration::from_hours(1));
    let index = env.index_file();
    for args in [vec!["list"], vec!["add", "new", "--base-url", URL]] {
        let out = env
            .cmd()
            .args(&args)
            .write_stdin(t.expose())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.contains(&index.display().to_string()),
            "{args:?}: {stderr}"
        );
        for s in says {
            assert!(stderr.contains(s), "{args:?}: expected {s:?} in {stderr}");
        }
        assert_eq!(
            std::fs::read(&index).unwrap(),
            bytes,
            "{args:?} rewrote the index"
        );
    }
    assert!(!stored_anything(&env), "a failed add left a secret behind");
}

fn stored_anything(env: &InProcess) -> bool {
    !env.stored_names().is_empty()
}

const ENTRY: &str =
    "[[token]]\nname = \"east\"\nbase-url = \"https://h:1\"\nadded-at = \"2026-01-01T00:00:00Z\"\n";

#[test]
fn malformed_index_names_the_file_and_line() {
    bad_index(
        b"version = 1\n[[token]\nname = \"x\"\n",
        &["line 2", "move it aside"],
    );
    bad_index(
        format!("version = 1\n{ENTRY}bogus = 3\n").as_bytes(),
        &["bogus"],
    );
    bad_index(
        format!("version = 1\n{ENTRY}{ENTRY}").as_bytes(),
        &["twice"],
    );
    bad_index(ENTRY.as_bytes(), &["version"]);
    bad_index(
        b"version = 1\n[[token]]\nname = \"bad name\"\nbase-url = \"https://h:1\"\nadded-at = \"2026-01-01T00:00:00Z\"\n",
        &["a space"],
    );
}

#[test]
fn index_from_a_newer_version_is_refused() {
    bad_index(
        format!("version = 4\n{ENTRY}").as_bytes(),
        &["newer actoken", "upgrade"],
    );
    bad_index(b"version = \"one\"\n", &["unknown version"]);
}

#[test]
fn non_utf8_index_is_refused() {
    bad_index(b"version = 1\n\xff\xfe\n", &["UTF-8"]);
}

#[test]
fn unreadable_index_is_named() {
    let env = InProcess::new();
    std::fs::create_dir_all(env.index_file()).unwrap();
    env.cmd()
        .arg("list")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            env.index_file().display().to_string(),
        ))
        .stderr(predicate::str::contains("panicked").not());
}

#[cfg(unix)]
#[test]
fn index_that_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = InProcess::new();
    let text = format!("version = 1\n{ENTRY}");
    write_index(&env, text.as_bytes());
    let index = env.index_file();
    std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o646)).unwrap();
    env.cmd()
        .arg("list")
        .assert()
        .failure()
        .stderr(predicate::str::contains("chmod 600"));
    std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dir: &Path = index.parent().unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    env.cmd()
        .arg("list")
        .assert()
        .failure()
        .stderr(predicate::str::contains("chmod 700"));
    assert_eq!(std::fs::read_to_string(&index).unwrap(), text);
}

#[test]
fn lost_index_is_reported_and_tokens_can_be_restored_from_the_keyring() {
    need_keyring!();
    let env = Env::new();
    let t = token("alice", SignedDuration::from_hours(1));
    env.add("east", URL, &t);
    std::fs::remove_file(env.index_file()).unwrap();

    let out = env.cmd().arg("list").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("\"east\"") && stderr.contains("index does not list"),
        "{stderr}"
    );
    assert!(!stderr.contains(t.expose()), "{stderr}");
    // The same warning with --json, on stderr only: stdout stays valid JSON.
    let out = env.cmd().args(["list", "--json"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("index does not list"));
    let _: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    // The restore command printed in the warning works (where secret-tool is installed).
    let hint = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("secret-tool"))
        .expect("a restore command")
        .trim()
        .replace("https://HOST:PORT", URL)
        .replace(
            "| actoken",
            &format!("| {}", assert_cmd::cargo::cargo_bin("actoken").display()),
        );
    if std::process::Command::new("secret-tool")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("ACTOKEN_REQUIRE_KEYRING").as_deref() != Ok("1"),
            "secret-tool is not installed (Debian: libsecret-tools), but ACTOKEN_REQUIRE_KEYRING=1"
        );
        eprintln!("SKIPPED the restore command: secret-tool is not installed");
        return;
    }
    let restored = std::process::Command::new("bash")
        .args(["-o", "pipefail", "-c", &hint])
        .env("XDG_CONFIG_HOME", env.dir.path().join("config"))
        .env("XDG_STATE_HOME", env.dir.path().join("state"))
        .env("ACTOKEN_KEYRING_SERVICE", &env.service)
        .output()
        .unwrap();
    assert!(
        restored.status.success(),
        "{hint}: {}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert_eq!(env.stored("east"), t.expose());
    let out = env.cmd().arg("list").output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("index does not list"));
}
