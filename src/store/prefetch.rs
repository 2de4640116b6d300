//! A renewal batch's secrets read in one go, before each token's lock is taken.
//!
//! Reading each token under its lock costs one keyring round trip per token, serialized on
//! the keyring's one connection, before its request can go out. A batch read is one pipelined
//! call. It is taken *before* the locks, so under each lock it must still be current: every
//! actoken writer changes a secret and then the index while holding one of the token's locks
//! (and `renew --all` holds its renewal locks until the batch's index write), so if the index
//! file has not been rewritten since just before the batch read, no actoken process has
//! changed a secret since. That check is a `stat` of the index; when it fails the renewal
//! reads the keyring as before. (One that changes it later, while the request is out, is seen
//! when the renewal saves: see `Store::put_secret`. A change made outside actoken, e.g. with
//! `secret-tool`, in the moment between the batch read and the lock is not seen; the next
//! read heals the index as usual.)

use std::collections::HashMap;

use super::stamp::{IndexStamp, stamp};
use super::{EntryMeta, SecretState, Store};
use crate::token::Token;

/// Secrets read for a batch, valid while the index file stays as it was.
pub struct Prefetched {
    stamp: Option<IndexStamp>,
    tokens: HashMap<String, Token>,
}

impl Prefetched {
    /// Nothing read: every renewal reads under its lock.
    pub(crate) fn none() -> Prefetched {
        Prefetched {
            stamp: None,
            tokens: HashMap::new(),
        }
    }

    /// How many secrets were read and are usable while the index stays unchanged (tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.tokens.len()
    }

    /// `name`'s entry and secret as the batch read them, if the index file is unchanged since
    /// (call it holding `name`'s lock); `None` means: read the keyring.
    pub(crate) fn current(&self, store: &Store, name: &str) -> Option<(EntryMeta, Token)> {
        let token = self.tokens.get(name)?;
        if self.stamp.is_none() || stamp(&store.paths().index_file()) != self.stamp {
            return None;
        }
        let meta = store.meta(name).ok()?;
        Some((meta, token.clone()))
    }
}

impl Store {
    /// The secrets of `names` in one batch read ([`super::SecretBackend::get_many`]), for
    /// [`Prefetched::current`]: those the index describes. Any other may be a save another
    /// process has under way (its index write comes after it, under the token's lock), so it
    /// is not healed here but read again under its lock, where a change made outside actoken
    /// heals the index as any read does. Any index write makes the whole batch stale.
    pub(crate) fn prefetch(&self, names: &[String]) -> Prefetched {
        let path = self.paths().index_file();
        let before = stamp(&path);
        if before.is_none() {
            return Prefetched::none();
        }
        let entries: Vec<EntryMeta> = names.iter().filter_map(|n| self.meta(n).ok()).collect();
        let read = self.read_secrets(entries);
        if stamp(&path) != before {
            return Prefetched::none();
        }
        let tokens = read
            .into_iter()
            .filter_map(|s| match s.secret {
                SecretState::Present(token)
                    if s.meta.facts.as_ref().is_some_and(|f| f.describes(&token)) =>
                {
                    Some((s.meta.name, token))
                }
                _ => None,
            })
            .collect();
        Prefetched {
            stamp: before,
            tokens,
        }
    }
}
