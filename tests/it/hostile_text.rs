//! Issue 22, item 2: text that did not come from actoken (claims, region names, a server's
//! `code`, remembered logins) is shown inert in every human output. A `user` claim holding
//! `ESC ] 52 ; c ; …` made a plain `actoken list` in tmux set the clipboard; a newline in a
//! claim forged a row. `--json` stays exact: JSON escapes control characters itself.
//!
//! Each command is run with such claims; its output must hold no control or bidi character
//! (but its own line breaks), no line that a claim started, and still show the value (made
//! inert), so the test cannot pass by showing nothing.

use actoken::mock::{Fault, MintSpec, mint};
use actoken::token::Token;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::support::in_process::InProcess;
use crate::support::{Env, Mock};

/// `ESC ] 52 ; c ; <base64> BEL` (sets the terminal's clipboard, through tmux too), a C1 CSI
/// (`U+009B 2 J` clears the screen), a bidi override, then a newline starting a forged line.
const HOSTILE: &str = "\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{9b}2J\u{202e}\nFORGED";

/// What of [`HOSTILE`] shows once it is inert.
const EVIDENCE: &str = "]52;c;cm0gLXJmIH4=";

const NAME: &str = "华东一区【昆山】";

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// A mock-signed token whose `user`, `computeUser`, `clusterId` and `accountStatus` claims
/// each end in [`HOSTILE`]; it expires `in_` from now.
pub(crate) fn hostile_token(user: &str, in_: SignedDuration) -> Token {
    mint(&MintSpec {
        user: user.to_owned(),
        compute_user: format!("bob_c{HOSTILE} computeUser"),
        cluster_id: format!("11112{HOSTILE} clusterId"),
        account_status: format!("Normal{HOSTILE} accountStatus"),
        expire_at: Timestamp::now() + in_,
    })
}

pub(crate) fn hostile_user() -> String {
    format!("bob{HOSTILE} user")
}

/// A control or bidi character, as a terminal would obey it; line breaks and tabs are the
/// output's own.
fn obeyed(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[track_caller]
pub(crate) fn assert_inert(what: &str, text: &str) {
    assert!(
        !text.chars().any(obeyed),
        "{what}: a control sequence reached the output:\n{text:?}"
    );
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with("FORGED")),
        "{what}: a newline in a claim forged a line:\n{text}"
    );
    assert!(
        text.contains(EVIDENCE),
        "{what}: the hostile value is not shown at all:\n{text}"
    );
}

