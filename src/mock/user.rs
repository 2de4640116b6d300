//! `GET /ac/openapi/v2/user`: the account behind a token. Demo accounts answer with their
//! status and balance; other users (tokens minted by tests) with their `accountStatus` claim
//! and an empty balance.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::accounts;
use super::center::{answerable, claim};
use super::reply::{json_reply, success_code};
use super::state::MockState;

pub(super) async fn user(State(state): State<MockState>, headers: HeaderMap) -> Response {
    let claims = match answerable(&state, &headers) {
        Ok(claims) => claims,
        Err(reply) => return *reply,
    };
    let claim = |k: &str| claim(&claims, k);
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
    let code = success_code(state.shape());
    json_reply(json!({"code": code, "msg": "success", "data": data}))
}
