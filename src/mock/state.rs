//! What every handler sees: the mock's options, its reply delay and (with the `testing`
//! feature) the test switches. Handlers ask through the methods here, so they read the same
//! with or without the feature; a plain build behaves correctly and has no switches at all.

use std::time::Duration;

use axum::response::Response;
use jiff::SignedDuration;

use super::delay::Delay;
use super::reply::Shape;
#[cfg(feature = "testing")]
use super::switches::Switches;

/// How the mock issues and judges tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MockOptions {
    /// Lifetime of a renewed token.
    pub token_lifetime: SignedDuration,
    /// How long after expiry a token can still be renewed.
    pub grace: SignedDuration,
    /// Every request waits this long before being handled (`mock-server --delay`).
    pub delay: Duration,
    /// How far the mock's clock is off: its `Date` header and its check of a login's
    /// timestamp use now + this (`mock-server --clock-skew`, to try `actoken doctor`).
    pub clock_skew: SignedDuration,
    /// Which endpoints it answers (the public deployment splits them over two hosts).
    pub serves: Serves,
}

/// Which of the platform's endpoints a mock answers; the others are 404, as on a host that
/// does not have them. The public deployment has the access-key login on one host
/// (`https://api.scnet.cn`) and everything else on another (`https://www.scnet.cn`): two mocks,
/// one [`Serves::AuthHost`] and one [`Serves::BaseHost`], stand in for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Serves {
    /// Every endpoint (one host for everything, as other deployments have it).
    #[default]
    Both,
    /// Only the access-key login.
    AuthHost,
    /// Everything but the access-key login.
    BaseHost,
}

impl MockOptions {
    /// The mock's idea of now.
    pub(crate) fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now() + self.clock_skew
    }
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            token_lifetime: SignedDuration::from_hours(24),
            grace: SignedDuration::from_hours(24),
            delay: Duration::ZERO,
            clock_skew: SignedDuration::ZERO,
            serves: Serves::Both,
        }
    }
}

/// Everything a handler can see. Cheap to clone.
#[derive(Clone)]
pub(super) struct MockState {
    pub opts: MockOptions,
    pub delay: Delay,
    #[cfg(feature = "testing")]
    pub switches: Switches,
}

impl MockState {
    pub fn new(opts: MockOptions) -> MockState {
        let delay = Delay::default();
        delay.set(opts.delay);
        MockState {
            opts,
            #[cfg(feature = "testing")]
            switches: Switches::new(delay.clone()),
            delay,
        }
    }

    /// The envelope shape replies use: the platform's example unless a test chose another.
    pub(crate) fn shape(&self) -> Shape {
        #[cfg(feature = "testing")]
        return self.switches.faults.shape();
        #[cfg(not(feature = "testing"))]
        Shape::default()
    }

    /// The reply a test's fault forces instead of the endpoint's own, if any.
    pub(crate) fn forced_reply(&self) -> Option<Response> {
        #[cfg(feature = "testing")]
        return self.switches.forced_reply();
        #[cfg(not(feature = "testing"))]
        None
    }

    /// A test asked `center` for the unfilled address template some deployments answer.
    pub(crate) fn leaves_placeholders(&self) -> bool {
        #[cfg(feature = "testing")]
        return self.switches.leaves_placeholders();
        #[cfg(not(feature = "testing"))]
        false
    }

    /// A test asked renewals to keep the old expiry.
    pub(crate) fn keeps_expiry(&self) -> bool {
        #[cfg(feature = "testing")]
        return self.switches.keeps_expiry();
        #[cfg(not(feature = "testing"))]
        false
    }

    /// What a test asked to follow a renewed token's signature, if anything.
    pub(crate) fn junk_after_token(&self) -> Option<String> {
        #[cfg(feature = "testing")]
        return self.switches.junk_after_token();
        #[cfg(not(feature = "testing"))]
        None
    }

    /// A test revoked this (unexpired) token.
    pub(crate) fn is_revoked(&self, raw: &str) -> bool {
        #[cfg(feature = "testing")]
        return self.switches.revoked.contains(raw);
        #[cfg(not(feature = "testing"))]
        {
            let _ = raw;
            false
        }
    }

    /// A successful renewal was served (counted for tests).
    pub(crate) fn count_renewal(&self) {
        #[cfg(feature = "testing")]
        self.switches.count_renewal();
    }

    /// A request arrived (counted for tests, before the reply delay).
    pub(crate) fn count_arrival(&self) {
        #[cfg(feature = "testing")]
        self.switches.count_arrival();
    }

    /// Returns once a test's hold switch lets requests through (at once without one).
    pub(crate) async fn released(&self) {
        #[cfg(feature = "testing")]
        self.switches.faults.released().await;
    }

    /// A successful login was served (counted for tests).
    pub(crate) fn count_login(&self) {
        #[cfg(feature = "testing")]
        self.switches.count_login();
    }
}
