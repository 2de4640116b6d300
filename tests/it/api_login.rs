//! Logins (access key and password), `center` and `tokens/state` against the mock AC server,
//! all on 127.0.0.1.

use std::time::Duration;

use actoken::api::{
    AcClient, ApiError, CenterInfo, ClientOptions, ConnectCause, LoginRefusal, RegionToken,
    TokenState, sign,
};
use actoken::mock::{
    ALICE, BOB, DemoAccount, Fault, MintSpec, MockOptions, MockServer, Shape, mint, mint_foreign,
};
use actoken::token::Token;
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use serde_json::json;

use crate::support::logbuf::capture_trace_globally;
use crate::support::recorder::recorder;

const LOOPBACK: &str = "127.0.0.1:0";
const LIFETIME: SignedDuration = SignedDuration::from_hours(2);

async fn server() -> MockServer {
    let opts = MockOptions {
        token_lifetime: LIFETIME,
        ..MockOptions::default()
    };
    MockServer::start(LOOPBACK.parse().unwrap(), opts)
        .await
        .unwrap()
}

fn client() -> AcClient {
    AcClient::new(&ClientOptions::default()).unwrap()
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

async fn ak_login(
    mock: &MockServer,
    user: &str,
    access_key: &str,
    secret_key: &str,
) -> Result<Vec<RegionToken>, ApiError> {
    client()
        .login_access_key(
            &mock.base_url(),
            user,
            access_key,
            &secret(secret_key),
            Timestamp::now(),
        )
        .await
}

async fn pw_login(
    mock: &MockServer,
    user: &str,
    password: &str,
    org_id: &str,
) -> Result<Vec<RegionToken>, ApiError> {
    client()
        .login_password(&mock.base_url(), user, &secret(password), org_id)
        .await
}

/// Every demo secret: none may show up in an error or a log.
fn all_secrets() -> Vec<&'static str> {
    [ALICE, BOB]
        .iter()
        .flat_map(|a| [a.secret_key, a.password])
        .collect()
}

fn assert_secret_free(err: &ApiError) {
    for text in [err.to_string(), format!("{err:?}")] {
        for s in all_secrets() {
            assert!(!text.contains(s), "secret {s:?} leaked into: {text}");
        }
        assert!(!text.contains("eyJ"), "JWT-like text in: {text}");
    }
}

fn refusal(result: Result<Vec<RegionToken>, ApiError>) -> ApiError {
    let err = result.expect_err("login should have been refused");
    assert_secret_free(&err);
    err
}

fn claims(t: &RegionToken) -> actoken::token::Claims {
    t.token.as_ref().unwrap().decode().unwrap().claims
}

/// Checks a successful login of `account` against the account's demo regions.
fn assert_regions(account: &DemoAccount, got: &[RegionToken]) {
    assert_eq!(got.len(), account.regions.len());
    let now = Timestamp::now();
    for (want, got) in account.regions.iter().zip(got) {
        assert_eq!(got.cluster_id.as_deref(), Some(want.cluster_id));
        assert_eq!(got.cluster_name.as_deref(), Some(want.cluster_name));
        assert_eq!(got.problem, None);
        assert_eq!(got.is_platform(), want.cluster_id == "0");
        if !want.available {
            assert!(got.token.is_none(), "{}", want.cluster_name);
            continue;
        }
        let c = claims(got);
        assert_eq!(c.user.as_deref(), Some(account.user));
        assert_eq!(c.compute_user.as_deref(), Some(want.compute_user));
        // The claim, as on the platform, need not be the list's id.
        assert_eq!(c.cluster_id.as_deref(), Some(want.claim_cluster_id));
        assert_eq!(c.account_status.as_deref(), Some(account.account_status));
        // Minted with the mock's configured lifetime.
        let left = now.duration_until(c.expire_time.unwrap());
        assert!(
            left > LIFETIME - SignedDuration::from_mins(1) && left <= LIFETIME,
            "{left:?}"
        );
    }
}

#[tokio::test]
async fn access_key_login_returns_every_region_the_platform_token_and_a_null_one() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let got = ak_login(&mock, ALICE.user, ALICE.access_key, ALICE.secret_key)
        .await
        .unwrap();
    assert_regions(&ALICE, &got);
    assert_eq!(got.iter().filter(|r| r.token.is_some()).count(), 4);
    let platform: Vec<_> = got.iter().filter(|r| r.is_platform()).collect();
    assert_eq!(platform.len(), 1);
    assert_eq!(claims(platform[0]).compute_user.as_deref(), Some("root"));
    let null = got.iter().find(|r| r.token.is_none()).unwrap();
    assert_eq!(null.label(), "东北一区【哈尔滨】");
    assert_eq!(mock.login_count(), 1);

    // The tokens are real mock tokens: accepted, and renewable with their claims kept.
    let first = got[0].token.as_ref().unwrap();
    let state = client().token_state(&mock.base_url(), first).await.unwrap();
    assert_eq!(state, TokenState::Accepted);
    let renewed = client().renew(&mock.base_url(), first).await.unwrap();
    assert_eq!(
        renewed.decode().unwrap().claims.compute_user.as_deref(),
        Some("alice_ks")
    );
}

