//! `actoken watch`: keep every stored token fresh without the dashboard open.
//!
//! A pass (see [`pass`]) every `--interval`; `--once` does one pass and exits with the most
//! serious code (for cron). SIGTERM or SIGINT while a pass runs lets its renewals finish and
//! be saved (the platform may already have retired the old tokens), then exits 0; while idle,
//! exits at once. `--install` writes a systemd user unit or a launchd agent (see
//! [`super::unit`]).

pub(super) mod backoff;
pub(super) mod log;
mod pass;
pub(super) mod sink;

use super::context::{Context, runtime};
use super::durations::parse_positive_duration;
use super::exit;
use backoff::Backoff;
use clap::Args;
use jiff::SignedDuration;
use log::{Level, line};
use sink::Sink;

pub(crate) const WATCH_HELP: &str = "\
Every --interval, watch re-reads the token index (so tokens added or removed by other actoken
processes are noticed), renews every token that expires within the renew-ahead window (config
renew-ahead, default 2h) and brings dead ones back through remembered secret keys. A token that
fails is left alone for 1 minute, then 2, 4, ... up to an hour. One line per action on stderr
(with syslog priorities under systemd, so journald records levels).

With --sink DIR, every token is also kept as a file of its own in DIR (0600, in a 0700
directory that actoken creates, or one of yours that nobody else can read): DIR/NAME.token
holds the token alone, DIR/NAME.json its name, base_url, expires_at and renew_cutoff
(RFC 3339). Both are written at start and again, atomically, whenever the token changes; they
are removed when the token is removed. In file names '%', '/', control characters and a leading
'.' become %XX: alice/hpc-east is alice%2Fhpc-east.token. A job re-reads the file before each
call (BEARER_TOKEN_FILE=DIR/NAME.token).

SIGTERM or SIGINT lets renewals in flight finish and be saved, then exits 0.

Examples:
  actoken watch                      # in a terminal, tmux, or a service manager
  actoken watch --install            # systemd user unit (launchd agent on macOS)
  */10 * * * * actoken watch --once  # cron: one pass, exit code of the worst problem
  actoken watch --sink /scratch/$USER/tokens   # token files for jobs on a shared file system";
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// One pass, then exit with the most serious code (for cron)
    #[arg(long, conflicts_with = "install")]
    pub once: bool,
    /// Time between passes
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_positive_duration)]
    pub interval: SignedDuration,
    /// Write a systemd user unit (a launchd agent on macOS) that runs `actoken watch`
    #[arg(long)]
    pub install: bool,
    /// With --install: replace a unit that differs from the one actoken writes
    #[arg(long, requires = "install")]
    pub force: bool,
    /// Keep every token as a file in this directory too (0600 files, 0700 directory)
    #[arg(long, value_name = "DIR")]
    pub sink: Option<std::path::PathBuf>,
}

pub(crate) fn run(ctx: &Context, args: WatchArgs) -> anyhow::Result<u8> {
    if args.install {
        // A sink directory is checked (and made) now, and named in full: the unit does not
        // run where this command does.
        let sink = args.sink.as_deref().map(Sink::open).transpose()?;
        let unit_args: Vec<String> = sink
            .iter()
            .flat_map(|s| ["--sink".to_owned(), s.dir().to_string_lossy().into_owned()])
            .collect();
        let daemon = super::unit::Daemon::Watch;
        return super::unit::install(ctx, daemon, &unit_args, args.force, &|_| {});
    }
    // Before anything else, in the interface language: a directory that is not private is
    // refused at once.
    let mut sink = args.sink.as_deref().map(Sink::open).transpose()?;
    // The watch log is English in every language: journald and cron mail are searched, and
    // a renewal's failure, its reasons and its times all go into it.
    crate::i18n::set(crate::i18n::Lang::En);
    let renewer = ctx.renewer()?;
    let (grace, ahead) = (ctx.config.renew_grace, ctx.config.renew_ahead);
    let mut backoff = Backoff::default();
    let rt = runtime();
    if args.once {
        let codes = rt.block_on(one_pass(
            &renewer,
            &ctx.io,
            grace,
            ahead,
            &mut backoff,
            sink.as_mut(),
            ctx.clock.now(),
        ));
        return Ok(exit::worst(codes));
    }
    rt.block_on(async {
        let mut stop = Stop::new()?;
        keep_watching(ctx, &renewer, args.interval, sink.as_mut(), &mut stop).await
    })
}

/// Passes every `interval` until a signal; a signal during a pass lets its renewals finish
/// and be saved first. `actoken agent` runs this beside its socket.
pub(super) async fn keep_watching(
    ctx: &Context,
    renewer: &crate::renew::Renewer,
    interval: SignedDuration,
    mut sink: Option<&mut Sink>,
    stop: &mut Stop,
) -> anyhow::Result<u8> {
    let (grace, ahead) = (ctx.config.renew_grace, ctx.config.renew_ahead);
    let mut backoff = Backoff::default();
    let writing = sink
        .as_ref()
        .map(|s| format!(", keeping them as files in {}", s.dir().display()))
        .unwrap_or_default();
    line(
        Level::Info,
        &format!(
            "watching the tokens in {} every {}, renewing those that expire within {}{writing}",
            ctx.paths.index_file().display(),
            crate::timefmt::compact(interval),
            crate::timefmt::compact(ahead)
        ),
    );
    let mut ticks = tokio::time::interval(interval.unsigned_abs());
    // After a suspend, one pass, not a burst of missed ones.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            signal = stop.recv() => {
                line(Level::Info, &format!("{signal}: stopped"));
                return Ok(exit::OK);
            }
        }
        let now = ctx.clock.now();
        let one = one_pass(
            renewer,
            &ctx.io,
            grace,
            ahead,
            &mut backoff,
            sink.as_deref_mut(),
            now,
        );
        tokio::pin!(one);
        let mut stopping = None;
        loop {
            tokio::select! {
                _ = &mut one => break,
                signal = stop.recv(), if stopping.is_none() => {
                    line(Level::Info, &format!("{signal}: finishing the renewals in flight, then stopping"));
                    stopping = Some(signal);
                }
            }
        }
        if let Some(signal) = stopping {
            line(Level::Info, &format!("{signal}: stopped"));
            return Ok(exit::OK);
        }
    }
}

/// A pass, then the sink's files brought in step with what it left in the store (also when a
/// signal came during the pass: a renewed token may be the only one the server still takes).
async fn one_pass(
    renewer: &crate::renew::Renewer,
    io: &super::streams::Io,
    grace: SignedDuration,
    ahead: SignedDuration,
    backoff: &mut Backoff,
    sink: Option<&mut Sink>,
    now: jiff::Timestamp,
) -> Vec<u8> {
    let mut codes = pass::run(renewer, io, grace, ahead, backoff, now).await;
    if let Some(sink) = sink {
        let followed = sink.follow(renewer.door(), grace).await;
        codes.extend(sink.log(&followed));
    }
    codes
}

/// SIGTERM (systemd, kill) and SIGINT (Ctrl-C).
pub(super) struct Stop {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Stop {
    pub(super) fn new() -> anyhow::Result<Stop> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Stop {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Stop {})
    }

    /// The name of the next signal.
    pub(super) async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}
