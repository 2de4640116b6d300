//! Switches that make the mock misbehave, settable while it runs (`testing` feature only),
//! and the replies they force.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::json;

use super::delay::Delay;
use super::hold::Hold;
use super::reply::{Shape, code_reply, json_reply, plain, success_code};

/// One way to misbehave. Applies to every request until [`Faults::clear`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this HTTP status with a plain-text body.
    Http(u16),
    /// Answer 200 with an HTML page (a captive portal or proxy login).
    HtmlBody,
    /// Announce a JSON body, send part of it, then close the connection.
    Truncated,
    /// Answer `{"code": X, "msg": ...}`.
    Code(String),
    /// Success with exactly this `data` (for replies of the wrong shape, e.g. a login list
    /// holding a non-JWT token, or an empty list).
    SuccessData(serde_json::Value),
    /// Success with `"data": ""`.
    EmptyData,
    /// Success with `data` that is not a JWT.
    NonJwtData,
    /// A properly renewed token that keeps the old expiry.
    SameExpiry,
    /// A properly renewed token with this text after its signature (`\r\nX-Injected: 1`, an
    /// escape sequence): a reply that would poison the store if taken as it came.
    JunkAfterToken(String),
    /// `center` answers with an address template the deployment never filled in
    /// (`{hpcUrls}/ai`), as some deployments do.
    UnfilledPlaceholders,
    /// A success-looking body larger than 1 MiB.
    HugeBody,
    /// Send the headers and part of the body, then never finish.
    StallMidBody,
    /// Answer 307 with `Location` set to this URL.
    RedirectTo(String),
}

#[derive(Debug, Default)]
struct State {
    fault: Option<Fault>,
    shape: Shape,
}

/// Shared fault switches; clones control the same server.
#[derive(Debug, Clone)]
pub struct Faults {
    state: Arc<Mutex<State>>,
    delay: Delay,
    hold: Hold,
}

impl Faults {
    /// Switches over the server's reply delay `delay`; no fault, the example shape.
    pub(super) fn new(delay: Delay) -> Faults {
        Faults {
            state: Arc::default(),
            delay,
            hold: Hold::default(),
        }
    }

    pub fn set(&self, f: Fault) {
        self.lock().fault = Some(f);
    }

    /// Back to correct behaviour: no fault, no delay, nothing held, the example shape.
    pub fn clear(&self) {
        *self.lock() = State::default();
        self.delay.set(Duration::ZERO);
        self.hold.set(false);
    }

    /// Every request waits this long before being handled.
    pub fn set_delay(&self, d: Duration) {
        self.delay.set(d);
    }

    /// Requests arriving from now on wait (after counting as arrived) until [`Faults::release`].
    pub fn hold(&self) {
        self.hold.set(true);
    }

    /// Lets held requests (and later ones) through.
    pub fn release(&self) {
        self.hold.set(false);
    }

    /// Returns once nothing is held.
    pub(crate) async fn released(&self) {
        self.hold.released().await;
    }

    pub fn set_shape(&self, shape: Shape) {
        self.lock().shape = shape;
    }

    pub(crate) fn current(&self) -> Option<Fault> {
        self.lock().fault.clone()
    }

    #[cfg(test)]
    pub(crate) fn delay(&self) -> Duration {
        self.delay.get()
    }

    pub(crate) fn shape(&self) -> Shape {
        self.lock().shape
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The reply a fault forces, or `None` when the fault acts later (SameExpiry,
/// JunkAfterToken: on the renewed token; UnfilledPlaceholders: the endpoint's own reply changes).
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
        Fault::SameExpiry | Fault::JunkAfterToken(_) | Fault::UnfilledPlaceholders => return None,
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

/// A JSON reply whose body is produced (or cut off) as it streams.
fn streamed(body: Body) -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_switches_and_clear_resets_all() {
        let a = Faults::new(Delay::default());
        let b = a.clone();
        a.set(Fault::Http(502));
        a.set_delay(Duration::from_millis(5));
        a.set_shape(Shape::NumericCode);
        assert_eq!(b.current(), Some(Fault::Http(502)));
        assert_eq!(b.delay(), Duration::from_millis(5));
        assert_eq!(b.shape(), Shape::NumericCode);
        b.clear();
        assert_eq!(a.current(), None);
        assert_eq!(a.delay(), Duration::ZERO);
        assert_eq!(a.shape(), Shape::Example);
    }
}
