//! [`Store`]: the index file and a secret backend kept in step.
//!
//! Every mutation takes the index lock, re-reads the index from disk (another actoken process
//! may have changed it), changes the secret, then writes the index. Secrets are written before
//! the index names them and deleted before the index forgets them, so a crash in between
//! leaves at worst an orphan secret ([`Store::orphans`]) or an entry whose secret is missing,
//! never a token that silently vanished.
//!
//! Methods block: keyring calls go over D-Bus (each bounded by the backend's timeout), so async
//! code calls them through [`Door`](super::Door), which also bounds the whole call.
//!
//! Changes of one token (add, remove, replace, and a renewal's [`Store::put_secret`]) take the
//! token's change lock ([`TokenLock::change`]), so each sees the others' work whole. The
//! renewal lock ([`TokenLock::acquire`]) is the renewal workflow's: it holds it across its
//! network call and then calls [`Store::put_secret`] and [`Store::record`].
//!
//! The index caches each token's non-secret facts ([`TokenFacts`]), so listing reads no secret
//! ([`Store::load_index`]). Whenever a secret *is* read, its fingerprint is compared with the
//! index; if the keyring changed behind our back (or lost the entry), the index is corrected
//! and a notice says so ([`Store::on_notice`]).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;

use super::stamp::{IndexStamp, stamp};
use super::{
    EntryMeta, SecretBackend, SecretState, StoreError, StoreKind, StoredToken, TokenFacts,
    TokenLock, fingerprint, fsutil, index, lock, validate_name,
};
use crate::config::Paths;
use crate::files::Role;
use crate::token::Token;

/// Longest wait for another process's index update (they take milliseconds plus keyring calls).
pub(super) const INDEX_LOCK_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest wait for another change of the same token (keyring calls and an index update).
const CHANGE_LOCK_TIMEOUT: Duration = INDEX_LOCK_TIMEOUT;

/// Tokens: metadata from the index file, secrets from a [`SecretBackend`]. Cheap to clone;
/// clones share one view of the index.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    paths: Paths,
    backend: Arc<dyn SecretBackend>,
    /// Which store `backend` is: entries the index places elsewhere are not read through it.
    kind: StoreKind,
    /// The index as last read or written by this process, sorted by name.
    entries: Mutex<Vec<EntryMeta>>,
    /// The index file `entries` came from, when known: if it is still there, `entries` is
    /// what the disk holds (see [`Store::current_entry`]). Set with `entries`, under its lock.
    synced: Mutex<Option<IndexStamp>>,
    /// Writers of this process queue here before taking the index file lock: a mutex hands
    /// over at once, while the file lock is polled (every 20 ms), which made concurrent
    /// renewals in one process wait for each other's polls.
    writer: Mutex<()>,
    /// Where notices about a healed index go (stderr for the CLI, the status line for the
    /// dashboard); a warning in the log until someone asks for them.
    notify: Mutex<Notify>,
}

type Notify = Arc<dyn Fn(&str) + Send + Sync>;

/// Why [`Store::put_secret`] did not write a renewed token: the user changed the entry while it
/// was being renewed, and their change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Superseded {
    /// `rm` removed it.
    Removed,
    /// `add --force` (or a login) stored another token under the name.
    Replaced,
}

/// A renewed (or otherwise replaced) token whose secret is in the keyring, for the index.
#[derive(Debug, Clone)]
pub struct Saved {
    pub name: String,
    /// Fingerprint of the token it replaced (as read under the renewal lock).
    pub replaced: String,
    pub facts: TokenFacts,
    pub renewed_at: Timestamp,
}

impl Saved {
    pub fn new(name: &str, old: &Token, new: &Token, renewed_at: Timestamp) -> Saved {
        Saved {
            name: name.to_owned(),
            replaced: fingerprint(old),
            facts: TokenFacts::of(new),
            renewed_at,
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("paths", &self.inner.paths)
            .field("backend", &self.inner.backend.describe())
            .finish()
    }
}

impl Store {
    /// Creates the config and state directories (mode 0700) if needed and reads the index.
    /// The backend is taken to be the Secret Service (see [`Store::open_in`]).
    pub fn open(paths: &Paths, backend: Arc<dyn SecretBackend>) -> Result<Store, StoreError> {
        Store::open_in(paths, backend, StoreKind::SecretService)
    }

    /// Like [`Store::open`], with `backend` being the store `kind`: new entries are recorded
    /// there, and entries the index places in the other store are reported, not read.
    pub fn open_in(
        paths: &Paths,
        backend: Arc<dyn SecretBackend>,
        kind: StoreKind,
    ) -> Result<Store, StoreError> {
        fsutil::ensure_trusted_dir(Role::ConfigDir, &paths.config_dir)?;
        fsutil::ensure_trusted_dir(Role::StateDir, &paths.state_dir)?;
        let synced = stamp(&paths.index_file());
        let index = index::read_versioned(&paths.index_file())?;
        let store = Store {
            inner: Arc::new(Inner {
                paths: paths.clone(),
                backend,
                kind,
                entries: Mutex::new(index.entries),
                synced: Mutex::new(synced),
                writer: Mutex::new(()),
                notify: Mutex::new(Arc::new(|msg: &str| tracing::warn!("{msg}"))),
            }),
        };
        if index.version < index::INDEX_VERSION {
            store.upgrade()?;
        }
        Ok(store)
    }

    /// Sends notices (the index healed itself) to `notify` instead of the log.
    pub(crate) fn on_notice(&self, notify: impl Fn(&str) + Send + Sync + 'static) {
        *self.inner.notify.lock().unwrap_or_else(|e| e.into_inner()) = Arc::new(notify);
    }

    fn notice(&self, msg: &str) {
        let notify = Arc::clone(&self.inner.notify.lock().unwrap_or_else(|e| e.into_inner()));
        notify(msg);
    }

