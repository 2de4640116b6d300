//! The command line: every command, flag and its help text. Parsing only.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use jiff::SignedDuration;

use crate::timefmt;

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  error (see the message)
  2  usage error (bad command line or input)
  3  the token is dead or rejected: renewing cannot help, get a new token
  4  network or server error: retrying later may help
  5  the OS keyring is unavailable or locked
  6  renewed, but the new token could not be saved (a rescue file path is printed)

Tokens are never taken as arguments (other users can read a process's arguments):
pipe them on stdin, or type them at the hidden prompt.";

#[derive(Debug, Parser)]
#[command(
    name = "actoken",
    version,
    about = "Keep, watch and renew AC platform region tokens (JWTs) in the OS keyring",
    long_about = "Keep, watch and renew AC platform region tokens (JWTs) in the OS keyring.\n\nRun with no command to open the dashboard.",
    after_long_help = EXIT_CODES_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub global: GlobalArgs,
}

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
    /// Interface language: en or zh-CN (else `language` in the config, else LC_ALL /
    /// LC_MESSAGES / LANG: zh* is Chinese). --json output never changes.
    #[arg(long, global = true, value_name = "LANG", env = "ACTOKEN_LANG", hide_env_values = true, value_parser = crate::i18n::Lang::parse)]
    pub lang: Option<crate::i18n::Lang>,
}

/// The keyring service when none is given.
pub const DEFAULT_SERVICE: &str = "actoken";

