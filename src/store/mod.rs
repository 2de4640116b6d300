//! Where tokens live: secrets in a [`SecretBackend`] (the OS keyring, or memory for tests and
//! demo), non-secret metadata in an index file beside the config.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::token::Token;

/// Non-secret facts about a stored token, kept in the index file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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
}

/// What the secret backend holds for an index entry.
#[derive(Debug, Clone)]
pub enum SecretState {
    Present(Token),
    /// The index names it but the keyring has no secret (deleted behind our back).
    Missing,
    /// The backend failed for this entry; the message says why (never the secret).
    Unreadable(String),
}

/// An index entry together with its secret.
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub meta: EntryMeta,
    pub secret: SecretState,
}