    /// Rewrites an older index in the current format, filling in the facts of every token
    /// from one batch read of the keyring, and the list's id and name of the platform token
    /// (which is what marked it). Every field of the old format is kept; entries whose secret
    /// cannot be read are kept without facts (they are read again when listed). A region's
    /// list id is not known until its account logs in again: its claim stands in meanwhile.
    fn upgrade(&self) -> Result<(), StoreError> {
        let read = self.read_unknown(&self.entries());
        let facts = facts_by_name(&read);
        self.mutate(|entries| {
            fill_facts(entries, &facts);
            fill_platform_ids(entries);
            Ok(())
        })?;
        tracing::info!(
            "upgraded the index {} to version {}",
            self.inner.paths.index_file().display(),
            index::INDEX_VERSION
        );
        Ok(())
    }

    pub(crate) fn paths(&self) -> &Paths {
        &self.inner.paths
    }

    /// How long one backend call may wait (see [`SecretBackend::call_timeout`]).
    pub(super) fn call_timeout(&self) -> Option<std::time::Duration> {
        self.inner.backend.call_timeout()
    }

    /// The store in use (new entries go there).
    pub(crate) fn kind(&self) -> StoreKind {
        self.inner.kind
    }

    /// The index as last read, sorted by name (no disk access; see [`Store::reload`]).
    pub fn entries(&self) -> Vec<EntryMeta> {
        self.cached().clone()
    }

    /// Re-reads the index from disk, to see changes made by other processes.
    pub fn reload(&self) -> Result<(), StoreError> {
        let path = self.inner.paths.index_file();
        // Taken before the read: a write in between makes `current_entry` read again.
        let before = stamp(&path);
        let fresh = index::read(&path)?;
        let mut view = self.cached();
        *view = fresh;
        *self.synced() = before;
        Ok(())
    }

    /// `name`'s entry as the index file has it now: from the view if the file is unchanged
    /// since this store last read or wrote it (a `stat`: a renewal batch checks its entry
    /// before every save), else read again. Under the view's lock throughout, so an older read
    /// by another thread cannot come in between the check and the answer.
    fn current_entry(&self, name: &str) -> Result<Option<EntryMeta>, StoreError> {
        let path = self.inner.paths.index_file();
        let mut view = self.cached();
        let now = stamp(&path);
        if now.is_none() || now != *self.synced() {
            *view = index::read(&path)?;
            *self.synced() = now;
        }
        Ok(view.iter().find(|e| e.name == name).cloned())
    }

    /// `name`'s entry as the index file has it now: one `stat` when the file is unchanged
    /// since this store last read or wrote it, else read again (and the view with it). For a
    /// process that runs for good (the agent) to check a token it holds against the index.
    pub(crate) fn current_meta(&self, name: &str) -> Result<EntryMeta, StoreError> {
        self.current_entry(name)?
            .ok_or_else(|| StoreError::NotFound(name.to_owned()))
    }

    pub fn meta(&self, name: &str) -> Result<EntryMeta, StoreError> {
        self.cached()
            .iter()
            .find(|e| e.name == name)
            .cloned()
            .ok_or_else(|| StoreError::NotFound(name.to_owned()))
    }

    /// Every index entry with its secret, in index order. The backend reads them in one batch
    /// where it can ([`SecretBackend::get_many`]); once the backend as a whole fails
    /// (unavailable, timed out), the remaining entries get the same error without asking
    /// again, so a hung keyring costs one timeout, not one per token.
    /// Secrets that differ from what the index remembers heal the index (see [`Store::get`]).
    ///
    /// Entries the index places in the other store are not read: they come back as
    /// [`SecretState::InOtherStore`], so switching stores never hides a token.
    pub fn load_all(&self) -> Vec<StoredToken> {
        let read = self.read_secrets(self.entries());
        self.heal(&read);
        read
    }

    /// Every index entry, in index order, described by the index alone: no secret is read,
    /// except for entries whose facts the index does not have yet (just upgraded, or missing
    /// last time), which are read in one batch and healed into the index.
    pub(crate) fn load_index(&self) -> Vec<StoredToken> {
        let entries = self.entries();
        let here = self.inner.kind;
        let read = self.read_unknown(&entries);
        self.heal(&read);
        let mut read = read.into_iter().peekable();
        entries
            .into_iter()
            .map(|meta| match read.peek() {
                Some(r) if r.meta.name == meta.name => read.next().expect("peeked"),
                _ if meta.store != here => StoredToken {
                    secret: SecretState::InOtherStore(meta.store),
                    meta,
                },
                _ => StoredToken {
                    meta,
                    secret: SecretState::Indexed,
                },
            })
            .collect()
    }

    /// One entry as [`Store::load_index`] gives it: from the index, or read if the index has
    /// no facts for it. A keyring that cannot be reached at all is an error.
    pub(crate) fn load_entry(&self, name: &str) -> Result<StoredToken, StoreError> {
        let meta = self.meta(name)?;
        if meta.store != self.inner.kind {
            return Ok(StoredToken {
                secret: SecretState::InOtherStore(meta.store),
                meta,
            });
        }
        if meta.facts.is_some() {
            return Ok(StoredToken {
                meta,
                secret: SecretState::Indexed,
            });
        }
        let secret = match self.get(name) {
            Ok((_, token)) => SecretState::Present(token),
            Err(StoreError::SecretMissing(_)) => SecretState::Missing,
            Err(e) if e.is_unavailable() => return Err(e),
            Err(e) => SecretState::Unreadable(e.to_string()),
        };
        Ok(StoredToken { meta, secret })
    }