/// NO_COLOR's rule: any non-empty value turns colour off, even "0". clap hands a flag's parser
/// "true" for the bare flag and "false" when neither the flag nor the variable is there.
fn any_value_but_empty(value: &str) -> Result<bool, std::convert::Infallible> {
    Ok(!value.is_empty() && value != "false")
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Store a token under NAME (the token is read from stdin, or a hidden prompt)
    #[command(
        after_help = "Example:\n  printf '%s' \"$TOKEN\" | actoken add hpc-east --base-url https://api01.example.com:65102"
    )]
    Add(AddArgs),
    /// List stored tokens with their phase and time left
    #[command(alias = "ls")]
    List(ListArgs),
    /// Show every claim of a token, its expiry and its renew cutoff
    Show(ShowArgs),
    /// Print the raw token on stdout (for scripts), renewing first if asked
    #[command(
        after_help = "Example:\n  curl -H \"token: $(actoken token hpc-east --min-valid 30m)\" ..."
    )]
    Token(TokenArgs),
    /// Renew tokens now through the AC API (tokens/next)
    Renew(RenewArgs),
    /// Remove a token from the keyring and the index
    #[command(alias = "remove")]
    Rm(RmArgs),
    /// Log in (access key + secret key, or password) and store a token for every region
    #[command(after_long_help = LOGIN_HELP)]
    Login(LoginArgs),
    /// List remembered logins: user, method, access key id, URLs (never a secret)
    Accounts(AccountsArgs),
    /// Forget a remembered login and its secret key (with --tokens, its tokens too)
    Logout(LogoutArgs),
    /// Ask the server whether it still accepts a stored token (tokens/state)
    Check(CheckArgs),
    /// Show a region's service addresses and home path (center)
    Info(InfoArgs),
    /// Move tokens to another secret store (copied, read back, then the original deleted)
    #[command(after_help = MOVE_HELP)]
    Move(MoveArgs),
    /// Check what works and say what to do: store, index, config, servers, clock, setup
    Doctor(DoctorArgs),
    /// Print a fresh token's variables as shell commands (eval "$(actoken env NAME)")
    #[command(after_long_help = ENV_HELP)]
    Env(EnvArgs),
    /// Run a command with a fresh token in its environment (never in its arguments)
    #[command(after_long_help = ENV_HELP)]
    Exec(ExecArgs),
    /// Keep every stored token fresh, in the foreground (for systemd, launchd or cron)
    #[command(after_long_help = WATCH_HELP)]
    Watch(WatchArgs),
    /// Print where actoken keeps its files
    Paths,
    /// Try the dashboard on a built-in mock AC server with sample tokens (nothing is stored)
    Demo,
    /// Run the built-in mock AC server (for trying actoken and for tests)
    MockServer(MockServerArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory
    #[command(
        after_help = "Examples:\n  actoken manpage > ~/.local/share/man/man1/actoken.1\n  actoken manpage --dir ~/.local/share/man/man1\n  man -l <(actoken manpage)"
    )]
    Manpage(ManpageArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name for the token (letters, digits, '.', '_', '-', '/')
    pub name: String,
    /// The region's API base URL, e.g. https://api01.example.com:65102 (default: config base-url)
    #[arg(long)]
    pub base_url: Option<String>,
    /// A free-text note shown in the dashboard
    #[arg(long)]
    pub note: Option<String>,
    /// Replace an existing token of the same name
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Machine-readable output (stable field names, RFC 3339 times)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub name: String,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    pub name: String,
    /// Renew first if the token expires within this time (e.g. 30m, 2h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_valid: Option<SignedDuration>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["names", "all"]))]
pub struct RenewArgs {
    /// Tokens to renew
    pub names: Vec<String>,
    /// Renew every stored token (a dead one through its remembered login, if any)
    #[arg(long)]
    pub all: bool,
    /// Only renew tokens that expire within this time (e.g. 2h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub within: Option<SignedDuration>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    pub name: String,
}

pub const LOGIN_HELP: &str = "\
Every usable token the platform returns is stored, one entry per region, named USER/REGION:
REGION is the region's name (clusterName), or its id (clusterId) when it has no name; the
account-level platform token is USER/ac. Characters a name may not hold become '-', and names
are cut to 64 characters. Entries of an earlier login of the same user and region are replaced;
other entries are left alone. Regions without a token are listed as \"not available\".

The secret key and the password are never taken as arguments: they are read from a hidden
prompt, or from stdin with --secret-key-stdin / --password-stdin, or (the secret key only) from
an environment variable named with --secret-key-env VAR. Without --user and --access-key, the
names the public SDKs use are read: SCNET_USER and SCNET_ACCESS_KEY (the latter not for the
password login). No secret is ever read from the environment unless --secret-key-env names it. The secret key is kept in the
OS keyring (service <service>-accounts) unless --no-remember, so dead tokens can come back by
themselves; the password is never stored. User, method, access key id, URLs and org id are
remembered (no secrets), so the next login only needs the secret.

Examples:
  actoken login --user alice --access-key AK1 --base-url https://www.example.com --auth-url https://api.example.com
  printf '%s' \"$SK\" | actoken login --user alice --access-key AK1 --secret-key-stdin --base-url https://www.example.com
  printf '%s' \"$PW\" | actoken login --user alice --org-id 4af1... --password-stdin --base-url https://www.example.com
  SCNET_USER=alice SCNET_ACCESS_KEY=AK1 actoken login --secret-key-env SCNET_SECRET_KEY --base-url https://www.example.com";

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The platform account name [env: SCNET_USER]
    #[arg(long = "user", value_name = "USER")]
    pub user_flag: Option<String>,
    /// The account name: --user, else $SCNET_USER (filled in by `login`).
    #[arg(skip)]
    pub user: String,
    /// Access key id (access-key login; remembered after the first login) [env: SCNET_ACCESS_KEY,
    /// not for the password login]
    // Both variables are read by `cli::login`, not by clap: a value clap takes from the
    // environment counts as given, and would clash with --org-id / --password-stdin.
    #[arg(long, value_name = "AK", conflicts_with_all = ["org_id", "password_stdin"])]
    pub access_key: Option<String>,
    /// Read the secret key from stdin instead of a hidden prompt
    #[arg(long, conflicts_with_all = ["org_id", "password_stdin", "secret_key_env"])]
    pub secret_key_stdin: bool,
    /// Read the secret key from this environment variable (only when asked, never by default)
    #[arg(long, value_name = "VAR", conflicts_with_all = ["org_id", "password_stdin"])]
    pub secret_key_env: Option<String>,
    /// Organisation id (password login)
    #[arg(long, value_name = "ORG")]
    pub org_id: Option<String>,
    /// Read the password from stdin instead of a hidden prompt (password login)
    #[arg(long)]
    pub password_stdin: bool,
    /// Where the tokens are renewed and used, e.g. https://www.example.com (default: remembered, then config base-url)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Where the access-key login is sent, e.g. https://api.example.com (default: the base URL)
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// Do not keep the secret key in the keyring (and forget one kept before)
    #[arg(long)]
    pub no_remember: bool,
}

pub const MOVE_HELP: &str = "\
With --all, the remembered secret keys of logins move too. A token is deleted from the old store
only after its copy was read back intact and the index records the new place; if anything fails
on the way, it stays usable where it was. Moving again finishes an interrupted move.

