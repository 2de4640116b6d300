//! Everything that can go wrong talking to the AC API, each with what to do next.
//!
//! No variant holds a token: fields are hosts, statuses, lengths, codes and the platform's
//! message and code after [`sanitize_msg`] and [`sanitize_code`] have removed anything
//! token-shaped and made control characters inert.

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use super::codes::{advice, describe_code, freezes_user, rejects_token, server_said};
use super::refusal::{self, LoginMethod, LoginRefusal};
use crate::inert::inert;
use crate::redact;

/// Cloneable so results can travel in UI events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error(
        "refusing to send a token to {origin} over plain http: anyone on the network path could read and reuse it; use an https:// base URL (plain http is allowed only to 127.0.0.1, ::1 or localhost)"
    )]
    InsecureUrl { origin: String },

    #[error("invalid base URL: {reason}; expected something like https://host:port")]
    BadUrl { reason: String },

    #[error(
        "the token contains characters that cannot be sent in an HTTP header, so it is not a region token; add the token again"
    )]
    TokenNotSendable,

    #[error(
        "cannot use ca-file {path}: {reason}; point `ca-file` in the config at a PEM certificate file, or remove the setting"
    )]
    CaFile { path: String, reason: String },

    /// A ca-file another user could have changed (see [`crate::files::trust`]).
    #[error("{message}")]
    Untrusted { message: String },

    #[error("cannot set up the HTTP client: {detail}")]
    ClientSetup { detail: String },

    #[error("{}", connect_message(host, cause))]
    Connect { host: String, cause: ConnectCause },

    #[error(
        "secure connection to {host} failed: {detail}; if the server uses a private certificate authority, set `ca-file` in the config to its PEM certificate (certificate checks are never turned off)"
    )]
    Tls { host: String, detail: String },

    #[error("{}", timeout_message(host, *stage, *after))]
    Timeout {
        host: String,
        stage: TimeoutStage,
        after: Duration,
    },

    #[error("{}", status_message(host, *status))]
    Status { host: String, status: u16 },

    #[error(
        "the server answered HTTP {status} with a redirect to {target}; the token was not sent there. If you trust that address, use it as the base URL"
    )]
    Redirect { status: u16, target: String },

    #[error(
        "the server answered {len} bytes of {content_type} instead of JSON (a proxy or web page?); check that the base URL points at the AC API"
    )]
    NotJson { content_type: String, len: usize },

    #[error("the server's answer was cut off after {received} bytes; try again")]
    Truncated { received: usize },

    #[error(
        "the server's answer was larger than {limit} bytes and was not read further; check that the base URL points at the AC API"
    )]
    TooLarge { limit: usize },

    #[error(
        "the server answered JSON that is not an AC API reply ({reason}); check that the base URL points at the AC API"
    )]
    UnexpectedJson { reason: String },

    #[error("{}", platform_message(code, msg))]
    Platform { code: String, msg: String },

    #[error(
        "the server reported success but {reason}; the old token is unchanged, try again later"
    )]
    MalformedSuccess { reason: String },

    #[error("the request to {host} failed: {detail}; try again")]
    Request { host: String, detail: String },

    /// `what` names the field in English ("user name", "access key", ...), never its value.
    #[error("{}", not_sendable(what))]
    CredentialNotSendable { what: String },

    #[error("{}", refusal::message(code, msg, *reason))]
    LoginRefused {
        code: String,
        /// The platform's message, sanitised.
        msg: String,
        reason: LoginRefusal,
    },

    #[error(
        "the platform accepted the login but listed no region at all; check in the web console that the account may use a region, then log in again"
    )]
    NoRegions,

    /// HTTP 404 at a login endpoint: that host has no such login.
    #[error("{}", login_not_found(origin, *method))]
    LoginNotFound { origin: String, method: LoginMethod },

    #[error(
        "the server's {what} reported success but {reason}; nothing was changed; check that the URL points at the AC API, or try again later"
    )]
    Malformed { what: String, reason: String },
}

