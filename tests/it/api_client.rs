//! The HTTP client against the mock AC server (and a few raw listeners), all on 127.0.0.1.

use std::time::{Duration, Instant};

use actoken::api::{
    AcClient, ApiError, ClientOptions, ConnectCause, TimeoutStage, check_base_url, describe_code,
};
use actoken::mock::{Fault, MintSpec, MockOptions, MockServer, Shape, mint, mint_foreign};
use actoken::token::Token;
use jiff::{SignedDuration, Timestamp};

use crate::support::logbuf::capture_trace_globally;
use crate::support::recorder::recorder;

const LOOPBACK: &str = "127.0.0.1:0";

async fn server() -> MockServer {
    MockServer::start(LOOPBACK.parse().unwrap(), MockOptions::default())
        .await
        .unwrap()
}

fn client() -> AcClient {
    AcClient::new(&ClientOptions::default()).unwrap()
}

fn client_with(f: impl FnOnce(&mut ClientOptions)) -> AcClient {
    let mut opts = ClientOptions::default();
    f(&mut opts);
    AcClient::new(&opts).unwrap()
}

fn spec(expire_in: SignedDuration) -> MintSpec {
    MintSpec {
        user: "alice".into(),
        compute_user: "alice_hpc".into(),
        cluster_id: "11112".into(),
        account_status: "Trial".into(),
        expire_at: Timestamp::now() + expire_in,
    }
}

fn valid_token() -> Token {
    mint(&spec(SignedDuration::from_hours(1)))
}

fn expiry(t: &Token) -> Timestamp {
    t.decode().unwrap().claims.expire_time.unwrap()
}

/// Renews and expects an error; checks that neither form of the error shows the token.
async fn renew_err(client: &AcClient, base: &str, token: &Token) -> ApiError {
    let err = client
        .renew(base, token)
        .await
        .expect_err("renewal should have failed");
    assert_secret_free(&err, token);
    err
}

fn assert_secret_free(err: &ApiError, token: &Token) {
    let secret = token.expose();
    for text in [err.to_string(), format!("{err:?}")] {
        if !secret.is_empty() {
            assert!(!text.contains(secret), "token leaked into: {text}");
        }
        assert!(!text.contains("eyJ"), "JWT-like text in: {text}");
    }
}

#[tokio::test]
async fn renew_returns_a_later_token_with_the_same_claims() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let old = valid_token();
    let new = client().renew(&mock.base_url(), &old).await.unwrap();
    assert_ne!(new, old);
    let (o, n) = (old.decode().unwrap().claims, new.decode().unwrap().claims);
    assert!(expiry(&new) > expiry(&old) + SignedDuration::from_hours(22));
    assert!(expiry(&new) <= Timestamp::now() + SignedDuration::from_hours(24));
    for key in [
        "user",
        "computeUser",
        "clusterId",
        "accountStatus",
        "creator",
        "role",
        "invoker",
        "userId",
    ] {
        assert_eq!(o.all[key], n.all[key], "{key}");
    }
    assert_eq!(n.compute_user.as_deref(), Some("alice_hpc"));
    assert_eq!(mock.renew_count(), 1);
    // The new token is itself renewable.
    client().renew(&mock.base_url(), &new).await.unwrap();
    assert_eq!(mock.renew_count(), 2);
}

#[tokio::test]
async fn expired_but_renewable_token_is_renewed() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let old = mint(&spec(SignedDuration::from_hours(-23)));
    let new = client().renew(&mock.base_url(), &old).await.unwrap();
    assert!(expiry(&new) > Timestamp::now());
}

#[tokio::test]
async fn platform_codes_are_named_in_both_languages() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let token = valid_token();
    for code in ["10001", "10003", "10004", "10008", "10009"] {
        mock.faults().set(Fault::Code(code.into()));
        let err = renew_err(&client(), &mock.base_url(), &token).await;
        assert_eq!(err.platform_code(), Some(code));
        let (en, zh) = describe_code(code).unwrap();
        let text = err.to_string();
        assert!(
            text.contains(code) && text.contains(en) && text.contains(zh),
            "{text}"
        );
        assert!(text.contains("mock: injected platform code"), "{text}");
        assert_eq!(
            err.token_rejected(),
            code == "10004" || code == "10008",
            "{code}"
        );
    }
    mock.faults().set(Fault::Code("42424".into()));
    let err = renew_err(&client(), &mock.base_url(), &token).await;
    assert_eq!(err.platform_code(), Some("42424"));
    assert!(!err.token_rejected());
    let text = err.to_string();
    assert!(
        text.contains("42424") && text.contains("unknown code"),
        "{text}"
    );
    assert_eq!(mock.renew_count(), 0);
}