    /// Entries in the store in use without facts, with their secrets read (in one batch).
    fn read_unknown(&self, entries: &[EntryMeta]) -> Vec<StoredToken> {
        let unknown: Vec<EntryMeta> = entries
            .iter()
            .filter(|e| e.facts.is_none() && e.store == self.inner.kind)
            .cloned()
            .collect();
        if unknown.is_empty() {
            return Vec::new();
        }
        self.read_secrets(unknown)
    }

    /// `entries` with their secrets, read in one batch from the store in use; entries the
    /// index places in the other store are not read.
    pub(super) fn read_secrets(&self, entries: Vec<EntryMeta>) -> Vec<StoredToken> {
        let here = self.inner.kind;
        let names: Vec<String> = entries
            .iter()
            .filter(|m| m.store == here)
            .map(|m| m.name.clone())
            .collect();
        let mut secrets = self.inner.backend.get_many(&names).into_iter();
        debug_assert_eq!(secrets.len(), names.len());
        entries
            .into_iter()
            .map(|meta| {
                let secret = if meta.store != here {
                    SecretState::InOtherStore(meta.store)
                } else {
                    match secrets.next() {
                        Some(Ok(Some(token))) => SecretState::Present(token),
                        Some(Ok(None)) => SecretState::Missing,
                        Some(Err(e)) => SecretState::Unreadable(e.to_string()),
                        None => SecretState::Unreadable("the keyring gave no answer".into()),
                    }
                };
                StoredToken { meta, secret }
            })
            .collect()
    }

    /// `Err(InOtherStore)` when the index places `meta` in the store not in use.
    fn here(&self, meta: &EntryMeta) -> Result<(), StoreError> {
        if meta.store == self.inner.kind {
            Ok(())
        } else {
            Err(StoreError::InOtherStore {
                name: meta.name.clone(),
                kind: meta.store,
            })
        }
    }

    /// The entry and its secret. If the secret is not what the index remembers (changed or
    /// deleted outside actoken), the index is corrected and a notice says so.
    pub fn get(&self, name: &str) -> Result<(EntryMeta, Token), StoreError> {
        let meta = self.meta(name)?;
        self.here(&meta)?;
        let secret = self.inner.backend.get(name)?;
        let read = StoredToken {
            meta,
            secret: match &secret {
                Some(token) => SecretState::Present(token.clone()),
                None => SecretState::Missing,
            },
        };
        self.heal(std::slice::from_ref(&read));
        match secret {
            Some(token) => Ok((self.meta(name)?, token)),
            None => Err(StoreError::SecretMissing(name.to_owned())),
        }
    }

