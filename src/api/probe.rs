//! Is a base URL reachable, TLS included, and how far is its clock from ours? One plain GET of
//! the base URL for `actoken doctor`: any HTTP reply counts, since it proves the connection
//! (and certificate) work; no token is sent.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use reqwest::header::DATE;

use super::{AcClient, ApiError, error, url};

/// What a base URL answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub status: u16,
    /// The server's clock minus ours, from its `Date` header (second resolution); `None`
    /// when it sent no readable `Date`.
    pub clock_offset: Option<SignedDuration>,
    pub elapsed: std::time::Duration,
}

impl AcClient {
    /// GET `{base_url}/` and read the status and `Date` header (the body is not read).
    pub(crate) async fn probe(&self, base_url: &str) -> Result<Probe, ApiError> {
        let target = url::check_base_url(base_url)?;
        let host = url::host_port(&target);
        let sent_at = Timestamp::now();
        let started = Instant::now();
        let reply = self
            .http
            .get(target)
            .send()
            .await
            .map_err(|e| error::classify(&e, &host, self.timeouts()))?;
        let elapsed = started.elapsed();
        // The server stamped its Date somewhere between sending and receiving: compare with
        // the middle of that interval.
        let midpoint = sent_at + SignedDuration::try_from(elapsed / 2).unwrap_or_default();
        let clock_offset = reply
            .headers()
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date)
            .map(|server| whole_seconds(server.duration_since(midpoint) + HALF_SECOND));
        Ok(Probe {
            status: reply.status().as_u16(),
            clock_offset,
            elapsed,
        })
    }
}

/// A `Date` is cut to the second: the server's clock was, on average, half a second past it.
const HALF_SECOND: SignedDuration = SignedDuration::from_millis(500);

fn whole_seconds(d: SignedDuration) -> SignedDuration {
    SignedDuration::from_secs(d.as_secs_f64().round() as i64)
}

/// An RFC 9110 date (`Tue, 25 Nov 2026 12:00:00 GMT`).
fn parse_http_date(text: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(text)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse() {
        let ts = parse_http_date("Wed, 25 Nov 2026 12:00:00 GMT").unwrap();
        assert_eq!(ts.to_string(), "2026-11-25T12:00:00Z");
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
