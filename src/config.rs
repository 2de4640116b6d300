//! The optional config file (`config.toml` in the XDG config dir) and where actoken keeps files.
//!
//! Every value has a default, so no config file is needed. Unknown keys are an error (naming
//! the file and line) rather than silently ignored: a typo must not turn a setting off.

use std::path::{Path, PathBuf};

use jiff::SignedDuration;
use serde::{Deserialize, Deserializer, Serialize};

use crate::files::capped::{self, ReadError};
use crate::files::{Role, trust};
use crate::keymap::{Keymap, KeysTable};
use crate::timefmt;

/// Settings, with defaults for everything.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Base URL used by `add` and `login` when none is given.
    pub base_url: Option<String>,
    /// How long after expiry a token can still be renewed (the platform says 24 h).
    #[serde(deserialize_with = "duration")]
    pub renew_grace: SignedDuration,
    /// Tokens expiring within this window count as due for renewal.
    #[serde(deserialize_with = "duration")]
    pub renew_ahead: SignedDuration,
    #[serde(deserialize_with = "duration")]
    pub connect_timeout: SignedDuration,
    /// Whole-request limit, connect included.
    #[serde(deserialize_with = "duration")]
    pub request_timeout: SignedDuration,
    /// Extra PEM CA certificate(s) to trust, besides the system's.
    pub ca_file: Option<PathBuf>,
    /// How many renewals run at once in `renew --all` and the dashboard.
    pub concurrency: usize,
    /// How long a copied token stays on the clipboard.
    #[serde(deserialize_with = "duration")]
    pub clipboard_clear: SignedDuration,
    /// Start the dashboard with auto-renew on.
    pub auto_renew: bool,
    /// Longest wait for the OS keyring before giving up with an error.
    #[serde(deserialize_with = "duration")]
    pub keyring_timeout: SignedDuration,
    /// Where secrets are kept: auto | secret-service | keyutils (`--store`, `ACTOKEN_STORE`).
    pub store: StoreChoice,
    /// Interface language (en or zh-CN); below --lang and ACTOKEN_LANG, above the locale.
    pub language: Option<crate::i18n::Lang>,
    /// `[agent]`: what `actoken agent` asks a person about, and what it hands over forwards.
    pub agent: AgentConfig,
    /// `[keys]`: the dashboard's rebound keys, as written (command name → key or keys).
    pub keys: KeysTable,
    /// The dashboard's key table: the defaults with `[keys]` applied and checked.
    #[serde(skip)]
    pub keymap: Keymap,
}

/// `[agent]`: limits on what `actoken agent` hands out.
///
/// ```toml
/// [agent]
/// confirm = false                        # every token request waits for a person (= --confirm)
/// confirm-tokens = ["华东一区【昆山】"]   # these tokens' requests wait for a person
/// forwardable = ["华东一区【昆山】"]      # only these go over SSH forwards (absent: all)
/// ```
///
/// A request that waits is shown in the dashboard and on the agent's terminal ("allow once /
/// for 30 min / deny"); nobody answering within a minute denies it. A forwarded connection
/// (its peer is the local `ssh` carrying the socket to another machine) asking for a token
/// not in `forwardable` is refused, and `list` over a forward shows only those; `forwardable
/// = []` hands nothing over forwards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct AgentConfig {
    /// Every `token` request waits for a person's approval (as `agent --confirm`).
    pub confirm: bool,
    /// The tokens whose requests wait for approval (besides every one, with `confirm`).
    pub confirm_tokens: Vec<String>,
    /// When given, the only tokens handed (listed, shown) over an SSH forward.
    pub forwardable: Option<Vec<String>>,
}

