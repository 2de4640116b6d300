//! Which secret store holds a token ([`StoreKind`]), and which store a [`StoreChoice`] (config
//! `store`, `--store`, `ACTOKEN_STORE`) names.

use serde::{Deserialize, Serialize};

/// A place secrets are kept. The index records it per entry, so entries written while
/// another store was in use are shown as such instead of vanishing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    // Plain comments, not doc comments, on the variants: clap would turn doc comments into a
    // long list of values in every command's --help.
    // The desktop keyring: Secret Service on Linux/BSD (Keychain on macOS, Credential Manager
    // on Windows). Entries of indexes written before stores were recorded are here.
    #[default]
    SecretService,
    // The Linux kernel's persistent keyring (keyutils): no desktop needed; cleared at reboot.
    Keyutils,
}

impl StoreKind {
    /// The name used in the config, on the command line and in the index.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StoreKind::SecretService => "secret-service",
            StoreKind::Keyutils => "keyutils",
        }
    }

    /// The other one (there are two).
    pub(crate) fn other(self) -> StoreKind {
        match self {
            StoreKind::SecretService => StoreKind::Keyutils,
            StoreKind::Keyutils => StoreKind::SecretService,
        }
    }

    pub(crate) fn is_secret_service(&self) -> bool {
        *self == StoreKind::SecretService
    }
}

impl std::fmt::Display for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use crate::config::StoreChoice;

// The choice is a config setting (defined in `config`, which the store depends on); what it
// means in terms of stores is said here.
impl StoreChoice {
    /// The store this choice names, unless it is `auto`.
    pub(crate) fn fixed(self) -> Option<StoreKind> {
        match self {
            StoreChoice::Auto => None,
            StoreChoice::SecretService => Some(StoreKind::SecretService),
            StoreChoice::Keyutils => Some(StoreKind::Keyutils),
        }
    }
}

impl From<StoreKind> for StoreChoice {
    fn from(kind: StoreKind) -> StoreChoice {
        match kind {
            StoreKind::SecretService => StoreChoice::SecretService,
            StoreKind::Keyutils => StoreChoice::Keyutils,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_clap() {
        for kind in [StoreKind::SecretService, StoreKind::Keyutils] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<StoreKind>(&json).unwrap(), kind);
            assert_eq!(kind.other().other(), kind);
            assert_eq!(StoreChoice::from(kind).fixed(), Some(kind));
            let parsed = <StoreChoice as clap::ValueEnum>::from_str(kind.as_str(), false);
            assert_eq!(parsed.unwrap(), StoreChoice::from(kind));
        }
        assert_eq!(StoreChoice::Auto.fixed(), None);
        assert_eq!(StoreKind::default(), StoreKind::SecretService);
    }
}
