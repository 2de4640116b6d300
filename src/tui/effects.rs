//! Carrying out the dashboard's effects: store and network work in tasks, answered with
//! Actions on a channel, so the draw loop never waits on I/O.

use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::mpsc::UnboundedSender;

use super::login::Outcome;
use crate::api::{self, AcClient};
use crate::app::{Action, Effect, RenewedInfo, ServerInfo};
use crate::clipboard::Clipboard;
use crate::renew::{Renewer, When};
use crate::store::{self, AccountKeys, EntryMeta, Store};

/// What the dashboard runs against: the store, the renewer and the HTTP client (real keyring
/// or demo).
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub renewer: Renewer,
    pub client: AcClient,
    /// Remembered secret keys, for "log in again".
    pub keys: AccountKeys,
}

/// Executes effects; `Quit` is returned to the caller as `false`.
pub struct Executor {
    services: Arc<Services>,
    actions: UnboundedSender<Action>,
    clipboard: Clipboard,
}

impl Executor {
    pub fn new(
        services: Services,
        actions: UnboundedSender<Action>,
        clipboard: Clipboard,
    ) -> Executor {
        Executor {
            services: Arc::new(services),
            actions,
            clipboard,
        }
    }

    /// Runs one effect; returns false when the dashboard should close.
    pub fn run(&mut self, effect: Effect) -> bool {
        match effect {
            Effect::Quit => return false,
            Effect::Renew(names) => {
                for name in names {
                    self.renew(name);
                }
            }
            Effect::Copy { name } => self.copy(name),
            Effect::ClearClipboard => {
                let result = self
                    .clipboard
                    .clear_if_unchanged()
                    .map_err(|e| e.to_string());
                let _ = self.actions.send(Action::ClipboardCleared(result));
            }
            Effect::Add {
                name,
                base_url,
                note,
                token,
            } => self.blocking(move |store| {
                let result = add(store, &name, &base_url, note, &token);
                Action::Added { name, result }
            }),
            Effect::Delete(name) => self.blocking(move |store| Action::Deleted {
                result: store.remove(&name).map_err(|e| e.to_string()),
                name,
            }),
            Effect::Reload => self.reload(),
            Effect::Inspect(name) => self.inspect(name),
            Effect::Login { name, secret } => {
                let (services, actions) = (Arc::clone(&self.services), self.actions.clone());
                tokio::spawn(async move {
                    let action = match super::login::log_in_again(&services, &name, secret).await {
                        Ok(Outcome::Done(summary)) => Action::LoggedIn {
                            name,
                            result: Ok(summary),
                        },
                        Ok(Outcome::NeedsSecret(prompt)) => {
                            Action::LoginNeedsSecret { name, prompt }
                        }
                        Err(msg) => Action::LoggedIn {
                            name,
                            result: Err(msg),
                        },
                    };
                    let _ = actions.send(action);
                });
            }
        }
        true
    }

    pub fn reload(&self) {
        self.blocking(|store| {
            // Another process (cron, the CLI) may have changed the index since we opened it.
            let _ = store.reload();
            Action::Loaded(store.load_all())
        });
    }

    fn renew(&self, name: String) {
        let (services, actions) = (Arc::clone(&self.services), self.actions.clone());
        tokio::spawn(async move {
            let now = Timestamp::now();
            let result = services
                .renewer
                .renew(&name, When::Always, now)
                .await
                .map(|renewed| RenewedInfo {
                    token: renewed.token,
                    renewed_at: now,
                })
                .map_err(|e| e.to_string());
            let _ = actions.send(Action::Renewed { name, result });
        });
    }

    /// Asks the region's server about a token: `center` and `tokens/state` at once.
    fn inspect(&self, name: String) {
        let (services, actions) = (Arc::clone(&self.services), self.actions.clone());
        tokio::spawn(async move {
            let store = services.store.clone();
            let owned = name.clone();
            let fetched = tokio::task::spawn_blocking(move || store.get(&owned)).await;
            let info = match fetched {
                Ok(Ok((meta, token))) => {
                    let client = &services.client;
                    let (center, state, account) = tokio::join!(
                        client.center(&meta.base_url, &token),
                        client.token_state(&meta.base_url, &token),
                        account_of(&services, &meta)
                    );
                    ServerInfo {
                        center: center.map_err(|e| e.to_string()),
                        state: state.map_err(|e| e.to_string()),
                        account,
                    }
                }
                Ok(Err(e)) => failed(e.to_string()),
                Err(e) => failed(e.to_string()),
            };
            let _ = actions.send(Action::Inspected {
                name,
                info: Box::new(info),
            });
        });
    }

