//! Switches that make the mock misbehave, settable while it runs.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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
    /// A success-looking body larger than 1 MiB.
    HugeBody,
    /// Send the headers and part of the body, then never finish.
    StallMidBody,
    /// Answer 307 with `Location` set to this URL.
    RedirectTo(String),
}

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

#[derive(Debug, Default)]
struct State {
    fault: Option<Fault>,
    delay: Duration,
    shape: Shape,
}

/// Shared fault switches; clones control the same server.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<State>>);

impl Faults {
    pub fn set(&self, f: Fault) {
        self.lock().fault = Some(f);
    }

    /// Back to correct behaviour: no fault, no delay, the example shape.
    pub fn clear(&self) {
        *self.lock() = State::default();
    }

    /// Every request waits this long before being handled.
    pub fn set_delay(&self, d: std::time::Duration) {
        self.lock().delay = d;
    }

    pub fn set_shape(&self, shape: Shape) {
        self.lock().shape = shape;
    }

    pub fn current(&self) -> Option<Fault> {
        self.lock().fault.clone()
    }

    pub fn delay(&self) -> Duration {
        self.lock().delay
    }

    pub fn shape(&self) -> Shape {
        self.lock().shape
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep serving.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_switches_and_clear_resets_all() {
        let a = Faults::default();
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
