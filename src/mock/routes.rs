//! The mock's HTTP surface: which handler answers which endpoint, all behind the reply delay.
//! [`router`] is where endpoints are added; the handlers live in one file per endpoint group.

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use super::state::MockState;
use super::{center, login, renew, user};

/// All endpoints, behind the delay switch.
pub(super) fn router(state: MockState) -> Router {
    Router::new()
        .route("/ac/openapi/v2/tokens/next", post(renew::renew))
        .route("/ac/openapi/v2/tokens", post(login::password))
        .route("/api/user/v3/tokens", post(login::access_key))
        .route("/ac/openapi/v2/center", get(center::center))
        .route("/ac/openapi/v2/tokens/state", get(center::state))
        .route("/ac/openapi/v2/user", get(user::user))
        .layer(middleware::from_fn_with_state(state.clone(), delay))
        .with_state(state)
}

/// The configured delay, before any handler: an async sleep, so other requests go on.
async fn delay(State(state): State<MockState>, req: Request, next: Next) -> Response {
    state.count_arrival();
    let d = state.delay.get();
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
    next.run(req).await
}
