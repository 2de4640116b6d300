//! Region tokens: the raw JWT (a secret), its decoded claims, and its phase at a given instant.
//!
//! The platform signs tokens with a key the client never sees, so the payload is decoded
//! *without* verifying the signature. Everything here is pure: the clock is always passed in.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

pub mod identity;

/// Largest token accepted from any input. Real region tokens are ~500 bytes; the cap keeps a
/// mistaken `cat big-file |` from being decoded or stored.
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Below this an `expireTime` is almost certainly in seconds, not milliseconds
/// (1e11 ms is 1973-03-03; 1e11 s is the year 5138).
const SECONDS_NOT_MILLIS_BELOW: i64 = 100_000_000_000;

/// The raw JWT. Never printed: no `Display`, and `Debug` is redacted. Zeroized on drop.
#[derive(Clone)]
pub struct Token(SecretString);

impl Token {
    /// Wraps a raw string as a token without checking it (for values read back from a store,
    /// which may hold anything). Surrounding whitespace is trimmed.
    pub fn from_raw(raw: &str) -> Token {
        Token(SecretString::from(raw.trim().to_owned()))
    }

    /// Parses user input: trims it, refuses empty or oversized input, and requires a token
    /// that decodes and carries a usable `expireTime`.
    pub fn parse(raw: &str) -> Result<(Token, Decoded), TokenError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TokenError::Empty);
        }
        if trimmed.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TooLong(trimmed.len()));
        }
        let token = Token::from_raw(trimmed);
        let decoded = token.decode()?;
        if decoded.claims.expire_time.is_none() {
            return Err(TokenError::NoExpireTime);
        }
        Ok((token, decoded))
    }

    /// The secret itself, for the few places that must send or store it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Decodes header and payload without verifying the signature.
    pub fn decode(&self) -> Result<Decoded, TokenError> {
        decode_jwt(self.expose())
    }

    /// A short, non-reversible hint ("eyJh…K4") so a user can tell two tokens apart.
    pub fn masked(&self) -> String {
        let s = self.expose();
        if s.len() < 16 || !s.is_ascii() {
            return "•••".to_owned();
        }
        format!("{}…{}", &s[..4], &s[s.len() - 4..])
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}
impl Eq for Token {}

/// Why a string is not a usable region token. Messages never quote the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("no token given (input was empty)")]
    Empty,
    #[error("input is {0} bytes; a region token is at most {MAX_TOKEN_LEN} bytes")]
    TooLong(usize),
    #[error("not a JWT: expected three base64url parts separated by '.'")]
    NotJwt,
    #[error("not a JWT: a part is not valid base64url")]
    BadBase64,
    #[error(
        "not a JWT: it holds characters a token never has (a space, line break, control \
         character, '=', '+' or '/'); a token is three base64url parts (A-Z a-z 0-9 - _) \
         separated by '.' and nothing else"
    )]
    NotBase64url,
    #[error("not a region token: the JWT payload is not a JSON object")]
    PayloadNotJson,
    #[error("the JWT header is not valid JSON")]
    BadHeader,
    #[error("the token has no expireTime claim, so its expiry cannot be known")]
    NoExpireTime,
    #[error("the token's expireTime {0:?} is not epoch milliseconds")]
    BadExpireTime(String),
}

/// A decoded token: header algorithm and claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The header's `alg` (e.g. "HS256"), as written.
    pub alg: String,
    pub claims: Claims,
}

/// The platform's claims. Every one is optional; unknown claims are kept in `all`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Claims {
    pub user: Option<String>,
    pub compute_user: Option<String>,
    pub cluster_id: Option<String>,
    pub account_status: Option<String>,
    pub role: Option<String>,
    pub creator: Option<String>,
    pub invoker: Option<String>,
    pub user_id: Option<String>,
    /// `expireTime`, decoded from epoch milliseconds.
    pub expire_time: Option<Timestamp>,
    /// True when `expireTime` was small enough to look like seconds (it is still read as ms).
    pub expire_time_suspect_seconds: bool,
    /// Every claim in payload order, known and unknown, for display.
    pub all: Map<String, Value>,
}

impl Claims {
    /// Builds claims from a payload object. `Err` only for an `expireTime` that is present but
    /// not a number of milliseconds.
    pub(crate) fn from_payload(all: Map<String, Value>) -> Result<Claims, TokenError> {
        let text = |key: &str| all.get(key).and_then(value_as_text);
        let (expire_time, suspect) = match all.get("expireTime") {
            None | Some(Value::Null) => (None, false),
            Some(v) => {
                let raw = value_as_text(v).unwrap_or_else(|| v.to_string());
                let ms: i64 = raw
                    .trim()
                    .parse()
                    .map_err(|_| TokenError::BadExpireTime(raw.clone()))?;
                let ts = Timestamp::from_millisecond(ms)
                    .map_err(|_| TokenError::BadExpireTime(raw.clone()))?;
                (Some(ts), ms < SECONDS_NOT_MILLIS_BELOW)
            }
        };
        Ok(Claims {
            user: text("user"),
            compute_user: text("computeUser"),
            cluster_id: text("clusterId"),
            account_status: text("accountStatus"),
            role: text("role"),
            creator: text("creator"),
            invoker: text("invoker"),
            user_id: text("userId"),
            expire_time,
            expire_time_suspect_seconds: suspect,
            all,
        })
    }
}

