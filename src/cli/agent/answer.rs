//! What the agent's requests mean: `hello`, `list` and `show` read the store's index as
//! `list --json` and `show --json` do; `token` hands out a token fit for `min_valid_s`,
//! renewing it (or logging in again with a remembered key) on this side first when needed,
//! once it passed the [`Gate`] (forwardable, lock, approval); `lock`, `unlock`, `follow` and
//! `decide` steer the gate.

use super::super::advising::remembered_logins;
use super::super::renew::advised_failure;
use super::super::streams::Io;
use super::super::token_view::TokenView;
use super::gate::Gate;
use super::held::Held;
use crate::agent::peer::Peer;
use crate::agent::protocol::{ErrorKind, Event, Hello, Reply, Request, Secret, TokenReply};
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
use tokio::sync::mpsc;

pub(crate) struct Answerer {
    pub renewer: Renewer,
    pub clock: Clock,
    pub grace: SignedDuration,
    /// `min_valid_s` when a request gives none.
    pub renew_ahead: SignedDuration,
    pub io: Arc<Io>,
    pub gate: Gate,
    /// Tokens read from the keyring, handed out again while the index describes them.
    pub held: Held,
}

impl Answer for Answerer {
    fn answer<'a>(&'a self, request: Request, peer: &'a Peer) -> BoxFuture<'a, Reply> {
        async move {
            match request {
                Request::Hello => self.hello(),
                Request::List => self.list(peer).await,
                Request::Show { name } => match self.gate.forwardable(&name, peer) {
                    Ok(()) => self.show(name).await,
                    Err(refused) => refused.into(),
                },
                Request::Token { name, min_valid_s } => match self.admit(&name, peer).await {
                    Ok(()) => self.token(&name, min_valid_s).await,
                    Err(reply) => reply,
                },
                Request::Lock { passphrase } => self.gate.lock(peer, &passphrase.0),
                Request::Unlock { passphrase } => self.gate.unlock(peer, &passphrase.0).await,
                Request::Decide { id, decision } => self.gate.decide(peer, id, decision),
                // The server keeps a follow connection open itself (see `follow` below).
                Request::Follow => Reply::Error {
                    kind: ErrorKind::BadRequest,
                    message: "follow is answered by the connection itself".to_owned(),
                },
            }
        }
        .boxed()
    }