#[tokio::test]
async fn password_login_returns_the_same_regions() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let got = pw_login(&mock, ALICE.user, ALICE.password, ALICE.org_id)
        .await
        .unwrap();
    assert_regions(&ALICE, &got);
    // Org ids are hex: case does not matter.
    let got = pw_login(&mock, BOB.user, BOB.password, &BOB.org_id.to_uppercase())
        .await
        .unwrap();
    assert_regions(&BOB, &got);
    assert_eq!(mock.login_count(), 2);
}

#[tokio::test]
async fn numeric_success_code_is_accepted_for_logins() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    mock.faults().set_shape(Shape::NumericCode);
    let got = ak_login(&mock, BOB.user, BOB.access_key, BOB.secret_key)
        .await
        .unwrap();
    assert_regions(&BOB, &got);
    let err = refusal(ak_login(&mock, BOB.user, "AKNOPE", BOB.secret_key).await);
    assert_eq!(err.platform_code(), Some("10004"));
}

#[tokio::test]
async fn wrong_secret_key_is_a_signature_refusal() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let err = refusal(ak_login(&mock, ALICE.user, ALICE.access_key, "SKWRONG").await);
    assert_eq!(err.login_refusal(), Some(LoginRefusal::WrongSecretKey));
    assert!(!err.token_rejected());
    let text = err.to_string();
    assert!(
        text.contains("签名") && text.contains("secret key"),
        "{text}"
    );
    // Another account's secret for this key is just as wrong.
    let err = refusal(ak_login(&mock, ALICE.user, ALICE.access_key, BOB.secret_key).await);
    assert_eq!(err.login_refusal(), Some(LoginRefusal::WrongSecretKey));
    assert_eq!(mock.login_count(), 0);
}

#[tokio::test]
async fn unknown_access_key_says_not_found() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let err = refusal(ak_login(&mock, ALICE.user, "AKDOESNOTEXIST", ALICE.secret_key).await);
    assert_eq!(err.login_refusal(), Some(LoginRefusal::UnknownAccessKey));
    let text = err.to_string();
    assert!(text.contains("不存在"), "platform's words shown: {text}");
    assert!(text.contains("access key was not found"), "{text}");
}

#[tokio::test]
async fn another_users_access_key_is_refused() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let err = refusal(ak_login(&mock, ALICE.user, BOB.access_key, BOB.secret_key).await);
    assert_eq!(err.login_refusal(), Some(LoginRefusal::KeyOfAnotherUser));
    let text = err.to_string();
    assert!(text.contains("非本人"), "{text}");
    assert!(text.contains("another user"), "{text}");
    assert_eq!(mock.login_count(), 0);
}

#[tokio::test]
async fn timestamps_more_than_five_minutes_off_are_refused() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let login_at = |skew: SignedDuration| {
        let base = mock.base_url();
        async move {
            client()
                .login_access_key(
                    &base,
                    ALICE.user,
                    ALICE.access_key,
                    &secret(ALICE.secret_key),
                    Timestamp::now() + skew,
                )
                .await
        }
    };
    for skew in [SignedDuration::from_mins(-7), SignedDuration::from_mins(6)] {
        let err = refusal(login_at(skew).await);
        assert_eq!(
            err.login_refusal(),
            Some(LoginRefusal::ClockSkew),
            "{skew:?}"
        );
        assert!(err.to_string().contains("clock"), "{err}");
    }
    for skew in [SignedDuration::from_mins(-4), SignedDuration::from_mins(4)] {
        login_at(skew).await.unwrap();
    }
    assert_eq!(mock.login_count(), 2);
}

