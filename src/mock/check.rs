//! Judging a presented `token` header, shared by every endpoint that takes one.

use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Map, Value};

use super::mint::{Refusal, verify};
use super::reply::{Shape, code_reply};
use super::state::MockState;

/// Why a presented token is refused: a platform code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Refused {
    pub code: &'static str,
    pub msg: &'static str,
}

impl Refused {
    pub(crate) fn reply(self, shape: Shape) -> Response {
        code_reply(shape, self.code, self.msg)
    }
}

/// A token the mock signed and has not revoked: its claims and expiry. Expiry itself is the
/// caller's to judge (renewal allows a grace period, the other endpoints do not).
pub(super) fn presented(
    headers: &HeaderMap,
    state: &MockState,
) -> Result<(Map<String, Value>, Timestamp), Refused> {
    let refused = |code, msg| Err(Refused { code, msg });
    let Some(raw) = headers
        .get("token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return refused("10003", "参数不全: the token header is missing");
    };
    let found = match verify(raw) {
        Ok(found) => found,
        Err(Refusal::BadSignature) => return refused("10004", "参数无效: the token is not valid"),
        Err(Refusal::NoExpiry) => {
            return refused("10004", "参数无效: the token has no expireTime");
        }
    };
    if state.is_revoked(raw) {
        return refused("10004", "参数无效: the token has been invalidated");
    }
    Ok(found)
}
