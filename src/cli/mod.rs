//! The scriptable front end: parse, build the context, dispatch, map errors to exit codes.

#[macro_use]
mod streams;

mod accounts;
mod add;
mod advising;
mod args;
mod check;
mod completions;
mod context;
mod dashboard;
mod demo;
mod doctor;
mod durations;
mod env;
mod exec;
pub mod exit;
mod finish;
mod fresh;
mod global;
mod info;
mod input;
mod list;
mod login;
mod logout;
mod manpage;
mod mock_server;
mod r#move;
mod paths;
mod renew;
mod rm;
mod show;
mod store_select;
mod table;
mod token;
mod token_view;
mod watch;

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser};

use crate::dashboard::tui::Observer;

pub use args::Cli;
use args::Command;
pub use context::Context;
pub use global::GlobalArgs;
pub use streams::{Captured, Io};

/// The whole command line; `observer` watches the dashboard, if one opens (see
/// [`crate::dashboard::tui::Observer`]).
pub fn main(observer: &mut dyn Observer) -> ExitCode {
    let io = Arc::new(Io::system());
    let args: Vec<OsString> = std::env::args_os().collect();
    let from_process = |global: &GlobalArgs| Context::load(global, Arc::clone(&io));
    ExitCode::from(run_with(&args, &io, from_process, observer, true))
}

/// Runs the command line `args` (program name first) with output to `io`, the context made by
/// `context` (the process's own in the product; a memory store and a temporary home in
/// in-process tests, see `support`). `process` says whether this is the whole process: only
/// then are logging and the interface language set up (both are process-wide).
pub fn run_with(
    args: &[OsString],
    io: &Arc<Io>,
    context: impl FnOnce(&GlobalArgs) -> anyhow::Result<Context>,
    observer: &mut dyn Observer,
    process: bool,
) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with success, usage errors to stderr with 2.
            if !e.use_stderr() {
                // The process's own terminal gets clap's colours; an in-process run, text.
                if process {
                    let _ = e.print();
                } else {
                    out!(io, "{}", e.render());
                }
                return exit::OK;
            }
            print_usage_error(io, args, &e, process);
            return exit::USAGE;
        }
    };
    let lang = cli.global.lang;
    io.set_no_input(cli.global.no_input);
    let ran = if process {
        init_logging(cli.global.verbose, cli.global.log.as_deref());
        crate::i18n::init(lang, None);
        run(cli, io, context, observer)
    } else {
        // In-process: `--lang` holds for this thread only, never for the whole process.
        match lang {
            Some(lang) => crate::i18n::with_lang(lang, || run(cli, io, context, observer)),
            None => run(cli, io, context, observer),
        }
    };
    match ran {
        Ok(code) => code,
        Err(err) => {
            errln!(io, "{} {err:#}", crate::tr!("cli.error"));
            exit::code_for(&err)
        }
    }
}

/// Prints a usage error without echoing a token the user put on the command line by mistake
/// (clap quotes unexpected arguments verbatim, which would put it in scrollback and logs).
fn print_usage_error(io: &Io, args: &[OsString], e: &clap::Error, process: bool) {
    let tokens: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| looks_like_token(a))
        .collect();
    if tokens.is_empty() && process {
        let _ = e.print();
        return;
    }
    let mut text = e.render().to_string();
    for t in &tokens {
        text = text.replace(t.as_str(), "<token hidden>");
    }
    io.err(format_args!("{text}"));
    errln!(
        io,
        "note: tokens are never taken as arguments: pipe the token on stdin or type it at the \
         hidden prompt (the one typed here may now be in your shell history)."
    );
}

/// A JWT-looking argument: starts like a base64url JSON header, or has three long parts.
fn looks_like_token(arg: &str) -> bool {
    let arg = arg.strip_prefix("--token=").unwrap_or(arg);
    arg.contains("eyJ")
        || (arg.len() >= 20 && arg.split('.').filter(|p| !p.is_empty()).count() >= 3)
}

fn run(
    cli: Cli,
    io: &Arc<Io>,
    context: impl FnOnce(&GlobalArgs) -> anyhow::Result<Context>,
    observer: &mut dyn Observer,
) -> anyhow::Result<u8> {
    // Commands that need no config, paths or keyring come first.
    match cli.command {
        Some(Command::Completions(args)) => {
            return completions::run(io, args, Cli::command()).map(|()| exit::OK);
        }
        Some(Command::Manpage(args)) => {
            return manpage::run(io, args, Cli::command()).map(|()| exit::OK);
        }
        Some(Command::MockServer(args)) => return mock_server::run(args).map(|()| exit::OK),
        Some(Command::Demo) => return demo::run(&cli.global, observer).map(|()| exit::OK),
        // Before the config is loaded: a broken config is one of the things it reports.
        Some(Command::Doctor(args)) => return doctor::run(&cli.global, args, Arc::clone(io)),
        _ => {}
    }
    let ctx = context(&cli.global)?;
    let Some(command) = cli.command else {
        dashboard::open(&ctx, &cli.global, observer)?;
        return Ok(exit::OK);
    };
    match command {
        Command::Add(args) => add::run(&ctx, args)?,
        Command::List(args) => list::run(&ctx, args)?,
        Command::Show(args) => show::run(&ctx, args)?,
        Command::Token(args) => token::run(&ctx, args)?,
        Command::Renew(args) => return renew::run(&ctx, args),
        Command::Rm(args) => rm::run(&ctx, args)?,
        Command::Move(args) => return r#move::run(&ctx, args),
        Command::Env(args) => env::run(&ctx, args)?,
        Command::Exec(args) => return exec::run(&ctx, args),
        Command::Watch(args) => return watch::run(&ctx, args),
        Command::Paths => paths::run(&ctx)?,
        Command::Login(args) => login::run(&ctx, args)?,
        Command::Accounts(args) => accounts::run(&ctx, args)?,
        Command::Logout(args) => logout::run(&ctx, args)?,
        Command::Check(args) => return check::run(&ctx, args),
        Command::Info(args) => info::run(&ctx, args)?,
        Command::Completions(_)
        | Command::Manpage(_)
        | Command::MockServer(_)
        | Command::Demo
        | Command::Doctor(_) => {
            unreachable!("handled above")
        }
    }
    Ok(exit::OK)
}

/// `--log FILTER` (or ACTOKEN_LOG) when given and valid, else the level `-v` asks for. A
/// `target=level` list (tracing-subscriber's `Targets`), not its `EnvFilter`: that one's
/// span and field matching brings in a regex engine and Unicode tables, ~0.5 MB of binary.
fn init_logging(verbose: u8, filter: Option<&str>) {
    use tracing_subscriber::prelude::*;
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = filter
        .filter(|f| !f.is_empty())
        .and_then(|f| f.parse::<tracing_subscriber::filter::Targets>().ok())
        .unwrap_or_else(|| {
            format!("actoken={level}")
                .parse()
                .expect("a valid target=level")
        });
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .with_filter(filter),
        )
        .init();
}