#[tokio::test]
async fn wrong_password_unknown_user_and_wrong_org_are_refused() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let err = refusal(pw_login(&mock, ALICE.user, "not-the-password", ALICE.org_id).await);
    assert_eq!(err.login_refusal(), Some(LoginRefusal::WrongPassword));
    assert!(err.to_string().contains("password is wrong"), "{err}");
    // Bob's password is not Alice's.
    let err = refusal(pw_login(&mock, ALICE.user, BOB.password, ALICE.org_id).await);
    assert_eq!(err.login_refusal(), Some(LoginRefusal::WrongPassword));
    let err = refusal(pw_login(&mock, "carol", ALICE.password, ALICE.org_id).await);
    assert_eq!(err.login_refusal(), Some(LoginRefusal::WrongPassword));
    let err = refusal(pw_login(&mock, ALICE.user, ALICE.password, BOB.org_id).await);
    assert_eq!(err.login_refusal(), Some(LoginRefusal::UnknownUser));
    assert!(err.to_string().contains("org id"), "{err}");
    assert_eq!(mock.login_count(), 0);
}

#[tokio::test]
async fn missing_org_id_is_10003() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let err = refusal(pw_login(&mock, ALICE.user, ALICE.password, "").await);
    assert_eq!(err.platform_code(), Some("10003"));
    assert_eq!(err.login_refusal(), Some(LoginRefusal::MissingParameter));
    assert!(err.to_string().contains("org id"), "{err}");
}

#[tokio::test]
async fn credentials_that_cannot_be_headers_are_refused_before_sending() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let err = refusal(pw_login(&mock, ALICE.user, "pass\nword", ALICE.org_id).await);
    assert_eq!(
        err,
        ApiError::CredentialNotSendable {
            what: "password".into()
        }
    );
    let err = refusal(ak_login(&mock, "李雷", ALICE.access_key, ALICE.secret_key).await);
    assert!(err.to_string().contains("user name"), "{err}");
    assert_eq!(mock.login_count(), 0);
}

#[tokio::test]
async fn malformed_login_replies_are_errors_or_reasoned_skips() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let cases: Vec<(Fault, &str)> = vec![
        (Fault::EmptyData, "a string"),
        (Fault::NonJwtData, "a string"),
        (Fault::SuccessData(json!(null)), "missing"),
        (Fault::SuccessData(json!(42)), "not a list"),
    ];
    for (fault, words) in cases {
        mock.faults().set(fault.clone());
        let err = refusal(ak_login(&mock, ALICE.user, ALICE.access_key, ALICE.secret_key).await);
        assert!(
            matches!(err, ApiError::Malformed { .. }),
            "{fault:?}: {err:?}"
        );
        assert!(err.to_string().contains(words), "{fault:?}: {err}");
        assert!(err.to_string().contains("login reply"), "{err}");
    }

    // An entry whose token does not decode is kept, without a token, with the reason.
    mock.faults().set(Fault::SuccessData(json!([
        {"clusterId": "11250", "clusterName": "华东一区【昆山】", "token": "not-a-jwt"},
        {"clusterId": "0", "clusterName": "ac", "token": 17},
    ])));
    let got = ak_login(&mock, ALICE.user, ALICE.access_key, ALICE.secret_key)
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|r| r.token.is_none()));
    assert!(got[0].problem.as_deref().unwrap().contains("not a JWT"));
    assert!(got[1].problem.as_deref().unwrap().contains("not a string"));

    for fault in [Fault::Http(502), Fault::HtmlBody] {
        mock.faults().set(fault.clone());
        let err = refusal(pw_login(&mock, ALICE.user, ALICE.password, ALICE.org_id).await);
        assert!(
            matches!(
                err,
                ApiError::Status { status: 502, .. } | ApiError::NotJson { .. }
            ),
            "{fault:?}: {err:?}"
        );
    }
    assert_eq!(mock.login_count(), 0);
}

#[tokio::test]
async fn an_empty_list_is_no_regions() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    mock.faults().set(Fault::SuccessData(json!([])));
    let err = refusal(pw_login(&mock, ALICE.user, ALICE.password, ALICE.org_id).await);
    assert_eq!(err, ApiError::NoRegions);
    assert!(err.to_string().contains("web console"), "{err}");
}

fn region_token(cluster: &str, expire_in: SignedDuration) -> Token {
    mint(&MintSpec {
        user: "alice".into(),
        compute_user: "alice_ks".into(),
        cluster_id: cluster.into(),
        account_status: "Trial".into(),
        expire_at: Timestamp::now() + expire_in,
    })
}

