//! What the commands do, run in-process on memory stores (see `support::in_process`): the same
//! command lines and assertions as against the binary, with no Secret Service needed. These
//! moved here from `cli` (which keeps the tests of the binary itself: exit on a closed pipe,
//! logging, help, language from the locale, the keyring).

use jiff::SignedDuration;
use predicates::prelude::*;

use crate::support::in_process::InProcess;
use actoken::mock::{ALICE, BOB, Fault};

use crate::support::{Mock, token};

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

fn stdout(env: &InProcess, args: &[&str]) -> String {
    let out = env.cmd().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn login(
    env: &InProcess,
    mock: &Mock,
    who: &actoken::mock::DemoAccount,
) -> assert_cmd::assert::Assert {
    env.cmd()
        .args([
            "login",
            "--user",
            who.user,
            "--access-key",
            who.access_key,
            "--secret-key-stdin",
            "--base-url",
            &mock.url(),
        ])
        .write_stdin(who.secret_key)
        .assert()
}

#[test]
fn add_list_show_token_rm_round_trip() {
    let (env, mock) = (InProcess::new(), Mock::start());
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
    let env = InProcess::new();
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
    let env = InProcess::new();
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
    let (env, mock) = (InProcess::new(), Mock::start());
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

#[test]
fn failed_renewal_leaves_the_token_byte_for_byte() {
    let (env, mock) = (InProcess::new(), Mock::start());
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

#[test]
fn dead_token_exits_3_without_calling_the_server() {
    let (env, mock) = (InProcess::new(), Mock::start());
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
    let (env, mock) = (InProcess::new(), Mock::start());
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
    let (env, mock) = (InProcess::new(), Mock::start());
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
fn login_explains_a_region_without_a_token_and_accounts_show_status_and_balance() {
    let (env, mock) = (InProcess::new(), Mock::start());
    login(&env, &mock, &ALICE).success().stdout(predicate::str::contains(
        "skipped   东北一区【哈尔滨】 (11301): account on trial, balance 0.00: top up to use this region",
    ));
    login(&env, &mock, &BOB).success();

    let out = env.cmd().args(["accounts", "--json"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_user = |u: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|a| a["user"] == u)
            .unwrap()
            .clone()
    };
    assert_eq!(by_user("alice")["account_status"], "Trial");
    assert_eq!(by_user("alice")["account_balance"], "0.00");
    assert_eq!(by_user("bob")["account_status"], "Normal");
    assert_eq!(by_user("bob")["account_balance"], "1280.50");
    assert!(by_user("bob").get("account_info_error").is_none());

    env.cmd()
        .arg("accounts")
        .assert()
        .success()
        .stdout(predicate::str::contains("STATUS").and(predicate::str::contains("1280.50")))
        .stderr(
            predicate::str::contains("alice@127.0.0.1").and(predicate::str::contains("top up")),
        );

    // The same table and notes in Chinese; the status the server sends stays as it is.
    env.cmd()
        .args(["--lang", "zh-CN", "accounts"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("账户状态")
                .and(predicate::str::contains("余额"))
                .and(predicate::str::contains("Trial"))
                .and(predicate::str::contains("1280.50")),
        )
        .stderr(
            predicate::str::contains("备注：alice@127.0.0.1").and(predicate::str::contains(
                "：账户试用中，余额 0.00：充值后才能使用其区域",
            )),
        );

    // Without its platform token, or with the platform silent, the rest still shows.
    env.cmd().args(["rm", "alice/ac"]).assert().success();
    let json: serde_json::Value = serde_json::from_slice(
        &env.cmd()
            .args(["accounts", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let alice = json
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user"] == "alice")
        .unwrap();
    assert!(alice["account_status"].is_null());
    assert!(
        alice["account_info_error"]
            .as_str()
            .unwrap()
            .contains("alice/ac"),
        "{alice}"
    );
    mock.server.faults().set(Fault::Http(502));
    env.cmd().arg("accounts").assert().success().stderr(
        predicate::str::contains("bob@127.0.0.1")
            .and(predicate::str::contains("status and balance unknown")),
    );
}

#[test]
fn env_renews_a_token_inside_the_window_and_leaves_a_fresh_one_alone() {
    let (env, mock) = (InProcess::new(), Mock::start());
    let due = token("alice", SignedDuration::from_mins(90));
    env.add("hpc-east", &mock.url(), &due);
    env.add("hpc-west", &mock.url(), &token("bob", hours(5)));

    // Default window: the renew-ahead setting (2h), so the 90-minute token is renewed first.
    let out = env.cmd().args(["env", "hpc-east"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("renewed hpc-east"));
    let stored = env.stored_raw("hpc-east");
    assert_ne!(stored, due.expose());
    assert!(
        text.contains(&format!("export AC_TOKEN='{stored}'\n")),
        "{text}"
    );
    assert!(text.contains(&format!("export SCNET_TOKEN='{stored}'\n")));
    assert!(text.contains(&format!("export SCNET_OPENAPI_TOKEN='{stored}'\n")));
    assert!(text.contains("export AC_CLUSTER_ID='11112'\n"));
    assert!(text.contains("export SCNET_CLUSTER_ID='11112'\n"));
    assert!(text.contains("export AC_USER='alice'\n"));
    assert!(text.contains("export AC_TOKEN_NAME='hpc-east'\n"));
    // From the mock's `center`: the first enabled address of each kind.
    assert!(text.contains("export AC_HPC_URL='https://c11112.hpc.example.com:65101/hpc'\n"));
    assert!(text.contains("export AC_EFILE_URL='https://c11112.hpc.example.com:65103/efile'\n"));
    assert!(text.contains("export AC_AI_URL='https://c11112.hpc.example.com:65102/ai'\n"));
    assert_eq!(mock.server.renew_count(), 1);

    // --min-valid below what is left: nothing renewed; above it: renewed.
    let json: serde_json::Value = serde_json::from_str(&stdout(
        &env,
        &["env", "hpc-west", "--min-valid", "4h", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(json["AC_USER"], "bob");
    assert_eq!(mock.server.renew_count(), 1);
    stdout(&env, &["env", "hpc-west", "--min-valid", "6h"]);
    assert_eq!(mock.server.renew_count(), 2);
}

/// What `completions` and `manpage` write goes to the command's own stdout.
#[test]
fn completions_and_the_man_page_are_written_to_the_commands_stdout() {
    let env = InProcess::new();
    env.cmd()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("_actoken()"));
    env.cmd()
        .arg("manpage")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH actoken"));
}
