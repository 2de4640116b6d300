//! `exec --keep-fresh`: actoken stays CMD's parent and keeps the token alive for as long as
//! CMD runs. The token is in `AC_TOKEN_FILE` (and `BEARER_TOKEN_FILE` with
//! `--bearer-token-file`), a 0600 file in a private 0700 directory (see [`crate::token_file`]),
//! rewritten atomically after every renewal, so a program that reads the file before each call
//! always has a live token. The file and its directory are removed when CMD ends.
//!
//! Renewals come when the token enters the renew-ahead window ([`schedule`]); a failed one is
//! tried again with watch's back-off, never so late that the token expires meanwhile, and said
//! on stderr (with the time: job logs are read later); the file keeps the last good token.
//! Where renewals come from is the [`source`]'s business (the store's renewer, the agent, or
//! memory).

mod agent;
mod schedule;
pub(super) mod source;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use tokio::task::JoinHandle;

use super::child::Running;
use crate::cli::context::runtime;
use crate::cli::exit::UsageError;
use crate::cli::streams::Io;
use crate::cli::watch::backoff::Backoff;
use crate::clock::Clock;
use crate::timefmt;
use crate::token::{Lifetime, Token};
use crate::token_env::Vars;
use crate::token_file::{self, PrivateDir};
use crate::tr;
use source::{Failure, Fresh, Source};

/// The file's name in its private directory.
const FILE_NAME: &str = "token";

/// What to keep fresh, and where to say what happens.
pub(in crate::cli::exec) struct KeepFresh<'a> {
    pub io: &'a Io,
    pub clock: Clock,
    pub source: Source,
    /// Renew when the token expires within this (config `renew-ahead`, or `--min-valid`).
    pub window: SignedDuration,
    /// The token CMD's variables carry.
    pub token: Token,
    /// Also set `BEARER_TOKEN_FILE`.
    pub bearer: bool,
}

/// The token held now and its timeline.
#[derive(Clone)]
struct Held {
    token: Token,
    life: Lifetime,
}

/// Runs `command` (`program` is its name, for messages) with `vars` and the token file, keeps
/// the token fresh while it runs, and returns CMD's exit code.
pub(in crate::cli::exec) fn run(
    keep: KeepFresh,
    vars: &Vars,
    mut command: Command,
    program: &OsString,
) -> anyhow::Result<u8> {
    let life = keep
        .token
        .decode()
        .ok()
        .and_then(|d| d.lifetime(keep.source.grace()))
        .ok_or_else(|| {
            let name = keep.source.label().to_owned();
            UsageError(tr!("keep_fresh.no_expiry", name = name))
        })?;
    let dir = PrivateDir::create().map_err(|e| {
        let error = e.to_string();
        anyhow::anyhow!(tr!("keep_fresh.no_dir", error = error))
    })?;
    let file = dir.path().join(FILE_NAME);
    token_file::write(&file, &keep.token).map_err(|e| {
        let error = e.to_string();
        anyhow::anyhow!(tr!("keep_fresh.no_file", error = error))
    })?;
    for (name, value) in vars.iter() {
        command.env(name, value);
    }
    command.env("AC_TOKEN_FILE", &file);
    if keep.bearer {
        command.env("BEARER_TOKEN_FILE", &file);
    }
    let held = Held {
        token: keep.token.clone(),
        life,
    };
    let code = runtime().block_on(async {
        let mut signals = super::child::Forwarder::new()?;
        let mut child = match Running::start(&mut command) {
            Ok(child) => child,
            Err(e) => return anyhow::Ok(super::cannot_start(keep.io, program, &e)),
        };
        let mut watch = Watch {
            io: keep.io,
            clock: keep.clock,
            source: Arc::new(keep.source),
            window: keep.window,
            file,
            held,
            backoff: Backoff::default(),
            file_backoff: Backoff::default(),
            in_flight: None,
        };
        {
            let renewals = watch.run();
            tokio::pin!(renewals);
            loop {
                tokio::select! {
                    () = child.ended() => break,
                    incoming = signals.next() => {
                        if incoming.to_forward() {
                            child.signal(incoming.number);
                        }
                    }
                    () = &mut renewals => unreachable!("renewals go on until CMD ends"),
                }
            }
        }
        watch.finish().await;
        Ok(child.status())
    })?;
    // The file and its directory go now (also when CMD was killed by a signal).
    drop(dir);
    Ok(code)
}

/// The renewals, the file and what is said about them.
struct Watch<'a> {
    io: &'a Io,
    clock: Clock,
    source: Arc<Source>,
    window: SignedDuration,
    file: PathBuf,
    held: Held,
    backoff: Backoff,
    file_backoff: Backoff,
    /// The renewal in flight: a task, kept here so that it outlives [`Watch::run`] being
    /// dropped when CMD ends, and [`Watch::finish`] can wait for it.
    in_flight: Option<JoinHandle<Result<Fresh, Failure>>>,
}

/// What the next wake-up is for.
enum Next {
    Renew(Timestamp),
    Rewrite(Timestamp),
    /// Nothing can renew the token any more.
    Nothing,
}

