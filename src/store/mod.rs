//! Where tokens live: secrets in a [`SecretBackend`] (the OS keyring, or memory for tests and
//! demo), non-secret metadata in an index file beside the config.
//!
//! - [`Store`]: the index and a backend kept in step (add, get, replace, remove, orphans).
//! - [`SecretBackend`]: [`KeyringBackend`] (OS keyring) and [`MemoryBackend`].
//! - [`Door`]: the store for async code (blocking pool, deadline, typed errors).
//! - [`TokenLock`]: cross-process locks per token name (renewal, change).
//! - [`validate_name`]: which names are allowed.
//! - [`Accounts`] (remembered logins, `accounts.toml`) and [`AccountKeys`] (their secret keys).

mod backend;
mod door;
mod error;
mod facts;
pub(crate) mod fsutil;
mod index;
mod keyutils;
mod kind;
mod lock;
mod logins;
mod memory;
mod names;
mod prefetch;
mod relocate;
mod secret_service;
mod select;
mod stamp;
mod token_store;
mod words;

pub use backend::SecretBackend;
pub use door::{Door, within};
pub use error::StoreError;
pub use facts::{TokenFacts, fingerprint};
pub(crate) use fsutil::{ensure_trusted_dir, write_atomic, write_private_atomic};
pub use index::INDEX_VERSION;
pub use keyutils::{KeyQuota, KeyutilsBackend, persistent_expiry};
pub use kind::{StoreChoice, StoreKind};
pub use lock::TokenLock;
pub use logins::{ACCOUNTS_VERSION, Account, AccountKeys, Accounts, accounts_service, same_url};
#[cfg(feature = "testing")]
pub use memory::Calls;
pub use memory::MemoryBackend;
pub use names::{MAX_NAME_CHARS, validate_name};
pub use prefetch::Prefetched;
pub use relocate::{MoveOutcome, StorePair, move_account_keys};
pub use secret_service::{KeyringBackend, LazyKeyring, SERVICE};
pub use select::{Selected, open_accounts_backend, open_backend, select, short_cause};
pub use token_store::{Saved, Store, Superseded};
pub use words::store_label;

use jiff::Timestamp;

/// A batch read of the Secret Service is coming (`renew --all`): its connection starts
/// opening now, beside the rest of the start-up.
pub(crate) fn prepare_batch_read() {
    secret_service::open_ahead();
}

/// A secret is about to be read through the Secret Service (`token --min-valid`, `env`,
/// `exec`): its encrypted session starts opening now, beside the probe and the index.
pub(crate) fn prepare_single_read() {
    secret_service::set_up_ahead();
}

/// Reads the index at `path` the way the store does (refusing a foreign-writable or corrupt
/// one), without creating anything: for `actoken doctor`.
pub(crate) fn read_index(path: &std::path::Path) -> Result<Vec<EntryMeta>, StoreError> {
    index::read(path)
}
use serde::{Deserialize, Serialize};

use crate::token::Token;

/// Non-secret facts about a stored token, kept in the index file.
///
/// Unknown keys are refused when reading: a misspelt hand edit would otherwise be dropped on
/// the next rewrite of the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EntryMeta {
    /// The user's name for the token; also its key in the keyring.
    pub name: String,
    /// `https://host:port` of the region's API.
    pub base_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub added_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed_at: Option<Timestamp>,
    /// The remembered login (`user@auth-host`, see [`Account::id`]) that stored this token.
    /// Informational: ownership is decided by the token's `user` claim and the base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The account-level platform token (`clusterId` "0", `clusterName` "ac"), not a region's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub platform: bool,
    /// The region's `clusterId` as the login's list gave it (index version 3): the region's
    /// id, which the token's own `clusterId` claim need not be. `None` for a token added by
    /// hand, whose claim is then all there is (see [`EntryMeta::cluster_id_or`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// The region's `clusterName` as the login's list gave it (e.g. `华东一区【昆山】`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// The token's non-secret claims and fingerprint as last stored or read (index version 2):
    /// what `list` and the dashboard show without reading the secret. `None` until the secret
    /// has been read once (an upgraded version-1 index, or a missing secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<TokenFacts>,
    /// Which store holds the secret. Absent (entries written before stores were recorded)
    /// means the Secret Service. [`Store::add`] sets it to the store in use.
    #[serde(default, skip_serializing_if = "StoreKind::is_secret_service")]
    pub store: StoreKind,
}

impl EntryMeta {
    /// An entry with only what every entry has; the optional facts start empty and the store
    /// is the default. One constructor, so a new optional field is one line, not one per caller.
    pub fn new(name: impl Into<String>, base_url: impl Into<String>, added_at: Timestamp) -> Self {
        EntryMeta {
            name: name.into(),
            base_url: base_url.into(),
            note: None,
            added_at,
            renewed_at: None,
            account: None,
            platform: false,
            cluster_id: None,
            cluster_name: None,
            facts: None,
            store: Default::default(),
        }
    }

    /// The region's id: the login list's `clusterId`, else `claim` (the token's `clusterId`
    /// claim: the fallback for a token added by hand).
    pub fn cluster_id_or<'a>(&'a self, claim: Option<&'a str>) -> Option<&'a str> {
        self.cluster_id.as_deref().or(claim)
    }
}

/// What the secret backend holds for an index entry.
#[derive(Debug, Clone)]
pub enum SecretState {
    Present(Token),
    /// Not read: the entry's [`EntryMeta::facts`] describe it (listing needs no secret).
    Indexed,
    /// The index names it but the keyring has no secret (deleted behind our back).
    Missing,
    /// The backend failed for this entry; the message says why (never the secret).
    Unreadable(String),
    /// The index says another store holds it (written while that store was in use); not read.
    InOtherStore(StoreKind),
}

/// An index entry together with its secret (or, when the secret was not read, with what the
/// index remembers of it).
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub meta: EntryMeta,
    pub secret: SecretState,
}

impl StoredToken {
    /// The token decoded: from the secret when it was read, else from the index's facts.
    /// `None` when there is no secret to describe (missing or unreadable); `Err` with the
    /// reason when it is not a region token.
    pub(crate) fn decoded(&self) -> Option<Result<crate::token::Decoded, String>> {
        match &self.secret {
            SecretState::Present(token) => Some(token.decode().map_err(|e| e.to_string())),
            SecretState::Indexed => Some(match &self.meta.facts {
                Some(facts) => facts.decoded(),
                None => Err("the index has no facts for this token".to_owned()),
            }),
            // Flagged, not decoded: the other store is not read (see RowKind::InOtherStore).
            SecretState::Missing | SecretState::Unreadable(_) | SecretState::InOtherStore(_) => {
                None
            }
        }
    }

    /// A short hint that tells two tokens apart on screen, without showing either.
    pub(crate) fn hint(&self) -> Option<String> {
        match &self.secret {
            SecretState::Present(token) => Some(TokenFacts::of(token).hint()),
            SecretState::Indexed | SecretState::InOtherStore(_) => {
                self.meta.facts.as_ref().map(TokenFacts::hint)
            }
            SecretState::Missing | SecretState::Unreadable(_) => None,
        }
    }
}
