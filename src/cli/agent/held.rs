//! The tokens the agent holds between requests, so that a burst of `token` requests costs one
//! keyring read, not one each (a Secret Service read is a D-Bus round trip, ~10 ms of
//! gnome-keyring's time, one at a time). A held token is handed out only while the index
//! still describes it (its fingerprint: every actoken that changes a token rewrites its
//! entry, the agent's own renewals too) and for at most [`HOLD_FOR`] after it was read: a
//! token changed in the keyring behind actoken's back (`secret-tool store`) is read again,
//! and the index healed, within that time.

use crate::store::EntryMeta;
use crate::store::fingerprint;
use crate::token::Token;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a token read from the keyring is handed out without reading it again.
pub(super) const HOLD_FOR: Duration = Duration::from_secs(30);

pub(super) struct Held {
    tokens: Mutex<HashMap<String, Holding>>,
    hold_for: Duration,
}

struct Holding {
    token: Token,
    fingerprint: String,
    read_at: Instant,
}

impl Held {
    pub(super) fn new(hold_for: Duration) -> Held {
        Held {
            tokens: Mutex::new(HashMap::new()),
            hold_for,
        }
    }

    /// The token held for `meta`'s entry, if the index (as `meta` has it) still describes
    /// it and it was read less than the hold time before `at`.
    pub(super) fn current(&self, meta: &EntryMeta, at: Instant) -> Option<Token> {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let holding = tokens.get(&meta.name)?;
        let described = meta
            .facts
            .as_ref()
            .is_some_and(|f| f.fingerprint == holding.fingerprint);
        let recent = at.saturating_duration_since(holding.read_at) < self.hold_for;
        if described && recent {
            return Some(holding.token.clone());
        }
        // Stale: dropped (and zeroized) now rather than kept until it is replaced.
        tokens.remove(&meta.name);
        None
    }

    /// Holds `token`, just read from the keyring at `at`, for `meta`'s entry, when the index
    /// describes it (a read heals the index first, so it does unless a change came between).
    pub(super) fn hold(&self, meta: &EntryMeta, token: &Token, at: Instant) {
        let print = fingerprint(token);
        if meta.facts.as_ref().is_none_or(|f| f.fingerprint != print) {
            return;
        }
        let holding = Holding {
            token: token.clone(),
            fingerprint: print,
            read_at: at,
        };
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(meta.name.clone(), holding);
    }

    /// Drops what is held for `name` (it is gone from the index).
    pub(super) fn forget(&self, name: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{SAMPLE_REQUEST, SAMPLE_RESPONSE};
    use crate::store::TokenFacts;

    const NAME: &str = "华东一区【昆山】";

    fn meta_of(token: &Token) -> EntryMeta {
        EntryMeta {
            facts: Some(TokenFacts::of(token)),
            ..EntryMeta::new(
                NAME,
                "https://api.example.com:65102",
                jiff::Timestamp::now(),
            )
        }
    }

    #[test]
    fn a_held_token_is_handed_out_while_the_index_describes_it_and_for_a_while() {
        let held = Held::new(Duration::from_secs(30));
        let (token, other) = (
            Token::from_raw(SAMPLE_REQUEST),
            Token::from_raw(SAMPLE_RESPONSE),
        );
        let t0 = Instant::now();
        let meta = meta_of(&token);
        assert!(held.current(&meta, t0).is_none());
        held.hold(&meta, &token, t0);
        let got = held.current(&meta, t0 + Duration::from_secs(29)).unwrap();
        assert_eq!(got.expose(), token.expose());
        // The index now describes another token (renewed, replaced): not handed out, dropped.
        assert!(held.current(&meta_of(&other), t0).is_none());
        assert!(held.current(&meta, t0).is_none());
        // Read too long ago.
        held.hold(&meta, &token, t0);
        assert!(held.current(&meta, t0 + Duration::from_secs(30)).is_none());
        // An index without facts, or facts of another token: nothing is held.
        let bare = EntryMeta {
            facts: None,
            ..meta.clone()
        };
        held.hold(&bare, &token, t0);
        assert!(held.current(&meta, t0).is_none());
        held.hold(&meta_of(&other), &token, t0);
        assert!(held.current(&meta, t0).is_none());
        held.hold(&meta, &token, t0);
        held.forget(NAME);
        assert!(held.current(&meta, t0).is_none());
    }
}
