//! What the agent's requests mean: `hello`, `list` and `show` read the store's index as
//! `list --json` and `show --json` do; `token` hands out a token fit for `min_valid_s`,
//! renewing it (or logging in again with a remembered key) on this side first when needed.

use super::super::advising::remembered_logins;
use super::super::renew::advised_failure;
use super::super::streams::Io;
use super::super::token_view::TokenView;
use super::held::Held;
use crate::agent::peer::Peer;
use crate::agent::protocol::{ErrorKind, Hello, Reply, Request, Secret, TokenReply};
use crate::agent::server::Answer;
use crate::clock::Clock;
use crate::failure::FailureKind;
use crate::renew::{RenewError, Renewed, Renewer, When};
use crate::store::{EntryMeta, Store, StoreError};
use crate::token::Token;
use futures::FutureExt;
use futures::future::BoxFuture;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use std::time::Instant;

pub(crate) struct Answerer {
    pub renewer: Renewer,
    pub clock: Clock,
    pub grace: SignedDuration,
    /// `min_valid_s` when a request gives none.
    pub renew_ahead: SignedDuration,
    pub io: Arc<Io>,
    /// Tokens read from the keyring, handed out again while the index describes them.
    pub held: Held,
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
            let mut json = serde_json::to_value(&view)?;
            json["claims"] = view.claims_json();
            json["alg"] = view.decoded.as_ref().map(|d| d.alg.clone()).into();
            Ok(json)
        })
        .await;
        match shown {
            Ok(token) => Reply::Show { token },
            Err(reply) => reply,
        }
    }

    async fn token(&self, name: &str, min_valid_s: Option<u64>) -> Reply {
        let window = min_valid_s
            .map(|s| SignedDuration::from_secs(i64::try_from(s).unwrap_or(i64::MAX)))
            .unwrap_or(self.renew_ahead);
        let now = self.clock.now();
        if let Some((meta, fresh)) = self.fresh_already(name, window, now).await {
            return token_reply(fresh, &meta, self.grace);
        }
        let renewed = self
            .renewer
            .renew(name, When::ExpiringWithin(window), now)
            .await;
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

    /// The stored token and its entry when it lasts longer than `window`, without a lock (the
    /// common case; the renewer makes the same test under its lock).
    async fn fresh_already(
        &self,
        name: &str,
        window: SignedDuration,
        now: Timestamp,
    ) -> Option<(EntryMeta, Renewed)> {
        let (meta, token) = self.stored(name).await.ok()?;
        let life = token.decode().ok()?.lifetime(self.grace)?;
        let fresh = Renewed {
            name: name.to_owned(),
            old_expiry: Some(life.expires_at),
            new_expiry: life.expires_at,
            token,
            called_server: false,
            via_login: false,
        };
        (life.to_expiry(now) > window).then_some((meta, fresh))
    }

    /// The stored token: the one held since it was last read while the index still describes
    /// it (a `stat` of the index, no keyring read), else read from the keyring and held.
    async fn stored(&self, name: &str) -> Result<(EntryMeta, Token), StoreError> {
        let door = self.renewer.door();
        let owned = name.to_owned();
        let meta = match door.run(move |store| store.current_meta(&owned)).await {
            Ok(meta) => meta,
            Err(e) => {
                self.held.forget(name);
                return Err(e);
            }
        };
        if let Some(token) = self.held.current(&meta, Instant::now()) {
            return Ok((meta, token));
        }
        let (meta, token) = door.get(name).await?;
        self.held.hold(&meta, &token, Instant::now());
        Ok((meta, token))
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

#[cfg(test)]
mod tests {
    use super::super::held::HOLD_FOR;
    use super::*;
    use crate::api::{AcClient, ClientOptions};
    use crate::config::{Config, Paths};
    use crate::mock::{MintSpec, mint};
    use crate::store::MemoryBackend;

    const NAME: &str = "华东一区【昆山】";

    fn token_of(reply: Reply) -> String {
        match reply {
            Reply::Token(t) => t.token.0.to_string(),
            other => panic!("not a token reply: {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_requests_reads_the_keyring_once_and_sees_another_process_s_change() {
        let _watchdog = crate::watchdog::arm();
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let backend = MemoryBackend::new();
        let open = || Store::open(&paths, Arc::new(backend.clone())).unwrap();
        let start = Timestamp::now();
        let minted = |hours: i64| {
            mint(&MintSpec::new(
                "alice",
                "11112",
                start + SignedDuration::from_hours(hours),
            ))
        };
        let meta = EntryMeta::new(NAME, "https://api.example.com:65102", start);
        let first = minted(5);
        open().add(meta.clone(), &first, false).unwrap();
        let client = AcClient::new(&ClientOptions::default()).unwrap();
        let (io, _captured) = Io::captured(b"");
        let answerer = Answerer {
            renewer: Renewer::new(open(), client, &Config::default()),
            clock: Clock::starting_at(start),
            grace: SignedDuration::from_hours(24),
            renew_ahead: SignedDuration::from_hours(2),
            io: Arc::new(io),
            held: Held::new(HOLD_FOR),
        };
        let peer = Peer {
            uid: 0,
            pid: None,
            exe: None,
        };
        let ask = || {
            answerer.answer(
                Request::Token {
                    name: NAME.into(),
                    min_valid_s: Some(0),
                },
                &peer,
            )
        };
        let reads = || backend.calls().reads;
        let before = reads();
        for _ in 0..100 {
            assert_eq!(token_of(ask().await), first.expose());
        }
        assert_eq!(reads() - before, 1, "one keyring read for 100 requests");

        // Another actoken process replaces the token (its own store, the same files and
        // keyring): the next request hands out the new one, read once.
        let second = minted(6);
        open().add(meta.clone(), &second, true).unwrap();
        let before = reads();
        for _ in 0..10 {
            assert_eq!(token_of(ask().await), second.expose());
        }
        assert_eq!(reads() - before, 1);

        // Removed there: not found here, nothing held is handed out.
        open().remove(NAME).unwrap();
        match ask().await {
            Reply::Error { kind, .. } => assert_eq!(kind, ErrorKind::NotFound),
            other => panic!("{other:?}"),
        }
    }
}
