//! The agent's wire protocol, version 1: line-delimited JSON over a Unix stream socket, one
//! request per line, one reply line per request, `version` in every message (documented in
//! the README, "The agent's protocol").
//!
//! ```text
//! → {"version":1,"request":"token","name":"华东一区【昆山】","min_valid_s":3600}
//! ← {"version":1,"reply":"token","name":"华东一区【昆山】","token":"eyJ…","expires_at":"…",…}
//! → {"version":1,"request":"nope"}
//! ← {"version":1,"reply":"error","kind":"bad_request","message":"…"}
//! ```
//!
//! Nothing here carries a remembered secret key or a password, and no request writes to the
//! store: the agent's own renewals are the only writes it makes.

use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroizing;

/// The protocol version this build speaks. A request with another version is answered with
/// an `unsupported_version` error (in version 1's shape, which every version keeps).
pub const VERSION: u32 = 1;

/// The longest request line the agent reads (newline included). Names are short; a longer
/// line is an error and ends the connection.
pub const MAX_REQUEST: usize = 16 * 1024;

/// The longest reply line a client reads: a `list` of a few thousand tokens fits.
pub const MAX_REPLY: usize = 8 * 1024 * 1024;

/// One request, as it travels (`version` beside the request's own fields).
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub version: u32,
    #[serde(flatten)]
    pub body: T,
}

impl<T: Serialize> Envelope<T> {
    /// `body` in this version's envelope, as one line (newline included).
    pub fn line(body: T) -> Zeroizing<String> {
        let mut text = Zeroizing::new(
            serde_json::to_string(&Envelope {
                version: VERSION,
                body,
            })
            .expect("protocol messages serialize"),
        );
        text.push('\n');
        text
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// Who answers: the agent's version, its store, whether confirm is on, whether locked.
    Hello,
    /// The names and non-secret facts of every token (`list --json`'s objects).
    List,
    /// One token's non-secret facts and claims (`show --json`'s object).
    Show {
        name: String,
    },
    /// The token itself, renewed first on the agent's side when it expires within
    /// `min_valid_s` (default: the agent's renew-ahead window).
    Token {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_valid_s: Option<u64>,
    },
    /// Stop answering `token` requests until `unlock` with the same passphrase (kept only as
    /// a salted hash in the agent's memory). Local connections only.
    Lock {
        passphrase: Secret,
    },
    Unlock {
        passphrase: Secret,
    },
    /// Keep this connection open and send an [`Event`] line for every request the agent
    /// serves and every approval it waits for (the dashboard). Local connections only.
    Follow,
    /// A person's answer to a pending approval (`Event::Pending`'s `id`). Local connections only.
    Decide {
        id: u64,
        decision: Decision,
    },
}

/// What a person answers to a `token` request held for approval (`agent --confirm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// This request only.
    Once,
    /// This request, and the same token for the same kind of peer (local or forwarded) for
    /// the next 30 minutes. On the wire `for_30_min` (snake_case alone would say `for30_min`,
    /// which is still read).
    #[serde(rename = "for_30_min", alias = "for30_min")]
    For30Min,
    Deny,
}

/// One line on a `follow` connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A request the agent answered (as its log line says it, never the token).
    Served {
        /// RFC 3339, UTC.
        at: String,
        request: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        pid: Option<i32>,
        #[serde(default)]
        exe: Option<String>,
        forwarded: bool,
        answer: String,
    },
    /// A `token` request waiting for a person (until `deadline`, RFC 3339).
    Pending {
        id: u64,
        name: String,
        #[serde(default)]
        pid: Option<i32>,
        #[serde(default)]
        exe: Option<String>,
        forwarded: bool,
        deadline: String,
    },
    /// A pending request was answered (by a person, or the deadline: `deny`).
    Settled { id: u64, decision: Decision },
}

