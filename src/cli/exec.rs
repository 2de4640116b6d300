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
//! The token goes only into the environment (`Command::env`), never into an argument: other
//! users can read a process's arguments, not its environment.

use super::streams::Io;
use std::ffi::OsString;
use std::process::Command;

use clap::Args;

use super::context::Context;
use super::fresh::{FreshArgs, token_vars};

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The token to hand over (not with --scnet-cli)
    #[arg(required_unless_present = "scnet_cli")]
    pub name: Option<String>,
    /// Run scnet-cli on every token of this remembered login instead: a private, temporary
    /// SCNET_HOME holds them (and no secret key) while CMD runs; what scnet-cli renews is
    /// stored back
    #[arg(long, value_name = "USER", conflicts_with_all = ["name", "also"])]
    pub scnet_cli: Option<String>,
    #[command(flatten)]
    pub fresh: FreshArgs,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// Exit codes of a command that could not be started, as shells use them.
const CANNOT_EXECUTE: u8 = 126;
const NOT_FOUND: u8 = 127;

pub(crate) fn run(ctx: &Context, args: ExecArgs) -> anyhow::Result<u8> {
    let Some(name) = args.name else {
        unreachable!("clap requires a name without --scnet-cli (which `exec_scnet` runs)")
    };
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let vars = token_vars(ctx, &name, &args.fresh.also, args.fresh.min_valid)?;
    let mut command = Command::new(program);
    command.args(rest);
    for (name, value) in vars.iter() {
        command.env(name, value);
    }
    Ok(run_command(&ctx.io, command, program))
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