#[tokio::test]
async fn numeric_codes_are_accepted_for_errors_and_success() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    mock.faults().set_shape(Shape::NumericCode);
    let token = valid_token();
    client().renew(&mock.base_url(), &token).await.unwrap();
    mock.faults().set(Fault::Code("10004".into()));
    let err = renew_err(&client(), &mock.base_url(), &token).await;
    assert_eq!(err.platform_code(), Some("10004"));
}

#[tokio::test]
async fn data_as_object_or_array_is_accepted() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let token = valid_token();
    for shape in [Shape::DataObject, Shape::DataArray, Shape::Example] {
        mock.faults().set_shape(shape);
        let new = client().renew(&mock.base_url(), &token).await.unwrap();
        assert!(expiry(&new) > expiry(&token), "{shape:?}");
    }
    assert_eq!(mock.renew_count(), 3);
}

#[tokio::test]
async fn missing_token_header_gets_10003() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    // A raw request without the header, as the platform would see from a broken client.
    let raw = reqwest::Client::new()
        .post(format!("{}/ac/openapi/v2/tokens/next", mock.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["code"], "10003");
    // Our client with an empty token: the header is sent empty, and the error names the code.
    let err = renew_err(&client(), &mock.base_url(), &Token::from_raw("  ")).await;
    assert_eq!(err.platform_code(), Some("10003"));
    assert!(err.to_string().contains("参数不全"), "{err}");
}

#[tokio::test]
async fn foreign_signed_token_is_rejected() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let foreign = mint_foreign(&spec(SignedDuration::from_hours(1)));
    let err = renew_err(&client(), &mock.base_url(), &foreign).await;
    assert_eq!(err.platform_code(), Some("10004"));
    assert!(err.token_rejected());
    assert_eq!(mock.renew_count(), 0);
}

#[tokio::test]
async fn dead_token_is_rejected_as_beyond_renewal() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let dead = mint(&spec(SignedDuration::from_hours(-25)));
    let err = renew_err(&client(), &mock.base_url(), &dead).await;
    assert_eq!(err.platform_code(), Some("10004"));
    assert!(err.token_rejected());
    let text = err.to_string();
    assert!(text.contains("can no longer be renewed"), "{text}");
    assert!(text.contains("log"), "says what to do next: {text}");
}

#[tokio::test]
async fn http_error_statuses_are_reported_with_the_status() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let token = valid_token();
    for status in [500u16, 502, 503] {
        mock.faults().set(Fault::Http(status));
        let err = renew_err(&client(), &mock.base_url(), &token).await;
        match &err {
            ApiError::Status { status: s, .. } => assert_eq!(*s, status),
            other => panic!("{status}: {other:?}"),
        }
        assert!(err.to_string().contains(&status.to_string()));
        assert!(err.to_string().contains("try again later"), "{err}");
        assert!(!err.token_rejected());
    }
}

#[tokio::test]
async fn html_body_is_not_json() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    mock.faults().set(Fault::HtmlBody);
    let err = renew_err(&client(), &mock.base_url(), &valid_token()).await;
    match &err {
        ApiError::NotJson { content_type, len } => {
            assert!(content_type.starts_with("text/html"), "{content_type}");
            assert!(*len > 0);
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains("sign in"), "no body text: {err}");
}

#[tokio::test]
async fn truncated_body_is_reported() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    mock.faults().set(Fault::Truncated);
    let err = renew_err(&client(), &mock.base_url(), &valid_token()).await;
    assert!(matches!(err, ApiError::Truncated { .. }), "{err:?}");
}