    /// Corrects the index for secrets just read that it describes wrongly, with a notice for
    /// each change made behind our back. Best effort: a failed index write is logged (the
    /// next read tries again).
    pub(super) fn heal(&self, read: &[StoredToken]) {
        let described = |secret: &SecretState, known: Option<&TokenFacts>| match secret {
            SecretState::Present(token) => known.is_some_and(|f| f.describes(token)),
            SecretState::Missing => known.is_none(),
            _ => true,
        };
        let mut fixes: Vec<(String, Option<TokenFacts>)> = Vec::new();
        for stored in read {
            let name = &stored.meta.name;
            if described(&stored.secret, stored.meta.facts.as_ref()) {
                continue;
            }
            // The view may only be stale: another actoken process may have saved a token
            // (and then the index) since this one read the index. Judge by the index now.
            let known = match self.current_entry(name) {
                Ok(Some(now)) => now.facts,
                Ok(None) => continue, // removed meanwhile: nothing to correct
                Err(e) => {
                    tracing::debug!(error = %e, "could not re-read the index");
                    stored.meta.facts.clone()
                }
            };
            match (&stored.secret, &known) {
                (SecretState::Present(token), Some(facts)) if facts.describes(token) => {}
                (SecretState::Present(token), _) => {
                    if known.is_some() {
                        self.notice(&changed_notice(name));
                    }
                    fixes.push((name.clone(), Some(TokenFacts::of(token))));
                }
                (SecretState::Missing, Some(_)) => {
                    self.notice(&missing_notice(name));
                    fixes.push((name.clone(), None));
                }
                _ => {}
            }
        }
        if fixes.is_empty() {
            return;
        }
        let result = self.mutate(|entries| {
            for (name, facts) in &fixes {
                if let Some(entry) = entries.iter_mut().find(|e| &e.name == name) {
                    entry.facts = facts.clone();
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not correct the index");
        }
    }

    /// Compares the keyring with the index by count (one search), and by name only when the
    /// counts differ: entries whose secret is gone are marked missing (with a notice), and the
    /// names the keyring holds but the index does not list (orphans) are returned.
    pub(crate) fn reconcile(&self) -> Result<Vec<String>, StoreError> {
        let here = self.inner.kind;
        let entries: Vec<EntryMeta> = (self.entries().into_iter())
            .filter(|e| e.store == here)
            .collect();
        let believed = entries.iter().filter(|e| e.facts.is_some()).count();
        if self.inner.backend.count()? == believed {
            return Ok(Vec::new());
        }
        let names = self.inner.backend.names()?;
        let gone: Vec<StoredToken> = entries
            .into_iter()
            .filter(|e| e.facts.is_some() && names.binary_search(&e.name).is_err())
            .map(|meta| StoredToken {
                meta,
                secret: SecretState::Missing,
            })
            .collect();
        self.heal(&gone);
        self.orphans_among(names)
    }

    /// Adds a token. Without `force`, an existing name (in the index, or a secret already in
    /// the keyring under that name) is `Exists`; with `force` it is replaced.
    ///
    /// The entry is recorded in the store in use. Replacing (with `force`) an entry the index
    /// places in the other store leaves that store's secret in place (an orphan there).
    pub fn add(&self, mut meta: EntryMeta, token: &Token, force: bool) -> Result<(), StoreError> {
        validate_name(&meta.name)?;
        let _change = self.change_lock(&meta.name)?;
        meta.facts = Some(TokenFacts::of(token));
        meta.store = self.inner.kind;
        let name = meta.name.clone();
        let backend = self.inner.backend.as_ref();
        let mut written_over: Option<Option<Token>> = None;
        let result = self.mutate(|entries| {
            let listed = entries.iter().any(|e| e.name == name);
            let previous = backend.get(&name)?;
            if !force && (listed || previous.is_some()) {
                return Err(StoreError::Exists(name.clone()));
            }
            write_secret(backend, &name, token, previous.as_ref())?;
            written_over = Some(previous);
            entries.retain(|e| e.name != name);
            entries.push(meta);
            Ok(())
        });
        if let (Err(_), Some(previous)) = (&result, written_over) {
            // The secret was saved but the index could not be written: undo, so a failed add
            // leaves things as they were (the caller still has the token).
            restore(backend, &name, previous.as_ref());
        }
        result
    }

    /// Replaces the secret of an existing entry and records it in the index: one read (the
    /// old secret, to put back if the write fails half-way), one write, one index update. On
    /// `Err` the keyring holds either the old secret or the complete new one (when only the
    /// index update failed: a renewed token is never thrown away).
    pub fn replace_token(
        &self,
        name: &str,
        token: &Token,
        renewed_at: Timestamp,
    ) -> Result<(), StoreError> {
        let _change = self.change_lock(name)?;
        let meta = self
            .current_entry(name)?
            .ok_or_else(|| StoreError::NotFound(name.to_owned()))?;
        self.here(&meta)?;
        let old = self
            .inner
            .backend
            .get(name)?
            .ok_or_else(|| StoreError::SecretMissing(name.to_owned()))?;
        self.set_secret(name, token, &old)?;
        self.record(&[Saved::new(name, &old, token, renewed_at)])
    }

    /// Writes `token` under `name` in place of `old` (which the caller read under the
    /// renewal lock): one keyring write, no index change (see [`Store::record`]).
    ///
    /// Under the token's change lock, and only if the entry is still the one renewed: `rm`
    /// and `add --force` do not wait for a renewal's server, so one may have removed or
    /// replaced it meanwhile; then nothing is written and `Ok(Err(..))` says which.
    pub(crate) fn put_secret(
        &self,
        name: &str,
        token: &Token,
        old: &Token,
    ) -> Result<Result<(), Superseded>, StoreError> {
        let _change = self.change_lock(name)?;
        let Some(meta) = self.current_entry(name)? else {
            return Ok(Err(Superseded::Removed));
        };
        let known = meta.facts.as_ref().map(|f| f.fingerprint.as_str());
        let ours = [fingerprint(old), fingerprint(token)];
        if known.is_some_and(|fp| !ours.iter().any(|f| f == fp)) {
            return Ok(Err(Superseded::Replaced));
        }
        self.here(&meta)?;
        self.set_secret(name, token, old).map(Ok)
    }

    /// One keyring write; if it fails and leaves a third value, `old` is put back.
    ///
    /// No read-back: a Secret Service write replaces the item whole and is acknowledged by
    /// the daemon, and the next read compares fingerprints anyway (see [`Store::get`]).
    fn set_secret(&self, name: &str, token: &Token, old: &Token) -> Result<(), StoreError> {
        let backend = self.inner.backend.as_ref();
        backend
            .set(name, token)
            .inspect_err(|_| undo_failed_write(backend, name, token, Some(old)))
    }

    /// Records tokens already saved with [`Store::put_secret`]: their facts and `renewed_at`,
    /// in one atomic index write. An entry another process changed since (its fingerprint is
    /// neither the replaced token's nor the new one's) is left as that process wrote it.
    pub(crate) fn record(&self, saved: &[Saved]) -> Result<(), StoreError> {
        if saved.is_empty() {
            return Ok(());
        }
        self.mutate(|entries| {
            for s in saved {
                let Some(entry) = entries.iter_mut().find(|e| e.name == s.name) else {
                    continue; // removed meanwhile: its secret went with it
                };
                let current = entry.facts.as_ref().map(|f| f.fingerprint.as_str());
                let ours = [s.replaced.as_str(), s.facts.fingerprint.as_str()];
                if current.is_none_or(|fp| ours.contains(&fp)) {
                    entry.facts = Some(s.facts.clone());
                    entry.renewed_at = Some(s.renewed_at);
                }
            }
            Ok(())
        })
    }

    /// Removes an entry and its secret. A name known only to the keyring (an orphan) is
    /// removed too; a name known to neither is `NotFound`.
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let _change = self.change_lock(name)?;
        let backend = &self.inner.backend;
        self.mutate(|entries| {
            let listed = entries.iter().find(|e| e.name == name);
            if let Some(entry) = listed {
                self.here(entry)?;
            }
            let listed = listed.is_some();
            if !listed && backend.get(name)?.is_none() {
                return Err(StoreError::NotFound(name.to_owned()));
            }
            backend.delete(name)?;
            entries.retain(|e| e.name != name);
            Ok(())
        })
    }

    /// Names the keyring holds a secret for but the index does not list (the index was lost
    /// or edited), sorted; they can be re-added.
    pub fn orphans(&self) -> Result<Vec<String>, StoreError> {
        let names = self.inner.backend.names()?;
        self.orphans_among(names)
    }

    fn orphans_among(&self, mut names: Vec<String>) -> Result<Vec<String>, StoreError> {
        let listed = self.cached();
        names.retain(|n| listed.binary_search_by(|e| e.name.as_str().cmp(n)).is_err());
        names.sort();
        Ok(names)
    }

    /// Read-modify-write of the index under the index lock. `change` edits the fresh entries
    /// (and does its keyring work); they are written only if it succeeds.
    pub(super) fn mutate(
        &self,
        change: impl FnOnce(&mut Vec<EntryMeta>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let paths = &self.inner.paths;
        let _turn = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        let _lock = lock::lock_index(paths, INDEX_LOCK_TIMEOUT)?;
        let path = paths.index_file();
        let mut entries = index::read(&path)?;
        let result = change(&mut entries);
        let written = match &result {
            Ok(()) => {
                entries.sort_by(|a, b| a.name.cmp(&b.name));
                index::write(&path, &entries)
            }
            Err(_) => Ok(()),
        };
        // Keep the view in step with the disk either way (the re-read may show other changes).
        let mut view = self.cached();
        if written.is_ok() {
            *view = entries;
        }
        // Still under the index lock: what is on disk now is what was just read or written.
        // After a failed change the view may hold its half-made edits: read again next time.
        *self.synced() = match (&result, &written) {
            (Ok(()), Ok(())) => stamp(&path),
            _ => None,
        };
        drop(view);
        result.and(written)
    }

    /// The change lock of token `name` (see [`TokenLock::change`]).
    fn change_lock(&self, name: &str) -> Result<TokenLock, StoreError> {
        TokenLock::change(&self.inner.paths, name, CHANGE_LOCK_TIMEOUT)
    }

    fn synced(&self) -> MutexGuard<'_, Option<IndexStamp>> {
        self.inner.synced.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cached(&self) -> MutexGuard<'_, Vec<EntryMeta>> {
        self.inner.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Writes `token` under `name` and reads it back. On failure the keyring is left holding
/// `old` (put back if needed) or, if it cannot be told apart, the complete new token.
pub(super) fn write_secret(
    backend: &dyn SecretBackend,
    name: &str,
    token: &Token,
    old: Option<&Token>,
) -> Result<(), StoreError> {
    if let Err(e) = backend.set(name, token) {
        undo_failed_write(backend, name, token, old);
        return Err(e);
    }
    if let Err(e) = verify(backend, name, token) {
        restore(backend, name, old);
        return Err(e);
    }
    Ok(())
}

/// A failed write may still have happened: if the keyring now holds some third value, put the
/// old one back. If it cannot even be read (e.g. it is hung), queueing more writes would not
/// help: a keyring item is replaced whole, so it will hold the old or the new token.
fn undo_failed_write(backend: &dyn SecretBackend, name: &str, token: &Token, old: Option<&Token>) {
    if let Ok(now) = backend.get(name)
        && now.as_ref() != Some(token)
        && now.as_ref() != old
    {
        restore(backend, name, old);
    }
}

/// What the facts of the index's entries are, by name, from secrets just read.
fn facts_by_name(read: &[StoredToken]) -> Vec<(String, TokenFacts)> {
    read.iter()
        .filter_map(|s| match &s.secret {
            SecretState::Present(token) => Some((s.meta.name.clone(), TokenFacts::of(token))),
            _ => None,
        })
        .collect()
}

/// Sets the facts of entries that have none yet.
fn fill_facts(entries: &mut [EntryMeta], facts: &[(String, TokenFacts)]) {
    for entry in entries.iter_mut().filter(|e| e.facts.is_none()) {
        if let Some((_, f)) = facts.iter().find(|(n, _)| *n == entry.name) {
            entry.facts = Some(f.clone());
        }
    }
}

/// Platform entries (marked at login from the list's `0`/`ac`) get that id and name back.
fn fill_platform_ids(entries: &mut [EntryMeta]) {
    for entry in entries.iter_mut().filter(|e| e.platform) {
        entry
            .cluster_id
            .get_or_insert_with(|| crate::api::PLATFORM_CLUSTER_ID.to_owned());
        entry
            .cluster_name
            .get_or_insert_with(|| crate::api::PLATFORM_CLUSTER_NAME.to_owned());
    }
}

fn changed_notice(name: &str) -> String {
    format!(
        "the keyring entry for {name:?} changed outside actoken; the index now describes the \
         token the keyring holds"
    )
}

fn missing_notice(name: &str) -> String {
    format!(
        "the keyring no longer holds a token for {name:?} (deleted outside actoken); it is \
         listed as missing: add it again with `actoken add {name} --force`, or remove it with \
         `actoken rm {name}`"
    )
}

/// Reads `name` back and compares it with what was just written.
fn verify(backend: &dyn SecretBackend, name: &str, expected: &Token) -> Result<(), StoreError> {
    match backend.get(name)? {
        Some(t) if &t == expected => Ok(()),
        Some(_) => Err(StoreError::Backend(format!(
            "the keyring returned a different value for {name:?} than was just saved; the \
             previous value was put back; check the keyring daemon and retry"
        ))),
        None => Err(StoreError::Backend(format!(
            "the keyring lost the value for {name:?} right after saving it; the previous value \
             was put back; check the keyring daemon and retry"
        ))),
    }
}

/// Best effort: puts `old` back under `name` (or deletes the entry if there was none).
pub(super) fn restore(backend: &dyn SecretBackend, name: &str, old: Option<&Token>) {
    let result = match old {
        Some(token) => backend.set(name, token),
        None => backend.delete(name),
    };
    if let Err(e) = result {
        tracing::warn!(name, error = %e, "could not restore the previous keyring value");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{SAMPLE_REQUEST, SAMPLE_RESPONSE};

    struct Fixture {
        _dir: tempfile::TempDir,
        paths: Paths,
        backend: crate::store::MemoryBackend,
        store: Store,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let backend = crate::store::MemoryBackend::new();
        let store = Store::open(&paths, Arc::new(backend.clone())).unwrap();
        Fixture {
            _dir: dir,
            paths,
            backend,
            store,
        }
    }

    fn meta(name: &str) -> EntryMeta {
        EntryMeta::new(
            name,
            "https://api01.example.com:65102",
            Timestamp::from_second(1_700_000_000).unwrap(),
        )
    }

    /// `m` as the store keeps it once `token` is stored under it.
    fn with_facts(mut m: EntryMeta, token: &Token) -> EntryMeta {
        m.facts = Some(TokenFacts::of(token));
        m
    }

    fn old() -> Token {
        Token::from_raw(SAMPLE_REQUEST)
    }

    fn new() -> Token {
        Token::from_raw(SAMPLE_RESPONSE)
    }

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    /// Issue 23: a version-2 index (the previous release's: no list ids) upgrades to the
    /// current version keeping every field of every entry; the platform entry gets the list's
    /// `0`/`ac` back (that is what marked it), a region's id waits for the next login.
    #[test]
    fn a_version_2_index_upgrades_keeping_every_field() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let backend = crate::store::MemoryBackend::new();
        backend.set("alice/ac", &old()).unwrap();
        backend.set("alice/华东一区【昆山】", &new()).unwrap();
        let platform = EntryMeta {
            account: Some("alice@api.example.com".into()),
            platform: true,
            ..with_facts(meta("alice/ac"), &old())
        };
        let region = EntryMeta {
            note: Some("昆山 note".into()),
            renewed_at: Some(at(1_700_000_100)),
            account: Some("alice@api.example.com".into()),
            store: StoreKind::Keyutils,
            ..with_facts(meta("alice/华东一区【昆山】"), &new())
        };
        let by_hand = meta("hand-added");
        let before = vec![platform.clone(), region.clone(), by_hand.clone()];
        index::write(&paths.index_file(), &before).unwrap();
        let text = std::fs::read_to_string(paths.index_file()).unwrap();
        let v2 = text.replace(
            &format!("version = {}", index::INDEX_VERSION),
            "version = 2",
        );
        assert!(
            v2.contains("version = 2") && !v2.contains("cluster-"),
            "{v2}"
        );
        std::fs::write(paths.index_file(), &v2).unwrap();

        let store = Store::open(&paths, Arc::new(backend)).unwrap();
        let text = std::fs::read_to_string(paths.index_file()).unwrap();
        assert!(text.contains("version = 3"), "{text}");
        let upgraded = index::read(&paths.index_file()).unwrap();
        let mut want_sorted = vec![
            EntryMeta {
                cluster_id: Some("0".into()),
                cluster_name: Some("ac".into()),
                ..platform
            },
            region,
            by_hand,
        ];
        want_sorted.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(upgraded, want_sorted);
        assert_eq!(store.entries(), want_sorted);
        assert_eq!(
            index::read_versioned(&paths.index_file()).unwrap().version,
            3
        );
    }

    #[test]
    fn add_get_replace_remove() {
        let f = fixture();
        f.store.add(meta("b"), &old(), false).unwrap();
        f.store.add(meta("a"), &new(), false).unwrap();
        let names: Vec<_> = f.store.entries().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["a", "b"]);

        let (m, t) = f.store.get("b").unwrap();
        assert_eq!(m, with_facts(meta("b"), &old()));
        assert_eq!(t, old());

        f.store
            .replace_token("b", &new(), at(1_700_000_500))
            .unwrap();
        let (m, t) = f.store.get("b").unwrap();
        assert_eq!(t, new());
        assert_eq!(m.renewed_at, Some(at(1_700_000_500)));
        assert_eq!(
            f.store.meta("b").unwrap().renewed_at,
            Some(at(1_700_000_500))
        );

        // A second process sees it all on disk.
        let other = Store::open(&f.paths, Arc::new(f.backend.clone())).unwrap();
        assert_eq!(other.meta("b").unwrap().renewed_at, Some(at(1_700_000_500)));

        f.store.remove("b").unwrap();
        assert!(matches!(f.store.get("b"), Err(StoreError::NotFound(n)) if n == "b"));
        assert_eq!(f.backend.get("b").unwrap(), None, "secret left behind");
        assert!(matches!(f.store.remove("b"), Err(StoreError::NotFound(_))));
        other.reload().unwrap();
        assert_eq!(other.entries(), vec![with_facts(meta("a"), &new())]);
    }

    #[test]
    fn index_holds_no_secret() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        let text = std::fs::read_to_string(f.paths.index_file()).unwrap();
        assert!(text.contains("name = \"a\""), "{text}");
        assert!(!text.contains(&SAMPLE_REQUEST[40..80]), "{text}");
    }

    #[test]
    fn add_existing_needs_force() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        let err = f.store.add(meta("a"), &new(), false).unwrap_err();
        assert!(matches!(&err, StoreError::Exists(n) if n == "a"));
        assert!(err.to_string().contains("force"), "{err}");
        assert_eq!(f.store.get("a").unwrap().1, old());

        let mut m = meta("a");
        m.note = Some("replaced".into());
        f.store.add(m.clone(), &new(), true).unwrap();
        assert_eq!(f.store.get("a").unwrap(), (with_facts(m, &new()), new()));
        assert_eq!(f.store.entries().len(), 1);
    }

    #[test]
    fn add_over_an_orphan_secret_needs_force() {
        let f = fixture();
        f.backend.set("lost", &old()).unwrap();
        assert!(matches!(
            f.store.add(meta("lost"), &new(), false),
            Err(StoreError::Exists(_))
        ));
        assert_eq!(f.backend.get("lost").unwrap(), Some(old()));
        f.store.add(meta("lost"), &new(), true).unwrap();
        assert_eq!(f.backend.get("lost").unwrap(), Some(new()));
    }

    #[test]
    fn invalid_names_are_refused_before_anything_is_stored() {
        let f = fixture();
        for bad in ["", "a b", "-x", "a//b"] {
            let err = f.store.add(meta(bad), &old(), false).unwrap_err();
            assert!(
                matches!(err, StoreError::InvalidName { .. }),
                "{bad:?}: {err}"
            );
        }
        assert!(f.backend.names().unwrap().is_empty());
        assert!(!f.paths.index_file().exists());
    }

    #[test]
    fn failing_set_leaves_the_old_secret_byte_for_byte() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        let before = std::fs::read(f.paths.index_file()).unwrap();
        f.backend.fail_next_set("disk on fire");
        let err = f
            .store
            .replace_token("a", &new(), at(1_700_000_500))
            .unwrap_err();
        assert!(matches!(&err, StoreError::Backend(m) if m == "disk on fire"));
        let (m, t) = f.store.get("a").unwrap();
        assert_eq!(t.expose().as_bytes(), SAMPLE_REQUEST.as_bytes());
        assert_eq!(m.renewed_at, None);
        assert_eq!(std::fs::read(f.paths.index_file()).unwrap(), before);
    }

