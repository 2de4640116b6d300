//! The account behind the tokens (`GET /ac/openapi/v2/user`): `login` explains a region listed
//! without a token, `accounts` shows status and balance. Real binary, real Secret Service
//! (skipped with a message where none runs), the mock AC server's demo accounts.

use std::time::Duration;

use actoken::api::{AcClient, ClientOptions};
use actoken::mock::{ALICE, BOB, Fault};
use actoken::store::{KeyringBackend, SecretBackend, accounts_service};
use predicates::prelude::*;

use crate::support::{self, Env, Mock};

fn login(env: &Env, mock: &Mock, who: &actoken::mock::DemoAccount) -> assert_cmd::assert::Assert {
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

fn forget_keys(env: &Env) {
    let svc = accounts_service(&env.service);
    if let Ok(b) = KeyringBackend::with_service(&svc, Duration::from_secs(2)) {
        for n in b.names().unwrap_or_default() {
            let _ = b.delete(&n);
        }
    }
}

#[test]
fn the_client_reads_the_account_and_the_mock_refuses_a_dead_token() {
    let mock = Mock::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = AcClient::new(&ClientOptions::default()).unwrap();
    let t = support::token("bob", jiff::SignedDuration::from_hours(2));
    let info = rt.block_on(client.user_info(&mock.url(), &t)).unwrap();
    assert_eq!(info.user_name.as_deref(), Some("bob"));
    assert_eq!(info.account_status.as_deref(), Some(BOB.account_status));
    assert_eq!(info.account_balance.as_deref(), Some(BOB.balance));
    let expired = support::token("bob", jiff::SignedDuration::from_hours(-1));
    let err = rt
        .block_on(client.user_info(&mock.url(), &expired))
        .unwrap_err();
    assert!(err.token_rejected(), "{err}");
    assert!(!err.to_string().contains(expired.expose()));
}

#[test]
fn login_explains_a_region_without_a_token_and_accounts_show_status_and_balance() {
    need_keyring!();
    let (env, mock) = (Env::new(), Mock::start());
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
    forget_keys(&env);
}
