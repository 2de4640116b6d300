//! Carrying out the dashboard's effects: store, clipboard and network work in tasks, answered
//! with Actions on a channel, so the draw loop never waits on I/O. Every task ends in an
//! Action, even one that panics (its row then shows the error instead of spinning forever).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::at_exit::AtExit;
use super::login::Outcome;
use super::services::Services;
use crate::agent::protocol::Decision;
use crate::api::{self};
use crate::clipboard::Clipboard;
use crate::dashboard::app::{Action, Effect, FailureKind, RenewedInfo, ServerInfo, TaskError};
use crate::renew::When;
use crate::store::{self, Door, EntryMeta, Store, StoreError};

/// How long quitting waits for a clipboard clear that is under way.
const CLIPBOARD_FINISH: Duration = Duration::from_secs(2);

/// Executes effects; `Quit` is returned to the caller as `false`.
pub(crate) struct Executor {
    services: Arc<Services>,
    actions: UnboundedSender<Action>,
    /// Used from blocking tasks (a system clipboard may wait on the display server).
    clipboard: Arc<Mutex<Clipboard>>,
    /// At most `concurrency` renewals at once, as `renew --all` does.
    renew_slots: Arc<Semaphore>,
    /// Clipboard work still running; quitting lets it finish (a token must not stay behind).
    clipboard_tasks: Vec<JoinHandle<()>>,
    /// Set when the user quits: queued renewals then answer without starting.
    stop_queued: Arc<AtomicBool>,
    /// Issued tokens no store took, printed when the dashboard has closed.
    at_exit: AtExit,
}

impl super::event_loop::Runner for Executor {
    fn run(&mut self, effect: Effect) -> bool {
        Executor::run(self, effect)
    }
}

impl Executor {
    pub fn new(
        services: Services,
        actions: UnboundedSender<Action>,
        clipboard: Clipboard,
    ) -> Executor {
        let healed = actions.clone();
        services
            .store
            .on_notice(move |msg| drop(healed.send(Action::IndexHealed(msg.to_owned()))));
        let slots = services.renewer.concurrency();
        Executor {
            services: Arc::new(services),
            actions,
            clipboard: Arc::new(Mutex::new(clipboard)),
            renew_slots: Arc::new(Semaphore::new(slots)),
            clipboard_tasks: Vec::new(),
            stop_queued: Arc::default(),
            at_exit: AtExit::default(),
        }
    }

    /// The issued tokens no store took, to print once the terminal is restored.
    pub(crate) fn at_exit(&self) -> &AtExit {
        &self.at_exit
    }

    /// Runs one effect; returns false when the dashboard should close.
    pub(crate) fn run(&mut self, effect: Effect) -> bool {
        match effect {
            Effect::Quit => return false,
            // The loop suspends the terminal itself.
            Effect::Suspend => {}
            Effect::StopQueued => self.stop_queued.store(true, Ordering::SeqCst),
            Effect::Renew(names) => {
                for name in names {
                    self.renew(name);
                }
            }
            Effect::Copy { name } => self.copy(name),
            Effect::ClearClipboard => {
                let clipboard = Arc::clone(&self.clipboard);
                let handle = answer_blocking(
                    &self.actions,
                    move || {
                        let result = lock(&clipboard)
                            .clear_if_unchanged()
                            .map_err(TaskError::from_error);
                        Action::ClipboardCleared(result)
                    },
                    |why| Action::ClipboardCleared(Err(TaskError::panicked(&why))),
                );
                self.clipboard_tasks.push(handle);
            }
            Effect::Add {
                name,
                base_url,
                note,
                token,
            } => match new_entry(&name, &base_url, note, self.services.clock.now()) {
                Ok(meta) => answer_store(
                    &self.actions,
                    self.services.door(),
                    name,
                    move |store, _| store.add(meta, &token, false),
                    |name, result| Action::Added { name, result },
                ),
                Err(error) => drop(self.actions.send(Action::Added {
                    name,
                    result: Err(error),
                })),
            },
            Effect::Delete(name) => answer_store(
                &self.actions,
                self.services.door(),
                name,
                |store, name| store.remove(name),
                |name, result| Action::Deleted { name, result },
            ),
            Effect::Reload => self.reload(),
            Effect::Decide { id, decision } => self.decide(id, decision),
            Effect::Inspect(name) => self.inspect(name),
            Effect::Login { name, secret } => {
                let at_exit = self.at_exit.clone();
                self.answer_row(
                    name,
                    |services, name| async move {
                        match super::login::log_in_again(&services, &at_exit, &name, secret).await {
                            Ok(Outcome::Done(summary)) => Action::LoggedIn {
                                name,
                                result: Ok(summary),
                            },
                            Ok(Outcome::NeedsSecret(prompt)) => {
                                Action::LoginNeedsSecret { name, prompt }
                            }
                            Err(error) => Action::LoggedIn {
                                name,
                                result: Err(error),
                            },
                        }
                    },
                    |name, why| Action::LoggedIn {
                        name,
                        result: Err(TaskError::panicked(why)),
                    },
                );
            }
        }
        true
    }

