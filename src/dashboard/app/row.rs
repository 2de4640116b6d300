//! One dashboard row: a stored token's metadata, its claims decoded once (when loaded or
//! renewed, never per frame), and the row's UI status. The secret itself is not kept: the
//! runtime reads it from the store when it copies or renews.

use jiff::{SignedDuration, Timestamp};

use crate::api::{CenterInfo, TokenState};
use crate::store::{SecretState, StoredToken, TokenFacts};
use crate::token::{Decoded, Lifetime, Phase, Token};

/// What the store gave us for this row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowKind {
    /// A token that decodes (it may still lack an `expireTime`: then its phase is invalid).
    Token {
        decoded: Box<Decoded>,
        masked: String,
    },
    /// A secret that is not a region token.
    Malformed { error: String, masked: String },
    /// The index names it but the keyring has no secret.
    Missing,
    /// The keyring failed for this entry.
    Unreadable(String),
    /// Kept in the store not in use (see `actoken move`); not read.
    InOtherStore(crate::store::StoreKind),
}

impl RowKind {
    pub(crate) fn from_token(token: &Token) -> RowKind {
        Self::from_decoded(
            token.decode().map_err(|e| e.to_string()),
            TokenFacts::of(token).hint(),
        )
    }

    fn from_decoded(decoded: Result<Decoded, String>, masked: String) -> RowKind {
        match decoded {
            Ok(decoded) => RowKind::Token {
                decoded: Box::new(decoded),
                masked,
            },
            Err(error) => RowKind::Malformed { error, masked },
        }
    }

    /// From the secret when it was read, else from the facts the index keeps (the usual
    /// case: the table needs no secret). `masked` is the fingerprint hint, never token text.
    /// Entries kept in the other store are flagged as such, not read.
    pub(crate) fn from_stored(stored: &StoredToken) -> RowKind {
        match (&stored.secret, stored.decoded()) {
            (SecretState::InOtherStore(kind), _) => RowKind::InOtherStore(*kind),
            (_, Some(decoded)) => Self::from_decoded(decoded, stored.hint().unwrap_or_default()),
            (SecretState::Unreadable(why), None) => RowKind::Unreadable(why.clone()),
            (_, None) => RowKind::Missing,
        }
    }
}

/// What the region's server says about a row's token, fetched in the background when its
/// details are first shown (and again after a renewal, which resets it).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ServerView {
    #[default]
    NotAsked,
    Loading,
    Ready(Box<ServerInfo>),
}

/// The answers of `center` and `tokens/state`; each may fail on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    pub center: Result<CenterInfo, String>,
    pub state: Result<TokenState, String>,
    /// When the server was asked: a refusal counts only for a token unexpired at that instant.
    pub asked_at: Timestamp,
    /// The owning account's status and balance (`user`, asked with its platform token);
    /// `None` when the token belongs to no login that stored a platform token.
    pub account: Option<Result<crate::api::UserInfo, String>>,
}

/// Per-row UI state that survives reloads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowStatus {
    /// A renewal is in flight; when it started (for the spinner and "renewing for 3s").
    pub renewing_since: Option<Timestamp>,
    /// The running job is a login (`L`), not a renewal.
    pub logging_in: bool,
    /// The last renewal error, shown on the row until a renewal succeeds.
    pub last_error: Option<String>,
    /// Failed renewals in a row (drives the back-off).
    pub failures: u32,
    /// Auto-renew leaves the row alone until then (after a failure, or just after a success).
    pub auto_hold_until: Option<Timestamp>,
    /// Region details and the server's verdict on the token.
    pub server: ServerView,
}

/// How much a row needs the user, most urgent first. Sorting by urgency uses this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    /// Expired but still renewable: renew before the cutoff or lose it.
    Renewable,
    /// Valid, but inside the renew-ahead window.
    Due,
    /// Past the cutoff: needs a fresh token.
    Dead,
    /// Malformed, no expiry, missing or unreadable secret.
    Broken,
    /// Valid and far from expiry.
    Calm,
}

