//! `--keep-fresh` with an agent in use: the store is on the agent's machine, so each renewal is
//! a `token` request (renewed there when the token expires within the window), and each look
//! between renewals a `show` (no secret, nothing to approve) followed by a `token` request
//! only when the agent holds a token that expires later (its own watch renewed it: the server
//! may retire the one the file holds). One connection per ask, so an agent that went away and
//! came back (a new SSH session) is found again; a failed ask is retried as a failed renewal
//! of a stored token is, and CMD keeps running.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use crate::cli::via_agent::{self, Handed};
use crate::token::{Lifetime, Token};

/// Asks the agent for `name`, fit for `window`. The error is its one line (gone, refusing, or
/// the renewal failed on its side), to be retried later.
pub(super) async fn renew(
    path: &Path,
    name: &str,
    window: SignedDuration,
    now: Timestamp,
) -> Result<Handed, String> {
    let (path, name) = (path.to_owned(), name.to_owned());
    let asked = crate::blocking::off_thread(move || {
        let mut agent = via_agent::connect(&path)?;
        via_agent::fresh_token(&mut agent, &name, Some(window), now)
    })
    .await;
    asked?.map_err(|error| error.message)
}

/// The agent's token for `name` when it is another than `held` and expires later. Failures
/// only mean "not now".
pub(super) async fn newer(
    path: &Path,
    name: &str,
    held: &Token,
    held_life: Lifetime,
    now: Timestamp,
) -> Option<Handed> {
    let (path, name, held): (PathBuf, String, Token) =
        (path.to_owned(), name.to_owned(), held.clone());
    crate::blocking::off_thread(move || {
        let mut agent = via_agent::connect(&path).ok()?;
        let shown = agent.show(&name).ok()?;
        let expires: Timestamp = shown.token.get("expires_at")?.as_str()?.parse().ok()?;
        if expires <= held_life.expires_at {
            return None;
        }
        let handed =
            via_agent::fresh_token(&mut agent, &name, Some(SignedDuration::ZERO), now).ok()?;
        let later = handed.renewed.new_expiry > held_life.expires_at;
        (later && handed.renewed.token != held).then_some(handed)
    })
    .await
    .ok()
    .flatten()
}
