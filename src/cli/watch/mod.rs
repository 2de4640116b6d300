//! `actoken watch`: keep every stored token fresh without the dashboard open.
//!
//! A pass (see [`pass`]) every `--interval`; `--once` does one pass and exits with the most
//! serious code (for cron). SIGTERM or SIGINT while a pass runs lets its renewals finish and
//! be saved (the platform may already have retired the old tokens), then exits 0; while idle,
//! exits at once. `--install` writes a systemd user unit or a launchd agent (see [`unit`]).

mod backoff;
mod log;
mod pass;
pub(super) mod unit;

use super::args::WatchArgs;
use super::context::{Context, runtime};
use super::exit;
use backoff::Backoff;
use log::{Level, line};

pub fn run(ctx: &Context, args: WatchArgs) -> anyhow::Result<u8> {
    if args.install {
        return unit::install(ctx, args.force);
    }
    // The watch log is English in every language: journald and cron mail are searched, and
    // a renewal's failure, its reasons and its times all go into it.
    crate::i18n::set(crate::i18n::Lang::En);
    let renewer = ctx.renewer()?;
    let (grace, ahead) = (ctx.config.renew_grace, ctx.config.renew_ahead);
    let mut backoff = Backoff::default();
    let rt = runtime();
    if args.once {
        let codes = rt.block_on(pass::run(
            &renewer,
            grace,
            ahead,
            &mut backoff,
            ctx.clock.now(),
        ));
        return Ok(exit::worst(codes));
    }
    rt.block_on(async {
        let mut stop = Stop::new()?;
        line(
            Level::Info,
            &format!(
                "watching the tokens in {} every {}, renewing those that expire within {}",
                ctx.paths.index_file().display(),
                crate::timefmt::compact(args.interval),
                crate::timefmt::compact(ahead)
            ),
        );
        let mut ticks = tokio::time::interval(args.interval.unsigned_abs());
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
            let one = pass::run(&renewer, grace, ahead, &mut backoff, ctx.clock.now());
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
    })
}

/// SIGTERM (systemd, kill) and SIGINT (Ctrl-C).
struct Stop {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Stop {
    fn new() -> anyhow::Result<Stop> {
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
    async fn recv(&mut self) -> &'static str {
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
