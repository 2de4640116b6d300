//! How the mock writes its replies: the platform's `{"code", "msg", "data"}` envelope in the
//! [`Shape`] a test asks for, and the raw HTTP pieces the fault replies are made of.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// How a reply envelope is written: the platform's page allows several shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    /// `"code":"0"`, `"data":"<jwt>"` as in the page's example.
    #[default]
    Example,
    /// `"data":{"token":"<jwt>"}`.
    DataObject,
    /// `"data":[{"clusterId":..,"token":"<jwt>"}]`.
    DataArray,
    /// `"code":0` (and numeric error codes where they are numbers).
    NumericCode,
}

/// `{"code": X, "msg": ...}`, the code as a number when the shape asks for it.
pub(super) fn code_reply(shape: Shape, code: &str, msg: &str) -> Response {
    let code_value = match (shape, code.parse::<i64>()) {
        (Shape::NumericCode, Ok(n)) => json!(n),
        _ => json!(code),
    };
    json_reply(json!({"code": code_value, "msg": msg}))
}

/// `"0"`, or `0` when the shape asks for numeric codes.
pub(super) fn success_code(shape: Shape) -> Value {
    match shape {
        Shape::NumericCode => json!(0),
        _ => json!("0"),
    }
}

/// A renewed token in the envelope `shape` describes.
pub(super) fn token_reply(shape: Shape, token: &str, cluster: Value) -> Response {
    let body = match shape {
        Shape::Example => json!({"msg": "success", "code": "0", "data": token}),
        Shape::NumericCode => json!({"msg": "success", "code": 0, "data": token}),
        Shape::DataObject => {
            json!({"msg": "success", "code": "0", "data": {"token": token, "clusterId": cluster}})
        }
        Shape::DataArray => {
            json!({"msg": "success", "code": "0", "data": [{"clusterId": cluster, "token": token}]})
        }
    };
    json_reply(body)
}

pub(super) fn json_reply(body: Value) -> Response {
    plain(StatusCode::OK, "application/json", body.to_string())
}

pub(super) fn plain(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}