/// One reply. `Error` is the same in every version.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Hello(Hello),
    List {
        tokens: Vec<serde_json::Value>,
    },
    Show {
        token: serde_json::Value,
        /// The stored token's masked fingerprint (`sha256:1a2b3c4d`), as `show` prints it
        /// (not part of `show --json`'s object).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
    },
    Token(TokenReply),
    /// `lock`, `unlock`, `decide` done; `follow` accepted (events follow).
    Done,
    Event(Event),
    Error {
        kind: ErrorKind,
        message: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    /// actoken's version on the agent's side.
    pub agent_version: String,
    /// The protocol versions it speaks.
    pub protocols: Vec<u32>,
    /// Which store it keeps the tokens in (`secret-service`, `keyutils`, …).
    pub store: String,
    /// Whether `token` requests wait for a person's approval.
    pub confirm: bool,
    /// Whether the agent is locked (`token` requests are refused until `agent unlock`).
    pub locked: bool,
}

/// A token and what a client needs to use it; `token` is the secret.
#[derive(Serialize, Deserialize)]
pub struct TokenReply {
    pub name: String,
    pub token: Secret,
    /// RFC 3339, UTC.
    pub expires_at: String,
    /// RFC 3339, UTC: the last moment the token can be renewed.
    pub renew_cutoff: String,
    /// Whether the agent renewed it (or logged in again) for this request.
    pub renewed: bool,
    /// Whether it came back through a remembered login (it was dead).
    pub via_login: bool,
    pub base_url: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub cluster_name: Option<String>,
    #[serde(default)]
    pub platform: bool,
}

impl fmt::Debug for TokenReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenReply")
            .field("name", &self.name)
            .field("token", &self.token)
            .field("expires_at", &self.expires_at)
            .field("renewed", &self.renewed)
            .finish_non_exhaustive()
    }
}

/// A secret on the wire: zeroized when dropped, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Zeroizing<String>);

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(|s| Secret(Zeroizing::new(s)))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

/// Why a request was not answered; each maps to one of actoken's exit codes on the client
/// (see [`ErrorKind::exit_code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Not JSON, not a request this version knows, or missing fields.
    BadRequest,
    /// A request line longer than [`MAX_REQUEST`].
    TooLarge,
    /// A `version` the agent does not speak.
    UnsupportedVersion,
    /// No token by that name.
    NotFound,
    /// Only a new login fixes the token, and the agent has no remembered key for it.
    NeedsNewToken,
    /// The platform could not be reached or failed; trying again later may work.
    Retry,
    /// The agent's keyring failed.
    Keyring,
    /// A renewed token could not be saved (the agent kept it: see its log).
    NotSaved,
    /// A person refused the request, or nobody answered in time (confirm).
    Denied,
    /// The agent is locked (`actoken agent unlock`).
    Locked,
    /// This token may not be handed over a forwarded connection.
    NotForwardable,
    /// The connection's peer is not allowed (another user).
    Refused,
    /// Too many connections at once; try again.
    Busy,
    /// Anything else.
    Failure,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::BadRequest,
        ErrorKind::TooLarge,
        ErrorKind::UnsupportedVersion,
        ErrorKind::NotFound,
        ErrorKind::NeedsNewToken,
        ErrorKind::Retry,
        ErrorKind::Keyring,
        ErrorKind::NotSaved,
        ErrorKind::Denied,
        ErrorKind::Locked,
        ErrorKind::NotForwardable,
        ErrorKind::Refused,
        ErrorKind::Busy,
        ErrorKind::Failure,
    ];

    /// The kind's name on the wire (and in the agent's log).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::UnsupportedVersion => "unsupported_version",
            ErrorKind::NotFound => "not_found",
            ErrorKind::NeedsNewToken => "needs_new_token",
            ErrorKind::Retry => "retry",
            ErrorKind::Keyring => "keyring",
            ErrorKind::NotSaved => "not_saved",
            ErrorKind::Denied => "denied",
            ErrorKind::Locked => "locked",
            ErrorKind::NotForwardable => "not_forwardable",
            ErrorKind::Refused => "refused",
            ErrorKind::Busy => "busy",
            ErrorKind::Failure => "failure",
        }
    }

    /// The client's exit code for this error: the codes a local command would give for the
    /// same trouble (README's table); a person must act for `denied`/`locked` (3).
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::NeedsNewToken | ErrorKind::Denied | ErrorKind::Locked => 3,
            ErrorKind::Retry => 4,
            ErrorKind::Keyring | ErrorKind::Refused | ErrorKind::Busy => 5,
            ErrorKind::NotSaved => 6,
            ErrorKind::BadRequest
            | ErrorKind::TooLarge
            | ErrorKind::UnsupportedVersion
            | ErrorKind::NotFound
            | ErrorKind::NotForwardable
            | ErrorKind::Failure => 1,
        }
    }
}