impl ApiError {
    /// The platform's code when the server answered with one (e.g. "10004").
    pub fn platform_code(&self) -> Option<&str> {
        match self {
            ApiError::Platform { code, .. } | ApiError::LoginRefused { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when the server says the token itself is no good (10004 / 10008): the caller then
    /// treats the token as dead/rejected rather than as a passing network fault. A refused
    /// login is not a token rejection (see [`ApiError::login_refusal`]).
    pub fn token_rejected(&self) -> bool {
        match self {
            ApiError::Platform { code, .. } => rejects_token(code),
            _ => false,
        }
    }

    /// The platform says the user is frozen (10007): renewing or logging in again cannot
    /// help, only the platform can.
    pub fn user_frozen(&self) -> bool {
        match self {
            ApiError::Platform { code, .. } => freezes_user(code),
            ApiError::LoginRefused { reason, .. } => *reason == LoginRefusal::UserFrozen,
            _ => false,
        }
    }

    /// Why the platform refused a login, when it did: the credentials (or the clock) are at
    /// fault, so retrying with the same ones will not help.
    pub fn login_refusal(&self) -> Option<LoginRefusal> {
        match self {
            ApiError::LoginRefused { reason, .. } => Some(*reason),
            _ => None,
        }
    }
}

/// Why a TCP connection could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectCause {
    /// Nothing listens on that port.
    Refused,
    /// The host name did not resolve.
    Dns,
    Other(String),
}

/// Which limit ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutStage {
    /// `connect-timeout`: no TCP/TLS connection in time.
    Connect,
    /// `request-timeout`: the whole exchange, body included.
    Total,
}

fn connect_message(host: &str, cause: &ConnectCause) -> String {
    match cause {
        ConnectCause::Refused => format!(
            "cannot connect to {host}: connection refused (nothing is listening there); check the base URL's host and port, and that the service is up"
        ),
        ConnectCause::Dns => format!(
            "cannot resolve the host name of {host}; check the base URL's spelling and your network or DNS"
        ),
        ConnectCause::Other(detail) => format!(
            "cannot connect to {host}: {detail}; check your network connection and the base URL"
        ),
    }
}

fn timeout_message(host: &str, stage: TimeoutStage, after: Duration) -> String {
    match stage {
        TimeoutStage::Connect => format!(
            "connecting to {host} timed out after {after:?}; check your network (VPN?) or raise `connect-timeout` in the config"
        ),
        TimeoutStage::Total => format!(
            "{host} did not answer completely within {after:?}; try again later or raise `request-timeout` in the config"
        ),
    }
}

fn status_message(host: &str, status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let next = if status >= 500 {
        "the service is failing or overloaded; try again later"
    } else if status == 404 {
        "check the base URL (a wrong host or path prefix)"
    } else {
        "check the base URL and try again"
    };
    format!("{host} answered HTTP {status} {reason}; {next}")
        .replace("  ", " ")
        .replace(" ;", ";")
}

fn platform_message(code: &str, msg: &str) -> String {
    let meaning = match describe_code(code) {
        Some((en, zh)) => format!("{en} / {zh}"),
        None => crate::tr!("api.unknown_code"),
    };
    let (said, advice) = (server_said(msg), advice(code));
    crate::tr!(
        "api.platform_refused",
        code = code,
        meaning = meaning,
        said = said,
        advice = advice
    )
}

/// A login field that cannot travel in a header, named in the interface language.
fn not_sendable(what: &str) -> String {
    let field = match what {
        "user name" => crate::tr!("api.field_user_name"),
        "access key" => crate::tr!("api.field_access_key"),
        "password" => crate::tr!("api.field_password"),
        "org id" => crate::tr!("api.field_org_id"),
        "timestamp" => crate::tr!("api.field_timestamp"),
        "signature" => crate::tr!("api.field_signature"),
        other => other.to_owned(),
    };
    crate::tr!("api.not_sendable", what = field)
}

/// A 404 at a login URL: the access-key login often lives on another host than the rest.
fn login_not_found(origin: &str, method: LoginMethod) -> String {
    let (base, auth) = (super::PUBLIC_BASE_URL, super::PUBLIC_AUTH_URL);
    match method {
        LoginMethod::AccessKey => crate::tr!(
            "api.login_not_found_access_key",
            origin = origin,
            auth = auth,
            base = base
        ),
        LoginMethod::Password => crate::tr!("api.login_not_found_password", origin = origin),
    }
}

/// Longest platform message kept (in characters).
const MAX_MSG_CHARS: usize = 200;

/// Longest platform code kept (in characters): codes are a few digits.
const MAX_CODE_CHARS: usize = 32;

/// Makes a server-supplied message safe to show and log: the `secret` we sent (whole, or any
/// long part of it) and anything else that looks like a token are hidden, control and bidi
/// characters made inert, and it is shortened.
pub(crate) fn sanitize_msg(msg: &str, secret: Option<&str>) -> String {
    sanitize(msg, secret, MAX_MSG_CHARS)
}

/// [`sanitize_msg`] for the platform's `code`, which is shown as it came ("code 10004").
pub(crate) fn sanitize_code(code: &str, secret: Option<&str>) -> String {
    sanitize(code, secret, MAX_CODE_CHARS)
}

fn sanitize(text: &str, secret: Option<&str>, limit: usize) -> String {
    let text = match secret {
        Some(s) => redact::scrub_secret(text.trim(), s),
        None => text.trim().into(),
    };
    let text = inert(&redact::mask_tokens(&text)).into_owned();
    if text.chars().count() > limit {
        let cut: String = text.chars().take(limit).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Turns a reqwest transport error into our variants. `host` is `host:port` of the request.
pub(crate) fn classify(
    err: &reqwest::Error,
    host: &str,
    timeouts: (Duration, Duration),
) -> ApiError {
    let host = host.to_owned();
    if err.is_timeout() {
        let (stage, after) = if err.is_connect() {
            (TimeoutStage::Connect, timeouts.0)
        } else {
            (TimeoutStage::Total, timeouts.1)
        };
        return ApiError::Timeout { host, stage, after };
    }
    if err.is_connect() {
        if err.is_dns() {
            return ApiError::Connect {
                host,
                cause: ConnectCause::Dns,
            };
        }
        if let Some(io) = find_io(err)
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return ApiError::Connect {
                host,
                cause: ConnectCause::Refused,
            };
        }
        if let Some(detail) = tls_failure(err) {
            return ApiError::Tls { host, detail };
        }
        return ApiError::Connect {
            host,
            cause: ConnectCause::Other(root_cause(err)),
        };
    }
    if err.is_body() || err.is_decode() {
        // Callers that track bytes read replace this with an exact count.
        return ApiError::Truncated { received: 0 };
    }
    ApiError::Request {
        host,
        detail: root_cause(err),
    }
}

fn find_io(err: &reqwest::Error) -> Option<&std::io::Error> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = e.source();
    }
    None
}