#[tokio::test]
async fn success_without_a_usable_token_is_malformed() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let token = valid_token();
    for (fault, words) in [
        (Fault::EmptyData, "`data` is empty"),
        (Fault::NonJwtData, "not a JWT"),
    ] {
        mock.faults().set(fault.clone());
        let err = renew_err(&client(), &mock.base_url(), &token).await;
        assert!(
            matches!(err, ApiError::MalformedSuccess { .. }),
            "{fault:?}: {err:?}"
        );
        assert!(err.to_string().contains(words), "{err}");
        assert!(err.to_string().contains("old token is unchanged"), "{err}");
    }
}

#[tokio::test]
async fn same_expiry_token_is_returned_for_the_caller_to_judge() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    mock.faults().set(Fault::SameExpiry);
    let old = valid_token();
    let new = client().renew(&mock.base_url(), &old).await.unwrap();
    assert_eq!(expiry(&new), expiry(&old));
}

#[tokio::test]
async fn huge_body_is_cut_at_the_limit() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    mock.faults().set(Fault::HugeBody);
    let err = renew_err(&client(), &mock.base_url(), &valid_token()).await;
    assert!(
        matches!(err, ApiError::TooLarge { limit: 1_048_576 }),
        "{err:?}"
    );

    // A normal reply with a known length over a small cap is refused before reading.
    mock.faults().clear();
    let tiny = client_with(|o| o.max_body_bytes = 100);
    let err = renew_err(&tiny, &mock.base_url(), &valid_token()).await;
    assert!(matches!(err, ApiError::TooLarge { limit: 100 }), "{err:?}");
}

