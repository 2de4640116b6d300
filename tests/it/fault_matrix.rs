//! The fault matrix of issue 5, through the CLI: for every way the server or the network can
//! fail, `actoken renew NAME` must exit non-zero with the documented code and a clear message,
//! never panic, and leave the stored token and the index byte-for-byte unchanged. Run
//! in-process on memory stores (see `support::in_process`): the network is real (loopback
//! mocks, a refused port, a full backlog, DNS), the keyring is not what is tested here.

use actoken::mock::Fault;
use jiff::SignedDuration;

use crate::support::in_process::InProcess;
use crate::support::{self, Mock, token};

/// Exit codes from `actoken --help`.
const NETWORK: i32 = 4;
const NEEDS_NEW_TOKEN: i32 = 3;

/// Where a row points the stored token, and how the mock misbehaves.
enum Setup {
    /// The mock with this fault switched on.
    Fault(Fault),
    /// The mock stalls mid-body; the config's request-timeout is 1 s.
    Stall,
    /// The mock redirects to a second mock, which must never see a request.
    Redirect,
    /// A loopback port with nothing listening.
    Refused,
    /// https:// to the mock, which speaks plain http: the TLS handshake fails.
    TlsToPlainHttp,
    /// A host under `.invalid` (RFC 6761): no resolver may answer it.
    Dns,
    /// A loopback listener whose accept backlog is full: the kernel drops further SYNs, so
    /// the connection is never made (the connect-timeout is 1 s).
    ConnectTimeout,
}

/// A listener nobody accepts on, filled until the kernel drops new connection attempts; keep
/// it (and the filler connections) alive while the test runs.
fn full_backlog() -> (std::net::TcpListener, Vec<std::net::TcpStream>, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..10_000 {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300)) {
            Ok(stream) => fillers.push(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                return (listener, fillers, addr.port());
            }
            Err(e) => panic!("filling the backlog: {e}"),
        }
    }
    panic!("the backlog never filled");
}

struct Row {
    setup: Setup,
    exit: i32,
    /// Substrings the message must contain (what happened / what to do next).
    says: &'static [&'static str],
}