impl Claims {
    /// Every claim as (name, text) in payload order: strings as written, other values as JSON.
    pub(crate) fn texts(&self) -> impl Iterator<Item = (&str, String)> {
        self.all.iter().map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (key.as_str(), text)
        })
    }

    /// Terminal columns of the longest claim name, for aligned listings.
    pub(crate) fn name_width(&self) -> usize {
        self.all
            .keys()
            .map(|k| crate::width::width(k))
            .max()
            .unwrap_or(0)
    }
}

/// Claims are strings on the platform, but a number is accepted as its decimal text.
pub(crate) fn value_as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn decode_jwt(raw: &str) -> Result<Decoded, TokenError> {
    let parts: Vec<&str> = raw.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(TokenError::NotJwt);
    }
    // The decoder below never reads the signature, so junk after it (a reply's `\r\nX-: 1`,
    // an escape sequence) would pass, be stored, and never be sendable in a header.
    if !parts.iter().all(|p| p.bytes().all(is_base64url)) {
        return Err(TokenError::NotBase64url);
    }
    // jsonwebtoken decodes the header and payload; its errors are mapped to ours so that the
    // reason is specific (bad base64 vs. not JSON) and no token text leaks into messages.
    let header = jsonwebtoken::decode_header(raw).map_err(map_jwt_error)?;
    let payload: Value =
        jsonwebtoken::dangerous::insecure_decode_claims(raw).map_err(map_jwt_error)?;
    let Value::Object(all) = payload else {
        return Err(TokenError::PayloadNotJson);
    };
    Ok(Decoded {
        alg: format!("{:?}", header.alg),
        claims: Claims::from_payload(all)?,
    })
}

/// The base64url alphabet without padding (RFC 7515 §2), the only bytes of a JWT's parts.
fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn map_jwt_error(e: jsonwebtoken::errors::Error) -> TokenError {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::Base64(_) => TokenError::BadBase64,
        ErrorKind::Utf8(_) => TokenError::PayloadNotJson,
        ErrorKind::Json(_) => TokenError::PayloadNotJson,
        ErrorKind::InvalidToken => TokenError::NotJwt,
        // An unknown `alg` fails header parsing; it is still a header problem.
        _ => TokenError::BadHeader,
    }
}

/// Where a token is in its life at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Phase {
    /// Not yet expired: usable, and renewable at any time.
    Valid,
    /// Expired, but before the renew cutoff: `tokens/next` still accepts it.
    Renewable,
    /// Past the renew cutoff: only a fresh login gets a new token.
    Dead,
    /// Does not decode, or has no usable expiry.
    Invalid,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Valid => "valid",
            Phase::Renewable => "renewable",
            Phase::Dead => "dead",
            Phase::Invalid => "invalid",
        }
    }

    /// Whether `tokens/next` can still be asked for a successor.
    pub(crate) fn can_renew(self) -> bool {
        matches!(self, Phase::Valid | Phase::Renewable)
    }
}

/// A token's timeline: expiry and renew cutoff, both derived from `expireTime` and the grace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub expires_at: Timestamp,
    pub cutoff_at: Timestamp,
}

impl Lifetime {
    pub fn new(expires_at: Timestamp, grace: SignedDuration) -> Lifetime {
        let cutoff_at = expires_at.saturating_add(grace).unwrap_or(expires_at);
        Lifetime {
            expires_at,
            cutoff_at,
        }
    }

    /// Valid strictly before expiry; renewable from expiry up to (not including) the cutoff.
    pub(crate) fn phase(&self, now: Timestamp) -> Phase {
        if now < self.expires_at {
            Phase::Valid
        } else if now < self.cutoff_at {
            Phase::Renewable
        } else {
            Phase::Dead
        }
    }

    /// Time until expiry; negative once expired.
    pub fn to_expiry(&self, now: Timestamp) -> SignedDuration {
        now.duration_until(self.expires_at)
    }

    /// Time until the renew cutoff; negative once dead.
    pub fn to_cutoff(&self, now: Timestamp) -> SignedDuration {
        now.duration_until(self.cutoff_at)
    }
}