/// Where secrets are kept, as the user asked (`store` in the config, `--store`,
/// `ACTOKEN_STORE`); `store::StoreKind` is what each choice names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum StoreChoice {
    // The Secret Service when it answers and is unlocked, else the kernel keyring (Linux).
    #[default]
    Auto,
    // Always the Secret Service (desktop keyring).
    SecretService,
    // Always the Linux kernel keyring (no desktop needed; cleared at reboot).
    Keyutils,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: None,
            renew_grace: SignedDuration::from_hours(24),
            renew_ahead: SignedDuration::from_hours(2),
            connect_timeout: SignedDuration::from_secs(5),
            request_timeout: SignedDuration::from_secs(20),
            ca_file: None,
            concurrency: 16,
            clipboard_clear: SignedDuration::from_secs(30),
            auto_renew: false,
            keyring_timeout: SignedDuration::from_millis(1500),
            store: StoreChoice::Auto,
            language: None,
            agent: AgentConfig::default(),
            keys: KeysTable::new(),
            keymap: Keymap::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "config file {path} is invalid: {message}\nfix or remove the file; every setting has a default"
    )]
    Parse { path: PathBuf, message: String },
    #[error("cannot find a home directory to keep actoken's files in; set HOME or XDG_CONFIG_HOME")]
    NoHome,
    /// Another user could have changed it (see [`crate::files::trust`]).
    #[error(transparent)]
    Untrusted(#[from] crate::files::Distrust),
    #[error("config file {path} {message}")]
    TooLarge { path: PathBuf, message: String },
}

impl Config {
    /// Loads `path`; a missing file means all defaults. A file another user could have
    /// changed is refused: whoever edits it can set `ca-file` to their own CA or `base-url` to
    /// their server and receive tokens on the next renewal.
    pub(crate) fn load(path: &Path) -> Result<Config, ConfigError> {
        trust::check(Role::Config, path)?;
        match capped::read_to_string(path, capped::CONFIG_CAP) {
            Ok(text) => Config::parse(&text).map_err(|message| ConfigError::Parse {
                path: path.to_owned(),
                message,
            }),
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Config::default())
            }
            Err(ReadError::Io(source)) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
            Err(ReadError::TooLarge { cap }) => Err(ConfigError::TooLarge {
                path: path.to_owned(),
                message: capped::too_large(cap),
            }),
        }
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let mut config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        if config.concurrency == 0 {
            return Err("concurrency must be at least 1".into());
        }
        if config.renew_grace.is_negative() || config.renew_ahead.is_negative() {
            return Err("renew-grace and renew-ahead cannot be negative".into());
        }
        config.keymap = Keymap::from_table(&config.keys, text)?;
        Ok(config)
    }
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<SignedDuration, D::Error> {
    let text = String::deserialize(d)?;
    timefmt::parse_duration(&text).map_err(serde::de::Error::custom)
}

/// Where actoken keeps its files. Tokens themselves live only in the OS keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `config.toml` and the token index.
    pub config_dir: PathBuf,
    /// Lock files and rescue files for renewed tokens that could not be saved.
    pub state_dir: PathBuf,
}

impl Paths {
    /// The platform's directories (XDG on Linux: `$XDG_CONFIG_HOME/actoken`,
    /// `$XDG_STATE_HOME/actoken`).
    pub(crate) fn from_env() -> Result<Paths, ConfigError> {
        let dirs = directories::ProjectDirs::from("", "", "actoken").ok_or(ConfigError::NoHome)?;
        let state_dir = dirs
            .state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_owned();
        Ok(Paths {
            config_dir: dirs.config_dir().to_owned(),
            state_dir,
        })
    }

    /// Everything under one directory (tests, demo).
    pub fn under(root: &Path) -> Paths {
        Paths {
            config_dir: root.join("config"),
            state_dir: root.join("state"),
        }
    }

    pub(crate) fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn index_file(&self) -> PathBuf {
        self.config_dir.join("index.toml")
    }

    pub(crate) fn lock_dir(&self) -> PathBuf {
        self.state_dir.join("locks")
    }

