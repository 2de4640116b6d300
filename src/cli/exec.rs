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
    pub name: String,
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
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    if let Some(note) = nested(&args.name, std::env::var_os("AC_TOKEN_NAME")) {
        errln!(ctx.io, "{note}");
    }
    let vars = token_vars(ctx, &args.name, &args.fresh.also, args.fresh.min_valid)?;
    let mut command = Command::new(program);
    command.args(rest);
    for (name, value) in vars.iter() {
        command.env(name, value);
    }
    Ok(run_command(&ctx.io, command, program))
}

/// A note when this runs inside another `actoken exec` (`outer`, its `AC_TOKEN_NAME`) for
/// another token: the variables the outer command set are replaced, which a script may not
/// have meant.
fn nested(name: &str, outer: Option<OsString>) -> Option<String> {
    let outer = outer?.to_string_lossy().into_owned();
    (!outer.is_empty() && outer != name)
        .then(|| crate::tr!("exec.nested", outer = outer, name = name))
}

/// Becomes the command; returns only when it could not be started.
#[cfg(unix)]
fn run_command(io: &Io, mut command: Command, program: &OsString) -> u8 {
    use std::os::unix::process::CommandExt;
    let error = command.exec();
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

fn cannot_start(io: &Io, program: &OsString, error: &std::io::Error) -> u8 {
    let program = program.to_string_lossy();
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
mod tests {
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
