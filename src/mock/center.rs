//! `center` (region details) and `tokens/state` (is this token accepted?), and the check every
//! endpoint that takes a `token` header makes ([`answerable`]).
//!
//! Both take a `token` header and refuse it like the platform's other endpoints do: missing
//! 10003, not ours or revoked 10004, past its `expireTime` 10008 (the code a third-party
//! integration reports for an expired token). `center` answers a region token with that
//! region's addresses, and the account-level platform token (its `computeUser` is `root`) with
//! `10001 internal_error`, as the platform does: the platform token has no region.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::accounts::{self, PLATFORM_REGION};
use super::check::{Refused, presented};
use super::reply::{code_reply, json_reply, success_code};
use super::state::MockState;

/// `GET /ac/openapi/v2/center`.
pub(super) async fn center(State(state): State<MockState>, headers: HeaderMap) -> Response {
    let claims = match answerable(&state, &headers) {
        Ok(claims) => claims,
        Err(reply) => return *reply,
    };
    let shape = state.shape();
    let text = |k: &str| claim(&claims, k);
    let (user, compute_user) = (text("user"), text("computeUser"));
    if compute_user == PLATFORM_REGION.compute_user {
        return code_reply(shape, "10001", "internal_error");
    }
    // The region the token was issued for: the list's id and name, as the platform knows them.
    let (id, name) = match accounts::region_of(&user, &compute_user) {
        Some(region) => (region.cluster_id.to_owned(), region.cluster_name.to_owned()),
        None => {
            let id = text("clusterId");
            let name = format!("mock region {id}");
            (id, name)
        }
    };
    let host = format!("https://c{id}.hpc.example.com");
    let url = |url: String, enable: bool, version: &str| json!({"url": url, "enable": enable.to_string(), "version": version});
    let ai = if state.leaves_placeholders() {
        // Some deployments leave a template in place of an address.
        "{hpcUrls}/ai".to_owned()
    } else {
        format!("{host}:65102/ai")
    };
    let data = json!({
        "id": id,
        "name": name,
        "clusterUserInfo": {"userName": compute_user, "homePath": format!("/public/home/{compute_user}")},
        "hpcUrls": [url(format!("{host}:65101/hpc"), true, "2.3"), url(format!("{host}:65001/hpc"), false, "1.0")],
        "aiUrls": [url(ai, true, "1.0")],
        "efileUrls": [url(format!("{host}:65103/efile"), true, "2.0")],
        "ingressUrls": [url(format!("{host}:65105"), true, "1.0")],
        "eshellUrls": [url(format!("{host}:65104/eshell"), false, "1.2")],
        "eshellSshHosts": [url(format!("ssh.c{id}.hpc.example.com:65022"), true, "1.0")],
    });
    let code = success_code(shape);
    json_reply(json!({"code": code, "msg": "success", "data": data}))
}

/// `GET /ac/openapi/v2/tokens/state`.
pub(super) async fn state(State(state): State<MockState>, headers: HeaderMap) -> Response {
    match answerable(&state, &headers) {
        Ok(_) => {
            let code = success_code(state.shape());
            json_reply(json!({"code": code, "msg": "success", "data": "token is valid"}))
        }
        Err(reply) => *reply,
    }
}

/// The claims of the presented token, or the reply instead of an answer: an injected fault,
/// or the refusal of a missing, foreign, revoked or expired token.
pub(super) fn answerable(
    state: &MockState,
    headers: &HeaderMap,
) -> Result<Map<String, Value>, Box<Response>> {
    if let Some(reply) = state.forced_reply() {
        return Err(Box::new(reply));
    }
    accepted(state, headers).map_err(|refused| Box::new(refused.reply(state.shape())))
}

/// A claim as text ("" when absent or not a string).
pub(super) fn claim(claims: &Map<String, Value>, key: &str) -> String {
    claims
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// The claims of a presented token that is ours, not revoked and not expired.
fn accepted(state: &MockState, headers: &HeaderMap) -> Result<Map<String, Value>, Refused> {
    let (claims, expires_at) = presented(headers, state)?;
    if Timestamp::now() >= expires_at {
        return Err(Refused {
            code: "10008",
            msg: "权限不足: the token has expired; renew it or get a new one",
        });
    }
    Ok(claims)
}
