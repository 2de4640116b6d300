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
                    let (center, state) = tokio::join!(
                        client.center(&meta.base_url, &token),
                        client.token_state(&meta.base_url, &token)
                    );
                    ServerInfo {
                        center: center.map_err(|e| e.to_string()),
                        state: state.map_err(|e| e.to_string()),
                    }
                }
                Ok(Err(e)) => failed(e.to_string()),
                Err(e) => failed(e.to_string()),
            };
            let _ = actions.send(Action::Inspected { name, info });
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
    }
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
