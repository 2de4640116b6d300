//! The two get-token endpoints, for the [demo accounts](super::accounts).
//!
//! The access-key login recomputes the signature with the same function the client uses
//! ([`crate::api::signature`]) and refuses timestamps more than [`MAX_SKEW`] from the server's
//! clock. Refusals use the words public clients report (不存在, 非本人); codes are the mock's
//! choice, since the platform's are unconfirmed.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::accounts::{self, DemoAccount};
use super::mint::{MintSpec, mint};
use super::reply::{Shape, code_reply, json_reply, success_code};
use super::state::MockState;

/// How far a signed request's timestamp may be from the server's clock.
pub const MAX_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// `POST /api/user/v3/tokens`: headers `user`, `accessKey`, `timestamp`, `signature`.
pub(super) async fn access_key(State(state): State<MockState>, headers: HeaderMap) -> Response {
    let shape = state.shape();
    if let Some(reply) = state.forced_reply() {
        return reply;
    }
    let (Some(user), Some(access_key), Some(timestamp), Some(signature)) = (
        text(&headers, "user"),
        text(&headers, "accessKey"),
        text(&headers, "timestamp"),
        text(&headers, "signature"),
    ) else {
        return code_reply(
            shape,
            "10003",
            "参数不全: user, accessKey, timestamp and signature are required",
        );
    };
    let Some(account) = accounts::by_access_key(access_key) else {
        return code_reply(shape, "10004", "AccessKey不存在 (access key not found)");
    };
    if account.user != user {
        return code_reply(
            shape,
            "10004",
            "AccessKey非本人所有 (the access key belongs to another user)",
        );
    }
    let fresh = timestamp
        .parse::<i64>()
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
        .is_some_and(|at| at.duration_until(state.opts.now()).abs() <= MAX_SKEW);
    if !fresh {
        return code_reply(
            shape,
            "10004",
            "时间戳无效或已过期 (timestamp malformed or more than 5 minutes from the server clock)",
        );
    }
    if !crate::api::signature::verify(user, access_key, timestamp, account.secret_key, signature) {
        return code_reply(shape, "10004", "签名校验失败 (signature mismatch)");
    }
    issue(&state, shape, account)
}

/// `POST /ac/openapi/v2/tokens`: headers `user`, `password`, `orgId`.
pub(super) async fn password(State(state): State<MockState>, headers: HeaderMap) -> Response {
    let shape = state.shape();
    if let Some(reply) = state.forced_reply() {
        return reply;
    }
    let (Some(user), Some(password)) = (text(&headers, "user"), text(&headers, "password")) else {
        return code_reply(shape, "10003", "参数不全: user and password are required");
    };
    let Some(org_id) = text(&headers, "orgId") else {
        return code_reply(shape, "10003", "参数不全: orgId is required");
    };
    let Some(account) = accounts::by_user(user).filter(|a| a.password == password) else {
        // One message for an unknown user and a wrong password: no account probing.
        return code_reply(
            shape,
            "10004",
            "用户名或密码错误 (wrong user name or password)",
        );
    };
    if !account.org_id.eq_ignore_ascii_case(org_id) {
        return code_reply(shape, "10004", "组织不存在 (organisation id not found)");
    }
    issue(&state, shape, account)
}

/// A fresh token for every available region, `null` for the others.
fn issue(state: &MockState, shape: Shape, account: &DemoAccount) -> Response {
    let expire_at = Timestamp::now()
        .saturating_add(state.opts.token_lifetime)
        .unwrap_or_else(|_| Timestamp::now());
    let data: Vec<Value> = account
        .regions
        .iter()
        .map(|r| {
            let token = r.available.then(|| {
                let spec = MintSpec {
                    user: account.user.to_owned(),
                    compute_user: r.compute_user.to_owned(),
                    cluster_id: r.claim_cluster_id.to_owned(),
                    account_status: account.account_status.to_owned(),
                    expire_at,
                };
                mint(&spec).expose().to_owned()
            });
            json!({"clusterId": r.cluster_id, "clusterName": r.cluster_name, "token": token})
        })
        .collect();
    state.count_login();
    json_reply(json!({"code": success_code(shape), "msg": "success", "data": data}))
}

fn text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}
