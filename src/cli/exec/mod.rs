//! `actoken exec NAME [--min-valid D] [--also OTHER]… -- CMD ARGS…`: CMD runs with the token
//! in its environment.
//!
//! On unix actoken *replaces itself* with CMD (`execvp`) once the variables are ready, rather
//! than running it as a child and waiting. Nothing of actoken is left running, so:
//! - every signal (Ctrl-C, a scheduler's SIGTERM, SIGHUP, SIGWINCH...) reaches CMD directly,
//!   with no forwarding code that could miss one or race the child's start;
//! - CMD's exit status is the status of the process the caller started, exactly: a code, or
//!   death by a signal, which shells report as 128+N;
//! - the PID the caller holds is CMD's, so `kill`, job control and `wait` work as usual.
//!
//! With `--keep-fresh` actoken stays CMD's parent instead and renews the token while CMD runs
//! (see [`keep_fresh`]; through the agent when one is in use); with `--from-env` the token
//! comes from the environment, not a store, and no agent is asked either (see [`from_env`]).
//!
//! The token goes only into the environment (`Command::env`), never into an argument: other
//! users can read a process's arguments, not its environment.

pub(super) mod child;
mod from_env;
mod job_time;
mod keep_fresh;

use super::streams::Io;
use std::ffi::OsString;
use std::process::Command;

use clap::Args;

use super::context::{Context, runtime};
use super::fresh::{FreshArgs, report, token_vars};
use crate::token::Token;
use crate::token_env::Vars;
use keep_fresh::KeepFresh;
use keep_fresh::source::{Failure, Source};

pub(crate) const KEEP_FRESH_HELP: &str = "\
Long jobs: --keep-fresh keeps actoken running as CMD's parent. It writes the token to the file
named by AC_TOKEN_FILE (mode 0600, in a private directory under $XDG_RUNTIME_DIR, else $TMPDIR),
renews it whenever it enters the renew-ahead window (config renew-ahead, or --min-valid), stores
each renewed token as any renewal does, and rewrites the file atomically: a program that reads
AC_TOKEN_FILE before each call always has a live token (AC_TOKEN itself never changes). Failed
renewals are retried and said on stderr. SIGINT, SIGTERM and SIGHUP are passed on to CMD; the
exit code is CMD's (128+N when a signal killed it); the file goes when CMD ends.
--bearer-token-file also sets BEARER_TOKEN_FILE (WLCG token discovery) to the same file.
With an agent in use (ACTOKEN_AGENT_SOCK, --agent) each renewal is asked of the agent, which
renews and stores it on its machine; while the agent is gone, renewals fail and are retried.

On a node without the store (a Slurm job), --from-env takes AC_TOKEN and AC_BASE_URL (else
--base-url) from actoken's own environment and touches no store or keyring:
  actoken exec hpc-east -- sbatch job.sh                       # on the login node
  actoken exec --from-env --keep-fresh -- ./long_program       # inside job.sh";

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The stored token (not with --from-env or --scnet-cli)
    #[arg(
        required_unless_present_any = ["from_env", "scnet_cli"],
        conflicts_with_all = ["from_env", "scnet_cli"]
    )]
    pub name: Option<String>,
    /// Run scnet-cli on every token of this remembered login instead: a private, temporary
    /// SCNET_HOME holds them (and no secret key) while CMD runs; what scnet-cli renews is
    /// stored back
    #[arg(long, value_name = "USER", conflicts_with_all = ["also", "keep_fresh", "from_env"])]
    pub scnet_cli: Option<String>,
    #[command(flatten)]
    pub fresh: FreshArgs,
    /// Stay CMD's parent and keep the token fresh in the file AC_TOKEN_FILE while CMD runs
    #[arg(long, conflicts_with = "also")]
    pub keep_fresh: bool,
    /// With --keep-fresh: also set BEARER_TOKEN_FILE to the token file
    #[arg(long, requires = "keep_fresh")]
    pub bearer_token_file: bool,
    /// Take the token from AC_TOKEN (and AC_BASE_URL) in the environment instead of a store
    #[arg(long, conflicts_with = "also")]
    pub from_env: bool,
    /// With --from-env: the region's API base URL when AC_BASE_URL is not set
    #[arg(long, value_name = "URL", requires = "from_env")]
    pub base_url: Option<String>,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// A note when this runs inside another `actoken exec` (`outer`, its `AC_TOKEN_NAME`) for
/// another token: the variables the outer command set are replaced, which a script may not
/// have meant.
fn nested(name: &str, outer: Option<OsString>) -> Option<String> {
    let outer = outer?.to_string_lossy().into_owned();
    (!outer.is_empty() && outer != name)
        .then(|| crate::tr!("exec.nested", outer = outer, name = name))
}

/// Exit codes of a command that could not be started, as shells use them.
const CANNOT_EXECUTE: u8 = 126;
const NOT_FOUND: u8 = 127;

pub(crate) fn run(ctx: &Context, args: ExecArgs) -> anyhow::Result<u8> {
    if args.from_env {
        return run_from_env(ctx, args);
    }
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let name = args
        .name
        .as_deref()
        .expect("clap requires a name without --from-env");
    if let Some(note) = nested(name, std::env::var_os("AC_TOKEN_NAME")) {
        errln!(ctx.io, "{note}");
    }
    let vars = token_vars(ctx, name, &args.fresh.also, args.fresh.min_valid)?;
    let token = Token::from_raw(vars.get("AC_TOKEN").expect("every token has AC_TOKEN"));
    let mut command = Command::new(program);
    command.args(rest);
    if args.keep_fresh {
        let keep = KeepFresh {
            io: &ctx.io,
            clock: ctx.clock,
            source: match &ctx.agent {
                Some(path) => Source::Agent {
                    path: path.clone(),
                    name: name.to_owned(),
                    grace: ctx.config.renew_grace,
                },
                None => Source::Stored {
                    renewer: ctx.renewer()?,
                    name: name.to_owned(),
                },
            },
            window: args.fresh.min_valid.unwrap_or(ctx.config.renew_ahead),
            token,
            bearer: args.bearer_token_file,
        };
        return keep_fresh::run(keep, &vars, command, program);
    }
    warn_about_the_job(ctx, program, rest, &token);
    Ok(become_command(&ctx.io, command, &vars, program))
}

