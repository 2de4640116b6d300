//! Issue 22 items 6 and 11: a token the platform issued is never dropped, and never stored
//! under a name that is not its own.
//!
//! - Keyring down and rescue file unwritable: the token is shown on the terminal (or stdout),
//!   and the message says where; it appears nowhere else.
//! - A renewal or login reply holding another user's (or region's) token is refused.
//! - A login's tokens are rescued when the store fails (the index lock times out).
//! - A login that stored nothing is an error.
//! - A login at a second base URL for the same user keeps the first server's entries.

use std::time::Duration;

use actoken::mock::{ALICE, Fault, MintSpec, mint};
use actoken::token::Token;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::support::in_process::InProcess;
use crate::support::{self, Mock};

const KUNSHAN: &str = "alice/华东一区【昆山】";

/// A world with `KUNSHAN` stored (expiring in an hour) at the mock.
fn stored() -> (InProcess, Mock, Token) {
    let (env, mock) = (InProcess::new(), Mock::start());
    let old = support::token("alice", SignedDuration::from_hours(1));
    env.add(KUNSHAN, &mock.url(), &old);
    (env, mock, old)
}

/// The keyring refuses every write, and the rescue directory cannot be made (a file is where
/// it would be).
fn break_both_stores(env: &InProcess) {
    env.token_backend().fail_all_sets(true);
    let rescue = env.state_dir().join("rescue");
    std::fs::create_dir_all(rescue.parent().unwrap()).unwrap();
    std::fs::write(&rescue, "not a directory").unwrap();
}

/// The tokens in `text` (each on a line of its own after its heading).
fn tokens_in(text: &str) -> Vec<Token> {
    text.lines()
        .filter(|l| l.starts_with("eyJ"))
        .map(Token::from_raw)
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The one token shown, checked to be the renewal's (later than `old`, alice's), and found
/// nowhere but in `shown`.
fn the_renewed_token(shown: &str, elsewhere: &[&str], old: &Token) -> Token {
    let found = tokens_in(shown);
    assert_eq!(found.len(), 1, "{shown}");
    let token = found.into_iter().next().unwrap();
    let claims = |t: &Token| t.decode().unwrap().claims;
    assert!(claims(&token).expire_time > claims(old).expire_time);
    assert_eq!(claims(&token).user.as_deref(), Some("alice"));
    assert!(
        shown.contains(&format!("the new token of {KUNSHAN}")),
        "{shown}"
    );
    for other in elsewhere {
        assert!(!other.contains(token.expose()), "also in: {other}");
    }
    token
}

#[test]
fn keyring_and_rescue_file_failing_the_token_goes_to_the_terminal_and_the_message_says_so() {
    let (env, _mock, old) = stored();
    break_both_stores(&env);
    let (out, terminal) = env
        .cmd()
        .args(["renew", KUNSHAN])
        .with_terminal()
        .output_and_terminal();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("the token was written to your terminal (/dev/tty) instead"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("`actoken add '{KUNSHAN}' --force`")),
        "{stderr}"
    );
    the_renewed_token(&terminal, &[&stdout, &stderr], &old);
    // The keyring still holds the old token, whole.
    assert_eq!(env.stored_raw(KUNSHAN), old.expose());
}

#[test]
fn without_a_terminal_the_token_goes_to_stdout_and_the_message_says_so() {
    let (env, _mock, old) = stored();
    break_both_stores(&env);
    let out = env.cmd().args(["renew", KUNSHAN]).output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("the token was written to standard output instead"),
        "{stderr}"
    );
    the_renewed_token(&stdout, &[&stderr], &old);
}

/// `token --min-valid` renews first: the same last resort.
#[test]
fn token_min_valid_shows_an_unsaved_renewal_on_the_terminal() {
    let (env, _mock, old) = stored();
    break_both_stores(&env);
    let (out, terminal) = env
        .cmd()
        .args(["token", KUNSHAN, "--min-valid", "10h"])
        .with_terminal()
        .output_and_terminal();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("your terminal (/dev/tty)"), "{stderr}");
    the_renewed_token(&terminal, &[&stdout, &stderr], &old);
}