    /// [`answer`] for work about row `name`: `work` gets the services and the name; a panic
    /// answers `on_panic(name, why)`, so the row never keeps spinning.
    fn answer_row<F>(
        &self,
        name: String,
        work: impl FnOnce(Arc<Services>, String) -> F,
        on_panic: impl FnOnce(String, &str) -> Action + Send + 'static,
    ) where
        F: Future<Output = Action> + Send + 'static,
    {
        let work = work(Arc::clone(&self.services), name.clone());
        answer(&self.actions, work, move |why| on_panic(name, &why));
    }

    /// Starts following the agent beside the dashboard, if one is looked for.
    pub(crate) fn follow_agent(&self) -> Option<JoinHandle<()>> {
        let path = self.services.agent.clone()?;
        Some(super::agent::spawn(
            path,
            self.actions.clone(),
            super::agent::Backoff::PRODUCT,
        ))
    }

    /// Sends a person's answer to the agent's pending request `id`, on a connection of its own.
    fn decide(&self, id: u64, decision: Decision) {
        let path = self.services.agent.clone();
        answer_blocking(
            &self.actions,
            move || {
                let result = match path {
                    Some(path) => crate::agent::follow::decide(&path, id, decision)
                        .map_err(TaskError::from_error),
                    None => Err(TaskError::from(crate::tr!("toast.no_agent"))),
                };
                Action::Decided {
                    id,
                    decision,
                    result,
                }
            },
            move |why| Action::Decided {
                id,
                decision,
                result: Err(TaskError::panicked(&why)),
            },
        );
    }

    /// Lets clipboard work under way finish (bounded), so quitting never leaves a token there.
    pub(crate) async fn finish(&mut self) {
        let pending = futures::future::join_all(self.clipboard_tasks.drain(..));
        let _ = tokio::time::timeout(CLIPBOARD_FINISH, pending).await;
    }

    /// The rows from the index (no secret is read for them).
    pub fn reload(&self) {
        let actions = self.actions.clone();
        self.load(move |store| {
            // Another process (cron, the CLI) may have changed the index since we opened
            // it. If it cannot be read, say so and show what we had.
            if let Err(e) = store.reload() {
                let _ = actions.send(Action::StoreProblem(TaskError::from_error(e)));
            }
            store.load_index()
        });
    }

    /// The first rows: the index was read when the store was opened a moment ago, so it is
    /// not parsed a second time (1000 entries take a few milliseconds).
    pub(crate) fn first_load(&self) {
        self.load(|store| store.load_index());
    }

    /// Answers with the rows `rows` reads, or with the problem that kept it from answering.
    fn load(&self, rows: impl FnOnce(&Store) -> Vec<store::StoredToken> + Send + 'static) {
        let door = self.services.door();
        answer(
            &self.actions,
            async move {
                match door.run(move |store| Ok(rows(store))).await {
                    Ok(rows) => Action::Loaded(rows),
                    Err(e) => Action::StoreProblem(TaskError::from_error(e)),
                }
            },
            |why| Action::StoreProblem(TaskError::panicked(&why)),
        );
    }

