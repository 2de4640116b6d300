//! `POST /ac/openapi/v2/tokens/next`: a new token for a valid or renewable one.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use serde_json::Value;

use super::check::presented;
use super::mint::{expire_ms, sign_mock};
use super::reply::{code_reply, token_reply};
use super::state::MockState;

/// Same claims, a new `expireTime`; refused once the renewal window after expiry has passed.
pub(super) async fn renew(State(state): State<MockState>, headers: HeaderMap) -> Response {
    let shape = state.shape();
    if let Some(reply) = state.forced_reply() {
        return reply;
    }
    let (mut claims, expires_at) = match presented(&headers, &state) {
        Ok(found) => found,
        Err(refused) => return refused.reply(shape),
    };
    let now = Timestamp::now();
    let cutoff = expires_at
        .saturating_add(state.opts.grace)
        .unwrap_or(expires_at);
    if now >= cutoff {
        return code_reply(
            shape,
            "10004",
            "参数无效: the token expired more than the renewal window ago and can no longer be renewed; get a new token",
        );
    }
    let new_expiry = if state.keeps_expiry() {
        expires_at
    } else {
        now.saturating_add(state.opts.token_lifetime).unwrap_or(now)
    };
    claims.insert("expireTime".into(), Value::String(expire_ms(new_expiry)));
    let cluster = claims.get("clusterId").cloned().unwrap_or(Value::Null);
    let token = sign_mock(&claims);
    state.count_renewal();
    let junk = state.junk_after_token().unwrap_or_default();
    token_reply(shape, &format!("{}{junk}", token.expose()), cluster)
}