/// A login whose tokens the keyring refuses and no rescue file takes: each one on the
/// terminal, and the message names each.
#[test]
fn a_login_no_store_takes_shows_every_token_on_the_terminal() {
    let (env, mock) = (InProcess::new(), Mock::start());
    break_both_stores(&env);
    let (out, terminal) = login_alice(&env, &mock.url())
        .with_terminal()
        .output_and_terminal();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    let shown = tokens_in(&terminal);
    assert_eq!(shown.len(), 4, "{terminal}");
    for name in [
        KUNSHAN,
        "alice/西北一区【西安】",
        "alice/华中一区【郑州】",
        "alice/ac",
    ] {
        assert!(
            stderr.contains(&format!("{name}: The rescue file could not be written either: the token was written to your terminal")),
            "{name}: {stderr}"
        );
        assert!(terminal.contains(&format!("the new token of {name}")));
    }
    for token in &shown {
        assert_eq!(
            token.decode().unwrap().claims.user.as_deref(),
            Some("alice")
        );
        assert!(!stdout.contains(token.expose()) && !stderr.contains(token.expose()));
    }
}

fn login_alice<'a>(env: &'a InProcess, url: &str) -> crate::support::in_process::Run<'a> {
    env.cmd()
        .args([
            "login",
            "--user",
            "alice",
            "--access-key",
            ALICE.access_key,
            "--secret-key-stdin",
            "--base-url",
            url,
        ])
        .write_stdin(format!("{}\n", ALICE.secret_key))
}

/// Item 11: another process holds the index lock past its timeout while a login stores its
/// tokens: every issued token is in a rescue file, named in the message.
#[test]
fn a_logins_tokens_are_rescued_when_the_index_lock_times_out() {
    use fs4::FileExt;
    let (env, mock) = (InProcess::new(), Mock::start());
    let locks = env.state_dir().join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let held = std::fs::File::create(locks.join("index.lock")).unwrap();
    held.lock().unwrap();
    let out = login_alice(&env, &mock.url()).output().unwrap();
    FileExt::unlock(&held).unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("busy with \"the token index\""), "{stderr}");
    let rescued: Vec<_> = std::fs::read_dir(env.state_dir().join("rescue"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(rescued.len(), 4, "{rescued:?}");
    for file in &rescued {
        assert!(
            stderr.contains(&file.display().to_string()),
            "{file:?}: {stderr}"
        );
        let token = Token::from_raw(&std::fs::read_to_string(file).unwrap());
        assert_eq!(
            token.decode().unwrap().claims.user.as_deref(),
            Some("alice")
        );
        assert!(!stderr.contains(token.expose()));
    }
    assert!(env.stored_names().is_empty());
}

/// Item 11: a login reply listing no usable token stores nothing and says so, exit 1.
#[test]
fn a_login_that_stores_no_token_is_an_error() {
    let (env, mock) = (InProcess::new(), Mock::start());
    mock.server.faults().set(Fault::SuccessData(json!([
        {"clusterId": "11250", "clusterName": "华东一区【昆山】", "token": null},
        {"clusterId": "0", "clusterName": "ac", "token": null},
    ])));
    let out = login_alice(&env, &mock.url()).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "logged in as alice, but no token was stored: 华东一区【昆山】 (11250): not available"
        ),
        "{stderr}"
    );
    assert!(env.stored_names().is_empty());
    // Nothing remembered either: a login that stored nothing changes nothing.
    assert!(env.remembered_keys().is_empty());
}

fn later(user: &str, cluster: &str) -> Token {
    mint(&MintSpec::new(
        user,
        cluster,
        Timestamp::now() + SignedDuration::from_hours(24),
    ))
}

/// Item 11: a login reply holding another user's token for a region stores the others and
/// not that one; the reason names both users.
#[test]
fn a_login_reply_with_another_users_token_is_refused_for_that_region() {
    let (env, mock) = (InProcess::new(), Mock::start());
    mock.server.faults().set(Fault::SuccessData(json!([
        {"clusterId": "11250", "clusterName": "华东一区【昆山】", "token": later("mallory", "11250").expose()},
        {"clusterId": "11276", "clusterName": "西北一区【西安】", "token": later("alice", "11276").expose()},
    ])));
    let out = login_alice(&env, &mock.url()).output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains(
            "skipped   华东一区【昆山】 (11250): the server returned a token of user \"mallory\", not of \"alice\": not stored"
        ),
        "{stdout}"
    );
    assert_eq!(env.stored_names(), ["alice/西北一区【西安】"]);

    // Only another user's tokens: nothing stored, an error.
    mock.server.faults().set(Fault::SuccessData(json!([
        {"clusterId": "11250", "clusterName": "华东一区【昆山】", "token": later("mallory", "11250").expose()},
    ])));
    let out = login_alice(&env, &mock.url()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(env.stored_names() == ["alice/西北一区【西安】"]);
}

