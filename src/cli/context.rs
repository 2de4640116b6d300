//! What every command needs, built lazily: a command that never touches the keyring (e.g.
//! `completions`, `mock-server`) never opens it.

use anyhow::Context as _;

use std::sync::Arc;

use crate::api::{AcClient, ClientOptions};
use crate::clock::Clock;
use crate::config::{Config, Paths};
use crate::files::{Role, trust};
use crate::login::Relogin;
use crate::renew::Renewer;
use crate::store::{AccountKeys, SecretBackend, Selected, Store, StoreChoice, StoreKind};

use super::global::{DEFAULT_SERVICE, GlobalArgs};
use super::streams::Io;

pub struct Context {
    pub config: Config,
    pub paths: Paths,
    pub service: String,
    /// The store asked for, and who asked (for `doctor`).
    pub store_choice: StoreChoice,
    pub store_choice_source: &'static str,
    /// The store in use, chosen once per process (an `auto` probe of the Secret Service can
    /// take up to keyring-timeout).
    selected: std::sync::OnceLock<Selected>,
    /// The remembered secret keys' store, when the caller gave the stores (see
    /// [`Context::with_stores`]); else opened beside the token store in use.
    given_keys: Option<Arc<dyn SecretBackend>>,
    /// What "now" is for every decision a command makes (the system clock in the product).
    pub clock: Clock,
    /// Where output goes and input comes from (the process's streams in the product).
    pub io: Arc<Io>,
    /// The agent to ask instead of a store here (`--agent`, ACTOKEN_AGENT_SOCK), unless
    /// `--no-agent`.
    pub agent: Option<std::path::PathBuf>,
}

impl Context {
    pub(crate) fn load(global: &GlobalArgs, io: Arc<Io>) -> anyhow::Result<Context> {
        let paths = Paths::from_env()?;
        let config = Context::read_config(global, &paths)?;
        Context::new(global, paths, config, io)
    }

    /// The config file (`--config`, else the default), once actoken's own config directory is
    /// known to be the user's: the index and the remembered logins are read from there too,
    /// and a directory others can change is refused first, naming the `chmod` that fixes it.
    fn read_config(global: &GlobalArgs, paths: &Paths) -> anyhow::Result<Config> {
        trust::check(Role::ConfigDir, &paths.config_dir)?;
        Ok(Config::load(&Context::config_file(global, paths))?)
    }

    /// `--config`, else the default config file.
    pub(crate) fn config_file(global: &GlobalArgs, paths: &Paths) -> std::path::PathBuf {
        global.config.clone().unwrap_or_else(|| paths.config_file())
    }

    /// A context from an already loaded config (`doctor` loads it itself, to report errors).
    pub fn new(
        global: &GlobalArgs,
        paths: Paths,
        mut config: Config,
        io: Arc<Io>,
    ) -> anyhow::Result<Context> {
        // The name goes into keyring attributes, key descriptions and the unit `watch
        // --install` writes, where a line break would add a line of someone else's choosing.
        if global.keyring_service.chars().any(char::is_control) {
            return Err(super::exit::UsageError(crate::tr!("usage.bad_keyring_service")).into());
        }
        if config.language.is_some() {
            crate::i18n::init(global.lang, config.language);
        }
        if let Some(ca) = &global.ca_file {
            config.ca_file = Some(ca.clone());
        }
        // Empty (`ACTOKEN_KEYRING_SERVICE=`) means the default, as it always has.
        let service = Some(global.keyring_service.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_SERVICE.to_owned());
        let (store_choice, store_choice_source) = match global.store {
            Some(choice) => (choice, "--store or ACTOKEN_STORE"),
            None if config.store != StoreChoice::Auto => (config.store, "the config file"),
            None => (StoreChoice::Auto, "the default"),
        };
        Ok(Context {
            config,
            paths,
            service,
            store_choice,
            store_choice_source,
            selected: std::sync::OnceLock::new(),
            given_keys: None,
            clock: Clock::system(),
            io,
            agent: global.agent_socket().map(ToOwned::to_owned),
        })
    }

