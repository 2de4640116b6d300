//! `actoken agent`: the store's tokens for other processes of the user, here and (through an
//! SSH forward of its socket) on other machines, while keeping them fresh as `watch` does.
//! See [`crate::agent`] for the socket, the protocol and the peer check; [`answer`] for what
//! each request does here.

mod answer;
mod held;
mod install;
mod journal;

use super::context::{Context, runtime};
use super::durations::parse_positive_duration;
use super::watch::{Stop, keep_watching};
use crate::agent::peer::PeerPolicy;
use crate::agent::server::{Limits, Server};
use crate::agent::socket;
use clap::Args;
use jiff::SignedDuration;
use std::path::PathBuf;
use std::sync::Arc;

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

Examples:
  actoken agent                       # in a terminal or tmux
  actoken agent --install             # systemd user unit (launchd agent on macOS)
  export ACTOKEN_AGENT_SOCK=$XDG_RUNTIME_DIR/actoken/agent.sock
  actoken token 华东一区【昆山】 --min-valid 1h";

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Where to listen (default: $XDG_RUNTIME_DIR/actoken/agent.sock)
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Answer root's processes too (root is someone else on a shared machine)
    #[arg(long)]
    pub allow_root: bool,
    /// Time between passes that keep the tokens fresh (as `watch --interval`)
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_INTERVAL, value_parser = parse_positive_duration)]
    pub interval: SignedDuration,
    /// Write a systemd user unit (a launchd agent on macOS) that runs `actoken agent` with
    /// these flags, and say how to point clients at its socket
    #[arg(long)]
    pub install: bool,
    /// With --install: replace a unit that differs from the one actoken writes
    #[arg(long, requires = "install")]
    pub force: bool,
}

const DEFAULT_INTERVAL: &str = "60s";

pub(crate) fn run(ctx: &Context, args: AgentArgs) -> anyhow::Result<u8> {
    let path = args.socket.clone().unwrap_or_else(socket::default_path);
    if args.install {
        return install::install(ctx, &args, &path);
    }
    // The log is English in every language, as watch's (journald and mail are searched).
    crate::i18n::set(crate::i18n::Lang::En);
    let renewer = ctx.renewer()?;
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
            held: held::Held::new(held::HOLD_FOR),
        };
        let server = Server {
            listener,
            policy,
            limits: Limits::default(),
            answer: Arc::new(answerer),
            journal: journal::to_log(),
        };
        journal::listening(&path, args.allow_root);
        let (stopped, stopping) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.serve(async {
            let _ = stopping.await;
        }));
        let mut stop = Stop::new()?;
        let code = keep_watching(ctx, &renewer, args.interval, None, &mut stop).await;
        // Requests in flight finish (their renewals are saved), new ones are not taken.
        let _ = stopped.send(());
        let _ = serving.await;
        code
    })
}

/// Removes the socket when the agent ends, so the next one finds no stale file.
struct Unlink(PathBuf);

impl Drop for Unlink {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
