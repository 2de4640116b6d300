//! Judging a presented `token` header, shared by every endpoint that takes one, and the
//! revocation list that lets tests refuse an unexpired token.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::faults::Shape;
use super::mint::{Refusal, verify};
use super::routes::code_reply;

/// Tokens the mock no longer accepts though they are unexpired. Holds digests, not tokens.
#[derive(Debug, Clone, Default)]
pub struct Revoked(Arc<Mutex<HashSet<[u8; 32]>>>);

impl Revoked {
    pub fn revoke(&self, raw: &str) {
        self.lock().insert(digest(raw));
    }

    pub fn contains(&self, raw: &str) -> bool {
        self.lock().contains(&digest(raw))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<[u8; 32]>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn digest(raw: &str) -> [u8; 32] {
    Sha256::digest(raw.trim().as_bytes()).into()
}

/// Why a presented token is refused: a platform code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Refused {
    pub code: &'static str,
    pub msg: &'static str,
}

impl Refused {
    pub fn reply(self, shape: Shape) -> Response {
        code_reply(shape, self.code, self.msg)
    }
}

/// A token the mock signed and has not revoked: its claims and expiry. Expiry itself is the
/// caller's to judge (renewal allows a grace period, the other endpoints do not).
pub(super) fn presented(
    headers: &HeaderMap,
    revoked: &Revoked,
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
    if revoked.contains(raw) {
        return refused("10004", "参数无效: the token has been invalidated");
    }
    Ok(found)
}