/// `--from-env`: the token in the environment, checked before CMD starts, renewed first when
/// it expires within the window (in memory: there is no store to keep it in).
fn run_from_env(ctx: &Context, args: ExecArgs) -> anyhow::Result<u8> {
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let now = ctx.clock.now();
    let handed = from_env::read(ctx, args.base_url.clone(), now)?;
    let grace = ctx.config.renew_grace;
    let window = args.fresh.min_valid.unwrap_or(ctx.config.renew_ahead);
    let source = Source::Memory {
        client: ctx.client()?,
        base_url: handed.base_url.clone(),
        label: handed.label(),
        grace,
    };
    let mut token = handed.token.clone();
    if handed.life.to_expiry(now) <= window {
        let what = super::finish::renewing(&[handed.label()]);
        let renewal = source.renew(&handed.token, handed.life, window, now);
        match runtime().block_on(super::finish::despite_signals(&ctx.io, &what, renewal)) {
            Ok(fresh) => {
                let renewed = crate::renew::Renewed {
                    name: handed.label(),
                    old_expiry: Some(handed.life.expires_at),
                    new_expiry: fresh.life.expires_at,
                    token: fresh.token.clone(),
                    called_server: true,
                    via_login: false,
                };
                report(&ctx.io, &renewed, now, window);
                token = fresh.token;
            }
            Err(Failure::Hopeless(error)) => {
                return Err(super::exit::NeedsNewToken(error).into());
            }
            Err(Failure::Retry(error)) => return Err(anyhow::anyhow!(error)),
        }
    }
    let vars = from_env::vars(&handed, &token, grace);
    let mut command = Command::new(program);
    command.args(rest);
    if args.keep_fresh {
        let keep = KeepFresh {
            io: &ctx.io,
            clock: ctx.clock,
            source,
            window,
            token,
            bearer: args.bearer_token_file,
        };
        return keep_fresh::run(keep, &vars, command, program);
    }
    warn_about_the_job(ctx, program, rest, &token);
    Ok(become_command(&ctx.io, command, &vars, program))
}

/// Says so when CMD submits a Slurm job that may outlive the token it is handed.
fn warn_about_the_job(ctx: &Context, program: &OsString, rest: &[OsString], token: &Token) {
    let life = token
        .decode()
        .ok()
        .and_then(|d| d.lifetime(ctx.config.renew_grace));
    if let Some(life) = life
        && let Some(text) = job_time::warning(program, rest, life, ctx.clock.now())
    {
        errln!(ctx.io, "{text}");
    }
}

/// CMD with the variables, as actoken's replacement (unix) or child.
fn become_command(io: &Io, mut command: Command, vars: &Vars, program: &OsString) -> u8 {
    for (name, value) in vars.iter() {
        command.env(name, value);
    }
    run_command(io, command, program)
}

/// Becomes the command; returns only when it could not be started.
#[cfg(unix)]
fn run_command(io: &Io, mut command: Command, program: &OsString) -> u8 {
    use std::os::unix::process::CommandExt;
    let error = crate::core_dumps::for_exec(|| command.exec());
    cannot_start(io, program, &error)
}

/// Without `exec`, a child: its exit code is passed through (Windows has no signals; Ctrl-C
/// reaches every process of the console, the child included).
#[cfg(not(unix))]
fn run_command(io: &Io, mut command: Command, program: &OsString) -> u8 {
    match command.status() {
        Ok(status) => status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(1),
        Err(error) => cannot_start(io, program, &error),
    }
}

pub(super) fn cannot_start(io: &Io, program: &OsString, error: &std::io::Error) -> u8 {
    let program = crate::inert::inert(&program.to_string_lossy()).into_owned();
    if error.kind() == std::io::ErrorKind::NotFound {
        errln!(io, "{}", crate::tr!("exec.not_found", program = program));
        NOT_FOUND
    } else {
        errln!(
            io,
            "{}",
            crate::tr!("exec.cannot_run", program = program, error = error)
        );
        CANNOT_EXECUTE
    }
}

#[cfg(test)]
mod nested_tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

    #[test]
    fn a_nested_exec_for_another_token_says_so_in_both_languages() {
        let outer = || Some(OsString::from("alice/华东一区【昆山】"));
        let en = with_lang(Lang::En, || nested("华东一区【昆山】", outer())).unwrap();
        assert_eq!(
            en,
            "note: inside `actoken exec` for alice/华东一区【昆山】 (AC_TOKEN_NAME is set): \
             the command gets the variables of 华东一区【昆山】 instead"
        );
        let zh = with_lang(Lang::ZhCn, || nested("华东一区【昆山】", outer())).unwrap();
        assert!(
            zh.contains("alice/华东一区【昆山】") && zh.contains("AC_TOKEN_NAME"),
            "{zh}"
        );
        assert_ne!(zh, en);
        // The same token again, or no outer exec: nothing to say.
        assert_eq!(nested("alice/华东一区【昆山】", outer()), None);
        assert_eq!(nested("华东一区【昆山】", None), None);
        assert_eq!(nested("华东一区【昆山】", Some(OsString::new())), None);
    }
}
