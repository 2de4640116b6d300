//! A loopback AC server for tests, `actoken mock-server` and the demo mode.
//!
//! It signs tokens with a public key ([`MOCK_SECRET`]), renews them like the platform does
//! (same claims, new `expireTime`), refuses missing, foreign and dead tokens with the
//! platform's codes, and (with the `testing` feature) can be told to misbehave (`Faults`)
//! while it runs. It also hands out tokens for fixed [demo accounts](accounts) through both
//! get-token endpoints, and answers `center` (a region token's region; `10001` for the
//! platform token, which has none), `tokens/state` and `user` (the account's status and
//! balance). Two mocks can stand in for a deployment that splits its endpoints over two hosts
//! ([`Serves`]).

pub mod accounts;
mod center;
mod check;
mod delay;
#[cfg(feature = "testing")]
mod faults;
#[cfg(feature = "testing")]
mod hold;
mod login;
mod mint;
mod renew;
mod reply;
mod routes;
mod state;
#[cfg(feature = "testing")]
mod switches;
mod user;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use accounts::{ALICE, BOB, DEMO_ACCOUNTS, DemoAccount, DemoRegion, PLATFORM_REGION};
#[cfg(feature = "testing")]
pub use faults::{Fault, Faults};
pub use login::MAX_SKEW;
#[cfg(feature = "testing")]
pub use mint::mint_foreign;
pub use mint::{MOCK_SECRET, MintSpec, mint};
pub use reply::Shape;
use state::MockState;
pub use state::{MockOptions, Serves};

#[cfg(feature = "testing")]
use crate::token::Token;

/// A running mock. Dropping it (or `.shutdown().await`) stops it.
pub struct MockServer {
    addr: SocketAddr,
    #[cfg(feature = "testing")]
    switches: switches::Switches,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// A server with the default options on a free loopback port (tests, benches).
    pub async fn on_loopback() -> std::io::Result<MockServer> {
        MockServer::start(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            MockOptions::default(),
        )
        .await
    }

    /// Binds `addr` (use `127.0.0.1:0` for a free port) and serves in a background task.
    pub async fn start(addr: SocketAddr, opts: MockOptions) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = MockState::new(opts);
        let app = routes::router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!("mock AC server stopped: {e}");
            }
        });
        tracing::debug!(%addr, "mock AC server listening");
        Ok(MockServer {
            addr,
            #[cfg(feature = "testing")]
            switches: state.switches.clone(),
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, usable as a base URL (loopback, so plain http is allowed).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish for up to a second, then stops hard
    /// (a stalled reply would otherwise hold the server forever).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(1), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

/// Test switches of a running mock.
#[cfg(feature = "testing")]
impl MockServer {
    pub fn faults(&self) -> &Faults {
        &self.switches.faults
    }

    /// Successful `tokens/next` calls served so far.
    pub fn renew_count(&self) -> usize {
        self.switches.renewals()
    }

    /// Requests received so far (counted on arrival, before any reply delay).
    pub fn arrived_count(&self) -> usize {
        self.switches.arrivals()
    }

    /// Successful logins (access key or password) served so far.
    pub fn login_count(&self) -> usize {
        self.switches.logins()
    }

    /// From now on `tokens/next`, `tokens/state` and `center` refuse this token (10004) even
    /// while it is unexpired, as a platform might after a password change.
    pub fn revoke(&self, token: &Token) {
        self.switches.revoked.revoke(token.expose());
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// `mock-server --delay` goes through the options, so it works in a build without the
    /// `testing` feature (no fault switches needed).
    #[tokio::test]
    async fn the_delay_option_holds_every_reply() {
        let _watchdog = crate::watchdog::arm();
        let delay = Duration::from_millis(300);
        let opts = MockOptions {
            delay,
            ..MockOptions::default()
        };
        let server = MockServer::start("127.0.0.1:0".parse().unwrap(), opts)
            .await
            .unwrap();
        let url = format!("{}/ac/openapi/v2/tokens/next", server.base_url());
        let started = Instant::now();
        let reply = reqwest::Client::new().post(url).send().await.unwrap();
        let elapsed = started.elapsed();
        let body: serde_json::Value = serde_json::from_str(&reply.text().await.unwrap()).unwrap();
        assert_eq!(body["code"], "10003", "no token header: {body}");
        assert!(elapsed >= delay, "answered after {elapsed:?}");
        server.shutdown().await;
    }
}
