//! What the dashboard's tasks run against, handed in by whoever starts the dashboard (the
//! real keyring, or the demo's in-memory store and mock server).

use std::path::PathBuf;

use crate::api::AcClient;
use crate::clock::Clock;
use crate::login::Relogin;
use crate::renew::Renewer;
use crate::store::{AccountKeys, Door, Store};

/// What the dashboard runs against: the store, the renewer and the HTTP client (real keyring
/// or demo).
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub renewer: Renewer,
    pub client: AcClient,
    /// Remembered secret keys, for "log in again".
    pub keys: AccountKeys,
    /// The renewer's re-login (a clone sharing its locks): `L` takes the same one-login-per-
    /// account turn as auto-renew's re-login of dead tokens.
    pub relogin: Relogin,
    /// What "now" is for renewals, logins and new entries.
    pub clock: Clock,
    /// The socket of an agent that may run beside the dashboard (its default one): followed
    /// when something answers there. None: no agent is looked for (the demo, `--no-agent`).
    pub agent: Option<PathBuf>,
}

impl Services {
    /// The store for tasks: blocking pool, deadline, typed errors.
    pub(crate) fn door(&self) -> Door {
        self.store.door()
    }
}