Examples:
  actoken move --all --to keyutils          # a headless box: no desktop keyring
  actoken move hpc-east --to secret-service";

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["names", "all"]))]
pub struct MoveArgs {
    /// Tokens to move
    pub names: Vec<String>,
    /// Every token kept in the other store, and the remembered secret keys
    #[arg(long)]
    pub all: bool,
    /// The store to move them to
    #[arg(long, value_enum, value_name = "STORE")]
    pub to: crate::store::StoreKind,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AccountsArgs {
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    pub user: String,
    /// Only the login at this base URL (when the user has several)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Also remove the tokens this account owns from the keyring and the index
    #[arg(long)]
    pub tokens: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    pub name: String,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    pub name: String,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

pub const ENV_HELP: &str = "\
Variables (each set only when known):
  AC_TOKEN, SCNET_TOKEN, SCNET_OPENAPI_TOKEN   the token
  AC_CLUSTER_ID, SCNET_CLUSTER_ID              its clusterId claim
  AC_USER                                      its user claim
  AC_TOKEN_NAME, AC_BASE_URL                   the stored entry's name and base URL
  AC_HPC_URL, AC_EFILE_URL, AC_AI_URL          the region's first enabled address of each
  SCNET_AI_URL                                 kind (from `center`, cached for 10 minutes)

The token is renewed first when it expires within --min-valid (default: the config's
renew-ahead window, 2h); a dead one comes back through the account's remembered secret key, or
the command exits 3 naming the `actoken login` to run.

Several tokens: --also NAME adds the AC_* variables of another token with a suffix made from its
name (upper-cased, other characters than A-Z and 0-9 turned into '_'): --also hpc-west sets
AC_TOKEN_HPC_WEST, AC_USER_HPC_WEST, AC_HPC_URL_HPC_WEST, ... Choose the suffix with
--also NAME=SUFFIX (needed for names without ASCII letters, e.g. --also '西北一区=XIAN').

Examples:
  eval \"$(actoken env hpc-east)\"
  actoken env hpc-east --format fish | source
  actoken env hpc-east --format powershell | Invoke-Expression
  actoken exec hpc-east --min-valid 1h -- python submit.py
  actoken exec hpc-east --also hpc-west -- ./sync.sh";

/// What `env` and `exec` share.
#[derive(Debug, Args)]
pub struct FreshArgs {
    /// Renew first if a token expires within this time (default: the renew-ahead window)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_valid: Option<SignedDuration>,
    /// Another token's variables too, suffixed: AC_TOKEN_<SUFFIX>... (NAME or NAME=SUFFIX)
    #[arg(long, value_name = "NAME[=SUFFIX]")]
    pub also: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    pub name: String,
    #[command(flatten)]
    pub fresh: FreshArgs,
    /// How to print the variables
    #[arg(long, value_enum, default_value = "sh")]
    pub format: crate::token_env::EnvFormat,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    pub name: String,
    #[command(flatten)]
    pub fresh: FreshArgs,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

pub const WATCH_HELP: &str = "\
Every --interval, watch re-reads the token index (so tokens added or removed by other actoken
processes are noticed), renews every token that expires within the renew-ahead window (config
renew-ahead, default 2h) and brings dead ones back through remembered secret keys. A token that
fails is left alone for 1 minute, then 2, 4, ... up to an hour. One line per action on stderr
(with syslog priorities under systemd, so journald records levels).

SIGTERM or SIGINT lets renewals in flight finish and be saved, then exits 0.

Examples:
  actoken watch                      # in a terminal, tmux, or a service manager
  actoken watch --install            # systemd user unit (launchd agent on macOS)
  */10 * * * * actoken watch --once  # cron: one pass, exit code of the worst problem";

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// One pass, then exit with the most serious code (for cron)
    #[arg(long, conflicts_with = "install")]
    pub once: bool,
    /// Time between passes
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_positive_duration)]
    pub interval: SignedDuration,
    /// Write a systemd user unit (a launchd agent on macOS) that runs `actoken watch`
    #[arg(long)]
    pub install: bool,
    /// With --install: replace a unit that differs from the one actoken writes
    #[arg(long, requires = "install")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct MockServerArgs {
    /// Address to listen on (loopback only)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Lifetime of the tokens it issues (e.g. 24h, 10m)
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub token_lifetime: SignedDuration,
    /// Added latency before every reply (e.g. 100ms), to try a slow network
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub delay: SignedDuration,
    /// Run the server's clock this far off (e.g. 10m, -3m): its Date header and its login
    /// timestamp check, to try `actoken doctor`
    #[arg(long, default_value = "0s", value_parser = timefmt::parse_duration, allow_hyphen_values = true)]
    pub clock_skew: SignedDuration,
}

#[derive(Debug, Args)]
pub struct ManpageArgs {
    /// Write actoken.1 and a page per command (actoken-exec.1, ...) into DIR instead
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

fn parse_positive_duration(s: &str) -> Result<SignedDuration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err("the interval must be longer than 0s".to_owned());
    }
    Ok(d)
}

fn parse_duration(s: &str) -> Result<SignedDuration, String> {
    let d = timefmt::parse_duration(s)?;
    if d.is_negative() {
        return Err("a duration cannot be negative".to_owned());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn no_color_is_off_only_when_unset_or_empty() {
        // "false" is what clap passes when neither --no-color nor NO_COLOR is there.
        for (value, no_color) in [("", false), ("false", false), ("1", true), ("0", true)] {
            assert_eq!(any_value_but_empty(value), Ok(no_color), "{value:?}");
        }
    }

    #[test]
    fn environment_flags_parse_after_any_command() {
        let cli = Cli::try_parse_from([
            "actoken",
            "paths",
            "--no-color",
            "--no-system-clipboard",
            "--keyring-service",
            "work",
            "--log",
            "actoken=debug",
        ])
        .unwrap();
        let g = cli.global;
        assert!(g.no_color && g.no_system_clipboard);
        assert_eq!(g.keyring_service, "work");
        assert_eq!(g.log.as_deref(), Some("actoken=debug"));
    }
}