#[tokio::test]
async fn center_lists_enabled_disabled_and_placeholder_urls() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let token = region_token("11250", SignedDuration::from_hours(1));
    let info: CenterInfo = client().center(&mock.base_url(), &token).await.unwrap();
    assert_eq!(info.id.as_deref(), Some("11250"));
    assert_eq!(info.user_name.as_deref(), Some("alice_ks"));
    assert_eq!(info.home_path.as_deref(), Some("/public/home/alice_ks"));
    assert_eq!(info.hpc_urls.len(), 2);
    assert!(info.hpc_urls[0].usable());
    assert!(
        info.hpc_urls[0]
            .url
            .as_deref()
            .unwrap()
            .starts_with("https://")
    );
    assert_eq!(info.hpc_urls[0].version.as_deref(), Some("2.3"));
    assert!(!info.hpc_urls[1].enabled && info.hpc_urls[1].url.is_some());
    assert_eq!(info.ai_urls.len(), 1);
    assert!(info.ai_urls[0].usable(), "a real address by default");
    assert!(info.efile_urls[0].usable());
    assert!(!info.eshell_urls[0].enabled);
    assert_eq!(info.name.as_deref(), Some("华东一区【昆山】"));
    assert!(info.ingress_urls[0].usable() && info.eshell_ssh_hosts[0].usable());
    // Serialisable for `info --json`.
    let v = serde_json::to_value(&info).unwrap();
    assert_eq!(v["home_path"], "/public/home/alice_ks");
    // Some deployments leave a template in place of an address: unknown, not an address.
    mock.faults().set(Fault::UnfilledPlaceholders);
    let info = client().center(&mock.base_url(), &token).await.unwrap();
    assert_eq!(info.ai_urls[0].url, None, "placeholder is unknown");
    assert!(info.ai_urls[0].enabled && !info.ai_urls[0].usable());
}

#[tokio::test]
async fn center_refuses_bad_tokens_with_platform_codes() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let cases = [
        (
            mint_foreign(&MintSpec::new(
                "alice",
                "1",
                Timestamp::now() + SignedDuration::from_hours(1),
            )),
            "10004",
        ),
        (
            region_token("11250", SignedDuration::from_mins(-5)),
            "10008",
        ),
    ];
    for (token, code) in cases {
        let err = client().center(&mock.base_url(), &token).await.unwrap_err();
        assert_eq!(err.platform_code(), Some(code));
        assert!(err.token_rejected(), "{err:?}");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(token.expose()), "{text}");
        }
    }
}

#[tokio::test]
async fn token_state_accepts_rejects_and_sees_revocation() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let base = mock.base_url();
    let good = region_token("11250", SignedDuration::from_hours(1));
    let other = region_token("11276", SignedDuration::from_hours(1));
    assert_eq!(
        client().token_state(&base, &good).await.unwrap(),
        TokenState::Accepted
    );

    let expired = region_token("11250", SignedDuration::from_mins(-1));
    let foreign = mint_foreign(&MintSpec::new(
        "alice",
        "11250",
        Timestamp::now() + SignedDuration::from_hours(1),
    ));
    for (token, code) in [(&expired, "10008"), (&foreign, "10004")] {
        match client().token_state(&base, token).await.unwrap() {
            TokenState::Rejected { code: got, .. } => assert_eq!(got, code),
            other => panic!("{other:?}"),
        }
    }

    mock.revoke(&good);
    let state = client().token_state(&base, &good).await.unwrap();
    assert!(
        matches!(&state, TokenState::Rejected { code, msg } if code == "10004" && msg.contains("invalidated")),
        "{state:?}"
    );
    assert!(
        state.describe().contains("参数无效"),
        "{}",
        state.describe()
    );
    // Renewal refuses it too, though it is unexpired; other tokens are unaffected.
    let err = client().renew(&base, &good).await.unwrap_err();
    assert!(err.token_rejected(), "{err:?}");
    assert_eq!(mock.renew_count(), 0);
    assert!(
        client()
            .token_state(&base, &other)
            .await
            .unwrap()
            .is_accepted()
    );
    client().renew(&base, &other).await.unwrap();
    let err = client().center(&base, &good).await.unwrap_err();
    assert_eq!(err.platform_code(), Some("10004"));
}

#[tokio::test]
async fn token_state_network_failures_are_errors() {
    let _watchdog = actoken::watchdog::arm();
    let dead_port = {
        let l = std::net::TcpListener::bind(LOOPBACK).unwrap();
        l.local_addr().unwrap().port()
    };
    let token = region_token("11250", SignedDuration::from_hours(1));
    let err = client()
        .token_state(&format!("http://127.0.0.1:{dead_port}"), &token)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Connect {
                cause: ConnectCause::Refused,
                ..
            }
        ),
        "{err:?}"
    );
    let mock = server().await;
    mock.faults().set(Fault::Http(503));
    let err = client()
        .token_state(&mock.base_url(), &token)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Status { status: 503, .. }),
        "{err:?}"
    );
}

