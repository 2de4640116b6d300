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
    /// More log output on stderr (-v info, -vv debug, -vvv trace). Tokens are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
    /// Print where actoken keeps its files
    Paths,
    /// Try the dashboard on a built-in mock AC server with sample tokens (nothing is stored)
    Demo,
    /// Run the built-in mock AC server (for trying actoken and for tests)
    MockServer(MockServerArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
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
    /// Renew every stored token that can still be renewed
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
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

fn parse_duration(s: &str) -> Result<SignedDuration, String> {
    let d = timefmt::parse_duration(s)?;
    if d.is_negative() {
        return Err("a duration cannot be negative".to_owned());
    }
    Ok(d)
}