    /// Reads the secret on this thread with `block_in_place` (the runtime hands its other tasks
    /// to another worker meanwhile), then copies here: the clipboard handle lives here.
    fn copy(&mut self, name: String) {
        let store = self.services.store.clone();
        let fetched = tokio::task::block_in_place(|| store.get(&name));
        let result = match fetched {
            Ok((_, token)) => self.clipboard.copy(&token).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let _ = self.actions.send(Action::Copied { name, result });
    }

    fn blocking(&self, work: impl FnOnce(&Store) -> Action + Send + 'static) {
        let (store, actions) = (self.services.store.clone(), self.actions.clone());
        tokio::task::spawn_blocking(move || {
            let _ = actions.send(work(&store));
        });
    }
}

fn failed(why: String) -> ServerInfo {
    ServerInfo {
        center: Err(why.clone()),
        state: Err(why),
        account: None,
    }
}

/// The status and balance of the account whose login stored this token, asked with that
/// login's platform token; `None` when there is no such token.
async fn account_of(
    services: &Services,
    meta: &EntryMeta,
) -> Option<Result<api::UserInfo, String>> {
    let id = meta.account.clone()?;
    let store = services.store.clone();
    let token =
        tokio::task::spawn_blocking(move || crate::account_info::platform_token(&store, &id))
            .await
            .ok()
            .flatten()?;
    Some(crate::account_info::fetch(&services.client, &meta.base_url, &token).await)
}

fn add(
    store: &Store,
    name: &str,
    base_url: &str,
    note: Option<String>,
    token: &crate::token::Token,
) -> Result<(), String> {
    store::validate_name(name).map_err(|e| e.to_string())?;
    api::check_base_url(base_url).map_err(|e| e.to_string())?;
    let meta = EntryMeta {
        name: name.to_owned(),
        base_url: base_url.trim_end_matches('/').to_owned(),
        note,
        added_at: Timestamp::now(),
        renewed_at: None,
        account: None,
        platform: false,
        store: Default::default(),
    };
    store.add(meta, token, false).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    //! Inspect against the loopback mock and an in-memory store: the details pane learns the
    //! owning account's status and balance through its login's platform token.

    use super::*;
    use crate::api::ClientOptions;
    use crate::config::{Config, Paths};
    use crate::mock::{MintSpec, MockOptions, MockServer, mint};
    use crate::store::MemoryBackend;

    fn meta(name: &str, base_url: &str, account: Option<&str>, platform: bool) -> EntryMeta {
        EntryMeta {
            name: name.into(),
            base_url: base_url.into(),
            note: None,
            added_at: Timestamp::now(),
            renewed_at: None,
            account: account.map(str::to_owned),
            platform,
            store: Default::default(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn inspect_reports_the_accounts_status_and_balance() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(MemoryBackend::new());
        let store = Store::open(&Paths::under(dir.path()), backend.clone()).unwrap();
        let mock = MockServer::start("127.0.0.1:0".parse().unwrap(), MockOptions::default())
            .await
            .unwrap();
        let url = mock.base_url();
        let token = |cluster: &str| {
            let expire = Timestamp::now() + jiff::SignedDuration::from_hours(3);
            mint(&MintSpec::new("alice", cluster, expire))
        };
        let id = "alice@127.0.0.1";
        store
            .add(meta("alice/ac", &url, Some(id), true), &token("0"), false)
            .unwrap();
        store
            .add(
                meta("alice/ks", &url, Some(id), false),
                &token("11250"),
                false,
            )
            .unwrap();
        store
            .add(meta("by-hand", &url, None, false), &token("11250"), false)
            .unwrap();
        let client = AcClient::new(&ClientOptions::default()).unwrap();
        let services = Services {
            renewer: Renewer::new(store.clone(), client.clone(), &Config::default()),
            store,
            client,
            keys: AccountKeys::new(backend),
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut executor = Executor::new(
            services,
            tx,
            Clipboard::osc52(false, Box::new(std::io::sink())),
        );

        for (name, expect_account) in [("alice/ks", true), ("by-hand", false)] {
            executor.run(Effect::Inspect(name.into()));
            let Some(Action::Inspected { info, .. }) = rx.recv().await else {
                panic!("no answer")
            };
            assert!(info.state.as_ref().unwrap().is_accepted());
            match info.account {
                Some(Ok(user)) => {
                    assert!(expect_account, "{name}");
                    assert_eq!(user.account_status.as_deref(), Some("Trial"));
                    assert_eq!(user.account_balance.as_deref(), Some("0.00"));
                    assert!(user.needs_top_up());
                }
                None => assert!(!expect_account, "{name}"),
                Some(Err(e)) => panic!("{name}: {e}"),
            }
        }
    }
}
