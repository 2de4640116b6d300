//! The command line's top: `Cli`, and the list of commands; each command's flags live beside
//! its `run`, in the file named for it.

#[cfg(unix)]
use super::ssh::{SSH_HELP, SshArgs};
use super::{
    accounts::AccountsArgs,
    add::AddArgs,
    agent::{AGENT_HELP, AgentArgs},
    check::CheckArgs,
    completions::CompletionsArgs,
    doctor::DoctorArgs,
    env::EnvArgs,
    exec::{ExecArgs, KEEP_FRESH_HELP},
    fresh::ENV_HELP,
    global::GlobalArgs,
    import::ImportArgs,
    info::InfoArgs,
    list::ListArgs,
    login::{LOGIN_HELP, LoginArgs},
    logout::LogoutArgs,
    manpage::ManpageArgs,
    mock_server::MockServerArgs,
    r#move::{MOVE_HELP, MoveArgs},
    renew::RenewArgs,
    rm::RmArgs,
    show::ShowArgs,
    token::TokenArgs,
    watch::{WATCH_HELP, WatchArgs},
};
use clap::{Parser, Subcommand};

pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  error (see the message)
  2  usage error (bad command line or input)
  3  the token is dead or rejected: renewing cannot help, get a new token
  4  network or server error: retrying later may help
  5  the OS keyring is unavailable or locked
  6  a token was issued (renewal, login) but could not be saved: the message says where it
     is kept (a rescue file; else the terminal or stdout)

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
    /// Import another tool's accounts and tokens (scnet-cli), optionally scrubbing its plain files
    #[command(after_help = "Example:\n  actoken import scnet-cli --scrub")]
    Import(ImportArgs),
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
    #[command(after_long_help = format!("{ENV_HELP}\n\n{KEEP_FRESH_HELP}"))]
    Exec(ExecArgs),
    /// ssh to a host with the agent forwarded: ACTOKEN_AGENT_SOCK set there for the session
    #[cfg(unix)]
    #[command(
        after_long_help = SSH_HELP,
        override_usage = "actoken ssh [SSH OPTIONS] HOST [COMMAND]..."
    )]
    Ssh(SshArgs),
    /// Keep every stored token fresh, in the foreground (for systemd, launchd or cron)
    #[command(after_long_help = WATCH_HELP)]
    Watch(WatchArgs),
    /// Hand this store's tokens to your processes, here and over SSH, keeping them fresh
    #[command(after_long_help = AGENT_HELP)]
    Agent(AgentArgs),
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

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