fn run(env: &InProcess, args: &[&str]) -> (Option<i32>, String, String) {
    let out = env.cmd().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// In-process, with the hostile token (valid for 10 hours) stored as [`NAME`] at the mock.
fn with_hostile_token(in_: SignedDuration) -> (InProcess, Mock, Token) {
    let (env, mock) = (InProcess::new(), Mock::start());
    let token = hostile_token(&hostile_user(), in_);
    env.add(NAME, &mock.url(), &token);
    (env, mock, token)
}

#[test]
fn list_shows_hostile_claims_inert_and_json_exact() {
    let (env, _mock, _) = with_hostile_token(hours(10));
    let (code, out, err) = run(&env, &["list"]);
    assert_eq!(code, Some(0), "{err}");
    assert_inert("list", &out);
    assert_eq!(out.lines().count(), 2, "a header and one row:\n{out}");
    let (_, json, _) = run(&env, &["list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(list[0]["user"], hostile_user(), "--json is exact");
}

#[test]
fn show_shows_hostile_claims_inert_and_json_exact() {
    let (env, _mock, _) = with_hostile_token(hours(10));
    let (code, out, err) = run(&env, &["show", NAME]);
    assert_eq!(code, Some(0), "{err}");
    assert_inert("show", &out);
    let (_, json, _) = run(&env, &["show", NAME, "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(shown["claims"]["user"], hostile_user(), "--json is exact");
}

#[test]
fn add_says_what_it_stored_inert() {
    let (env, mock) = (InProcess::new(), Mock::start());
    let token = hostile_token(&hostile_user(), hours(10));
    let out = env
        .cmd()
        .args(["add", NAME, "--base-url", &mock.url()])
        .write_stdin(token.expose())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_inert("add", &String::from_utf8(out.stderr).unwrap());
}

/// `info` shows what `center` answered; the mock builds it from the token's claims.
#[test]
fn info_shows_the_servers_answer_inert_and_json_exact() {
    let (env, _mock, _) = with_hostile_token(hours(10));
    let (code, out, err) = run(&env, &["info", NAME]);
    assert_eq!(code, Some(0), "{err}");
    assert_inert("info", &out);
    let (_, json, _) = run(&env, &["info", NAME, "--json"]);
    let center: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        center["user_name"],
        format!("bob_c{HOSTILE} computeUser"),
        "--json is exact: {center}"
    );
}

/// A revoked token: `check` says so and advises the login of the `user` claim.
#[test]
fn check_shows_the_advice_for_a_refused_token_inert() {
    let (env, mock, token) = with_hostile_token(hours(10));
    mock.server.revoke(&token);
    let (code, out, err) = run(&env, &["check", NAME]);
    assert_eq!(code, Some(3), "{out}{err}");
    assert_inert("check", &format!("{out}{err}"));
}

/// A token past its renewal cutoff: the failure advises the login of the `user` claim.
#[test]
fn renew_says_why_a_dead_token_failed_inert() {
    let (env, _mock, _) = with_hostile_token(hours(-30));
    let (code, out, err) = run(&env, &["renew", NAME]);
    assert_eq!(code, Some(3), "{out}{err}");
    assert_inert("renew", &format!("{out}{err}"));
}

#[test]
fn token_min_valid_says_why_a_dead_token_failed_inert() {
    let (env, _mock, _) = with_hostile_token(hours(-30));
    let (code, out, err) = run(&env, &["token", NAME, "--min-valid", "1h"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(out.is_empty(), "{out}");
    assert_inert("token --min-valid", &err);
}

/// The server's `code` field was printed as it came.
#[test]
fn a_servers_code_is_shown_inert() {
    let (env, mock, _) = with_hostile_token(hours(1));
    mock.server
        .faults()
        .set(Fault::Code(format!("10001{HOSTILE}")));
    let (code, out, err) = run(&env, &["renew", NAME]);
    assert_ne!(code, Some(0), "{out}{err}");
    let text = format!("{out}{err}");
    assert!(!text.chars().any(obeyed), "{text:?}");
    assert!(text.contains("]52;c;"), "the code is not shown: {text}");
    let (_, out, err) = run(&env, &["check", NAME]);
    assert!(!format!("{out}{err}").chars().any(obeyed), "{out}{err}");
}

/// A login reply names regions, ids and tokens: region names and ids end in [`HOSTILE`],
/// one region comes without a token.
fn hostile_login(env: &InProcess, mock: &Mock) -> (Option<i32>, String, String) {
    let region = hostile_token("mallory", hours(10));
    let platform = mint(&MintSpec {
        user: "mallory".into(),
        compute_user: "mallory".into(),
        cluster_id: "0".into(),
        account_status: format!("Normal{HOSTILE} accountStatus"),
        expire_at: Timestamp::now() + hours(10),
    });
    mock.server.faults().set(Fault::SuccessData(json!([
        {"clusterId": format!("11250{HOSTILE}"), "clusterName": format!("{NAME}{HOSTILE}"),
         "token": region.expose()},
        {"clusterId": "0", "clusterName": "ac", "token": platform.expose()},
        {"clusterId": format!("9{HOSTILE}"), "clusterName": format!("西北一区{HOSTILE}"),
         "token": null},
    ])));
    let out = env
        .cmd()
        .args(["login", "--user", "mallory", "--access-key", "AKM"])
        .args(["--secret-key-stdin", "--base-url", &mock.url()])
        .write_stdin("SKM")
        .output()
        .unwrap();
    mock.server.faults().clear();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn login_reports_hostile_region_names_inert() {
    let (env, mock) = (InProcess::new(), Mock::start());
    let (code, out, err) = hostile_login(&env, &mock);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_inert("login", &format!("{out}{err}"));
}

/// The account's status comes from the server (`GET /ac/openapi/v2/user`), which the mock
/// answers with the platform token's `accountStatus` claim.
#[test]
fn accounts_shows_the_servers_account_status_inert() {
    let (env, mock) = (InProcess::new(), Mock::start());
    let (code, out, err) = hostile_login(&env, &mock);
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, out, err) = run(&env, &["accounts"]);
    assert_eq!(code, Some(0), "{err}");
    assert_inert("accounts", &format!("{out}{err}"));
    assert_eq!(out.lines().count(), 2, "a header and one row:\n{out}");
}

/// `watch` logs to stderr line by line (journald, cron mail): a dead token's failure quotes
/// the login command of its `user` claim.
#[test]
fn watch_logs_hostile_claims_inert() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let token = hostile_token(&hostile_user(), hours(-30));
    env.add(NAME, &mock.url(), &token);
    let out = env.cmd().args(["watch", "--once"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_inert("watch", &String::from_utf8_lossy(&out.stderr));
}

/// `doctor` lists the remembered logins: a hand-edited (or another tool's) `accounts.toml`
/// names a user holding [`HOSTILE`].
#[test]
fn doctor_reports_a_hostile_remembered_login_inert() {
    let (env, mock) = (Env::new(), Mock::start());
    let user = toml::Value::String(format!("mallory{HOSTILE} user"));
    let accounts = format!(
        "version = 1\n[[account]]\nuser = {user}\nmethod = \"password\"\n\
         base-url = \"{url}\"\nauth-url = \"{url}\"\norg-id = \"4af1\"\n",
        url = mock.url()
    );
    let file = env.dir.path().join("config/actoken/accounts.toml");
    std::fs::write(&file, accounts).unwrap();
    let out = env.cmd().arg("doctor").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("mallory"), "{text}");
    assert_inert(
        "doctor",
        &format!("{text}{}", String::from_utf8_lossy(&out.stderr)),
    );
    let out = env.cmd().args(["doctor", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["accounts"][0]["user"],
        format!("mallory{HOSTILE} user"),
        "--json is exact"
    );
}