/// Item 11: a login whose token for a region states another cluster than the token stored
/// under that region's name does not replace it.
#[test]
fn a_login_reply_with_another_regions_token_does_not_replace_the_entry() {
    let (env, mock) = (InProcess::new(), Mock::start());
    login_alice(&env, &mock.url()).assert().success();
    let before = env.stored_raw(KUNSHAN);
    mock.server.faults().set(Fault::SuccessData(json!([
        {"clusterId": "11250", "clusterName": "华东一区【昆山】", "token": later("alice", "99999").expose()},
        {"clusterId": "11276", "clusterName": "西北一区【西安】", "token": later("alice", "11276").expose()},
    ])));
    let out = login_alice(&env, &mock.url()).output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains("a token for cluster \"99999\", not for cluster \"11250\": not stored"),
        "{stdout}"
    );
    assert_eq!(env.stored_raw(KUNSHAN), before);
}

/// Item 11: a renewal answered with another user's token, or another region's, is refused:
/// exit 1, the stored token unchanged, no rescue file.
#[test]
fn a_renewal_answered_with_another_users_or_regions_token_is_refused() {
    for (foreign, words) in [
        (
            later("mallory", "11112"),
            "returned a token of user \"mallory\", not of \"alice\"",
        ),
        (
            later("alice", "11250"),
            "returned a token for cluster \"11250\", not for cluster \"11112\"",
        ),
    ] {
        let (env, mock, old) = stored();
        mock.server
            .faults()
            .set(Fault::SuccessData(json!(foreign.expose())));
        let out = env.cmd().args(["renew", KUNSHAN]).output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(words), "{stderr}");
        assert!(stderr.contains("it was not stored"), "{stderr}");
        assert!(!stderr.contains(foreign.expose()));
        assert_eq!(env.stored_raw(KUNSHAN), old.expose());
        assert!(!env.state_dir().join("rescue").exists());
    }
}

/// Item 11: the same user logs in at a second server: the first server's entries stay as
/// they were, the second's are named `HOST/USER/REGION`, and logging in again at either
/// replaces only its own.
#[test]
fn a_login_at_a_second_base_url_keeps_the_first_servers_entries() {
    let (env, first, second) = (InProcess::new(), Mock::start(), Mock::start());
    login_alice(&env, &first.url()).assert().success();
    let firsts = env.stored_names();
    let kunshan = env.stored_raw(KUNSHAN);

    let out = login_alice(&env, &second.url()).output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let host = second.server.addr().to_string().replace(':', "-");
    let beside = format!("{host}/{KUNSHAN}");
    assert!(stdout.contains(&format!("added     {beside}")), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "Entries of the same names hold tokens of {} (another server)",
            first.url()
        )),
        "{stdout}"
    );
    assert_eq!(env.stored_raw(KUNSHAN), kunshan, "the first server's token");
    assert_eq!(env.stored_names().len(), 2 * firsts.len());
    let list: serde_json::Value = serde_json::from_slice(
        &env.cmd()
            .args(["show", &beside, "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(list["base_url"], second.url(), "{list}");

    // Again at the second: its own entries are replaced, nothing new, the first's untouched.
    let out = login_alice(&env, &second.url()).output().unwrap();
    assert!(
        text(&out.stdout).contains(&format!("replaced  {beside}")),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(env.stored_names().len(), 2 * firsts.len());
    assert_eq!(env.stored_raw(KUNSHAN), kunshan);
    // And at the first: its own, under the usual names.
    std::thread::sleep(Duration::from_millis(2));
    let out = login_alice(&env, &first.url()).output().unwrap();
    assert!(
        text(&out.stdout).contains(&format!("replaced  {KUNSHAN}")),
        "{}",
        text(&out.stdout)
    );
    assert_ne!(env.stored_raw(KUNSHAN), kunshan);
    assert_eq!(env.stored_names().len(), 2 * firsts.len());
}