    fn follow(&self, peer: &Peer) -> Result<mpsc::Receiver<Event>, (ErrorKind, String)> {
        self.gate.follow(peer).map_err(|r| (r.kind, r.message))
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
            confirm: self.gate.rules.confirms(),
            locked: self.gate.lock.is_locked(),
        })
    }

    /// What a `token` request passes first: a forwarded peer gets only forwardable tokens, a
    /// locked agent none, and a token under confirm waits for a person, unless it is not
    /// there (nobody is asked about nothing).
    async fn admit(&self, name: &str, peer: &Peer) -> Result<(), Reply> {
        self.gate.forwardable(name, peer)?;
        self.gate.unlocked()?;
        if self.gate.rules.needs_approval(name) {
            let (store, owned) = (self.store(), name.to_owned());
            blocking(move || Ok(store.meta(&owned)?)).await?;
            self.gate.approved(name, peer).await?;
        }
        Ok(())
    }

    /// `list --json`'s objects, from the index alone (over a forward: the forwardable ones).
    async fn list(&self, peer: &Peer) -> Reply {
        let (store, now, grace) = (self.store(), self.clock.now(), self.grace);
        let rules = self.gate.rules.clone();
        let peer = peer.clone();
        let listed = blocking(move || {
            let accounts = remembered_logins(&store);
            let tokens = store
                .load_index()
                .iter()
                .filter(|s| rules.may_hand(&s.meta.name, &peer))
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
    use super::super::approvals::Approvals;
    use super::super::events::Events;
    use super::super::gate::Rules;
    use super::super::lock::Lock;
    use super::*;
    use crate::agent::protocol::Decision;
    use crate::api::{AcClient, ClientOptions};
    use crate::config::{AgentConfig, Config, Paths};
    use crate::mock::{MintSpec, mint};
    use crate::store::MemoryBackend;
    use std::path::PathBuf;
    use std::time::Duration;

    const NAME: &str = "华东一区【昆山】";
    const OTHER: &str = "华北一区【北京】";

    fn peer(exe: &str) -> Peer {
        Peer {
            uid: 1000,
            pid: Some(4242),
            exe: Some(PathBuf::from(exe)),
        }
    }

    /// An answerer on a memory store holding NAME and OTHER, with `agent` as `[agent]`.
    fn answerer(dir: &std::path::Path, agent: AgentConfig) -> Answerer {
        let store = Store::open(&Paths::under(dir), Arc::new(MemoryBackend::new())).unwrap();
        let now = Timestamp::now();
        for name in [NAME, OTHER] {
            let token = mint(&MintSpec::new(
                "alice",
                "11112",
                now + SignedDuration::from_hours(5),
            ));
            let meta = EntryMeta::new(name, "https://api.example.com:65102", now);
            store.add(meta, &token, false).unwrap();
        }
        let config = Config::default();
        let client = AcClient::new(&ClientOptions::from_config(&config)).unwrap();
        let clock = Clock::starting_at(now);
        let events = Arc::new(Events::default());
        Answerer {
            renewer: Renewer::new(store, client, &config),
            clock,
            grace: config.renew_grace,
            renew_ahead: config.renew_ahead,
            io: Arc::new(Io::captured(b"").0),
            gate: Gate {
                rules: Rules::new(&agent, false),
                lock: Lock::default(),
                approvals: Arc::new(Approvals::new(Duration::from_secs(60), clock, events)),
            },
            held: Held::new(super::super::held::HOLD_FOR),
        }
    }

    fn kind(reply: &Reply) -> Option<ErrorKind> {
        match reply {
            Reply::Error { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    fn token(name: &str) -> Request {
        Request::Token {
            name: name.into(),
            min_valid_s: None,
        }
    }

    fn passphrase(text: &str) -> Secret {
        Secret(zeroize::Zeroizing::new(text.to_owned()))
    }

    #[tokio::test]
    async fn a_forwarded_peer_gets_sees_and_lists_only_forwardable_tokens() {
        let _watchdog = crate::watchdog::arm();
        let dir = tempfile::tempdir().unwrap();
        let agent = AgentConfig {
            forwardable: Some(vec![OTHER.to_owned()]),
            ..AgentConfig::default()
        };
        let answerer = answerer(dir.path(), agent);
        let (ssh, local) = (peer("/usr/bin/ssh"), peer("/usr/bin/python3"));

        let refused = answerer.answer(token(NAME), &ssh).await;
        assert_eq!(kind(&refused), Some(ErrorKind::NotForwardable));
        let Reply::Error { message, .. } = &refused else {
            unreachable!()
        };
        assert!(
            message.contains(NAME) && message.contains("forwardable"),
            "{message}"
        );
        let shown = answerer.answer(Request::Show { name: NAME.into() }, &ssh);
        assert_eq!(kind(&shown.await), Some(ErrorKind::NotForwardable));
        assert!(matches!(
            answerer.answer(token(OTHER), &ssh).await,
            Reply::Token(_)
        ));
        let Reply::List { tokens } = answerer.answer(Request::List, &ssh).await else {
            panic!("a list")
        };
        let names: Vec<_> = tokens.iter().map(|t| t["name"].clone()).collect();
        assert_eq!(names, [OTHER]);

        // This machine's processes get every token.
        assert!(matches!(
            answerer.answer(token(NAME), &local).await,
            Reply::Token(_)
        ));
        let Reply::List { tokens } = answerer.answer(Request::List, &local).await else {
            panic!("a list")
        };
        assert_eq!(tokens.len(), 2);
    }

    #[tokio::test]
    async fn lock_unlock_follow_and_decide_are_refused_over_a_forward() {
        let _watchdog = crate::watchdog::arm();
        let dir = tempfile::tempdir().unwrap();
        let answerer = answerer(dir.path(), AgentConfig::default());
        let ssh = peer("/usr/bin/ssh");
        let steering = [
            Request::Lock {
                passphrase: passphrase("pass"),
            },
            Request::Unlock {
                passphrase: passphrase("pass"),
            },
            Request::Decide {
                id: 1,
                decision: Decision::Once,
            },
        ];
        for request in steering {
            let reply = answerer.answer(request, &ssh).await;
            assert_eq!(kind(&reply), Some(ErrorKind::Refused), "{reply:?}");
        }
        let (followed, _) = answerer.follow(&ssh).map(|_| ()).unwrap_err();
        assert_eq!(followed, ErrorKind::Refused);
        assert!(!answerer.gate.lock.is_locked());
        assert!(answerer.follow(&peer("/usr/bin/actoken")).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_locked_agent_hands_out_no_token_until_unlocked_and_hello_says_so() {
        let _watchdog = crate::watchdog::arm();
        let dir = tempfile::tempdir().unwrap();
        let answerer = answerer(dir.path(), AgentConfig::default());
        let local = peer("/usr/bin/python3");
        let lock = Request::Lock {
            passphrase: passphrase("华东 horse"),
        };
        assert!(matches!(answerer.answer(lock, &local).await, Reply::Done));
        let Reply::Hello(hello) = answerer.answer(Request::Hello, &local).await else {
            panic!("hello")
        };
        assert!(hello.locked && !hello.confirm);
        let refused = answerer.answer(token(NAME), &local).await;
        assert_eq!(kind(&refused), Some(ErrorKind::Locked));
        let wrong = Request::Unlock {
            passphrase: passphrase("horse"),
        };
        assert_eq!(
            kind(&answerer.answer(wrong, &local).await),
            Some(ErrorKind::Locked)
        );
        let right = Request::Unlock {
            passphrase: passphrase("华东 horse"),
        };
        assert!(matches!(answerer.answer(right, &local).await, Reply::Done));
        assert!(matches!(
            answerer.answer(token(NAME), &local).await,
            Reply::Token(_)
        ));
    }

    #[tokio::test]
    async fn only_the_tokens_under_confirm_wait_and_a_missing_one_asks_nobody() {
        let _watchdog = crate::watchdog::arm();
        let dir = tempfile::tempdir().unwrap();
        let agent = AgentConfig {
            confirm_tokens: vec![NAME.to_owned()],
            ..AgentConfig::default()
        };
        let answerer = answerer(dir.path(), agent);
        let local = peer("/usr/bin/python3");
        assert!(matches!(
            answerer.answer(token(OTHER), &local).await,
            Reply::Token(_)
        ));
        // Nobody follows and there is no terminal: denied at once, saying why.
        let reply = answerer.answer(token(NAME), &local).await;
        let Reply::Error {
            kind: denied,
            message,
        } = reply
        else {
            panic!("an error")
        };
        assert_eq!(denied, ErrorKind::Denied);
        assert!(message.contains("nobody can answer"), "{message}");
        let missing = answerer.answer(token("华南一区【广州】"), &local).await;
        assert_eq!(kind(&missing), Some(ErrorKind::NotFound));
        let Reply::Hello(hello) = answerer.answer(Request::Hello, &local).await else {
            panic!("hello")
        };
        assert!(hello.confirm);
    }

    /// Tokens held between requests (`held`).
    mod held_tokens {
        use super::super::super::approvals::Approvals;
        use super::super::super::events::Events;
        use super::super::super::gate::Rules;
        use super::super::super::held::HOLD_FOR;
        use super::super::super::lock::Lock;
        use super::super::*;
        use crate::api::{AcClient, ClientOptions};
        use crate::config::AgentConfig;
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
                gate: Gate {
                    rules: Rules::new(&AgentConfig::default(), false),
                    lock: Lock::default(),
                    approvals: Arc::new(Approvals::new(
                        std::time::Duration::from_secs(60),
                        Clock::starting_at(start),
                        Arc::new(Events::default()),
                    )),
                },
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
}
