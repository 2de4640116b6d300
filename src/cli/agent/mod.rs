//! `actoken agent`: the store's tokens for other processes of the user, here and (through an
//! SSH forward of its socket) on other machines, while keeping them fresh as `watch` does.
//! See [`crate::agent`] for the socket, the protocol and the peer check; [`answer`] for what
//! each request does here.

mod answer;
mod approvals;
mod events;
mod gate;
mod held;
mod install;
mod journal;
mod lock;
mod lock_command;
mod terminal;

use super::context::{Context, runtime};
use super::durations::parse_positive_duration;
use super::exit::UsageError;
use super::watch::{Stop, keep_watching};
use crate::agent::peer::PeerPolicy;
use crate::agent::protocol::ErrorKind;
use crate::agent::server::{Limits, Server};
use crate::agent::socket;
use approvals::Approvals;
use clap::{Args, Subcommand};
use events::Events;
use gate::{Gate, Rules};
use jiff::SignedDuration;
use lock_command::Action;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub(crate) const AGENT_HELP: &str = "\
The agent listens on a Unix socket (--socket; default $XDG_RUNTIME_DIR/actoken/agent.sock) and
hands this store's tokens to processes of your own user that ask: `actoken token`, `env`,
`exec`, `list` and `show` ask it instead of a store when ACTOKEN_AGENT_SOCK (or --agent) names
its socket. A token is renewed here first when it expires within what the client asks
(--min-valid); a dead one comes back through a remembered secret key. Secret keys, passwords
and the keyring never leave this machine, and nothing a client sends changes the store.

It also keeps every token fresh as `actoken watch` does (run one of the two, not both).

Forward it to a login node with `actoken ssh HOST` (or RemoteForward in ~/.ssh/config, see the
README's \"Working on login nodes\").

Every connection's user is checked with the kernel (SO_PEERCRED): only your own user is
answered (root too with --allow-root). Every request is logged on stderr, one line each
(time, request, token name, the asking process, local or forwarded, the answer), never the
token.

With --confirm (or `confirm = true` / `confirm-tokens = [...]` under [agent] in the config),
each token request waits until a person allows it: in the dashboard, and on this terminal when
the agent runs in one (\"allow [o]nce, for [3]0 min, [d]eny?\"). Nobody answering within
--confirm-timeout (60 s) denies it; with neither a terminal nor a dashboard, it is denied at
once. `forwardable = [...]` under [agent] limits what goes over SSH forwards.

`actoken agent lock` stops handing out tokens until `actoken agent unlock` with the same
passphrase (asked without echo, or the first line of stdin); neither is taken over a forward.

Examples:
  actoken agent                       # in a terminal or tmux
  actoken agent --install             # systemd user unit (launchd agent on macOS)
  export ACTOKEN_AGENT_SOCK=$XDG_RUNTIME_DIR/actoken/agent.sock
  actoken token 华东一区【昆山】 --min-valid 1h
  actoken agent --confirm             # every token request waits for your approval
  actoken agent lock                  # no tokens until `actoken agent unlock`";

#[derive(Debug, Args)]
pub struct AgentArgs {
    #[command(subcommand)]
    pub action: Option<AgentAction>,
    /// Where to listen (default: $XDG_RUNTIME_DIR/actoken/agent.sock)
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Answer root's processes too (root is someone else on a shared machine)
    #[arg(long)]
    pub allow_root: bool,
    /// Time between passes that keep the tokens fresh (as `watch --interval`)
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_INTERVAL, value_parser = parse_positive_duration)]
    pub interval: SignedDuration,
    /// Hold every token request until a person allows it (dashboard or this terminal)
    #[arg(long)]
    pub confirm: bool,
    /// How long a held request waits for a person before it is denied (1s to 90s)
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_positive_duration)]
    pub confirm_timeout: SignedDuration,
    /// Write a systemd user unit (a launchd agent on macOS) that runs `actoken agent` with
    /// these flags, and say how to point clients at its socket
    #[arg(long)]
    pub install: bool,
    /// With --install: replace a unit that differs from the one actoken writes
    #[arg(long, requires = "install")]
    pub force: bool,
}

const DEFAULT_INTERVAL: &str = "60s";

#[derive(Debug, Subcommand)]
pub enum AgentAction {
    /// Stop handing out tokens until `actoken agent unlock` (asks for a passphrase)
    Lock,
    /// Hand out tokens again (the passphrase `lock` was given)
    Unlock,
}

