//! What every command needs, built lazily: a command that never touches the keyring (e.g.
//! `completions`, `mock-server`) never opens it.

use std::sync::Arc;

use anyhow::Context as _;

use crate::api::{AcClient, ClientOptions};
use crate::config::{Config, Paths};
use crate::login::Relogin;
use crate::renew::Renewer;
use crate::store::{AccountKeys, KeyringBackend, Store};

use super::args::{DEFAULT_SERVICE, GlobalArgs};

pub struct Context {
    pub config: Config,
    pub paths: Paths,
    pub service: String,
}

impl Context {
    pub fn load(global: &GlobalArgs) -> anyhow::Result<Context> {
        let paths = Paths::from_env()?;
        let config_file = global.config.clone().unwrap_or_else(|| paths.config_file());
        refuse_if_others_can_write(&config_file)?;
        let mut config = Config::load(&config_file)?;
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
        Ok(Context {
            config,
            paths,
            service,
        })
    }

    pub fn store(&self) -> anyhow::Result<Store> {
        let timeout = self.config.keyring_timeout.unsigned_abs();
        let backend = KeyringBackend::with_service(&self.service, timeout)?;
        Ok(Store::open(&self.paths, Arc::new(backend))?)
    }

    pub fn client(&self) -> anyhow::Result<AcClient> {
        AcClient::new(&ClientOptions::from_config(&self.config))
            .context("cannot set up the HTTP client")
    }

    /// Renews, and brings dead or rejected tokens back through a remembered login.
    pub fn renewer(&self) -> anyhow::Result<Renewer> {
        Ok(Renewer::new(self.store()?, self.client()?, &self.config).with_relogin(self.relogin()?))
    }

    /// Secret keys of remembered logins (keyring service `<service>-accounts`).
    pub fn account_keys(&self) -> anyhow::Result<AccountKeys> {
        let timeout = self.config.keyring_timeout.unsigned_abs();
        Ok(AccountKeys::open_keyring(&self.service, timeout)?)
    }

    /// The base URL given on the command line, else the config's; an error saying how to
    /// give one when there is neither. Checked (https, or http to loopback) and trimmed.
    pub fn base_url(&self, given: Option<String>) -> anyhow::Result<String> {
        let url = given
            .or_else(|| self.config.base_url.clone())
            .ok_or_else(|| {
                super::exit::UsageError(
                "no base URL: pass --base-url https://HOST:PORT or set base-url in the config file"
                    .into(),
            )
            })?;
        crate::api::check_base_url(&url)?;
        Ok(url.trim().trim_end_matches('/').to_owned())
    }

    pub fn relogin(&self) -> anyhow::Result<Relogin> {
        Ok(Relogin::new(self.account_keys()?))
    }
}

/// Refuses a config file that other users can write: whoever edits it can set `ca-file` to
/// their own CA or `base-url` to their server and receive tokens on the next renewal.
fn refuse_if_others_can_write(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A missing file means defaults; other read errors are reported by Config::load.
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_file() && mode & 0o022 != 0 {
                anyhow::bail!(
                    "config file {} can be written by other users (mode {mode:04o}), so its \
                     settings (base-url, ca-file) cannot be trusted; check it, then run \
                     `chmod 600 {}`",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The runtime for the commands that talk to the network and for the dashboard: multi-thread,
/// because the dashboard's copy reads the keyring with `block_in_place`, which a current-thread
/// runtime refuses; two workers are plenty for a handful of requests at a time.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("cannot start the async runtime")
}
