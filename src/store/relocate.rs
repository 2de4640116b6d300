//! Moving secrets between the two stores (`actoken move`): copy, read the copy back, record
//! the new place in the index, and only then delete the original. A failure at any step
//! leaves the token readable where the index says it is.

use std::time::Duration;

use super::token_store::{restore, write_secret};
use super::{SecretBackend, Store, StoreError, StoreKind, TokenFacts, TokenLock};

/// How long `move` waits for a renewal of the same token to finish.
const TOKEN_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Both stores, to move between.
#[derive(Clone, Copy)]
pub struct StorePair<'a> {
    pub secret_service: &'a dyn SecretBackend,
    pub keyutils: &'a dyn SecretBackend,
}

impl<'a> StorePair<'a> {
    pub fn of(&self, kind: StoreKind) -> &'a dyn SecretBackend {
        match kind {
            StoreKind::SecretService => self.secret_service,
            StoreKind::Keyutils => self.keyutils,
        }
    }
}

/// What `move` did with one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveOutcome {
    /// Copied, verified, recorded; `leftover` says why the original could not be deleted
    /// (the token is safe in the new store; moving again deletes the leftover).
    Moved { leftover: Option<String> },
    /// The index already placed it in the target store; a leftover copy in the other store
    /// that equals it was deleted when `cleaned` is true.
    AlreadyThere { cleaned: bool },
}

impl Store {
    /// Moves `name`'s secret into store `to`. Takes the token's renewal lock, so a renewal of
    /// the same token (which holds it across its network call) is never lost to a move, and
    /// then its change lock, so `add` and `rm` wait for the move.
    pub fn move_entry(
        &self,
        name: &str,
        stores: StorePair<'_>,
        to: StoreKind,
    ) -> Result<MoveOutcome, StoreError> {
        let _renewal = TokenLock::acquire(self.paths(), name, TOKEN_LOCK_TIMEOUT)?;
        let _change = TokenLock::change(self.paths(), name, TOKEN_LOCK_TIMEOUT)?;
        self.reload()?;
        let from = self.meta(name)?.store;
        let (source, target) = (stores.of(from), stores.of(to));
        if from == to {
            return clean_leftover(name, stores.of(to.other()), target);
        }
        let token = source
            .get(name)?
            .ok_or_else(|| StoreError::SecretMissing(name.to_owned()))?;
        let previous = target.get(name)?;
        write_secret(target, name, &token, previous.as_ref())?;
        let recorded = self.mutate(|entries| {
            let entry = entries
                .iter_mut()
                .find(|e| e.name == name)
                .ok_or_else(|| StoreError::NotFound(name.to_owned()))?;
            if entry.store != from {
                return Err(StoreError::Backend(format!(
                    "{name:?} was moved by another actoken process meanwhile; run the move again"
                )));
            }
            entry.store = to;
            // The same secret, so the same facts; filled in if the index had none yet.
            entry.facts = Some(TokenFacts::of(&token));
            Ok(())
        });
        if let Err(e) = recorded {
            // The index still points at the original, which is untouched: undo the copy.
            restore(target, name, previous.as_ref());
            return Err(e);
        }
        let leftover = source.delete(name).err().map(|e| e.to_string());
        Ok(MoveOutcome::Moved { leftover })
    }
}

/// The index already says `target`: delete a copy left in `other` by an interrupted move, if it
/// is the same token (a different one is not ours to delete).
fn clean_leftover(
    name: &str,
    other: &dyn SecretBackend,
    target: &dyn SecretBackend,
) -> Result<MoveOutcome, StoreError> {
    let (left, kept) = match (other.get(name), target.get(name)?) {
        (Ok(Some(left)), Some(kept)) => (left, kept),
        _ => return Ok(MoveOutcome::AlreadyThere { cleaned: false }),
    };
    if left != kept {
        return Ok(MoveOutcome::AlreadyThere { cleaned: false });
    }
    other.delete(name)?;
    Ok(MoveOutcome::AlreadyThere { cleaned: true })
}

/// Each remembered secret key's id with the result of moving it.
pub(crate) type KeyMoves = Vec<(String, Result<(), StoreError>)>;