    /// Checks once, after the table is up, that the keyring holds what the index lists; a
    /// difference heals the index and comes back as `IndexHealed` (through the store's
    /// notices). Orphaned secrets are only logged here; `actoken list` names them.
    pub(crate) fn reconcile(&self) -> tokio::task::JoinHandle<()> {
        let door = self.services.door();
        tokio::spawn(async move {
            match door.run(|store| store.reconcile()).await {
                Ok(orphans) if !orphans.is_empty() => {
                    tracing::info!(?orphans, "keyring items the index does not list");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "could not compare the keyring with the index")
                }
            }
        })
    }

    fn renew(&self, name: String) {
        let slots = Arc::clone(&self.renew_slots);
        let stop = Arc::clone(&self.stop_queued);
        let at_exit = self.at_exit.clone();
        self.answer_row(
            name,
            |services, name| async move {
                // Queued behind `concurrency` others; the row spins meanwhile.
                let _slot = slots.acquire_owned().await;
                if stop.load(Ordering::SeqCst) {
                    let why = crate::tr!("quit.not_started");
                    let result = Err(TaskError::new(FailureKind::Other, why));
                    return Action::Renewed { name, result };
                }
                let now = services.clock.now();
                let result = services
                    .renewer
                    .renew(&name, When::Always, now)
                    .await
                    .map(|renewed| RenewedInfo {
                        token: renewed.token,
                        renewed_at: now,
                    })
                    .map_err(|mut error| {
                        at_exit.renewal(&mut error);
                        TaskError::from_error(error)
                    });
                Action::Renewed { name, result }
            },
            |name, why| Action::Renewed {
                name,
                result: Err(TaskError::panicked(why)),
            },
        );
    }

    /// Asks the region's server about a token: `center` and `tokens/state` at once.
    fn inspect(&self, name: String) {
        let clock = self.services.clock;
        self.answer_row(
            name,
            |services, name| async move {
                let asked_at = services.clock.now();
                let info = match services.door().get(&name).await {
                    Ok((meta, token)) => {
                        let client = &services.client;
                        // `center` answers only a region's token: the platform token has none.
                        let center = async {
                            if meta.platform {
                                return Err(crate::tr!("details.platform_no_region"));
                            }
                            let center = client.center(&meta.base_url, &token).await;
                            center.map_err(|e| e.to_string())
                        };
                        let (center, state, account) = tokio::join!(
                            center,
                            client.token_state(&meta.base_url, &token),
                            account_of(&services, &meta)
                        );
                        ServerInfo {
                            center,
                            state: state.map_err(|e| e.to_string()),
                            asked_at,
                            account,
                        }
                    }
                    Err(e) => failed(e.to_string(), asked_at),
                };
                Action::Inspected {
                    name,
                    info: Box::new(info),
                }
            },
            move |name, why| Action::Inspected {
                name,
                info: Box::new(failed(format!("internal error: {why}"), clock.now())),
            },
        );
    }

    /// Reads the secret through the door, then copies it on the blocking pool: both can wait
    /// (D-Bus, the display server), and nothing may wait on the loop thread.
    fn copy(&mut self, name: String) {
        let (door, clipboard) = (self.services.door(), Arc::clone(&self.clipboard));
        let owned = name.clone();
        let handle = answer(
            &self.actions,
            async move {
                let result = match door.get(&owned).await {
                    Ok((_, token)) => {
                        crate::blocking::off_thread(move || lock(&clipboard).copy(&token))
                            .await
                            .map_err(|why| TaskError::panicked(&why))
                            .and_then(|copied| copied.map_err(TaskError::from_error))
                    }
                    Err(e) => Err(TaskError::from_error(e)),
                };
                Action::Copied {
                    name: owned,
                    result,
                }
            },
            move |why| Action::Copied {
                name,
                result: Err(TaskError::panicked(&why)),
            },
        );
        self.clipboard_tasks.push(handle);
    }
}

/// A clipboard whose lock was poisoned by a panicking copy is still usable.
fn lock(clipboard: &Mutex<Clipboard>) -> std::sync::MutexGuard<'_, Clipboard> {
    clipboard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `work` in a task and sends its Action; if it panics, sends `fallback(message)`.
pub(super) fn answer<F>(
    actions: &UnboundedSender<Action>,
    work: F,
    fallback: impl FnOnce(String) -> Action + Send + 'static,
) -> JoinHandle<()>
where
    F: Future<Output = Action> + Send + 'static,
{
    let actions = actions.clone();
    let task = tokio::spawn(work);
    tokio::spawn(async move {
        let action = task
            .await
            .unwrap_or_else(|e| fallback(crate::blocking::panic_message(e)));
        let _ = actions.send(action);
    })
}

/// [`answer`] for blocking work that is not the store's (the clipboard).
fn answer_blocking(
    actions: &UnboundedSender<Action>,
    work: impl FnOnce() -> Action + Send + 'static,
    fallback: impl FnOnce(String) -> Action + Send + 'static,
) -> JoinHandle<()> {
    let actions = actions.clone();
    tokio::spawn(async move {
        let action = crate::blocking::off_thread(work)
            .await
            .unwrap_or_else(fallback);
        let _ = actions.send(action);
    })
}