impl Watch<'_> {
    /// Renews and rewrites forever. Cancel-safe between steps only, so the caller keeps a
    /// renewal that is in flight going: it runs in a task that outlives this future, and
    /// [`Watch::finish`] waits for it.
    async fn run(&mut self) {
        let mut next = Next::Renew(schedule::renew_at(
            self.held.life,
            self.window,
            self.clock.now(),
        ));
        loop {
            let at = match next {
                Next::Renew(at) | Next::Rewrite(at) => at,
                Next::Nothing => return std::future::pending().await,
            };
            let now = self.clock.now();
            let look = now
                .saturating_add(schedule::follow_every(self.window))
                .unwrap_or(at);
            tokio::time::sleep(schedule::until(at.min(look), now)).await;
            if self.clock.now() < at {
                // A look at the store between renewals.
                let (held, now) = (&self.held, self.clock.now());
                let newer = self.source.newer_in_store(&held.token, held.life, now);
                if let Some(fresh) = newer.await {
                    next = self.after(Ok(fresh));
                }
                continue;
            }
            next = match next {
                Next::Rewrite(_) => self.rewrite(),
                _ => {
                    let task = self.in_flight.insert(self.start_renewal());
                    let result = task.await;
                    self.in_flight = None;
                    self.after(result.unwrap_or_else(|e| Err(Failure::Retry(e.to_string()))))
                }
            };
        }
    }

    fn start_renewal(&self) -> JoinHandle<Result<Fresh, Failure>> {
        let (source, held, window) = (Arc::clone(&self.source), self.held.clone(), self.window);
        let now = self.clock.now();
        tokio::spawn(async move { source.renew(&held.token, held.life, window, now).await })
    }

    /// What a renewal's result changes, said on stderr; when to wake next.
    fn after(&mut self, result: Result<Fresh, Failure>) -> Next {
        let now = self.clock.now();
        let name = self.source.label().to_owned();
        match result {
            Ok(fresh) => {
                self.backoff.succeeded(&name);
                if let Some(warning) = &fresh.warning {
                    self.say(now, warning);
                }
                if fresh.token != self.held.token {
                    let expires = timefmt::relative(now.duration_until(fresh.life.expires_at));
                    let text = if fresh.via_login {
                        tr!("keep_fresh.via_login", name = name, expires = expires)
                    } else if fresh.called_server {
                        tr!("keep_fresh.renewed", name = name, expires = expires)
                    } else {
                        tr!("keep_fresh.picked_up", name = name, expires = expires)
                    };
                    self.held = Held {
                        token: fresh.token,
                        life: fresh.life,
                    };
                    self.say(now, &text);
                    if let Some(retry) = self.write(now) {
                        return Next::Rewrite(retry);
                    }
                }
                Next::Renew(schedule::renew_at(self.held.life, self.window, now))
            }
            Err(Failure::Retry(error)) => {
                let wait = schedule::retry_in(self.backoff.failed(&name, now), self.held.life, now);
                let (next, expires) = (timefmt::relative(wait), self.expires(now));
                let text = tr!(
                    "keep_fresh.failed",
                    error = error,
                    expires = expires,
                    next = next
                );
                self.say(now, &text);
                Next::Renew(now.saturating_add(wait).unwrap_or(now))
            }
            Err(Failure::Hopeless(error)) => {
                let expires = self.expires(now);
                let text = tr!("keep_fresh.gave_up", error = error, expires = expires);
                self.say(now, &text);
                Next::Nothing
            }
        }
    }

    /// Writes the held token to the file; `Some(when)` to try again when that failed.
    fn write(&mut self, now: Timestamp) -> Option<Timestamp> {
        match token_file::write(&self.file, &self.held.token) {
            Ok(()) => {
                self.file_backoff.succeeded(FILE_NAME);
                None
            }
            Err(e) => {
                let wait = self.file_backoff.failed(FILE_NAME, now);
                let (error, next) = (e.to_string(), timefmt::relative(wait));
                let text = tr!("keep_fresh.write_failed", error = error, next = next);
                self.say(now, &text);
                Some(now.saturating_add(wait).unwrap_or(now))
            }
        }
    }

    fn rewrite(&mut self) -> Next {
        let now = self.clock.now();
        match self.write(now) {
            Some(retry) => Next::Rewrite(retry),
            None => Next::Renew(schedule::renew_at(self.held.life, self.window, now)),
        }
    }

    /// "in 3h 12m" / "5m ago": when the token the file holds expires.
    fn expires(&self, now: Timestamp) -> String {
        timefmt::relative(now.duration_until(self.held.life.expires_at))
    }

    /// One line on stderr, after the time (a job's log is read later).
    fn say(&self, now: Timestamp, text: &str) {
        errln!(self.io, "{} {text}", timefmt::rfc3339(now));
    }

    /// After CMD ended: a renewal in flight is let finish (the server may already have
    /// retired the old token; a stored token's renewal saves the new one itself).
    async fn finish(&mut self) {
        if let Some(task) = self.in_flight.take() {
            let _ = task.await;
        }
    }
}
