//! Shared bench fixtures: platform-shaped tokens minted by the mock, and a dashboard loaded
//! with them at a fixed instant.

#![allow(dead_code)] // each bench binary uses a different part

use jiff::{SignedDuration, Timestamp, tz::TimeZone};

use actoken::config::Config;
use actoken::dashboard::app::{self, Action, App};
use actoken::mock::{MintSpec, mint};
use actoken::store::{EntryMeta, SecretState, StoredToken};
use actoken::token::Token;

/// The fixed "now" of the draw benches.
pub fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

/// Token `i` of a spread of states: most calm, some due, renewable and dead, like a real set.
pub fn token(i: usize, now: Timestamp) -> Token {
    let hours = [20i64, 1, 0, -3, -30, 12, 6][i % 7];
    let expire_at = now + SignedDuration::from_hours(hours) + SignedDuration::from_mins(i as i64);
    let mut spec = MintSpec::new(
        &format!("user{i:04}"),
        &format!("{}", 11000 + i % 300),
        expire_at,
    );
    spec.compute_user = format!("ac_user{i:04}");
    mint(&spec)
}

pub fn stored(n: usize, now: Timestamp) -> Vec<StoredToken> {
    (0..n)
        .map(|i| StoredToken {
            meta: EntryMeta {
                renewed_at: (i % 3 == 0).then(|| now - SignedDuration::from_hours(5)),
                ..EntryMeta::new(
                    format!("region{:02}/user{i:04}", i % 40),
                    "https://api01.example.com:65102",
                    now - SignedDuration::from_hours(24 * 30),
                )
            },
            secret: SecretState::Present(token(i, now)),
        })
        .collect()
}

/// A dashboard of `n` loaded rows in a `width` x `height` terminal.
pub fn app(n: usize, width: u16, height: u16) -> App {
    let now = now();
    let mut app = App::new(&Config::default(), TimeZone::UTC, false, true);
    app::update(&mut app, Action::Resize { width, height }, now);
    app::update(&mut app, Action::Loaded(stored(n, now)), now);
    app
}