fn run(row: Row) {
    let (env, mock) = (InProcess::new(), Mock::start());
    let second = Mock::start();
    let old = token("alice", SignedDuration::from_hours(1));
    let mut _backlog = None;
    let base_url = match &row.setup {
        Setup::Dns => "https://actoken-fault-matrix.invalid".to_owned(),
        Setup::ConnectTimeout => {
            let (listener, fillers, port) = full_backlog();
            _backlog = Some((listener, fillers));
            format!("http://127.0.0.1:{port}")
        }
        Setup::Refused => support::closed_port_url(),
        Setup::TlsToPlainHttp => mock.url().replace("http://", "https://"),
        _ => mock.url(),
    };
    env.add("east", &base_url, &old);

    let config = env.dir().join("faults.toml");
    // The connect-timeout row gives the whole request longer, so the connect limit is the one
    // that runs out.
    let request_timeout = match row.setup {
        Setup::ConnectTimeout => "10s",
        _ => "1s",
    };
    std::fs::write(
        &config,
        format!("request-timeout = \"{request_timeout}\"\nconnect-timeout = \"1s\"\n"),
    )
    .unwrap();
    let was_issued = matches!(row.setup, Setup::Fault(Fault::SameExpiry));
    match row.setup {
        Setup::Fault(f) => mock.server.faults().set(f),
        Setup::Stall => mock.server.faults().set(Fault::StallMidBody),
        Setup::Redirect => mock.server.faults().set(Fault::RedirectTo(format!(
            "{}/ac/openapi/v2/tokens/next",
            second.url()
        ))),
        Setup::Refused | Setup::TlsToPlainHttp | Setup::Dns | Setup::ConnectTimeout => {}
    }

    let index_before = std::fs::read(env.index_file()).unwrap();
    let started = std::time::Instant::now();
    let out = env
        .cmd()
        .args(["renew", "east", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);

    assert_eq!(
        out.status.code(),
        Some(row.exit),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("east"),
        "the message names the token: {stderr}"
    );
    for s in row.says {
        assert!(stderr.contains(s), "expected {s:?} in: {stderr}");
    }
    assert!(!stderr.contains(old.expose()) && !stdout.contains(old.expose()));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    // Nothing changed: same secret, same index, nothing sent on a redirect.
    assert_eq!(env.stored_raw("east"), old.expose());
    assert_eq!(std::fs::read(env.index_file()).unwrap(), index_before);
    assert_eq!(second.server.renew_count(), 0);
    // A rescue file only for a token the server did issue (not later than the old one): the
    // server may have retired the old token, so the new one is kept aside, never dropped.
    let rescued = env.rescue_files();
    if was_issued {
        assert_eq!(rescued.len(), 1, "{rescued:?}");
        assert!(
            stderr.contains(&rescued[0].display().to_string()),
            "{stderr}"
        );
    } else {
        assert!(rescued.is_empty(), "{rescued:?}");
    }
}

macro_rules! rows {
    ($($name:ident: $setup:expr, $exit:expr, $says:expr;)*) => {$(
        #[test]
        fn $name() {
            run(Row { setup: $setup, exit: $exit, says: $says });
        }
    )*};
}

rows! {
    http_500: Setup::Fault(Fault::Http(500)), NETWORK, &["HTTP 500", "try again later"];
    http_502: Setup::Fault(Fault::Http(502)), NETWORK, &["HTTP 502", "try again later"];
    http_503: Setup::Fault(Fault::Http(503)), NETWORK, &["HTTP 503", "try again later"];
    html_body: Setup::Fault(Fault::HtmlBody), NETWORK, &["text/html", "instead of JSON", "base URL"];
    truncated_json: Setup::Fault(Fault::Truncated), NETWORK, &["cut off", "try again"];
    code_10001: Setup::Fault(Fault::Code("10001".into())), NETWORK, &["10001", "internal", "try again later"];
    code_10003: Setup::Fault(Fault::Code("10003".into())), NETWORK, &["10003", "missing parameters"];
    code_10004: Setup::Fault(Fault::Code("10004".into())), NEEDS_NEW_TOKEN, &["10004", "log in again as alice with `actoken login"];
    code_10008: Setup::Fault(Fault::Code("10008".into())), NEEDS_NEW_TOKEN, &["10008", "log in again as alice with `actoken login"];
    code_10009: Setup::Fault(Fault::Code("10009".into())), NETWORK, &["10009", "permission"];
    code_unknown: Setup::Fault(Fault::Code("42".into())), NETWORK, &["42", "unknown code", "not documented"];
    success_with_empty_data: Setup::Fault(Fault::EmptyData), NETWORK, &["`data` is empty", "old token is unchanged"];
    success_with_non_jwt_data: Setup::Fault(Fault::NonJwtData), NETWORK, &["not a JWT", "old token is unchanged"];
    junk_after_the_signature: Setup::Fault(Fault::JunkAfterToken("\r\nX-Injected: 1".into())), NETWORK, &["not a JWT", "base64url", "old token is unchanged"];
    space_after_the_signature: Setup::Fault(Fault::JunkAfterToken(" tail".into())), NETWORK, &["not a JWT", "base64url", "old token is unchanged"];
    escape_after_the_signature: Setup::Fault(Fault::JunkAfterToken("\u{1b}]52;c;aGk=\u{7}".into())), NETWORK, &["not a JWT", "base64url", "old token is unchanged"];
    new_token_not_later: Setup::Fault(Fault::SameExpiry), NETWORK, &["does not expire later", "kept"];
    body_over_1_mib: Setup::Fault(Fault::HugeBody), NETWORK, &["larger than 1048576 bytes"];
    stall_mid_body: Setup::Stall, NETWORK, &["did not answer completely within 1s", "request-timeout"];
    redirect_to_another_server: Setup::Redirect, NETWORK, &["redirect", "not sent there"];
    connection_refused: Setup::Refused, NETWORK, &["connection refused", "base URL"];
    tls_handshake_failure: Setup::TlsToPlainHttp, NETWORK, &["secure connection", "ca-file"];
    dns_failure: Setup::Dns, NETWORK, &["cannot resolve the host name of actoken-fault-matrix.invalid", "DNS"];
    connect_timeout: Setup::ConnectTimeout, NETWORK, &["connecting to 127.0.0.1:", "timed out after 1s", "connect-timeout"];
}
