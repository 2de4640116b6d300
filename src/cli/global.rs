//! The flags every command takes (`--config`, `--store`, `--lang`, …).

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file to use instead of the default (see `actoken paths`)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Extra CA certificate(s) to trust (PEM), in addition to the system's
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Where secrets are kept (default: config `store`, else auto: the Secret Service when it
    /// answers and is unlocked, else the Linux kernel keyring)
    #[arg(
        long,
        global = true,
        env = "ACTOKEN_STORE",
        value_enum,
        value_name = "STORE"
    )]
    pub store: Option<crate::store::StoreChoice>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace). Tokens are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log filter instead of -v: a level, or target=level pairs, e.g. `actoken=debug,reqwest=info`
    #[arg(
        long,
        global = true,
        value_name = "FILTER",
        env = "ACTOKEN_LOG",
        hide_env_values = true
    )]
    pub log: Option<String>,
    /// Keyring service the tokens are kept under (a second profile gets its own)
    #[arg(long, global = true, value_name = "NAME", env = "ACTOKEN_KEYRING_SERVICE", hide_env_values = true, default_value = DEFAULT_SERVICE)]
    pub keyring_service: String,
    /// No colours in the dashboard (NO_COLOR: any non-empty value, as https://no-color.org says)
    #[arg(long, global = true, env = "NO_COLOR", hide_env_values = true, value_parser = any_value_but_empty)]
    pub no_color: bool,
    /// Copy through the terminal (OSC 52) even where a system clipboard is reachable
    #[arg(long, global = true, env = "NO_SYSTEM_CLIPBOARD", hide_env_values = true, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_system_clipboard: bool,
    /// Never wait for a person: where a prompt would be shown (even on a terminal), exit 3
    /// naming the command that needs none
    #[arg(long, global = true, env = "ACTOKEN_NO_INPUT", hide_env_values = true, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_input: bool,
    /// Ask the agent listening on this socket (`actoken agent`, maybe over `actoken ssh`)
    /// instead of opening a store here: `token`, `env`, `exec`, `list` and `show`
    #[arg(
        long,
        global = true,
        value_name = "SOCKET",
        env = "ACTOKEN_AGENT_SOCK",
        hide_env_values = true
    )]
    pub agent: Option<PathBuf>,
    /// Use this machine's own store even when ACTOKEN_AGENT_SOCK names an agent
    #[arg(long, global = true)]
    pub no_agent: bool,
    /// Interface language: en or zh-CN (else `language` in the config, else LC_ALL /
    /// LC_MESSAGES / LANG: zh* is Chinese). --json output never changes.
    #[arg(long, global = true, value_name = "LANG", env = "ACTOKEN_LANG", hide_env_values = true, value_parser = crate::i18n::Lang::parse)]
    pub lang: Option<crate::i18n::Lang>,
}

/// The keyring service when none is given.
pub(crate) const DEFAULT_SERVICE: &str = "actoken";

impl GlobalArgs {
    /// The agent to ask, unless `--no-agent` (which wins over ACTOKEN_AGENT_SOCK). An empty
    /// ACTOKEN_AGENT_SOCK asks none, as an unset one.
    pub(crate) fn agent_socket(&self) -> Option<&std::path::Path> {
        self.agent
            .as_deref()
            .filter(|p| !p.as_os_str().is_empty() && !self.no_agent)
    }
}

/// NO_COLOR's rule: any non-empty value turns colour off, even "0". clap hands a flag's parser
/// "true" for the bare flag and "false" when neither the flag nor the variable is there.
fn any_value_but_empty(value: &str) -> Result<bool, std::convert::Infallible> {
    Ok(!value.is_empty() && value != "false")
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn no_color_is_off_only_when_unset_or_empty() {
        // "false" is what clap passes when neither --no-color nor NO_COLOR is there.
        for (value, no_color) in [("", false), ("false", false), ("1", true), ("0", true)] {
            assert_eq!(any_value_but_empty(value), Ok(no_color), "{value:?}");
        }
    }
}