/// Runs a write to token `name` through the door and answers with `to_action` of its result
/// (a panic or a hang of the call is an error result, not a silent row).
fn answer_store<T: Send + 'static>(
    actions: &UnboundedSender<Action>,
    door: Door,
    name: String,
    call: impl FnOnce(&Store, &str) -> Result<T, StoreError> + Send + 'static,
    to_action: impl FnOnce(String, Result<T, TaskError>) -> Action + Send + 'static,
) {
    let actions = actions.clone();
    tokio::spawn(async move {
        let owned = name.clone();
        let written = door.write(&name, move |store| call(store, &owned)).await;
        let _ = actions.send(to_action(name, written.map_err(TaskError::from_error)));
    });
}

fn failed(why: String, asked_at: Timestamp) -> ServerInfo {
    ServerInfo {
        center: Err(why.clone()),
        state: Err(why),
        asked_at,
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
    let token = services
        .door()
        .run(move |store| Ok(crate::account_info::platform_token(store, &id)))
        .await
        .ok()
        .flatten()?;
    Some(crate::account_info::fetch(&services.client, &meta.base_url, &token).await)
}

/// The index entry for a token the user adds, once its name and URL pass the checks.
fn new_entry(
    name: &str,
    base_url: &str,
    note: Option<String>,
    now: Timestamp,
) -> Result<EntryMeta, TaskError> {
    store::validate_name(name).map_err(TaskError::from_error)?;
    api::check_base_url(base_url).map_err(TaskError::from_error)?;
    let mut meta = EntryMeta::new(name, base_url.trim_end_matches('/'), now);
    meta.note = note;
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use tokio::sync::mpsc;

    use super::*;

    /// Issue 10: a task that panicked left its row spinning forever. Now its fallback Action
    /// arrives, carrying the panic's message.
    #[tokio::test]
    async fn a_panicking_task_still_answers_with_its_message() {
        let _watchdog = crate::watchdog::arm();
        let (tx, mut rx) = mpsc::unbounded_channel();
        answer(&tx, async { panic!("renewer blew up") }, |why| {
            Action::Renewed {
                name: "alice/华东一区【昆山】".into(),
                result: Err(TaskError::panicked(&why)),
            }
        });
        answer_blocking(
            &tx,
            || panic!("{}", String::from("keyring thread blew up")),
            |why| Action::Copied {
                name: "x".into(),
                result: Err(TaskError::panicked(&why)),
            },
        );
        let mut seen = Vec::new();
        for _ in 0..2 {
            match rx.recv().await.unwrap() {
                Action::Renewed { result: Err(e), .. } | Action::Copied { result: Err(e), .. } => {
                    assert_eq!(e.kind, crate::dashboard::app::FailureKind::Bug);
                    seen.push(e.message);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        seen.sort();
        assert!(seen[0].contains("keyring thread blew up"), "{seen:?}");
        assert!(seen[1].contains("renewer blew up"), "{seen:?}");
    }
}

#[cfg(test)]
mod inspect_tests {
    //! Inspect against the loopback mock and an in-memory store: the details pane learns the
    //! owning account's status and balance through its login's platform token.

    use super::*;
    use crate::api::AcClient;
    use crate::api::ClientOptions;
    use crate::clock::Clock;
    use crate::config::{Config, Paths};
    use crate::login::Relogin;
    use crate::mock::{MintSpec, MockServer, mint};
    use crate::renew::Renewer;
    use crate::store::AccountKeys;
    use crate::store::MemoryBackend;

    fn meta(name: &str, base_url: &str, account: Option<&str>, platform: bool) -> EntryMeta {
        EntryMeta {
            account: account.map(str::to_owned),
            platform,
            ..EntryMeta::new(name, base_url, Timestamp::now())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn inspect_reports_the_accounts_status_and_balance() {
        let _watchdog = crate::watchdog::arm();
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(MemoryBackend::new());
        let store = Store::open(&Paths::under(dir.path()), backend.clone()).unwrap();
        let mock = MockServer::on_loopback().await.unwrap();
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
            keys: AccountKeys::new(backend.clone()),
            relogin: Relogin::new(AccountKeys::new(backend)),
            clock: Clock::system(),
            agent: None,
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
