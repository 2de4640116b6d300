//! The mock's HTTP surface: which handler answers which endpoint, all behind the reply delay.
//! [`router`] is where endpoints are added; the handlers live in one file per endpoint group.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use super::state::{MockState, Serves};
use super::{center, login, renew, user};

/// The endpoints the options ask for (all of them by default), behind the delay switch.
pub(super) fn router(state: MockState) -> Router {
    let serves = state.opts.serves;
    let mut router = Router::new();
    if serves != Serves::BaseHost {
        router = router.route("/api/user/v3/tokens", post(login::access_key));
    }
    if serves != Serves::AuthHost {
        router = router
            .route("/ac/openapi/v2/tokens/next", post(renew::renew))
            .route("/ac/openapi/v2/tokens", post(login::password))
            .route("/ac/openapi/v2/center", get(center::center))
            .route("/ac/openapi/v2/tokens/state", get(center::state))
            .route("/ac/openapi/v2/user", get(user::user));
    }
    router
        .layer(middleware::from_fn_with_state(state.clone(), delay))
        .layer(middleware::from_fn_with_state(state.clone(), date))
        .with_state(state)
}

/// The `Date` header from the mock's clock (which may be set off, see
/// [`MockOptions::clock_skew`](super::state::MockOptions::clock_skew)); on every reply, 404s included, like a real server.
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

/// The configured delay (and a test's hold), before any handler: async waits, so other
/// requests go on.
async fn delay(State(state): State<MockState>, req: Request, next: Next) -> Response {
    state.count_arrival();
    let d = state.delay.get();
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
    state.released().await;
    next.run(req).await
}