/// The dashboard's timing settings (from the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub renew_grace: SignedDuration,
    pub renew_ahead: SignedDuration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub meta: crate::store::EntryMeta,
    pub kind: RowKind,
    pub status: RowStatus,
}

impl Row {
    pub(crate) fn from_stored(stored: &StoredToken) -> Row {
        Row {
            meta: stored.meta.clone(),
            kind: RowKind::from_stored(stored),
            status: RowStatus::default(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.meta.name
    }

    pub(crate) fn decoded(&self) -> Option<&Decoded> {
        match &self.kind {
            RowKind::Token { decoded, .. } => Some(decoded.as_ref()),
            _ => None,
        }
    }

    pub(crate) fn lifetime(&self, grace: SignedDuration) -> Option<Lifetime> {
        self.decoded().and_then(|d| d.lifetime(grace))
    }

    /// Invalid for anything that is not a decodable token with an expiry.
    pub(crate) fn phase(&self, now: Timestamp, grace: SignedDuration) -> Phase {
        self.decoded()
            .map_or(Phase::Invalid, |d| d.phase(now, grace))
    }

    pub(crate) fn urgency(&self, now: Timestamp, timing: Timing) -> Urgency {
        if self.rejected() {
            return Urgency::Dead;
        }
        let Some(life) = self.lifetime(timing.renew_grace) else {
            return Urgency::Broken;
        };
        match life.phase(now) {
            Phase::Valid if life.to_expiry(now) <= timing.renew_ahead => Urgency::Due,
            Phase::Valid => Urgency::Calm,
            Phase::Renewable => Urgency::Renewable,
            Phase::Dead => Urgency::Dead,
            Phase::Invalid => Urgency::Broken,
        }
    }

    /// The server refused the token (tokens/state) while it had not expired: whatever its
    /// expiry says, it needs a new one. The refusal of an expired token leaves it to renewal.
    pub(crate) fn rejected(&self) -> bool {
        match &self.status.server {
            ServerView::Ready(info) => match &info.state {
                Ok(state) => state.rejects(self.expired_at(info.asked_at)),
                Err(_) => false,
            },
            _ => false,
        }
    }

    /// Whether the token had expired at `at` (a token without a readable expiry counts as
    /// expired: nothing about it can be trusted).
    pub(crate) fn expired_at(&self, at: Timestamp) -> bool {
        self.decoded()
            .and_then(|d| d.claims.expire_time)
            .is_none_or(|expiry| at >= expiry)
    }

    pub(crate) fn is_renewing(&self) -> bool {
        self.status.renewing_since.is_some()
    }

    /// The instant that orders rows of the same urgency: the deadline the user is racing.
    pub(crate) fn deadline(&self, now: Timestamp, timing: Timing) -> Option<Timestamp> {
        let life = self.lifetime(timing.renew_grace)?;
        Some(match life.phase(now) {
            Phase::Renewable => life.cutoff_at,
            _ => life.expires_at,
        })
    }

    pub(crate) fn user(&self) -> Option<&str> {
        self.decoded().and_then(|d| d.claims.user.as_deref())
    }

    pub(crate) fn compute_user(&self) -> Option<&str> {
        self.decoded()
            .and_then(|d| d.claims.compute_user.as_deref())
    }

    /// The region's id: the login list's, else the token's claim (a token added by hand).
    pub(crate) fn cluster(&self) -> Option<&str> {
        let claim = self.decoded().and_then(|d| d.claims.cluster_id.as_deref());
        self.meta.cluster_id_or(claim)
    }

    pub(crate) fn account_status(&self) -> Option<&str> {
        self.decoded()
            .and_then(|d| d.claims.account_status.as_deref())
    }

    /// Whether `needle` (already lower-case) occurs in the name, user, compute user or cluster.
    pub(crate) fn matches(&self, needle: &str) -> bool {
        if needle.is_empty() {
            return true;
        }
        [
            Some(self.name()),
            self.user(),
            self.compute_user(),
            self.cluster(),
        ]
        .into_iter()
        .flatten()
        .any(|field| field.to_lowercase().contains(needle))
    }
}