/// Moves every remembered secret key (`<service>-accounts`) from `source` to `target`, each
/// copied and read back before the original is deleted. Returns each id with its result.
pub fn move_account_keys(
    source: &dyn SecretBackend,
    target: &dyn SecretBackend,
) -> Result<KeyMoves, StoreError> {
    let ids = source.names()?;
    Ok(ids
        .into_iter()
        .map(|id| {
            let result = move_one_key(&id, source, target);
            (id, result)
        })
        .collect())
}

fn move_one_key(
    id: &str,
    source: &dyn SecretBackend,
    target: &dyn SecretBackend,
) -> Result<(), StoreError> {
    let Some(key) = source.get(id)? else {
        return Ok(());
    };
    let previous = target.get(id)?;
    write_secret(target, id, &key, previous.as_ref())?;
    source.delete(id)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use jiff::Timestamp;

    use super::*;
    use crate::config::Paths;
    use crate::samples::{SAMPLE_REQUEST, SAMPLE_RESPONSE};
    use crate::store::{EntryMeta, MemoryBackend, SecretState};
    use crate::token::Token;

    const NAME: &str = "华东一区【昆山】";

    struct World {
        _dir: tempfile::TempDir,
        paths: Paths,
        ss: MemoryBackend,
        ku: MemoryBackend,
    }

    impl World {
        /// One token, stored through the Secret Service.
        fn new() -> World {
            let dir = tempfile::tempdir().unwrap();
            let w = World {
                paths: Paths::under(dir.path()),
                _dir: dir,
                ss: MemoryBackend::new(),
                ku: MemoryBackend::new(),
            };
            w.store(StoreKind::SecretService)
                .add(meta(NAME), &token(), false)
                .unwrap();
            w
        }

        fn store(&self, kind: StoreKind) -> Store {
            let backend: Arc<dyn SecretBackend> = match kind {
                StoreKind::SecretService => Arc::new(self.ss.clone()),
                StoreKind::Keyutils => Arc::new(self.ku.clone()),
            };
            Store::open_in(&self.paths, backend, kind).unwrap()
        }

        fn pair(&self) -> StorePair<'_> {
            StorePair {
                secret_service: &self.ss,
                keyutils: &self.ku,
            }
        }

        fn move_to_keyutils(&self) -> Result<MoveOutcome, StoreError> {
            self.store(StoreKind::Keyutils)
                .move_entry(NAME, self.pair(), StoreKind::Keyutils)
        }

        /// Nothing lost: the index's store holds the original token.
        fn token_is_where_the_index_says(&self) -> StoreKind {
            let kind = self.store(StoreKind::Keyutils).meta(NAME).unwrap().store;
            let (_, got) = self.store(kind).get(NAME).unwrap();
            assert_eq!(got, token());
            kind
        }
    }

    fn meta(name: &str) -> EntryMeta {
        EntryMeta::new(
            name,
            "https://api01.example.com:65102",
            Timestamp::from_second(1_700_000_000).unwrap(),
        )
    }

    fn token() -> Token {
        Token::from_raw(SAMPLE_REQUEST)
    }

    #[test]
    fn entries_in_the_other_store_are_listed_as_such_then_moved() {
        let w = World::new();
        let ku_store = w.store(StoreKind::Keyutils);
        let all = ku_store.load_all();
        assert_eq!(all.len(), 1, "never an empty list");
        assert!(matches!(
            all[0].secret,
            SecretState::InOtherStore(StoreKind::SecretService)
        ));
        let err = ku_store.get(NAME).unwrap_err();
        assert!(err.to_string().contains("--to keyutils"), "{err}");
        assert!(matches!(
            ku_store.remove(NAME),
            Err(StoreError::InOtherStore { .. })
        ));

        assert_eq!(
            w.move_to_keyutils().unwrap(),
            MoveOutcome::Moved { leftover: None }
        );
        assert_eq!(w.token_is_where_the_index_says(), StoreKind::Keyutils);
        assert_eq!(w.ss.get(NAME).unwrap(), None, "original deleted");
        let text = std::fs::read_to_string(w.paths.index_file()).unwrap();
        assert!(text.contains("store = \"keyutils\""), "{text}");
        // Now the Secret Service side sees it as elsewhere, and a second move does nothing.
        assert!(matches!(
            w.store(StoreKind::SecretService).load_all()[0].secret,
            SecretState::InOtherStore(StoreKind::Keyutils)
        ));
        assert_eq!(
            w.move_to_keyutils().unwrap(),
            MoveOutcome::AlreadyThere { cleaned: false }
        );
    }

    #[test]
    fn the_facts_move_along_and_each_side_lists_from_the_index() {
        let w = World::new();
        let before = w.store(StoreKind::SecretService).meta(NAME).unwrap().facts;
        assert!(before.is_some(), "add records the facts");
        w.move_to_keyutils().unwrap();
        let ku_store = w.store(StoreKind::Keyutils);
        assert_eq!(
            ku_store.meta(NAME).unwrap().facts,
            before,
            "same secret, same facts"
        );

        // Listing reads no secret on either side; the side not holding it flags it.
        let (ss_calls, ku_calls) = (w.ss.calls(), w.ku.calls());
        let here = ku_store.load_index();
        assert!(matches!(here[0].secret, SecretState::Indexed));
        let ss_store = w.store(StoreKind::SecretService);
        let there = ss_store.load_index();
        assert!(matches!(
            there[0].secret,
            SecretState::InOtherStore(StoreKind::Keyutils)
        ));
        assert_eq!(
            there[0].hint(),
            here[0].hint(),
            "the fingerprint hint from the index"
        );
        assert!(matches!(
            ss_store.load_entry(NAME).unwrap().secret,
            SecretState::InOtherStore(StoreKind::Keyutils)
        ));
        assert_eq!(w.ss.calls().reads, ss_calls.reads);
        assert_eq!(w.ku.calls().reads, ku_calls.reads);

        // A renewal's write goes only to the store the entry is in.
        let renewed = Token::from_raw(SAMPLE_RESPONSE);
        assert!(matches!(
            ss_store.put_secret(NAME, &renewed, &token()),
            Err(StoreError::InOtherStore { .. })
        ));
        ku_store
            .put_secret(NAME, &renewed, &token())
            .unwrap()
            .unwrap();
        assert_eq!(w.ku.get(NAME).unwrap(), Some(renewed));
        assert_eq!(w.ss.get(NAME).unwrap(), None);
    }

    #[test]
    fn a_version_1_index_upgrades_keeping_each_entry_s_store() {
        let w = World::new();
        w.ku.set("西北一区", &token()).unwrap();
        let v1 = format!(
            "version = 1\n\n[[token]]\nname = \"{NAME}\"\nbase-url = \"https://a.example\"\n\
             added-at = \"2023-11-14T22:13:20Z\"\n\n[[token]]\nname = \"西北一区\"\n\
             base-url = \"https://b.example\"\nadded-at = \"2023-11-14T22:13:20Z\"\n\
             store = \"keyutils\"\n"
        );
        std::fs::write(w.paths.index_file(), v1).unwrap();

        let ss_store = w.store(StoreKind::SecretService);
        let text = std::fs::read_to_string(w.paths.index_file()).unwrap();
        assert!(text.contains("version = 3"), "{text}");
        assert_eq!(
            ss_store.meta("西北一区").unwrap().store,
            StoreKind::Keyutils
        );
        assert!(
            ss_store.meta(NAME).unwrap().facts.is_some(),
            "read from the store in use"
        );
        assert!(
            ss_store.meta("西北一区").unwrap().facts.is_none(),
            "the other store is not read"
        );
        // The kernel-keyring side fills in its own entry the first time it lists.
        let listed = w.store(StoreKind::Keyutils).load_index();
        assert!(matches!(
            listed[0].secret,
            SecretState::InOtherStore(StoreKind::SecretService)
        ));
        assert!(matches!(listed[1].secret, SecretState::Present(_)));
        let ku_meta = w.store(StoreKind::Keyutils).meta("西北一区").unwrap();
        assert_eq!(ku_meta.store, StoreKind::Keyutils);
        assert!(ku_meta.facts.unwrap().describes(&token()));
    }

    #[test]
    fn a_fault_at_any_step_loses_nothing() {
        // The copy cannot be written.
        let w = World::new();
        w.ku.fail_next_set("disk on fire");
        assert!(w.move_to_keyutils().is_err());
        assert_eq!(w.token_is_where_the_index_says(), StoreKind::SecretService);
        assert_eq!(w.ku.get(NAME).unwrap(), None);

        // The copy reads back different: undone, the original stays in use.
        let w = World::new();
        w.ku.garble_next_set();
        let err = w.move_to_keyutils().unwrap_err();
        assert!(err.to_string().contains("different value"), "{err}");
        assert_eq!(w.token_is_where_the_index_says(), StoreKind::SecretService);
        assert_eq!(w.ku.get(NAME).unwrap(), None);

        // The copy is verified but the index cannot record it (a directory where the index's
        // temp file goes): the copy is undone, the original stays in use.
        let w = World::new();
        let blocker = w
            .paths
            .config_dir
            .join(format!(".index.toml.{}.tmp", std::process::id()));
        std::fs::create_dir(&blocker).unwrap();
        assert!(matches!(w.move_to_keyutils(), Err(StoreError::Io { .. })));
        std::fs::remove_dir(&blocker).unwrap();
        assert_eq!(w.token_is_where_the_index_says(), StoreKind::SecretService);
        assert_eq!(w.ku.get(NAME).unwrap(), None, "copy not undone");

        // The original cannot be read.
        let w = World::new();
        w.ss.fail_next_get("dbus hiccup");
        assert!(w.move_to_keyutils().is_err());
        assert_eq!(w.token_is_where_the_index_says(), StoreKind::SecretService);

        // The original cannot be deleted after the copy was recorded: the token is in use
        // from the new store, and moving again removes the leftover.
        let w = World::new();
        w.ss.fail_next_delete("item busy");
        match w.move_to_keyutils().unwrap() {
            MoveOutcome::Moved {
                leftover: Some(why),
            } => assert!(why.contains("item busy")),
            other => panic!("{other:?}"),
        }
        assert_eq!(w.token_is_where_the_index_says(), StoreKind::Keyutils);
        assert_eq!(w.ss.get(NAME).unwrap(), Some(token()), "leftover");
        assert_eq!(
            w.move_to_keyutils().unwrap(),
            MoveOutcome::AlreadyThere { cleaned: true }
        );
        assert_eq!(w.ss.get(NAME).unwrap(), None);

        // A different token under the same name in the other store is not ours to delete.
        w.ss.set(NAME, &Token::from_raw(SAMPLE_RESPONSE)).unwrap();
        assert_eq!(
            w.move_to_keyutils().unwrap(),
            MoveOutcome::AlreadyThere { cleaned: false }
        );
        assert!(w.ss.get(NAME).unwrap().is_some());
    }

    #[test]
    fn a_move_waits_for_a_renewal_of_the_same_token() {
        let w = World::new();
        let renewal = TokenLock::acquire(&w.paths, NAME, Duration::from_secs(1)).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| tx.send(w.move_to_keyutils()).unwrap());
            std::thread::sleep(Duration::from_millis(200));
            assert!(rx.try_recv().is_err(), "moved while the token was locked");
            // The renewal saves a new token in the old store, then lets go.
            w.store(StoreKind::SecretService)
                .replace_token(NAME, &Token::from_raw(SAMPLE_RESPONSE), Timestamp::now())
                .unwrap();
            drop(renewal);
        });
        assert!(matches!(rx.recv().unwrap(), Ok(MoveOutcome::Moved { .. })));
        let (_, moved) = w.store(StoreKind::Keyutils).get(NAME).unwrap();
        assert_eq!(
            moved,
            Token::from_raw(SAMPLE_RESPONSE),
            "the renewed token moved"
        );
    }

    #[test]
    fn account_keys_move_with_read_back() {
        let (from, to) = (MemoryBackend::new(), MemoryBackend::new());
        from.set("alice@api.example.com", &token()).unwrap();
        from.set("bob@api.example.com", &token()).unwrap();
        to.garble_next_set();
        let results = move_account_keys(&from, &to).unwrap();
        assert!(results[0].1.is_err(), "garbled copy must fail");
        assert!(results[1].1.is_ok());
        assert_eq!(from.names().unwrap(), ["alice@api.example.com"]);
        assert_eq!(to.names().unwrap(), ["bob@api.example.com"]);
        assert_eq!(to.get("bob@api.example.com").unwrap(), Some(token()));
    }
}
