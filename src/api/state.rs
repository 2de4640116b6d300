//! Does the server still accept a token? `GET {base}/ac/openapi/v2/tokens/state`.
//!
//! Unlike renewal, a refusal here is an answer, not a failure: a code that refuses the token
//! (10004, 10008: see [`super::codes::rejects_token`]) is [`TokenState::Rejected`]. Any other
//! code (10001 internal error, a frozen user...) says nothing about the token: it is an error,
//! as transport and reply-format problems are, and the token's state stays unknown.

use super::codes::rejects_token;
use super::{AcClient, ApiError, describe_code, endpoint, response, token_header};
use crate::token::Token;

pub const STATE_PATH: &str = "ac/openapi/v2/tokens/state";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenState {
    /// The server answered code "0".
    Accepted,
    /// The server refused the token (a code for which `rejects_token` holds); `msg` is
    /// sanitised.
    Rejected { code: String, msg: String },
}

impl TokenState {
    pub fn is_accepted(&self) -> bool {
        matches!(self, TokenState::Accepted)
    }

    /// Whether this answer means the token itself is rejected. Phase decides renewability:
    /// every endpoint refuses a token that has expired, so a refusal of one that had expired
    /// when it was asked about says nothing (only `tokens/next` can tell, by renewing it).
    pub(crate) fn rejects(&self, expired_when_asked: bool) -> bool {
        !self.is_accepted() && !expired_when_asked
    }

    /// One line for a user: "accepted", or the code with its meaning and the server's words.
    pub fn describe(&self) -> String {
        match self {
            TokenState::Accepted => "accepted by the server".to_owned(),
            TokenState::Rejected { code, msg } => {
                let meaning = describe_code(code)
                    .map(|(en, zh)| format!(" ({en} / {zh})"))
                    .unwrap_or_default();
                let said = if msg.is_empty() {
                    String::new()
                } else {
                    format!(", server said: {msg:?}")
                };
                format!("rejected by the server with code {code}{meaning}{said}")
            }
        }
    }
}

impl AcClient {
    /// GET {base}/ac/openapi/v2/tokens/state with header `token`.
    pub async fn token_state(&self, base_url: &str, token: &Token) -> Result<TokenState, ApiError> {
        let url = endpoint(base_url, STATE_PATH)?;
        let request = self
            .http
            .get(url.clone())
            .header("token", token_header(token)?);
        // A 4xx/5xx carrying a platform envelope is still the server's answer.
        let reply = self.exchange(&url, request, Some(token.expose())).await;
        let error = match reply {
            Ok(reply) => {
                let envelope =
                    response::parse_envelope(&reply.body, reply.content_type.as_deref())?;
                if envelope.is_success() {
                    return Ok(TokenState::Accepted);
                }
                envelope.to_error(Some(token.expose()))
            }
            Err(e) => e,
        };
        verdict(error)
    }
}

/// A refusal of the token is an answer; any other code, a failure to get one.
fn verdict(error: ApiError) -> Result<TokenState, ApiError> {
    match error {
        ApiError::Platform { code, msg } if rejects_token(&code) => {
            Ok(TokenState::Rejected { code, msg })
        }
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_names_code_meaning_and_message() {
        assert_eq!(TokenState::Accepted.describe(), "accepted by the server");
        let r = TokenState::Rejected {
            code: "10008".into(),
            msg: "token expired".into(),
        };
        let text = r.describe();
        assert!(
            text.contains("10008") && text.contains("权限不足"),
            "{text}"
        );
        assert!(text.contains("token expired"), "{text}");
        assert!(!r.is_accepted());
    }

    /// Issue 23: a server error is not a rejection: 10001 (and any other code that does not
    /// refuse the token) is an error, so nobody tells the user to log in again.
    #[test]
    fn only_refusal_codes_reject_the_token() {
        let platform = |code: &str| ApiError::Platform {
            code: code.into(),
            msg: "internal_error".into(),
        };
        for code in ["10004", "10008"] {
            assert!(
                matches!(verdict(platform(code)), Ok(TokenState::Rejected { .. })),
                "{code}"
            );
        }
        for code in ["10001", "10003", "10007", "10009", "10012", "99999"] {
            let err = verdict(platform(code)).unwrap_err();
            assert_eq!(err.platform_code(), Some(code));
            assert!(!err.token_rejected(), "{code}");
        }
    }
}