    #[test]
    fn garbled_add_is_undone_and_a_garbled_renewal_is_noticed_on_the_next_read() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        // Renewals do not read back (one read and one write each): a keyring that says it
        // saved a value it did not is caught by the fingerprint on the next read.
        f.backend.garble_next_set();
        f.store
            .replace_token("a", &new(), at(1_700_000_500))
            .unwrap();
        let notices = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&notices);
        f.store
            .on_notice(move |m| sink.lock().unwrap().push(m.to_owned()));
        let (m, held) = f.store.get("a").unwrap();
        assert_ne!(held, new());
        assert!(m.facts.unwrap().describes(&held));
        let notices = notices.lock().unwrap();
        assert!(
            notices[0].contains("changed outside actoken"),
            "{notices:?}"
        );

        // A garbled first add leaves nothing behind (adds still read back).
        f.backend.garble_next_set();
        assert!(f.store.add(meta("b"), &old(), false).is_err());
        assert_eq!(f.backend.get("b").unwrap(), None);
        assert!(matches!(f.store.meta("b"), Err(StoreError::NotFound(_))));
    }

    #[test]
    fn half_done_failed_write_is_undone() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        f.backend.fail_next_set_partially("interrupted");
        let err = f.store.replace_token("a", &new(), at(1)).unwrap_err();
        assert!(matches!(&err, StoreError::Backend(m) if m == "interrupted"));
        assert_eq!(f.backend.get("a").unwrap(), Some(old()));
        // Same for a first add: nothing is left behind.
        f.backend.fail_next_set_partially("interrupted");
        assert!(f.store.add(meta("b"), &new(), false).is_err());
        assert_eq!(f.backend.get("b").unwrap(), None);
    }

    #[test]
    fn failing_add_stores_nothing() {
        let f = fixture();
        f.backend.fail_all_sets(true);
        assert!(f.store.add(meta("a"), &old(), false).is_err());
        assert!(f.store.entries().is_empty());
        assert!(f.backend.names().unwrap().is_empty());
    }

    #[test]
    fn failed_index_write_rolls_back_a_new_secret_but_keeps_a_renewed_one() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        // A directory where the index's temp file goes makes the index write fail (this works
        // even as root, unlike permissions).
        let blocker = f
            .paths
            .config_dir
            .join(format!(".index.toml.{}.tmp", std::process::id()));
        std::fs::create_dir(&blocker).unwrap();

        let err = f.store.add(meta("b"), &new(), false).unwrap_err();
        assert!(matches!(err, StoreError::Io { .. }), "{err}");
        assert_eq!(
            f.backend.get("b").unwrap(),
            None,
            "new secret not rolled back"
        );
        assert!(matches!(f.store.meta("b"), Err(StoreError::NotFound(_))));

        let err = f.store.replace_token("a", &new(), at(1)).unwrap_err();
        assert!(matches!(err, StoreError::Io { .. }), "{err}");
        assert_eq!(
            f.backend.get("a").unwrap(),
            Some(new()),
            "renewed token thrown away"
        );

        std::fs::remove_dir(&blocker).unwrap();
        assert_eq!(f.store.meta("a").unwrap().renewed_at, None);
    }

    #[test]
    fn replace_unknown_is_not_found_and_stores_nothing() {
        let f = fixture();
        assert!(matches!(
            f.store.replace_token("ghost", &new(), at(1)),
            Err(StoreError::NotFound(n)) if n == "ghost"
        ));
        assert_eq!(f.backend.get("ghost").unwrap(), None);
    }

    #[test]
    fn missing_secret_shows_as_missing_and_get_says_so() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        f.store.add(meta("b"), &new(), false).unwrap();
        f.backend.delete("a").unwrap();
        let all = f.store.load_all();
        assert_eq!(all.len(), 2);
        assert!(matches!(all[0].secret, SecretState::Missing));
        assert!(matches!(&all[1].secret, SecretState::Present(t) if *t == new()));
        let err = f.store.get("a").unwrap_err();
        assert!(matches!(err, StoreError::SecretMissing(_)));
        // Removing such an entry still works.
        f.store.remove("a").unwrap();
        assert_eq!(f.store.entries(), vec![with_facts(meta("b"), &new())]);
    }

    #[test]
    fn unreadable_secret_is_reported_per_entry() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        f.store.add(meta("b"), &new(), false).unwrap();
        f.backend.fail_next_get("item damaged");
        let all = f.store.load_all();
        assert!(matches!(&all[0].secret, SecretState::Unreadable(m) if m.contains("item damaged")));
        assert!(matches!(all[1].secret, SecretState::Present(_)));
    }

    #[test]
    fn orphans_are_listed_and_removable() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        f.backend.set("z-lost", &new()).unwrap();
        f.backend.set("m-lost", &new()).unwrap();
        assert_eq!(f.store.orphans().unwrap(), ["m-lost", "z-lost"]);
        f.store.remove("m-lost").unwrap();
        assert_eq!(f.store.orphans().unwrap(), ["z-lost"]);
        assert_eq!(f.store.entries(), vec![with_facts(meta("a"), &old())]);
    }

    #[test]
    fn mutations_reread_the_index_written_by_another_process() {
        let f = fixture();
        let other = Store::open(&f.paths, Arc::new(f.backend.clone())).unwrap();
        f.store.add(meta("a"), &old(), false).unwrap();
        other.add(meta("b"), &new(), false).unwrap();
        // `other` never saw "a" before its add, yet did not drop it.
        let names: Vec<_> = other.entries().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["a", "b"]);
        f.store.reload().unwrap();
        assert_eq!(f.store.entries().len(), 2);
    }

    #[test]
    fn concurrent_writers_lose_no_entries() {
        let f = fixture();
        let workers: Vec<_> = (0..3)
            .map(|w| {
                // Separate stores, as separate processes would have.
                let store = Store::open(&f.paths, Arc::new(f.backend.clone())).unwrap();
                std::thread::spawn(move || {
                    for i in 0..8 {
                        store
                            .add(meta(&format!("w{w}-{i}")), &old(), false)
                            .unwrap();
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        f.store.reload().unwrap();
        assert_eq!(f.store.entries().len(), 24);
        assert!(f.store.orphans().unwrap().is_empty());
    }

    /// A renewal's save (made by a process whose view predates the change) after `rm` or
    /// `add --force` in another process writes nothing and says which happened.
    #[test]
    fn a_renewal_save_after_a_removal_or_replacement_elsewhere_writes_nothing() {
        const KUNSHAN: &str = "华东一区【昆山】";
        let f = fixture();
        f.store.add(meta(KUNSHAN), &old(), false).unwrap();
        let user = Store::open(&f.paths, Arc::new(f.backend.clone())).unwrap();

        let mine = Token::from_raw(&format!("{SAMPLE_RESPONSE}x"));
        user.add(meta(KUNSHAN), &mine, true).unwrap();
        let put = f.store.put_secret(KUNSHAN, &new(), &old()).unwrap();
        assert_eq!(put, Err(Superseded::Replaced));
        assert_eq!(f.backend.get(KUNSHAN).unwrap(), Some(mine.clone()));

        user.remove(KUNSHAN).unwrap();
        let put = f.store.put_secret(KUNSHAN, &new(), &mine).unwrap();
        assert_eq!(put, Err(Superseded::Removed));
        assert_eq!(f.backend.get(KUNSHAN).unwrap(), None, "written back");
        assert!(f.store.orphans().unwrap().is_empty());
    }

    /// `add` and `rm` wait for whoever changes the same token (a renewal saving it).
    #[test]
    fn add_and_remove_take_the_tokens_change_lock() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        for change in ["add", "rm"] {
            let held = TokenLock::change(&f.paths, "a", Duration::ZERO).unwrap();
            let store = f.store.clone();
            let waiting = std::thread::spawn(move || match change {
                "add" => store.add(meta("a"), &new(), true),
                _ => store.remove("a"),
            });
            std::thread::sleep(Duration::from_millis(300));
            assert!(!waiting.is_finished(), "{change} did not wait for the lock");
            drop(held);
            waiting.join().unwrap().unwrap();
        }
        assert!(f.backend.get("a").unwrap().is_none());
    }

    /// Another process saved a token (and then the index): reading it here, with a view of
    /// the index from before, is not a change made outside actoken.
    #[test]
    fn a_token_saved_by_another_process_is_no_change_outside_actoken() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        let notices = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&notices);
        f.store
            .on_notice(move |m| sink.lock().unwrap().push(m.to_owned()));
        let other = Store::open(&f.paths, Arc::new(f.backend.clone())).unwrap();
        other.replace_token("a", &new(), at(1_700_000_500)).unwrap();

        let (meta, token) = f.store.get("a").unwrap();
        assert_eq!(token, new());
        assert_eq!(meta.renewed_at, Some(at(1_700_000_500)));
        assert!(notices.lock().unwrap().is_empty(), "{notices:?}");
    }

    #[test]
    fn corrupt_index_stops_open_and_mutations_without_resetting() {
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        std::fs::write(f.paths.index_file(), "version = 1\n[[token]\n").unwrap();
        let err = Store::open(&f.paths, Arc::new(f.backend.clone())).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&f.paths.index_file().display().to_string()),
            "{msg}"
        );
        assert!(msg.contains("line 2"), "{msg}");
        assert!(f.store.add(meta("b"), &new(), false).is_err());
        assert!(f.store.reload().is_err());
        assert_eq!(
            std::fs::read_to_string(f.paths.index_file()).unwrap(),
            "version = 1\n[[token]\n"
        );
        assert_eq!(f.backend.get("b").unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn open_creates_private_dirs() {
        use std::os::unix::fs::PermissionsExt;
        let f = fixture();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&f.paths.config_dir), 0o700);
        assert_eq!(mode(&f.paths.state_dir), 0o700);
        assert_eq!(f.store.paths(), &f.paths);
    }

    #[test]
    fn store_is_send_sync_clone_and_debug_has_no_secret() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Store>();
        let f = fixture();
        f.store.add(meta("a"), &old(), false).unwrap();
        let dbg = format!("{:?}", f.store);
        assert!(!dbg.contains(&SAMPLE_REQUEST[..30]), "{dbg}");
        let dbg = format!("{:?}", f.store.load_all());
        assert!(!dbg.contains(&SAMPLE_REQUEST[..30]), "{dbg}");
    }
}