/// A request line as the agent reads it: the request, or the error to answer with.
pub fn parse_request(line: &[u8]) -> Result<Request, (ErrorKind, String)> {
    #[derive(Deserialize)]
    struct Versioned {
        version: u32,
    }
    let versioned: Versioned = serde_json::from_slice(line)
        .map_err(|e| (ErrorKind::BadRequest, format!("not a request: {e}")))?;
    if versioned.version != VERSION {
        return Err((
            ErrorKind::UnsupportedVersion,
            format!(
                "protocol version {} is not spoken here (this agent speaks {VERSION})",
                versioned.version
            ),
        ));
    }
    let envelope: Envelope<Request> = serde_json::from_slice(line)
        .map_err(|e| (ErrorKind::BadRequest, format!("not a request: {e}")))?;
    Ok(envelope.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_round_trips_with_its_version() {
        let line = Envelope::line(Request::Token {
            name: "华东一区【昆山】".into(),
            min_valid_s: Some(3600),
        });
        assert_eq!(
            line.as_str(),
            "{\"version\":1,\"request\":\"token\",\"name\":\"华东一区【昆山】\",\"min_valid_s\":3600}\n"
        );
        assert_eq!(
            parse_request(line.trim_end().as_bytes()).unwrap(),
            Request::Token {
                name: "华东一区【昆山】".into(),
                min_valid_s: Some(3600)
            }
        );
    }

    #[test]
    fn bad_lines_are_named_errors() {
        let kind = |line: &str| parse_request(line.as_bytes()).unwrap_err().0;
        assert_eq!(kind("hello"), ErrorKind::BadRequest);
        assert_eq!(kind("{\"request\":\"hello\"}"), ErrorKind::BadRequest);
        assert_eq!(
            kind("{\"version\":2,\"request\":\"hello\"}"),
            ErrorKind::UnsupportedVersion
        );
        assert_eq!(
            kind("{\"version\":1,\"request\":\"secret_key\"}"),
            ErrorKind::BadRequest
        );
        assert_eq!(
            kind("{\"version\":1,\"request\":\"token\"}"),
            ErrorKind::BadRequest
        );
    }

    #[test]
    fn decisions_travel_as_documented() {
        let wire = |d| serde_json::to_value(d).unwrap();
        assert_eq!(wire(Decision::Once), "once");
        assert_eq!(wire(Decision::For30Min), "for_30_min");
        assert_eq!(wire(Decision::Deny), "deny");
        let line = "{\"version\":1,\"request\":\"decide\",\"id\":3,\"decision\":\"for_30_min\"}";
        assert_eq!(
            parse_request(line.as_bytes()).unwrap(),
            Request::Decide {
                id: 3,
                decision: Decision::For30Min
            }
        );
    }

    #[test]
    fn every_error_kind_is_named_as_it_travels() {
        for kind in ErrorKind::ALL {
            let wire = serde_json::to_value(kind).unwrap();
            assert_eq!(wire, serde_json::Value::from(kind.as_str()));
        }
    }

    #[test]
    fn a_token_reply_hides_its_token_from_debug() {
        let reply = Reply::Token(TokenReply {
            name: "x".into(),
            token: Secret(Zeroizing::new("eyJsecret.part.sig".into())),
            expires_at: "2026-12-07T00:00:00Z".into(),
            renew_cutoff: "2026-12-08T00:00:00Z".into(),
            renewed: false,
            via_login: false,
            base_url: "https://example.com".into(),
            cluster_id: None,
            cluster_name: None,
            platform: false,
        });
        let shown = format!("{reply:?}");
        assert!(!shown.contains("eyJsecret"), "{shown}");
        let line = Envelope::line(reply);
        assert!(
            line.contains("\"token\":\"eyJsecret.part.sig\""),
            "{}",
            *line
        );
    }
}
