//! Where `--keep-fresh` gets each renewed token: a stored token goes through the store's
//! renewer as every renewal does (lock, re-read, save with read-back, rescue file, a new
//! login through a remembered key when it died); with an agent in use, the agent is asked
//! (see [`super::agent`]); a token from the environment (`--from-env`) is renewed in memory
//! only, touching no store.

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};

use crate::api::AcClient;
use crate::cli::via_agent::Handed;
use crate::renew::{RenewError, Renewer, When, later_expiry};
use crate::token::{Lifetime, Phase, Token};
use crate::tr;

/// A token to keep fresh, and how.
#[derive(Clone)]
pub(in crate::cli::exec) enum Source {
    /// The entry `name` of the store the renewer works on.
    Stored { renewer: Renewer, name: String },
    /// The entry `name` of the store of the agent at `path`. `grace` is this machine's (the
    /// agent's comes with each token; nothing here decides by it).
    Agent {
        path: PathBuf,
        name: String,
        grace: SignedDuration,
    },
    /// A token that lives only in this process (and the file).
    Memory {
        client: AcClient,
        base_url: String,
        /// How messages name it: `AC_TOKEN_NAME` when the environment had it.
        label: String,
        grace: SignedDuration,
    },
}

/// A renewal that worked, or found the store already holding a newer token.
pub(in crate::cli::exec) struct Fresh {
    pub token: Token,
    pub life: Lifetime,
    /// The server was asked (else another process had renewed it already).
    pub called_server: bool,
    pub via_login: bool,
    /// Renewed, but something still needs telling (the store refused the new token: it is
    /// in a rescue file, and in the token file all the same).
    pub warning: Option<String>,
}

impl Fresh {
    /// A token the agent handed over.
    fn handed(handed: Handed) -> Fresh {
        let renewed = handed.renewed;
        Fresh {
            life: Lifetime::new(renewed.new_expiry, handed.grace),
            token: renewed.token,
            called_server: renewed.called_server,
            via_login: renewed.via_login,
            warning: None,
        }
    }
}

/// Why a renewal did not work.
pub(in crate::cli::exec) enum Failure {
    /// Worth trying again later: the network, the server, the keyring, a lock; also a stored
    /// token that needs a login (the user may log in meanwhile).
    Retry(String),
    /// Nothing this process can do brings a new token: a token from the environment that died
    /// or was rejected.
    Hopeless(String),
}

impl Source {
    /// How messages name the token.
    pub(super) fn label(&self) -> &str {
        match self {
            Source::Stored { name, .. } | Source::Agent { name, .. } => name,
            Source::Memory { label, .. } => label,
        }
    }

    pub(super) fn grace(&self) -> SignedDuration {
        match self {
            Source::Stored { renewer, .. } => renewer.grace(),
            Source::Agent { grace, .. } | Source::Memory { grace, .. } => *grace,
        }
    }

    /// The stored token, when it is another than `held` and expires later (another process
    /// renewed it); never for a token from the environment. Reads the index, and the secret
    /// only when the index's fingerprint is not `held`'s (through an agent: its `show`, and
    /// a `token` request only when that expires later). Failures only mean "not now".
    pub(in crate::cli::exec) async fn newer_in_store(
        &self,
        held: &Token,
        held_life: Lifetime,
        now: Timestamp,
    ) -> Option<Fresh> {
        let (renewer, name) = match self {
            Source::Stored { renewer, name } => (renewer, name),
            Source::Agent { path, name, .. } => {
                let newer = super::agent::newer(path, name, held, held_life, now).await;
                return newer.map(Fresh::handed);
            }
            Source::Memory { .. } => return None,
        };
        let door = renewer.door();
        let who = name.clone();
        let meta = door
            .run(move |store| {
                store.reload()?;
                store.meta(&who)
            })
            .await
            .ok()?;
        if meta.facts.is_some_and(|f| f.describes(held)) {
            return None;
        }
        let (_, stored) = door.get(name).await.ok()?;
        let expires_at = stored.decode().ok()?.claims.expire_time?;
        (expires_at > held_life.expires_at).then(|| Fresh {
            token: stored,
            life: Lifetime::new(expires_at, renewer.grace()),
            called_server: false,
            via_login: false,
            warning: None,
        })
    }

    /// A token whose life `held` is, renewed: at once for a token from the environment; for
    /// a stored one when the store's token expires within `window` (another process may have
    /// renewed it already: then that one).
    pub(in crate::cli::exec) async fn renew(
        &self,
        held: &Token,
        held_life: Lifetime,
        window: SignedDuration,
        now: Timestamp,
    ) -> Result<Fresh, Failure> {
        match self {
            Source::Stored { renewer, name } => {
                let grace = renewer.grace();
                match renewer.renew(name, When::ExpiringWithin(window), now).await {
                    Ok(r) => Ok(Fresh {
                        life: Lifetime::new(r.new_expiry, grace),
                        token: r.token,
                        called_server: r.called_server,
                        via_login: r.via_login,
                        warning: None,
                    }),
                    // The server's new token is the live one now, saved or not.
                    Err(e @ RenewError::SaveFailed { .. }) => {
                        let warning = Some(e.to_string());
                        let RenewError::SaveFailed { token, .. } = e else {
                            unreachable!("matched above")
                        };
                        let expiry = token.decode().ok().and_then(|d| d.claims.expire_time);
                        Ok(Fresh {
                            life: Lifetime::new(expiry.unwrap_or(held_life.expires_at), grace),
                            token,
                            called_server: true,
                            via_login: false,
                            warning,
                        })
                    }
                    Err(e) => Err(Failure::Retry(e.to_string())),
                }
            }
            Source::Agent { path, name, .. } => {
                let handed = super::agent::renew(path, name, window, now).await;
                handed.map(Fresh::handed).map_err(Failure::Retry)
            }
            Source::Memory {
                client,
                base_url,
                label,
                grace,
            } => {
                if held_life.phase(now) == Phase::Dead {
                    let expired = crate::timefmt::relative(held_life.to_expiry(now));
                    return Err(Failure::Hopeless(tr!(
                        "keep_fresh.env_dead",
                        name = label,
                        expired = expired
                    )));
                }
                let fresh = match client.renew(base_url, held).await {
                    Ok(fresh) => fresh,
                    Err(source) if source.token_rejected() => {
                        let name = label.clone();
                        return Err(Failure::Hopeless(
                            RenewError::Rejected { name, source }.to_string(),
                        ));
                    }
                    Err(source) => {
                        let name = label.clone();
                        return Err(Failure::Retry(RenewError::Api { name, source }.to_string()));
                    }
                };
                match later_expiry(&fresh, held_life.expires_at) {
                    Ok(expires_at) => Ok(Fresh {
                        token: fresh,
                        life: Lifetime::new(expires_at, *grace),
                        called_server: true,
                        via_login: false,
                        warning: None,
                    }),
                    Err(_) => Err(Failure::Retry(tr!("keep_fresh.not_later", name = label))),
                }
            }
        }
    }
}