fn http_reply(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The value of header `name` in a recorded request head (names are case-insensitive).
fn header_of<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn access_key_request_carries_a_signature_never_the_secret() {
    let _watchdog = actoken::watchdog::arm();
    let rec = recorder(http_reply("200 OK", r#"{"code":"0","data":[]}"#)).await;
    // The public test vector's inputs: the signature must be the vector's.
    let now = Timestamp::from_second(1_764_597_591).unwrap();
    let err = client()
        .login_access_key(
            &format!("http://{}/gw", rec.addr),
            "bob",
            "AK1",
            &secret("SK1"),
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(err, ApiError::NoRegions);
    let seen = rec.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let head = &seen[0];
    assert!(
        head.starts_with("POST /gw/api/user/v3/tokens HTTP/1.1\r\n"),
        "{head}"
    );
    assert_eq!(header_of(head, "user"), Some("bob"));
    assert_eq!(header_of(head, "accessKey"), Some("AK1"));
    assert_eq!(header_of(head, "timestamp"), Some("1764597591"));
    assert_eq!(
        header_of(head, "signature"),
        Some("eecba514de9219b8366b8461871542207b0c42a4f968725938602d98fbd5dbcf")
    );
    assert_eq!(
        header_of(head, "signature"),
        Some(sign("bob", "AK1", "1764597591", "SK1").as_str())
    );
    assert_eq!(header_of(head, "content-type"), Some("application/json"));
    assert!(!head.contains("SK1"), "the secret key was sent: {head}");
}

#[tokio::test]
async fn password_request_shape_and_echoed_password_is_scrubbed() {
    let _watchdog = actoken::watchdog::arm();
    let body = r#"{"code":"10004","msg":"wrong password: hunter2-pw"}"#;
    let rec = recorder(http_reply("401 Unauthorized", body)).await;
    let err = client()
        .login_password(
            &format!("http://{}", rec.addr),
            "alice",
            &secret("hunter2-pw"),
            ALICE.org_id,
        )
        .await
        .unwrap_err();
    assert_eq!(err.login_refusal(), Some(LoginRefusal::WrongPassword));
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("hunter2-pw"), "{text}");
    }
    let seen = rec.seen.lock().unwrap().clone();
    let head = &seen[0];
    assert!(
        head.starts_with("POST /ac/openapi/v2/tokens HTTP/1.1\r\n"),
        "{head}"
    );
    assert_eq!(header_of(head, "user"), Some("alice"));
    assert_eq!(header_of(head, "password"), Some("hunter2-pw"));
    assert_eq!(header_of(head, "orgId"), Some(ALICE.org_id));
}

#[tokio::test]
async fn login_to_plain_http_elsewhere_is_refused_before_connecting() {
    let _watchdog = actoken::watchdog::arm();
    let err = client()
        .login_password(
            "http://192.0.2.1",
            "alice",
            &secret(ALICE.password),
            ALICE.org_id,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::InsecureUrl { .. }), "{err:?}");
    assert_secret_free(&err);
}

#[tokio::test]
async fn logs_at_trace_never_contain_secrets_or_tokens() {
    let _watchdog = actoken::watchdog::arm();
    let logs = capture_trace_globally();
    let mock = server().await;
    let mut tokens = Vec::new();
    let got = ak_login(&mock, ALICE.user, ALICE.access_key, ALICE.secret_key)
        .await
        .unwrap();
    tokens.extend(got.into_iter().filter_map(|r| r.token));
    let got = pw_login(&mock, BOB.user, BOB.password, BOB.org_id)
        .await
        .unwrap();
    tokens.extend(got.into_iter().filter_map(|r| r.token));
    let _ = ak_login(&mock, ALICE.user, ALICE.access_key, "SKWRONG")
        .await
        .unwrap_err();
    let _ = pw_login(&mock, ALICE.user, "wrong-pw", ALICE.org_id)
        .await
        .unwrap_err();
    let _ = client().center(&mock.base_url(), &tokens[0]).await.unwrap();
    let _ = client()
        .token_state(&mock.base_url(), &tokens[1])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for path in [
        "api/user/v3/tokens",
        "ac/openapi/v2/tokens",
        "center",
        "tokens/state",
    ] {
        assert!(text.contains(path), "nothing captured for {path}: {text}");
    }
    for s in all_secrets().into_iter().chain(["SKWRONG", "wrong-pw"]) {
        assert!(!text.contains(s), "secret {s:?} logged");
    }
    for t in &tokens {
        assert!(!text.contains(t.expose()), "token logged");
    }
    assert!(!text.contains("eyJ"), "JWT-like text logged");
}