#[tokio::test]
async fn connection_refused_is_named() {
    let _watchdog = actoken::watchdog::arm();
    let dead_port = {
        let l = std::net::TcpListener::bind(LOOPBACK).unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{dead_port}");
    let err = renew_err(&client(), &base, &valid_token()).await;
    match &err {
        ApiError::Connect { host, cause } => {
            assert_eq!(host, &format!("127.0.0.1:{dead_port}"));
            assert_eq!(cause, &ConnectCause::Refused);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("connection refused"), "{err}");
}

#[tokio::test]
async fn stalled_body_hits_the_request_timeout() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    mock.faults().set(Fault::StallMidBody);
    let fast = client_with(|o| {
        o.connect_timeout = Duration::from_millis(300);
        o.request_timeout = Duration::from_millis(400);
    });
    let started = Instant::now();
    let err = renew_err(&fast, &mock.base_url(), &valid_token()).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    match &err {
        ApiError::Timeout { stage, after, .. } => {
            assert_eq!(*stage, TimeoutStage::Total);
            assert_eq!(*after, Duration::from_millis(400));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("request-timeout"), "{err}");

    // A reply whose headers never come in time is the same kind of timeout.
    mock.faults().clear();
    mock.faults().set_delay(Duration::from_secs(5));
    let err = renew_err(&fast, &mock.base_url(), &valid_token()).await;
    assert!(
        matches!(
            err,
            ApiError::Timeout {
                stage: TimeoutStage::Total,
                ..
            }
        ),
        "{err:?}"
    );
}

fn http_reply(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn request_has_the_documented_shape() {
    let _watchdog = actoken::watchdog::arm();
    let next = mint(&spec(SignedDuration::from_hours(24)));
    let rec = recorder(http_reply(&format!(
        r#"{{"msg":"success","code":"0","data":"{}"}}"#,
        next.expose()
    )))
    .await;
    let token = valid_token();
    let got = client()
        .renew(&format!("http://{}/", rec.addr), &token)
        .await
        .unwrap();
    assert_eq!(got, next);
    let seen = rec.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let req = seen[0].to_lowercase();
    assert!(
        req.starts_with("post /ac/openapi/v2/tokens/next http/1.1\r\n"),
        "{req}"
    );
    assert!(req.contains("content-type: application/json\r\n"), "{req}");
    assert!(req.contains(&format!("token: {}\r\n", token.expose().to_lowercase())));
    assert!(req.contains("content-length: 0\r\n"), "{req}");
}

#[tokio::test]
async fn redirect_is_refused_and_the_target_never_sees_the_token() {
    let _watchdog = actoken::watchdog::arm();
    let target = recorder(http_reply(r#"{"code":"0","data":"x"}"#)).await;
    let mock = server().await;
    mock.faults().set(Fault::RedirectTo(format!(
        "http://{}/steal?from=mock",
        target.addr
    )));
    let err = renew_err(&client(), &mock.base_url(), &valid_token()).await;
    match &err {
        ApiError::Redirect { status, target: to } => {
            assert_eq!(*status, 307);
            assert_eq!(to, &format!("http://{}", target.addr));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("the token was not sent there"),
        "{err}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = target.seen.lock().unwrap();
    assert!(
        seen.iter()
            .all(|r| !r.to_lowercase().contains("\r\ntoken:")),
        "redirect target got the token"
    );
    assert!(seen.is_empty(), "redirect target got a request at all");
}

#[tokio::test]
async fn plain_http_to_another_host_is_refused_before_connecting() {
    let _watchdog = actoken::watchdog::arm();
    // A listener that would notice any connection, reachable only as 127.0.0.1.
    let rec = recorder(http_reply("{}")).await;
    for base in [
        "http://192.0.2.1:80",
        "http://example.org",
        "http://0.0.0.0:1",
    ] {
        let started = Instant::now();
        let err = renew_err(&client(), base, &valid_token()).await;
        assert!(
            matches!(err, ApiError::InsecureUrl { .. }),
            "{base}: {err:?}"
        );
        assert!(started.elapsed() < Duration::from_millis(500));
        assert!(check_base_url(base).is_err());
    }
    assert!(rec.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn https_to_a_server_without_trusted_tls_is_a_tls_error() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let base = format!("https://127.0.0.1:{}", mock.addr().port());
    let err = renew_err(&client(), &base, &valid_token()).await;
    assert!(matches!(err, ApiError::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("ca-file"), "{err}");
    assert_eq!(mock.renew_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_renewals_with_delay_all_succeed() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    mock.faults().set_delay(Duration::from_millis(300));
    let client = client();
    let base = mock.base_url();
    let started = Instant::now();
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let (client, base, token) = (client.clone(), base.clone(), valid_token());
            tokio::spawn(async move { client.renew(&base, &token).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // Served one after another this would take 18 s.
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(mock.renew_count(), 60);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let _watchdog = actoken::watchdog::arm();
    let mock = server().await;
    let base = mock.base_url();
    mock.shutdown().await;
    let err = renew_err(&client(), &base, &valid_token()).await;
    assert!(matches!(err, ApiError::Connect { .. }), "{err:?}");
}

#[tokio::test]
async fn logs_never_contain_tokens() {
    let _watchdog = actoken::watchdog::arm();
    let logs = capture_trace_globally();
    let mock = server().await;
    let old = valid_token();
    let new = client().renew(&mock.base_url(), &old).await.unwrap();
    mock.faults().set(Fault::Code("10004".into()));
    let _ = client().renew(&mock.base_url(), &new).await.unwrap_err();
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("POST") && text.contains("tokens/next"),
        "nothing captured: {text}"
    );
    assert!(!text.contains(old.expose()), "old token logged");
    assert!(!text.contains(new.expose()), "new token logged");
}

#[tokio::test]
async fn error_status_with_a_platform_envelope_reports_the_code() {
    let _watchdog = actoken::watchdog::arm();
    let body = r#"{"code":"10008","msg":"token expired"}"#;
    let reply = format!(
        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let rec = recorder(reply).await;
    let err = renew_err(&client(), &format!("http://{}", rec.addr), &valid_token()).await;
    assert_eq!(err.platform_code(), Some("10008"));
    assert!(err.token_rejected());
    assert!(err.to_string().contains("token expired"), "{err}");

    // Without an envelope the status itself is the error.
    let rec = recorder(
        "HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found".into(),
    )
    .await;
    let err = renew_err(&client(), &format!("http://{}", rec.addr), &valid_token()).await;
    assert_eq!(
        err,
        ApiError::Status {
            host: rec.addr.to_string(),
            status: 404
        }
    );
    assert!(err.to_string().contains("check the base URL"), "{err}");
}
