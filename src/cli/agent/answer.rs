//! What the agent's requests mean: `hello`, `list` and `show` read the store's index as
//! `list --json` and `show --json` do; `token` hands out a token fit for `min_valid_s`,
//! renewing it (or logging in again with a remembered key) on this side first when needed.

use super::super::advising::remembered_logins;
use super::super::renew::advised_failure;
use super::super::streams::Io;
use super::super::token_view::TokenView;
use crate::agent::peer::Peer;
use crate::agent::protocol::{ErrorKind, Hello, Reply, Request, Secret, TokenReply};
use crate::agent::server::Answer;
use crate::clock::Clock;
use crate::failure::FailureKind;
use crate::renew::{RenewError, Renewed, Renewer, When};
use crate::store::{EntryMeta, Store, StoreError};
use futures::FutureExt;
use futures::future::BoxFuture;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;

pub(crate) struct Answerer {
    pub renewer: Renewer,
    pub clock: Clock,
    pub grace: SignedDuration,
    /// `min_valid_s` when a request gives none.
    pub renew_ahead: SignedDuration,
    pub io: Arc<Io>,
}

impl Answer for Answerer {
    fn answer<'a>(&'a self, request: Request, _peer: &'a Peer) -> BoxFuture<'a, Reply> {
        async move {
            match request {
                Request::Hello => self.hello(),
                Request::List => self.list().await,
                Request::Show { name } => self.show(name).await,
                Request::Token { name, min_valid_s } => self.token(&name, min_valid_s).await,
                // Not served by this agent yet (confirm and lock come next).
                Request::Lock { .. }
                | Request::Unlock { .. }
                | Request::Follow
                | Request::Decide { .. } => Reply::Error {
                    kind: ErrorKind::BadRequest,
                    message: "this agent does not serve that request".to_owned(),
                },
            }
        }
        .boxed()
    }
}

impl Answerer {
    fn store(&self) -> Store {
        self.renewer.store().clone()
    }

    fn hello(&self) -> Reply {
        Reply::Hello(Hello {
            agent_version: env!("CARGO_PKG_VERSION").to_owned(),
            protocols: vec![crate::agent::protocol::VERSION],
            store: self.store().kind().to_string(),
            confirm: false,
            locked: false,
        })
    }

    /// `list --json`'s objects, from the index alone.
    async fn list(&self) -> Reply {
        let (store, now, grace) = (self.store(), self.clock.now(), self.grace);
        let listed = blocking(move || {
            let accounts = remembered_logins(&store);
            let tokens = store
                .load_index()
                .iter()
                .map(|s| serde_json::to_value(TokenView::new(s, now, grace, &accounts)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(tokens)
        })
        .await;
        match listed {
            Ok(tokens) => Reply::List { tokens },
            Err(reply) => reply,
        }
    }

    /// `show --json`'s object.
    async fn show(&self, name: String) -> Reply {
        let (store, now, grace) = (self.store(), self.clock.now(), self.grace);
        let shown = blocking(move || {
            let stored = store.load_entry(&name).map_err(anyhow::Error::from)?;
            let view = TokenView::new(&stored, now, grace, &remembered_logins(&store));
            Ok((view.show_json()?, stored.hint()))
        })
        .await;
        match shown {
            Ok((token, hint)) => Reply::Show { token, hint },
            Err(reply) => reply,
        }
    }

    async fn token(&self, name: &str, min_valid_s: Option<u64>) -> Reply {
        let window = min_valid_s
            .map(|s| SignedDuration::from_secs(i64::try_from(s).unwrap_or(i64::MAX)))
            .unwrap_or(self.renew_ahead);
        let now = self.clock.now();
        let renewed = match self.fresh_already(name, window, now).await {
            Some(fresh) => Ok(fresh),
            None => {
                self.renewer
                    .renew(name, When::ExpiringWithin(window), now)
                    .await
            }
        };
        let renewed = match renewed {
            Ok(renewed) => renewed,
            Err(error) => return self.failed(error, now),
        };
        let store = self.store();
        let owned = name.to_owned();
        match blocking(move || Ok(store.meta(&owned)?)).await {
            Ok(meta) => token_reply(renewed, &meta, self.grace),
            Err(reply) => reply,
        }
    }

    /// The stored token when it lasts longer than `window`: one index read and one secret
    /// read, no lock (the common case; the renewer makes the same test under its lock).
    async fn fresh_already(
        &self,
        name: &str,
        window: SignedDuration,
        now: Timestamp,
    ) -> Option<Renewed> {
        let (_, token) = self.renewer.door().get(name).await.ok()?;
        let life = token.decode().ok()?.lifetime(self.grace)?;
        (life.to_expiry(now) > window).then(|| Renewed {
            name: name.to_owned(),
            old_expiry: Some(life.expires_at),
            new_expiry: life.expires_at,
            token,
            called_server: false,
            via_login: false,
        })
    }

    /// A failed renewal as an error reply: the advice `renew` gives, in English (the agent's
    /// language: its log is read by machines too). A token that was issued but could not be
    /// saved is kept first, as everywhere (rescue file, else the agent's terminal).
    fn failed(&self, mut error: RenewError, now: Timestamp) -> Reply {
        super::super::last_resort::keep_renewal(&self.io, &mut error);
        let message = advised_failure(self.renewer.store(), &error, now, self.grace)
            .unwrap_or_else(|| error.to_string());
        let kind = match (&error, crate::failure::kind_of(&error)) {
            (RenewError::Store(StoreError::NotFound(_)), _) => ErrorKind::NotFound,
            (_, Some(kind)) => error_kind(kind),
            (_, None) => ErrorKind::Failure,
        };
        Reply::Error { kind, message }
    }
}

fn token_reply(renewed: Renewed, meta: &EntryMeta, grace: SignedDuration) -> Reply {
    let expires = renewed.new_expiry;
    Reply::Token(TokenReply {
        name: renewed.name,
        token: Secret(zeroize::Zeroizing::new(renewed.token.expose().to_owned())),
        expires_at: expires.to_string(),
        renew_cutoff: (expires + grace).to_string(),
        renewed: renewed.called_server,
        via_login: renewed.via_login,
        base_url: meta.base_url.clone(),
        cluster_id: meta.cluster_id.clone(),
        cluster_name: meta.cluster_name.clone(),
        platform: meta.platform,
    })
}

pub(crate) fn error_kind(kind: FailureKind) -> ErrorKind {
    match kind {
        FailureKind::NeedsNewToken => ErrorKind::NeedsNewToken,
        FailureKind::Retry => ErrorKind::Retry,
        FailureKind::Keyring => ErrorKind::Keyring,
        FailureKind::NotSaved => ErrorKind::NotSaved,
        FailureKind::Usage => ErrorKind::BadRequest,
        FailureKind::Bug | FailureKind::Other => ErrorKind::Failure,
    }
}

/// Runs store work off the async threads; its error as the reply to send.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, Reply> {
    let error = match crate::blocking::off_thread(work).await {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) => error,
        Err(panicked) => anyhow::anyhow!("{panicked}"),
    };
    let kind = match error.downcast_ref::<StoreError>() {
        Some(StoreError::NotFound(_)) => ErrorKind::NotFound,
        _ => crate::failure::kind_of_chain(&error).map_or(ErrorKind::Failure, error_kind),
    };
    Err(Reply::Error {
        kind,
        message: format!("{error:#}"),
    })
}