/// The longest `--confirm-timeout`: a held request, then its renewal, must be answered
/// within the time clients wait for the agent (`agent::client`, 180 s).
const MAX_CONFIRM_TIMEOUT: Duration = Duration::from_secs(90);

pub(crate) fn run(ctx: &Context, args: AgentArgs) -> anyhow::Result<u8> {
    if let Some(action) = args.action {
        // A client of the running agent: the one this command's clients would ask.
        let agent = (args.socket.clone().or_else(|| ctx.agent.clone()))
            .unwrap_or_else(socket::default_path);
        let action = match action {
            AgentAction::Lock => Action::Lock,
            AgentAction::Unlock => Action::Unlock,
        };
        lock_command::run(ctx, &agent, action)?;
        return Ok(super::exit::OK);
    }
    let confirm_timeout = args.confirm_timeout.unsigned_abs();
    if !(Duration::from_secs(1)..=MAX_CONFIRM_TIMEOUT).contains(&confirm_timeout) {
        return Err(UsageError(crate::tr!("agent.confirm_timeout_range")).into());
    }
    let path = args.socket.clone().unwrap_or_else(socket::default_path);
    if args.install {
        return install::install(ctx, &args, &path);
    }
    // The terminal's questions are in the user's language; the log is English in every
    // language, as watch's (journald and mail are searched).
    let user_lang = crate::i18n::lang();
    crate::i18n::set(crate::i18n::Lang::En);
    let renewer = ctx.renewer()?;
    let rules = Rules::new(&ctx.config.agent, args.confirm);
    warn_of_unknown_names(&rules, &renewer);
    let events = Arc::new(Events::default());
    let approvals = Arc::new(Approvals::new(
        confirm_timeout,
        ctx.clock,
        Arc::clone(&events),
    ));
    let terminal = rules
        .confirms()
        .then(|| terminal::Terminal::open(ctx.io.stdin_is_terminal(), ctx.io.no_input()))
        .flatten();
    let _restore = terminal.map(|t| t.ask_for(&approvals, user_lang));
    let rt = runtime();
    rt.block_on(async {
        let listener = socket::bind(&path)?;
        let _unlink = Unlink(path.clone());
        let policy = PeerPolicy {
            own_uid: socket::current_uid(),
            allow_root: args.allow_root,
        };
        let answerer = answer::Answerer {
            renewer: renewer.clone(),
            clock: ctx.clock,
            grace: ctx.config.renew_grace,
            renew_ahead: ctx.config.renew_ahead,
            io: Arc::clone(&ctx.io),
            gate: Gate {
                rules,
                lock: lock::Lock::default(),
                approvals: Arc::clone(&approvals),
            },
            held: held::Held::new(held::HOLD_FOR),
        };
        let defaults = Limits::default();
        let server = Server {
            listener,
            policy,
            limits: Limits {
                // An approval's wait, then the renewal it allowed.
                answer: defaults
                    .answer
                    .max(confirm_timeout + Duration::from_secs(60)),
                ..defaults
            },
            answer: Arc::new(answerer),
            journal: journal::to_log_and_followers(events, ctx.clock),
        };
        journal::listening(&path, args.allow_root);
        let (stopped, stopping) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.serve(async {
            let _ = stopping.await;
        }));
        let mut stop = Stop::new()?;
        let code = keep_watching(ctx, &renewer, args.interval, None, &mut stop).await;
        // Requests in flight finish (their renewals are saved), new ones are not taken, and
        // none waits for a person any more.
        approvals.close(ErrorKind::Busy, "the agent is stopping");
        let _ = stopped.send(());
        let _ = serving.await;
        code
    })
}

/// Names under [agent] that the store does not have: said once at the start (a typo in
/// `confirm-tokens` would otherwise hand that token out without asking).
fn warn_of_unknown_names(rules: &Rules, renewer: &crate::renew::Renewer) {
    let stored = renewer
        .store()
        .entries()
        .into_iter()
        .map(|meta| meta.name)
        .collect();
    for name in rules.unknown_names(&stored) {
        journal::unknown_name(name);
    }
}

/// Removes the socket when the agent ends, so the next one finds no stale file.
struct Unlink(PathBuf);

impl Drop for Unlink {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
