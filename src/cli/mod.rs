//! The scriptable front end: parse, build the context, dispatch, map errors to exit codes.

#[macro_use]
mod streams;

mod accounts;
mod add;
mod advising;
mod agent;
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
mod exec_scnet;
pub mod exit;
mod finish;
mod fresh;
mod global;
mod import;
mod info;
mod input;
mod last_resort;
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
#[cfg(unix)]
mod ssh;
mod store_select;
mod table;
mod token;
mod token_view;
mod unit;
mod via_agent;
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
    // Before anything can hold a token.
    crate::core_dumps::disable();
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
    let code = match ran {
        Ok(code) => code,
        Err(err) => {
            errln!(io, "{} {err:#}", crate::tr!("cli.error"));
            exit::code_for(&err)
        }
    };
    if code != exit::OK {
        note_a_typed_token(io, args);
    }
    code
}

/// Prints a usage error without echoing a token the user put on the command line by mistake
/// (clap quotes unexpected arguments verbatim, which would put it in scrollback and logs),
/// nor obeying an escape sequence in an argument: such a command line gets clap's message as
/// plain text through `io`, which hides tokens and shows control characters as '�'.
fn print_usage_error(io: &Io, args: &[OsString], e: &clap::Error, process: bool) {
    let plain = args
        .iter()
        .skip(1)
        .all(|a| !a.to_string_lossy().chars().any(crate::inert::is_unsafe));
    if process && plain && !typed_a_token(args) {
        let _ = e.print();
        return;
    }
    io.err(format_args!("{}", e.render()));
    note_a_typed_token(io, args);
}

/// Whether an argument looks like a token (see [`crate::redact::looks_like_token`]).
fn typed_a_token(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .any(|a| crate::redact::holds_token(&a.to_string_lossy()))
}

/// After a failure: a token typed as an argument was hidden from the messages above, but it
/// is in the shell's history now. Says so, and how tokens are given.
fn note_a_typed_token(io: &Io, args: &[OsString]) {
    if typed_a_token(args) {
        errln!(io, "{}", crate::tr!("cli.token_as_argument"));
    }
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
        // Opens no store: it runs where the agent is, to reach another machine.
        #[cfg(unix)]
        Some(Command::Ssh(args)) => return ssh::run(io, &cli.global, args),
        _ => {}
    }
    let ctx = context(&cli.global)?;
    if let Some(path) = &ctx.agent {
        let here = match &cli.command {
            None => Some("(dashboard)"),
            Some(command) => changes_the_store(command),
        };
        if let Some(command) = here {
            return Err(via_agent::store_elsewhere(command, path));
        }
    }
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
        Command::Exec(args) => {
            return match args.scnet_cli.as_deref() {
                Some(user) => exec_scnet::run(&ctx, user, args.fresh.min_valid, &args.command),
                None => exec::run(&ctx, args),
            };
        }
        Command::Watch(args) => return watch::run(&ctx, args),
        Command::Agent(args) => return agent::run(&ctx, args),
        Command::Paths => paths::run(&ctx)?,
        Command::Login(args) => login::run(&ctx, args)?,
        Command::Accounts(args) => accounts::run(&ctx, args)?,
        Command::Logout(args) => logout::run(&ctx, args)?,
        Command::Check(args) => return check::run(&ctx, args),
        Command::Info(args) => info::run(&ctx, args)?,
        Command::Import(args) => return import::run(&ctx, args),
        Command::Completions(_)
        | Command::Manpage(_)
        | Command::MockServer(_)
        | Command::Demo
        | Command::Doctor(_) => {
            unreachable!("handled above")
        }
        #[cfg(unix)]
        Command::Ssh(_) => {
            unreachable!("handled above")
        }
    }
    Ok(exit::OK)
}

/// The commands that open this machine's store, which an agent in use stands for: named in
/// the error that sends the user to the agent's machine (or `--no-agent`). `token`, `env`,
/// `exec`, `list` and `show` ask the agent instead.
fn changes_the_store(command: &Command) -> Option<&'static str> {
    Some(match command {
        Command::Add(_) => "add",
        Command::Renew(_) => "renew",
        Command::Rm(_) => "rm",
        Command::Move(_) => "move",
        Command::Watch(_) => "watch",
        Command::Login(_) => "login",
        Command::Accounts(_) => "accounts",
        Command::Logout(_) => "logout",
        Command::Check(_) => "check",
        Command::Info(_) => "info",
        Command::Import(_) => "import",
        Command::Exec(args) if args.scnet_cli.is_some() => "exec --scnet-cli",
        _ => return None,
    })
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
                // A log line that cannot be written is dropped, never reported with
                // `eprintln!` (which panics on a full or closed stderr, mid-renewal).
                .log_internal_errors(false)
                .with_target(false)
                .with_filter(filter),
        )
        .init();
}