/// rustls reports handshake failures as `io::Error`s of kind `InvalidData` wrapping its own
/// error; rustls is not a direct dependency, so the error is recognised by kind and wording.
fn tls_failure(err: &reqwest::Error) -> Option<String> {
    let io = find_io(err)?;
    let inner = io.get_ref().map(ToString::to_string).unwrap_or_default();
    let lower = inner.to_lowercase();
    let tls_words = [
        "certificate",
        "tls",
        "handshake",
        "peer",
        "alert",
        "corrupt message",
    ];
    if io.kind() == std::io::ErrorKind::InvalidData || tls_words.iter().any(|w| lower.contains(w)) {
        let detail = if lower.contains("certificate") {
            format!("the server's certificate is not trusted ({inner})")
        } else {
            format!("the TLS handshake failed ({inner}), so the port may not speak https")
        };
        return Some(detail);
    }
    None
}

/// The innermost error's text: short, and free of the request URL that reqwest adds on top.
fn root_cause(err: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

impl fmt::Display for ConnectCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectCause::Refused => f.write_str("connection refused"),
            ConnectCause::Dns => f.write_str("host name not found"),
            ConnectCause::Other(d) => f.write_str(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::SAMPLE_REQUEST;

    #[test]
    fn sanitize_removes_tokens_and_controls() {
        let msg = format!("bad token {SAMPLE_REQUEST}\n\x07end\n");
        let clean = sanitize_msg(&msg, None);
        assert_eq!(clean, "bad token <token hidden>\u{fffd}\u{fffd}end");
        let echoed = format!("got:{SAMPLE_REQUEST}:x");
        assert!(!sanitize_msg(&echoed, Some(SAMPLE_REQUEST)).contains("eyJ"));
        // A non-JWT secret we sent is still scrubbed when echoed back.
        assert_eq!(
            sanitize_msg("you sent abc", Some("abc")),
            "you sent <token hidden>"
        );
    }

    /// A server that quotes only the signature of the token we sent quotes the part that
    /// makes it a token: it is scrubbed like the whole.
    #[test]
    fn the_signature_alone_is_scrubbed_like_the_whole_token() {
        let signature = SAMPLE_REQUEST.rsplit('.').next().unwrap();
        let msg = format!("signature {signature} does not verify");
        let clean = sanitize_msg(&msg, Some(SAMPLE_REQUEST));
        assert!(!clean.contains(signature), "{clean}");
        assert_eq!(clean, "signature <token hidden> does not verify");
    }

    /// The platform's `code` is shown as it came ("code 10004"): a hostile one must not
    /// drive the terminal, forge a line or carry a token.
    #[test]
    fn a_hostile_code_is_made_inert_and_short() {
        let code = format!(
            "1\u{1b}]52;c;ZXZpbA==\u{7}\n\u{9b}2J{SAMPLE_REQUEST}{}",
            "9".repeat(99)
        );
        let clean = sanitize_code(&code, None);
        assert!(!clean.chars().any(crate::inert::is_unsafe), "{clean:?}");
        assert!(!clean.contains("eyJ"), "{clean}");
        assert!(clean.chars().count() <= MAX_CODE_CHARS + 1, "{clean}");
        assert_eq!(sanitize_code(" 10004 ", None), "10004");
    }

    #[test]
    fn sanitize_keeps_ordinary_messages_and_shortens_long_ones() {
        assert_eq!(
            sanitize_msg("参数无效 token expired", None),
            "参数无效 token expired"
        );
        assert_eq!(sanitize_msg("version 1.2.3", None), "version 1.2.3");
        let long = "x ".repeat(500);
        let out = sanitize_msg(&long, None);
        assert!(out.chars().count() <= MAX_MSG_CHARS + 1);
        assert!(out.ends_with('…'));
    }

    #[test]
    fn platform_error_words_and_flags() {
        let e = ApiError::Platform {
            code: "10004".into(),
            msg: "token invalid".into(),
        };
        let text = e.to_string();
        assert!(text.contains("10004"), "{text}");
        assert!(text.contains("invalid parameters"), "{text}");
        assert!(text.contains("参数无效"), "{text}");
        assert!(text.contains("token invalid"), "{text}");
        assert!(text.contains("log"), "{text}");
        assert!(e.token_rejected());
        assert_eq!(e.platform_code(), Some("10004"));

        let e = ApiError::Platform {
            code: "10001".into(),
            msg: String::new(),
        };
        assert!(!e.token_rejected());
        assert!(e.to_string().contains("内部错误"));

        let other = ApiError::Status {
            host: "h:1".into(),
            status: 503,
        };
        assert_eq!(other.platform_code(), None);
        assert!(!other.token_rejected());
    }

    #[test]
    fn status_message_reads_well() {
        let e = ApiError::Status {
            host: "example.org:443".into(),
            status: 502,
        };
        assert_eq!(
            e.to_string(),
            "example.org:443 answered HTTP 502 Bad Gateway; the service is failing or overloaded; try again later"
        );
        let e = ApiError::Status {
            host: "h:1".into(),
            status: 599,
        };
        assert_eq!(
            e.to_string(),
            "h:1 answered HTTP 599; the service is failing or overloaded; try again later"
        );
    }
}