    pub(crate) fn rescue_dir(&self) -> PathBuf {
        self.state_dir.join("rescue")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn reads_every_key() {
        let c = Config::parse(
            r#"
            base-url = "https://api01.example.com:65102"
            renew-grace = "12h"
            renew-ahead = "30m"
            connect-timeout = "2s"
            request-timeout = "1m"
            ca-file = "/etc/ssl/extra.pem"
            concurrency = 12
            clipboard-clear = "45s"
            auto-renew = true
            keyring-timeout = "3s"
            store = "keyutils"
            "#,
        )
        .unwrap();
        assert_eq!(
            c.base_url.as_deref(),
            Some("https://api01.example.com:65102")
        );
        assert_eq!(c.renew_grace, SignedDuration::from_hours(12));
        assert_eq!(c.renew_ahead, SignedDuration::from_mins(30));
        assert_eq!(c.connect_timeout, SignedDuration::from_secs(2));
        assert_eq!(c.request_timeout, SignedDuration::from_mins(1));
        assert_eq!(c.ca_file, Some(PathBuf::from("/etc/ssl/extra.pem")));
        assert_eq!(c.concurrency, 12);
        assert_eq!(c.clipboard_clear, SignedDuration::from_secs(45));
        assert!(c.auto_renew);
        assert_eq!(c.keyring_timeout, SignedDuration::from_secs(3));
        assert_eq!(c.store, StoreChoice::Keyutils);
        let err = Config::parse("store = \"kernel\"").unwrap_err();
        assert!(err.contains("keyutils"), "{err}");
    }

    #[test]
    fn the_agent_table_names_tokens_to_confirm_and_to_forward() {
        let c = Config::parse(
            "[agent]\nconfirm-tokens = [\"华东一区【昆山】\"]\nforwardable = [\"华北一区【北京】\"]\n",
        )
        .unwrap();
        assert!(!c.agent.confirm);
        assert_eq!(c.agent.confirm_tokens, ["华东一区【昆山】"]);
        assert_eq!(
            c.agent.forwardable,
            Some(vec!["华北一区【北京】".to_owned()])
        );
        // Not given: every token goes over forwards; empty: none does.
        assert_eq!(Config::parse("").unwrap().agent.forwardable, None);
        let none = Config::parse("[agent]\nforwardable = []\nconfirm = true\n").unwrap();
        assert_eq!(none.agent.forwardable, Some(Vec::new()));
        assert!(none.agent.confirm);
        let err = Config::parse("[agent]\nconfirm-token = [\"x\"]\n").unwrap_err();
        assert!(err.contains("confirm-token"), "{err}");
    }

    #[test]
    fn unknown_key_names_the_line() {
        let err = Config::parse("renew-grace = \"1h\"\nrenew-gracee = \"2h\"\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("renew-gracee"), "{err}");
    }

    #[test]
    fn keys_table_is_applied_and_a_conflict_names_the_line() {
        use crate::keymap::{Command, Context};
        let c = Config::parse("auto-renew = true\n[keys]\nrenew = \"n\"\n").unwrap();
        assert_eq!(c.keymap.label(Context::Normal, Command::Renew), "n");
        let text = "concurrency = 4\n\n[keys]\nrenew = \"n\"\ncopy = [\"y\", \"n\"]\n";
        let err = Config::parse(text).unwrap_err();
        assert_eq!(
            err,
            "line 5: key \"n\" is bound to both renew and copy (rebind one of them too)"
        );
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(
            Config::parse("renew-grace = \"soon\"")
                .unwrap_err()
                .contains("not a duration")
        );
        assert!(
            Config::parse("concurrency = 0")
                .unwrap_err()
                .contains("at least 1")
        );
        assert!(Config::parse("concurrency = \"8\"").is_err());
    }

    #[test]
    fn a_config_over_the_cap_is_refused_naming_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, format!("concurrency = 2\n{}", "#\n".repeat(600_000))).unwrap();
        let err = crate::i18n::with_lang(crate::i18n::Lang::En, || {
            Config::load(&path).unwrap_err().to_string()
        });
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("1 MiB"), "{err}");
    }

    #[test]
    fn missing_file_is_defaults_and_bad_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert_eq!(Config::load(&path).unwrap(), Config::default());
        std::fs::write(&path, "concurrency = [").unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
}
