//! A loopback AC server for tests, `actoken mock-server` and the demo mode.
//!
//! It signs tokens with a public key ([`MOCK_SECRET`]), renews them like the platform does
//! (same claims, new `expireTime`), refuses missing, foreign and dead tokens with the
//! platform's codes, and can be told to misbehave ([`Faults`]) while it runs. It also hands
//! out tokens for fixed [demo accounts](accounts) through both get-token endpoints, and answers
//! `center` and `tokens/state`.

pub mod accounts;
mod center;
mod check;
mod faults;
mod login;
mod mint;
pub mod routes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jiff::SignedDuration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use accounts::{ALICE, BOB, DEMO_ACCOUNTS, DemoAccount, DemoRegion, PLATFORM_REGION};
pub use check::Revoked;
pub use faults::{Fault, Faults, Shape};
pub use login::MAX_SKEW;
pub use mint::{MOCK_SECRET, MintSpec, mint, mint_foreign};

use crate::token::Token;

/// How the mock issues and judges tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MockOptions {
    /// Lifetime of a renewed token.
    pub token_lifetime: SignedDuration,
    /// How long after expiry a token can still be renewed.
    pub grace: SignedDuration,
    /// How far the mock's clock is off: its `Date` header and its check of a login's
    /// timestamp use now + this (to try `actoken doctor`'s clock check and a skewed login).
    pub clock_skew: SignedDuration,
}

impl MockOptions {
    /// The mock's idea of now.
    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now() + self.clock_skew
    }
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            token_lifetime: SignedDuration::from_hours(24),
            grace: SignedDuration::from_hours(24),
            clock_skew: SignedDuration::ZERO,
        }
    }
}

/// A running mock. Dropping it (or `.shutdown().await`) stops it.
pub struct MockServer {
    addr: SocketAddr,
    faults: Faults,
    renewals: Arc<AtomicUsize>,
    logins: Arc<AtomicUsize>,
    revoked: Revoked,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Binds `addr` (use `127.0.0.1:0` for a free port) and serves in a background task.
    pub async fn start(addr: SocketAddr, opts: MockOptions) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = routes::MockState {
            faults: Faults::default(),
            opts,
            renewals: Arc::new(AtomicUsize::new(0)),
            logins: Arc::new(AtomicUsize::new(0)),
            revoked: Revoked::default(),
        };
        let (faults, renewals) = (state.faults.clone(), state.renewals.clone());
        let (logins, revoked) = (state.logins.clone(), state.revoked.clone());
        let app = routes::router(state);
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
            faults,
            renewals,
            logins,
            revoked,
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

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Successful `tokens/next` calls served so far.
    pub fn renew_count(&self) -> usize {
        self.renewals.load(Ordering::SeqCst)
    }

    /// Successful logins (access key or password) served so far.
    pub fn login_count(&self) -> usize {
        self.logins.load(Ordering::SeqCst)
    }

    /// From now on `tokens/next`, `tokens/state` and `center` refuse this token (10004) even
    /// while it is unexpired, as a platform might after a password change.
    pub fn revoke(&self, token: &Token) {
        self.revoked.revoke(token.expose());
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
