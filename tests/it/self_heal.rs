//! The index caches each token's claims and fingerprint (index version 2). These tests change
//! the keyring behind actoken's back with `secret-tool` (libsecret's CLI, which we did not
//! write) and check that actoken notices, says so, and corrects the row; and that a version-1
//! index is upgraded in place without losing anything.

use std::io::Write;
use std::process::{Command, Stdio};

use jiff::SignedDuration;
use serde_json::Value;

use crate::support::{Env, keyring_available, token};

macro_rules! need_keyring {
    () => {
        if !keyring_available(module_path!()) {
            return;
        }
        if !secret_tool_available() {
            return;
        }
    };
}

const URL: &str = "https://api01.example.com:65102";
const KUNSHAN: &str = "华东一区【昆山】";

fn secret_tool_available() -> bool {
    let ok = Command::new("secret-tool")
        .arg("--version")
        .output()
        .is_ok();
    if !ok {
        if std::env::var("ACTOKEN_REQUIRE_KEYRING").as_deref() == Ok("1") {
            panic!("secret-tool is not installed (Debian: libsecret-tools)");
        }
        eprintln!("SKIPPED: secret-tool is not installed");
    }
    ok
}

/// `secret-tool store service SERVICE username NAME`, the secret on stdin (never in argv).
fn secret_tool_store(env: &Env, name: &str, secret: &str) {
    let mut child = Command::new("secret-tool")
        .args(["store", "--label", "changed by hand"])
        .args(["service", &env.service, "username", name])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(secret.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn secret_tool_clear(env: &Env, name: &str) {
    let status = Command::new("secret-tool")
        .args(["clear", "service", &env.service, "username", name])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `list --json`: the rows, and what went to stderr.
fn list(env: &Env) -> (Vec<Value>, String) {
    let out = env.cmd().args(["list", "--json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

fn row<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    rows.iter().find(|r| r["name"] == name).expect(name)
}

#[test]
fn a_secret_changed_with_secret_tool_is_noticed_on_read_and_the_row_corrected() {
    need_keyring!();
    let env = Env::new();
    let first = token("alice", SignedDuration::from_hours(2));
    env.add(KUNSHAN, URL, &first);
    let (rows, _) = list(&env);
    let before = row(&rows, KUNSHAN)["expires_at"].clone();

    // Someone replaces the secret by hand: a token of another user, expiring much later.
    let other = token("bob", SignedDuration::from_hours(30));
    secret_tool_clear(&env, KUNSHAN);
    secret_tool_store(&env, KUNSHAN, other.expose());

    // Listing reads no secret, so it still shows what the index knows...
    let (rows, _) = list(&env);
    assert_eq!(row(&rows, KUNSHAN)["expires_at"], before);
    // ...until the secret is read: the fingerprint differs, the index heals and says so.
    let out = env.cmd().args(["token", KUNSHAN]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), other.expose());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("changed outside actoken"), "{stderr}");
    assert!(stderr.contains(KUNSHAN), "{stderr}");

    let (rows, stderr) = list(&env);
    let healed = row(&rows, KUNSHAN);
    assert_eq!(healed["user"], "bob", "{healed}");
    assert_ne!(healed["expires_at"], before);
    assert!(healed["expires_in_seconds"].as_i64().unwrap() > 29 * 3600);
    assert!(!stderr.contains("changed outside"), "healed once: {stderr}");
    // Reading it again says nothing more.
    let out = env.cmd().args(["token", KUNSHAN]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
}

#[test]
fn a_secret_deleted_or_added_with_secret_tool_is_noticed_by_list() {
    need_keyring!();
    let env = Env::new();
    env.add(KUNSHAN, URL, &token("alice", SignedDuration::from_hours(2)));
    env.add(
        "西北一区",
        URL,
        &token("alice", SignedDuration::from_hours(3)),
    );

    secret_tool_clear(&env, KUNSHAN);
    let (rows, stderr) = list(&env);
    assert_eq!(row(&rows, KUNSHAN)["phase"], "missing", "{rows:?}");
    assert!(stderr.contains("no longer holds a token"), "{stderr}");
    assert_eq!(row(&rows, "西北一区")["phase"], "valid");
    // Once healed, listing is quiet; `show` says missing too, without a keyring read error.
    let (_, stderr) = list(&env);
    assert!(!stderr.contains("no longer holds"), "{stderr}");
    let out = env.cmd().args(["show", KUNSHAN]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("missing"));

    // Putting a token back by hand brings the row back on the next list.
    secret_tool_store(
        &env,
        KUNSHAN,
        token("carol", SignedDuration::from_hours(5)).expose(),
    );
    let (rows, _) = list(&env);
    assert_eq!(row(&rows, KUNSHAN)["phase"], "valid");
    assert_eq!(row(&rows, KUNSHAN)["user"], "carol");

    // A secret the index does not list is named, with a way back.
    secret_tool_store(
        &env,
        "test中心",
        token("dave", SignedDuration::from_hours(5)).expose(),
    );
    let (rows, stderr) = list(&env);
    assert_eq!(rows.len(), 2);
    assert!(stderr.contains("\"test中心\""), "{stderr}");
    assert!(stderr.contains("index does not list"), "{stderr}");
}

#[test]
fn a_version_1_index_is_upgraded_in_place_losing_nothing() {
    need_keyring!();
    let env = Env::new();
    let kunshan = token("alice", SignedDuration::from_hours(2));
    secret_tool_store(&env, KUNSHAN, kunshan.expose());
    // A version-1 index as the previous release wrote it; "gone" has no secret.
    let v1 = format!(
        "version = 1\n\n\
         [[token]]\nname = \"{KUNSHAN}\"\nbase-url = \"{URL}\"\nnote = \"昆山 note\"\n\
         added-at = \"2026-01-01T00:00:00Z\"\nrenewed-at = \"2026-01-02T00:00:00Z\"\n\
         account = \"alice@ac.example.com\"\n\n\
         [[token]]\nname = \"gone\"\nbase-url = \"{URL}\"\nadded-at = \"2026-01-01T00:00:00Z\"\nplatform = true\n"
    );
    let index = env.index_file();
    std::fs::create_dir_all(index.parent().unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = index.parent().unwrap();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    std::fs::write(&index, &v1).unwrap();

    let (rows, _) = list(&env);
    let text = std::fs::read_to_string(&index).unwrap();
    assert!(text.contains("version = 3"), "{text}");
    for kept in [
        "昆山 note",
        "added-at = \"2026-01-01T00:00:00Z\"",
        "renewed-at = \"2026-01-02T00:00:00Z\"",
        "account = \"alice@ac.example.com\"",
        "platform = true",
        "name = \"gone\"",
    ] {
        assert!(text.contains(kept), "lost {kept:?}:\n{text}");
    }
    assert_eq!(text.matches("[token.facts]").count(), 1, "{text}");
    assert!(
        !text.contains(&kunshan.expose()[40..80]),
        "a secret in the index"
    );
    let k = row(&rows, KUNSHAN);
    assert_eq!(k["user"], "alice");
    assert_eq!(k["note"], "昆山 note");
    assert_eq!(k["phase"], "valid");
    assert_eq!(row(&rows, "gone")["phase"], "missing");

    // The upgraded index lists the same without reading the secret again.
    let (again, _) = list(&env);
    let facts = |rows: &[Value]| -> Vec<(Value, Value, Value, Value)> {
        rows.iter()
            .map(|r| {
                (
                    r["name"].clone(),
                    r["phase"].clone(),
                    r["user"].clone(),
                    r["expires_at"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(facts(&again), facts(&rows));
}