    /// A context on stores the caller gives (memory backends in in-process tests): the tokens
    /// in `tokens`, remembered secret keys in `keys`, files under `paths`, the config file
    /// there if any. Nothing is chosen or probed, and nothing process-wide (the interface
    /// language) is set.
    pub fn with_stores(
        global: &GlobalArgs,
        paths: Paths,
        io: Arc<Io>,
        tokens: Arc<dyn SecretBackend>,
        keys: Arc<dyn SecretBackend>,
    ) -> anyhow::Result<Context> {
        let config = Config {
            language: None,
            ..Context::read_config(global, &paths)?
        };
        let ctx = Context {
            given_keys: Some(keys),
            ..Context::new(global, paths, config, io)?
        };
        let selected = Selected {
            kind: StoreKind::SecretService,
            backend: tokens,
            reason: "given by the caller".into(),
            passed_over: None,
        };
        let _ = ctx.selected.set(selected);
        Ok(ctx)
    }

    /// Whether the tokens are in the Secret Service this process opens itself (a batch read can
    /// then be prepared ahead); not for a store the caller gave.
    pub(crate) fn opens_the_secret_service(&self) -> bool {
        self.given_keys.is_none() && self.store_choice != StoreChoice::Keyutils
    }

    pub(crate) fn keyring_timeout(&self) -> std::time::Duration {
        self.config.keyring_timeout.unsigned_abs()
    }

    /// The store in use: chosen on first use (see [`super::store_select`]).
    pub(crate) fn selected(&self) -> anyhow::Result<&Selected> {
        if let Some(selected) = self.selected.get() {
            return Ok(selected);
        }
        let selected = super::store_select::choose(
            &self.io,
            self.store_choice,
            self.store_choice_source,
            &self.service,
            self.keyring_timeout(),
            &self.paths.state_dir,
        )?;
        Ok(self.selected.get_or_init(|| selected))
    }

    pub(crate) fn store(&self) -> anyhow::Result<Store> {
        let selected = self.selected()?;
        let store = Store::open_in(&self.paths, selected.backend.clone(), selected.kind)?;
        let io = Arc::clone(&self.io);
        store.on_notice(move |msg| errln!(io, "note: {msg}"));
        Ok(store)
    }

    pub(crate) fn client(&self) -> anyhow::Result<AcClient> {
        AcClient::new(&ClientOptions::from_config(&self.config))
            .context("cannot set up the HTTP client")
    }

    /// The store and the HTTP client, set up side by side: loading the TLS roots takes tens
    /// of milliseconds (every certificate in /etc/ssl/certs is read and parsed), as long as
    /// opening the keyring and reading the index, and neither waits for the other.
    pub(crate) fn store_and_client(&self) -> anyhow::Result<(Store, AcClient)> {
        std::thread::scope(|s| {
            let client = s.spawn(|| self.client());
            let store = self.store();
            let client = client
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok((store?, client?))
        })
    }

    /// Renews, and brings dead or rejected tokens back through a remembered login.
    pub(crate) fn renewer(&self) -> anyhow::Result<Renewer> {
        let (store, client) = self.store_and_client()?;
        Ok(Renewer::new(store, client, &self.config).with_relogin(self.relogin()?))
    }

    /// [`Context::renewer`] on a store already opened.
    pub(crate) fn renewer_on(&self, store: Store) -> anyhow::Result<Renewer> {
        Ok(Renewer::new(store, self.client()?, &self.config).with_relogin(self.relogin()?))
    }

    /// Secret keys of remembered logins (keyring service `<service>-accounts`), in the store
    /// in use.
    pub(crate) fn account_keys(&self) -> anyhow::Result<AccountKeys> {
        if let Some(keys) = &self.given_keys {
            return Ok(AccountKeys::new(Arc::clone(keys)));
        }
        let kind = self.selected()?.kind;
        let backend =
            crate::store::open_accounts_backend(kind, &self.service, self.keyring_timeout())?;
        Ok(AccountKeys::new(backend))
    }

    /// The base URL given on the command line, else the config's; an error saying how to
    /// give one when there is neither. Checked (https, or http to loopback) and trimmed.
    pub fn base_url(&self, given: Option<String>) -> anyhow::Result<String> {
        let url = given
            .or_else(|| self.config.base_url.clone())
            .ok_or_else(|| super::exit::UsageError(crate::tr!("usage.no_base_url")))?;
        crate::api::check_base_url(&url)?;
        Ok(url.trim().trim_end_matches('/').to_owned())
    }

    pub(crate) fn relogin(&self) -> anyhow::Result<Relogin> {
        Ok(Relogin::new(self.account_keys()?))
    }
}

/// The runtime for the commands that talk to the network and for the dashboard: multi-thread,
/// so the dashboard's loop and its tasks (renewals, logins, their TLS work) run side by side
/// (blocking store and clipboard calls go to the blocking pool, see `crate::blocking`); two
/// workers are plenty for a handful of requests at a time.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("cannot start the async runtime")
}
