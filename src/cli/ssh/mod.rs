//! `actoken ssh [SSH ARGS…] HOST [COMMAND…]`: the system `ssh` with the agent's socket
//! forwarded to the remote host and ACTOKEN_AGENT_SOCK pointing there for the session.
//!
//! actoken checks that an agent answers on the local socket, splits the arguments as ssh does
//! ([`split`]), then *becomes* `ssh` (as plain `exec` becomes its command): signals, the
//! terminal and the exit status are ssh's own, which is the remote command's. The remote half
//! is a small sh wrapper ([`remote`]).

mod remote;
mod split;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use clap::Args;

use super::exit::{self, Coded, UsageError};
use super::global::GlobalArgs;
use super::streams::Io;
use crate::agent::client::{AgentClient, AgentError};
use split::SplitError;

pub(crate) const SSH_HELP: &str = "\
The arguments are ssh's, passed on as they are; actoken adds
  -o ExitOnForwardFailure=yes -R /tmp/actoken-agent-<random>.sock:<the agent's socket>
and, on the remote host, runs COMMAND (else your login shell, with -t on a terminal) with
ACTOKEN_AGENT_SOCK set to a stable link to the newest session's socket:
$XDG_RUNTIME_DIR/actoken/forwarded-agent.sock, else /tmp/actoken-UID/forwarded-agent.sock
(a shell in tmux keeps reaching the agent through it). The socket and the link go when the
session ends. The exit status is ssh's: the remote command's. -v is passed on to ssh too.

The agent's socket: --agent PATH, else ACTOKEN_AGENT_SOCK (--no-agent ignores it), else the
default ($XDG_RUNTIME_DIR/actoken/agent.sock). Without an agent answering there, ssh is not
started (exit 5). Forwarding a forwarded socket works too: from a login node, actoken ssh
forwards the one its own session was given.

Examples:
  actoken ssh login1                                   # a shell on login1
  actoken ssh -p 2222 alice@login1 actoken token hpc-east
  actoken ssh login1 -- sbatch job.sh

The same with plain ssh: in ~/.ssh/config here
  Host login1
      RemoteForward /home/alice/.actoken/agent-login1.sock ${XDG_RUNTIME_DIR}/actoken/agent.sock
      ExitOnForwardFailure yes
and on login1 (mkdir -m 700 ~/.actoken first), in the shell's rc file, as sshd rarely
accepts SetEnv/SendEnv:
  export ACTOKEN_AGENT_SOCK=\"$HOME/.actoken/agent-$(hostname -s).sock\"
A socket left by an earlier session then blocks the forward unless the server sets
StreamLocalBindUnlink yes; actoken ssh needs neither (a fresh path every time).";

#[derive(Debug, Args)]
pub struct SshArgs {
    /// ssh's options, HOST and the remote COMMAND, exactly as ssh takes them
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "SSH ARGS"
    )]
    pub args: Vec<OsString>,
}

/// Exit code of a program that could not be found, as shells use it.
const NOT_FOUND: u8 = 127;
const CANNOT_EXECUTE: u8 = 126;
/// How long the agent may take to answer hello.
const AGENT_WITHIN: Duration = Duration::from_secs(3);

pub(crate) fn run(io: &Io, global: &GlobalArgs, args: SshArgs) -> anyhow::Result<u8> {
    let line = split::split(&args.args).map_err(|e| UsageError(refusal(&e)))?;
    let local = agent_socket(global)?;
    let shown = local.display().to_string();
    // ssh -R splits its argument at ':'.
    if shown.contains(':') {
        return Err(UsageError(crate::tr!("ssh.colon_in_path", path = shown)).into());
    }
    match agent_answers(&local) {
        Ok(()) => {}
        Err(AgentError::Unreachable { source, .. }) => {
            let message = crate::tr!("ssh.no_agent", path = shown, error = source);
            return Err(Coded {
                message,
                code: exit::KEYRING,
            }
            .into());
        }
        Err(other) => return Err(Coded::from(other).into()),
    }
    let words = line
        .command
        .iter()
        .map(|w| w.to_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| UsageError(crate::tr!("ssh.not_utf8")))?;
    let socket = remote::fresh_socket_path()?;
    let note = crate::tr!("ssh.no_stable_link", dir = remote::DIR_MARK);
    let mut ssh = Command::new("ssh");
    ssh.args(["-o", "ExitOnForwardFailure=yes", "-R"])
        .arg(format!("{socket}:{shown}"));
    // ssh allocates a terminal for a login shell by itself, not for a command: the wrapper is one.
    if words.is_empty() && !line.chose_tty && std::io::stdin().is_terminal() {
        ssh.arg("-t");
    }
    for _ in 0..global.verbose {
        ssh.arg("-v");
    }
    ssh.args(&line.options)
        .arg("--")
        .arg(&line.host)
        .arg(remote::command(&socket, &note, &words));
    Ok(become_ssh(io, ssh))
}

/// Why the arguments cannot be run, in the user's words.
fn refusal(error: &SplitError) -> String {
    match error {
        SplitError::NoHost => crate::tr!("ssh.no_host"),
        SplitError::MissingValue(letter) => {
            crate::tr!("ssh.missing_value", option = format!("-{letter}"))
        }
        SplitError::NoCommand(letter) => {
            crate::tr!("ssh.no_command", option = format!("-{letter}"))
        }
    }
}

/// The agent's socket here: `--agent` / ACTOKEN_AGENT_SOCK (unless `--no-agent`), else the
/// default path; made absolute (ssh would resolve a relative one against its own directory).
fn agent_socket(global: &GlobalArgs) -> anyhow::Result<PathBuf> {
    let path = global
        .agent_socket()
        .map_or_else(crate::agent::socket::default_path, Path::to_owned);
    Ok(if path.is_absolute() {
        path
    } else {
        std::env::current_dir()?.join(path)
    })
}

/// Says hello to the agent at `path` (within [`AGENT_WITHIN`]): an actoken agent that
/// answers this user, or the reason there is none.
fn agent_answers(path: &Path) -> Result<(), AgentError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let asked = path.to_owned();
    std::thread::spawn(move || {
        let _ = tx.send(AgentClient::connect(&asked).and_then(|mut agent| agent.hello()));
    });
    match rx.recv_timeout(AGENT_WITHIN) {
        Ok(answer) => answer.map(drop),
        Err(_) => Err(AgentError::Unreachable {
            path: path.to_owned(),
            source: std::io::ErrorKind::TimedOut.into(),
        }),
    }
}

/// Becomes ssh; returns only when it could not be started.
fn become_ssh(io: &Io, mut ssh: Command) -> u8 {
    use std::os::unix::process::CommandExt;
    let error = crate::core_dumps::for_exec(|| ssh.exec());
    if error.kind() == std::io::ErrorKind::NotFound {
        errln!(io, "{}", crate::tr!("ssh.not_found"));
        NOT_FOUND
    } else {
        errln!(io, "{}", crate::tr!("ssh.cannot_run", error = error));
        CANNOT_EXECUTE
    }
}
