//! The mock's HTTP surface. One handler per endpoint; [`router`] is where endpoints are added.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::MockOptions;
use super::check::{Revoked, presented};
use super::faults::{Fault, Faults, Shape};
use super::mint::{expire_ms, sign_mock};
use super::{center, login};

/// Everything a handler can see. Cheap to clone.
#[derive(Clone)]
pub struct MockState {
    pub faults: Faults,
    pub opts: MockOptions,
    /// Successful `tokens/next` calls served.
    pub renewals: Arc<AtomicUsize>,
    /// Successful logins (either get-token endpoint) served.
    pub logins: Arc<AtomicUsize>,
    /// Tokens refused although unexpired.
    pub revoked: Revoked,
}

/// All endpoints, behind the delay switch.
pub fn router(state: MockState) -> Router {
    Router::new()
        .route("/ac/openapi/v2/tokens/next", post(renew))
        .route("/ac/openapi/v2/tokens", post(login::password))
        .route("/api/user/v3/tokens", post(login::access_key))
        .route("/ac/openapi/v2/center", get(center::center))
        .route("/ac/openapi/v2/tokens/state", get(center::state))
        .layer(middleware::from_fn_with_state(state.clone(), delay))
        .layer(middleware::from_fn_with_state(state.clone(), date))
        .with_state(state)
}

/// The `Date` header from the mock's clock (which may be set off, see
/// [`MockOptions::clock_skew`]); on every reply, 404s included, like a real server.
async fn date(State(state): State<MockState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let printer = jiff::fmt::rfc2822::DateTimePrinter::new();
    if let Ok(text) = printer.timestamp_to_rfc9110_string(&state.opts.now())
        && let Ok(value) = HeaderValue::from_str(&text)
    {
        response
            .headers_mut()
            .insert(axum::http::header::DATE, value);
    }
    response
}

/// The configured delay, before any handler: an async sleep, so other requests go on.
async fn delay(State(state): State<MockState>, req: Request, next: Next) -> Response {
    let d = state.faults.delay();
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
    next.run(req).await
}

/// `POST /ac/openapi/v2/tokens/next`: a new token for a valid or renewable one.
async fn renew(State(state): State<MockState>, headers: HeaderMap) -> Response {
    let fault = state.faults.current();
    let shape = state.faults.shape();
    if let Some(reply) = fault.as_ref().and_then(|f| fault_reply(f, shape)) {
        return reply;
    }
    let (mut claims, expires_at) = match presented(&headers, &state.revoked) {
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
    let new_expiry = if fault == Some(Fault::SameExpiry) {
        expires_at
    } else {
        now.saturating_add(state.opts.token_lifetime).unwrap_or(now)
    };
    claims.insert("expireTime".into(), Value::String(expire_ms(new_expiry)));
    let cluster = claims.get("clusterId").cloned().unwrap_or(Value::Null);
    let token = sign_mock(&claims);
    state.renewals.fetch_add(1, Ordering::SeqCst);
    success_reply(shape, token.expose(), cluster)
}

/// The reply a fault forces, or `None` when the fault acts later (SameExpiry).
pub(super) fn fault_reply(fault: &Fault, shape: Shape) -> Option<Response> {
    Some(match fault {
        Fault::Http(status) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            plain(
                status,
                "text/plain; charset=utf-8",
                format!("mock: injected HTTP {status}\n"),
            )
        }
        Fault::HtmlBody => plain(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body><h1>Please sign in</h1></body></html>".to_owned(),
        ),
        Fault::Truncated => {
            let part =
                Bytes::from_static(br#"{"code":"0","msg":"success","data":"eyJhbGciOiJIUzI1"#);
            // The pause lets the headers and the first part go out before the cut; an error
            // on the very first poll would drop the connection before any reply.
            let first = futures::stream::once(async { Ok::<_, std::io::Error>(part) });
            let cut = futures::stream::once(async {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                Err(std::io::Error::other("mock: connection cut mid-body"))
            });
            streamed(Body::from_stream(first.chain(cut)))
        }
        Fault::Code(code) => code_reply(shape, code, "mock: injected platform code"),
        Fault::SuccessData(data) => {
            json_reply(json!({"code": success_code(shape), "msg": "success", "data": data}))
        }
        Fault::EmptyData => json_reply(json!({"code": "0", "msg": "success", "data": ""})),
        Fault::NonJwtData => {
            json_reply(json!({"code": "0", "msg": "success", "data": "this-is-not-a-jwt"}))
        }
        Fault::SameExpiry => return None,
        Fault::HugeBody => {
            // 2 MiB of message, generated chunk by chunk so the mock holds little of it.
            const CHUNK: usize = 64 * 1024;
            let head = futures::stream::once(async {
                Ok::<_, std::io::Error>(Bytes::from_static(br#"{"code":"0","msg":""#))
            });
            let filler = futures::stream::iter(0..32).map(|_| Ok(Bytes::from(vec![b'x'; CHUNK])));
            let tail = futures::stream::once(async { Ok(Bytes::from_static(br#""}"#)) });
            streamed(Body::from_stream(head.chain(filler).chain(tail)))
        }
        Fault::StallMidBody => {
            let part = futures::stream::once(async {
                Ok::<_, std::io::Error>(Bytes::from_static(
                    br#"{"code":"0","msg":"success","data":""#,
                ))
            });
            streamed(Body::from_stream(part.chain(futures::stream::pending())))
        }
        Fault::RedirectTo(target) => match HeaderValue::from_str(target) {
            Ok(location) => (
                StatusCode::TEMPORARY_REDIRECT,
                [(LOCATION, location)],
                "mock: moved\n",
            )
                .into_response(),
            Err(_) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                "mock: the redirect target is not a valid header value\n".to_owned(),
            ),
        },
    })
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

fn success_reply(shape: Shape, token: &str, cluster: Value) -> Response {
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

fn plain(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

fn streamed(body: Body) -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}
