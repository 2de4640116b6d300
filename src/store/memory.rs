//! An in-memory secret backend for demo mode and tests. With the `testing` feature it also has
//! switches that make it fail the way a real keyring can.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{SecretBackend, StoreError};
use crate::token::Token;

/// Secrets in a map. Clones share the same map, so a test can keep a handle to inspect or
/// sabotage the backend a `Store` uses.
#[derive(Clone, Default)]
pub struct MemoryBackend {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    secrets: BTreeMap<String, Token>,
    #[cfg(feature = "testing")]
    sabotage: Sabotage,
    #[cfg(feature = "testing")]
    calls: Calls,
}

/// How many reads and writes a backend was asked for (tests count keyring traffic with it).
#[cfg(feature = "testing")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    pub reads: usize,
    pub writes: usize,
    pub deletes: usize,
    /// `names` and `count`: a keyring search each.
    pub searches: usize,
    /// `get_many` calls (their reads count in `reads` too).
    pub batches: usize,
}

impl MemoryBackend {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic in another test thread must not cascade; the map is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Armed failures, each consumed by the call it breaks (except `fail_all_sets`).
#[cfg(feature = "testing")]
#[derive(Default)]
struct Sabotage {
    fail_next_set: Option<String>,
    fail_next_get: Option<String>,
    fail_all_sets: bool,
    garble_next_set: bool,
    fail_next_set_partially: Option<String>,
    fail_next_delete: Option<String>,
}

#[cfg(feature = "testing")]
impl MemoryBackend {
    /// Reads and writes so far.
    pub fn calls(&self) -> Calls {
        self.state().calls
    }

    /// The next `set` fails with `StoreError::Backend(msg)` and changes nothing.
    pub fn fail_next_set(&self, msg: &str) {
        self.state().sabotage.fail_next_set = Some(msg.to_owned());
    }

    /// The next `get` fails with `StoreError::Backend(msg)`.
    pub fn fail_next_get(&self, msg: &str) {
        self.state().sabotage.fail_next_get = Some(msg.to_owned());
    }

    /// While on, every `set` fails and changes nothing.
    pub fn fail_all_sets(&self, on: bool) {
        self.state().sabotage.fail_all_sets = on;
    }

    /// The next `set` reports success but stores a different value (a keyring that mangles
    /// data), so read-back checks can be tested.
    pub fn garble_next_set(&self) {
        self.state().sabotage.garble_next_set = true;
    }

    /// The next `set` stores a damaged value *and* fails with `StoreError::Backend(msg)`
    /// (a write interrupted half-way).
    pub fn fail_next_set_partially(&self, msg: &str) {
        self.state().sabotage.fail_next_set_partially = Some(msg.to_owned());
    }

    /// The next `delete` fails with `StoreError::Backend(msg)` and deletes nothing.
    pub fn fail_next_delete(&self, msg: &str) {
        self.state().sabotage.fail_next_delete = Some(msg.to_owned());
    }
}

#[cfg(feature = "testing")]
impl State {
    /// An armed `get` failure, consumed.
    fn sabotaged_get(&mut self) -> Result<(), StoreError> {
        self.calls.reads += 1;
        match self.sabotage.fail_next_get.take() {
            Some(msg) => Err(StoreError::Backend(msg)),
            None => Ok(()),
        }
    }

    /// An armed `delete` failure, consumed.
    fn sabotaged_delete(&mut self) -> Result<(), StoreError> {
        self.calls.deletes += 1;
        match self.sabotage.fail_next_delete.take() {
            Some(msg) => Err(StoreError::Backend(msg)),
            None => Ok(()),
        }
    }

    /// Applies an armed `set` failure: `Err` when the write must fail (after storing a
    /// damaged value for a partial write); `Ok(token)` with the value to store otherwise.
    fn sabotaged_set(&mut self, name: &str, token: &Token) -> Result<Token, StoreError> {
        self.calls.writes += 1;
        let sabotage = &mut self.sabotage;
        if let Some(msg) = sabotage.fail_next_set.take() {
            return Err(StoreError::Backend(msg));
        }
        if sabotage.fail_all_sets {
            return Err(StoreError::Backend(
                "memory backend set to fail every write".into(),
            ));
        }
        let garbled = Token::from_raw(&format!("{}x", token.expose()));
        if let Some(msg) = sabotage.fail_next_set_partially.take() {
            self.secrets.insert(name.to_owned(), garbled);
            return Err(StoreError::Backend(msg));
        }
        Ok(if std::mem::take(&mut sabotage.garble_next_set) {
            garbled
        } else {
            token.clone()
        })
    }
}

impl fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.state().secrets.keys().cloned().collect();
        f.debug_struct("MemoryBackend")
            .field("names", &names)
            .finish()
    }
}

impl SecretBackend for MemoryBackend {
    fn get(&self, name: &str) -> Result<Option<Token>, StoreError> {
        #[cfg(feature = "testing")]
        self.state().sabotaged_get()?;
        Ok(self.state().secrets.get(name).cloned())
    }

    fn set(&self, name: &str, token: &Token) -> Result<(), StoreError> {
        let mut state = self.state();
        #[cfg(feature = "testing")]
        let token = &state.sabotaged_set(name, token)?;
        state.secrets.insert(name.to_owned(), token.clone());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        let mut state = self.state();
        #[cfg(feature = "testing")]
        state.sabotaged_delete()?;
        state.secrets.remove(name);
        Ok(())
    }

    fn names(&self) -> Result<Vec<String>, StoreError> {
        #[cfg(feature = "testing")]
        {
            self.state().calls.searches += 1;
        }
        Ok(self.state().secrets.keys().cloned().collect())
    }

    fn describe(&self) -> String {
        "memory (nothing is saved when actoken exits)".into()
    }

    fn get_many(&self, names: &[String]) -> Vec<Result<Option<Token>, StoreError>> {
        #[cfg(feature = "testing")]
        {
            self.state().calls.batches += 1;
        }
        super::backend::get_each(self, names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{SAMPLE_REQUEST, SAMPLE_RESPONSE};

    #[test]
    fn clones_share_secrets_and_failures_are_one_shot() {
        let a = MemoryBackend::new();
        let b = a.clone();
        let t = Token::from_raw(SAMPLE_REQUEST);
        a.set("x", &t).unwrap();
        assert_eq!(b.get("x").unwrap(), Some(t.clone()));
        assert_eq!(b.names().unwrap(), vec!["x".to_owned()]);

        b.fail_next_set("boom");
        let err = a.set("x", &Token::from_raw(SAMPLE_RESPONSE)).unwrap_err();
        assert!(matches!(err, StoreError::Backend(m) if m == "boom"));
        assert_eq!(
            a.get("x").unwrap(),
            Some(t.clone()),
            "failed set changed the value"
        );
        a.set("y", &t).unwrap();

        b.fail_next_get("nope");
        assert!(a.get("x").is_err());
        assert!(a.get("x").is_ok());

        a.fail_all_sets(true);
        assert!(a.set("z", &t).is_err());
        assert!(a.set("z", &t).is_err());
        a.fail_all_sets(false);
        a.set("z", &t).unwrap();

        a.delete("z").unwrap();
        a.delete("z").unwrap();
        assert_eq!(a.get("z").unwrap(), None);
    }

    #[test]
    fn debug_shows_names_not_secrets() {
        let a = MemoryBackend::new();
        a.set("x", &Token::from_raw(SAMPLE_REQUEST)).unwrap();
        let dbg = format!("{a:?}");
        assert!(dbg.contains("\"x\""));
        assert!(!dbg.contains(&SAMPLE_REQUEST[..20]));
    }
}