impl Decoded {
    pub(crate) fn lifetime(&self, grace: SignedDuration) -> Option<Lifetime> {
        self.claims
            .expire_time
            .map(|expires_at| Lifetime::new(expires_at, grace))
    }

    pub(crate) fn phase(&self, now: Timestamp, grace: SignedDuration) -> Phase {
        self.lifetime(grace)
            .map_or(Phase::Invalid, |life| life.phase(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::samples::{SAMPLE_REQUEST, SAMPLE_RESPONSE};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn jwt(payload: &str) -> String {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.c2ln",
            e.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            e.encode(payload)
        )
    }

    #[test]
    fn decodes_request_sample_exactly() {
        let (_, d) = Token::parse(SAMPLE_REQUEST).unwrap();
        assert_eq!(d.alg, "HS256");
        let c = &d.claims;
        assert_eq!(c.user.as_deref(), Some("slurmtest"));
        assert_eq!(c.compute_user.as_deref(), Some("slurmtest"));
        assert_eq!(c.account_status.as_deref(), Some("Trial"));
        assert_eq!(c.creator.as_deref(), Some("ac"));
        assert_eq!(c.role.as_deref(), Some("1"));
        assert_eq!(c.cluster_id.as_deref(), Some("11112"));
        assert_eq!(
            c.invoker.as_deref(),
            Some("6048ce7ba15c2af2e8cec12991ec13cf")
        );
        assert_eq!(c.user_id.as_deref(), Some("11655048541"));
        assert_eq!(c.expire_time, Some(ts("2023-06-16T09:41:49.231Z")));
        assert!(!c.expire_time_suspect_seconds);
        let keys: Vec<&str> = c.all.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "computeUser",
                "accountStatus",
                "creator",
                "role",
                "expireTime",
                "clusterId",
                "invoker",
                "user",
                "userId"
            ]
        );
    }

    #[test]
    fn decodes_response_sample_without_user_id() {
        let (_, d) = Token::parse(SAMPLE_RESPONSE).unwrap();
        let c = &d.claims;
        assert_eq!(c.user.as_deref(), Some("haowj"));
        assert_eq!(c.compute_user.as_deref(), Some("haowj"));
        assert_eq!(c.account_status.as_deref(), Some("Owe"));
        assert_eq!(c.cluster_id.as_deref(), Some("11126"));
        assert_eq!(c.invoker.as_deref(), Some("2weadgeqa"));
        assert_eq!(c.user_id, None);
        assert_eq!(
            c.expire_time,
            Some(Timestamp::from_millisecond(1634178984498).unwrap())
        );
    }

