//! `GET /ac/openapi/v2/user`: the account behind a token. Demo accounts answer with their
//! status and balance; other users (tokens minted by tests) with their `accountStatus` claim
//! and an empty balance.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::accounts;
use super::center::accepted;
use super::routes::{MockState, fault_reply, json_reply, success_code};

pub(super) async fn user(State(state): State<MockState>, headers: HeaderMap) -> Response {
    let shape = state.faults.shape();
    if let Some(reply) = state.faults.current().and_then(|f| fault_reply(&f, shape)) {
        return reply;
    }
    let claims = match accepted(&state, &headers) {
        Ok(claims) => claims,
        Err(refused) => return refused.reply(shape),
    };
    let claim = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let user = claim("user");
    let (status, balance) = match accounts::by_user(&user) {
        Some(a) => (a.account_status.to_owned(), a.balance),
        None => (claim("accountStatus"), "0.00"),
    };
    let data = json!({
        "userName": user,
        "fullName": user,
        "accountName": user,
        "accountStatus": status,
        "accountBalance": balance,
        "language": "zh_CN",
        "timeZone": "Asia/Shanghai",
        "country": "CN",
        "address": "",
        "computerCenter": "mock",
    });
    json_reply(json!({"code": success_code(shape), "msg": "success", "data": data}))
}