    #[test]
    fn keeps_unknown_claims_and_accepts_numeric_expiry() {
        let raw = jwt(r#"{"user":"a","expireTime":1700000000000,"quota":{"cpu":4}}"#);
        let (_, d) = Token::parse(&raw).unwrap();
        assert_eq!(
            d.claims.expire_time,
            Some(Timestamp::from_millisecond(1_700_000_000_000).unwrap())
        );
        assert_eq!(d.claims.all["quota"]["cpu"], 4);
    }

    #[test]
    fn claim_texts_keep_order_and_show_non_strings_as_json() {
        let raw = jwt(r#"{"user":"a","expireTime":1700000000000,"quota":{"cpu":4}}"#);
        let (_, d) = Token::parse(&raw).unwrap();
        let texts: Vec<(&str, String)> = d.claims.texts().collect();
        assert_eq!(
            texts,
            [
                ("user", "a".to_owned()),
                ("expireTime", "1700000000000".to_owned()),
                ("quota", r#"{"cpu":4}"#.to_owned())
            ]
        );
        assert_eq!(d.claims.name_width(), "expireTime".len());
    }

    #[test]
    fn flags_expiry_that_looks_like_seconds() {
        let raw = jwt(r#"{"expireTime":"1700000000"}"#);
        let (_, d) = Token::parse(&raw).unwrap();
        assert!(d.claims.expire_time_suspect_seconds);
    }

    #[test]
    fn refuses_bad_input_with_specific_errors() {
        assert_eq!(Token::parse("  \n").unwrap_err(), TokenError::Empty);
        assert_eq!(Token::parse("abc").unwrap_err(), TokenError::NotJwt);
        assert_eq!(Token::parse("a.b.c.d").unwrap_err(), TokenError::NotJwt);
        assert_eq!(Token::parse("a..c").unwrap_err(), TokenError::NotJwt);
        assert_eq!(
            Token::parse("eyJhbGciOiJIUzI1NiJ9.!!!.c2ln").unwrap_err(),
            TokenError::NotBase64url
        );
        // Five base64url characters cannot be a whole number of bytes.
        assert_eq!(
            Token::parse("eyJhbGciOiJIUzI1NiJ9.eyJhb.c2ln").unwrap_err(),
            TokenError::BadBase64
        );
        assert_eq!(
            Token::parse(&jwt("not json")).unwrap_err(),
            TokenError::PayloadNotJson
        );
        assert_eq!(
            Token::parse(&jwt("[1,2]")).unwrap_err(),
            TokenError::PayloadNotJson
        );
        assert_eq!(
            Token::parse(&jwt(r#"{"user":"a"}"#)).unwrap_err(),
            TokenError::NoExpireTime
        );
        assert_eq!(
            Token::parse(&jwt(r#"{"expireTime":"soon"}"#)).unwrap_err(),
            TokenError::BadExpireTime("soon".into())
        );
        let huge = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(
            Token::parse(&huge).unwrap_err(),
            TokenError::TooLong(MAX_TOKEN_LEN + 1)
        );
    }

    #[test]
    fn refuses_anything_after_or_inside_the_three_parts() {
        // A server reply or a paste with junk after the signature would be stored and then
        // never be sendable (not a valid header value); the shape is checked before storing.
        for junk in [
            "\r\nX-Injected: 1",
            " tail",
            "\u{1b}[31m",
            "\u{1b}]52;c;aGk=\u{7}",
            "==",
        ] {
            let raw = format!("{SAMPLE_REQUEST}{junk}");
            assert_eq!(
                Token::parse(&raw).unwrap_err(),
                TokenError::NotBase64url,
                "{junk:?}"
            );
            assert_eq!(
                Token::from_raw(&raw).decode().unwrap_err(),
                TokenError::NotBase64url
            );
        }
        let (header, rest) = SAMPLE_REQUEST.split_once('.').unwrap();
        for inside in [
            format!("{header} .{rest}"),
            format!("{header}.\t{rest}"),
            format!("{header}+.{rest}"),
        ] {
            assert_eq!(
                Token::parse(&inside).unwrap_err(),
                TokenError::NotBase64url,
                "{inside:?}"
            );
        }
        let err = Token::parse(&format!("{SAMPLE_REQUEST}\r\nX-Injected: 1")).unwrap_err();
        assert!(err.to_string().contains("base64url"), "{err}");
    }

    #[test]
    fn trims_whitespace_around_input() {
        let (t, _) = Token::parse(&format!("\n  {SAMPLE_REQUEST} \r\n")).unwrap();
        assert_eq!(t.expose(), SAMPLE_REQUEST);
    }

    #[test]
    fn debug_and_errors_never_show_the_token() {
        let (t, _) = Token::parse(SAMPLE_REQUEST).unwrap();
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert_eq!(t.masked(), "eyJh…GDK4");
        let err = Token::parse(&format!("{SAMPLE_REQUEST}.x")).unwrap_err();
        assert!(!err.to_string().contains("eyJ"));
    }

    #[test]
    fn phases_at_the_boundaries() {
        let grace = SignedDuration::from_hours(24);
        let life = Lifetime::new(ts("2023-06-16T09:41:49.231Z"), grace);
        assert_eq!(life.cutoff_at, ts("2023-06-17T09:41:49.231Z"));
        let at = |s: &str| life.phase(ts(s));
        assert_eq!(at("2023-06-16T09:41:49.230Z"), Phase::Valid);
        assert_eq!(at("2023-06-16T09:41:49.231Z"), Phase::Renewable);
        assert_eq!(at("2023-06-17T09:41:49.230Z"), Phase::Renewable);
        assert_eq!(at("2023-06-17T09:41:49.231Z"), Phase::Dead);
    }

    #[test]
    fn countdowns_to_the_second() {
        let life = Lifetime::new(ts("2023-06-16T10:00:00Z"), SignedDuration::from_hours(24));
        let now = ts("2023-06-16T06:48:00Z");
        assert_eq!(
            life.to_expiry(now),
            SignedDuration::from_secs(3 * 3600 + 12 * 60)
        );
        assert_eq!(
            life.to_cutoff(now),
            SignedDuration::from_secs(27 * 3600 + 12 * 60)
        );
        let later = ts("2023-06-16T10:00:30Z");
        assert_eq!(life.to_expiry(later), SignedDuration::from_secs(-30));
    }

    #[test]
    fn grace_is_configurable_and_invalid_without_expiry() {
        let (_, d) = Token::parse(SAMPLE_REQUEST).unwrap();
        let just_after = ts("2023-06-16T11:00:00Z");
        assert_eq!(
            d.phase(just_after, SignedDuration::from_hours(1)),
            Phase::Dead
        );
        assert_eq!(
            d.phase(just_after, SignedDuration::from_hours(2)),
            Phase::Renewable
        );
        let no_exp = Token::from_raw(&jwt(r#"{"user":"a"}"#)).decode().unwrap();
        assert_eq!(
            no_exp.phase(just_after, SignedDuration::from_hours(24)),
            Phase::Invalid
        );
    }
}
