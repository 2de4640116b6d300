//! The dashboard's runtime: terminal in, Actions through `app::update`, Effects out to tasks,
//! `ui::draw` after every batch. The only place that reads the clock for the dashboard.

#[cfg(feature = "testing")]
pub mod bench;
mod effects;
mod login;
mod terminal;

use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::app::{self, Action, App};
use crate::clipboard::Clipboard;
use crate::ui;

use effects::Executor;
pub use effects::Services;
use terminal::TerminalGuard;

/// Countdowns move once a second; the spinner needs a faster beat while renewals run.
const TICK: Duration = Duration::from_secs(1);
const SPIN: Duration = Duration::from_millis(100);

/// Runs the dashboard until the user quits or a terminating signal arrives.
pub async fn run(mut app: App, services: Services, clipboard: Clipboard) -> anyhow::Result<()> {
    let fallback = clipboard.fallback_reason().map(str::to_owned);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut executor = Executor::new(services, tx, clipboard);
    #[cfg(feature = "testing")]
    let mut probe = bench::Probe::from_env();

    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
    let mut effects = app::update(
        &mut app,
        Action::Resize {
            width: size.width,
            height: size.height,
        },
        Timestamp::now(),
    );
    // First frame before any keyring read: the table fills in when `Loaded` arrives.
    guard
        .terminal
        .draw(|f| ui::draw(f, &app, Timestamp::now()))?;
    #[cfg(feature = "testing")]
    if let Some(p) = probe.as_mut() {
        p.first_frame();
    }
    executor.reload();
    if let Some(why) = fallback {
        tracing::info!("clipboard: {why}");
    }

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    let mut spin = tokio::time::interval(SPIN);
    let mut signals = Signals::new()?;

    loop {
        for effect in effects.drain(..) {
            if !executor.run(effect) {
                return Ok(());
            }
        }
        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match to_action(event) {
                    Some(action) => action,
                    None => continue,
                },
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            Some(action) = rx.recv() => action,
            _ = tick.tick() => Action::Tick,
            _ = spin.tick(), if app.renewing_count() > 0 => {
                guard.terminal.draw(|f| ui::draw(f, &app, Timestamp::now()))?;
                continue;
            }
            _ = signals.recv() => return Ok(()),
        };
        let now = Timestamp::now();
        #[cfg(feature = "testing")]
        let loaded = matches!(action, Action::Loaded(_));
        effects = app::update(&mut app, action, now);
        guard.terminal.draw(|f| ui::draw(f, &app, now))?;
        #[cfg(feature = "testing")]
        if let Some(p) = &probe
            && loaded
        {
            let line = p.report(app.rows.len());
            drop(guard); // leave the alternate screen first, so the line stays readable
            eprintln!("{line}");
            return Ok(());
        }
    }
}

fn to_action(event: Event) -> Option<Action> {
    match event {
        // Windows reports releases too; only presses act.
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Action::Key(key)),
        Event::Mouse(mouse) => Some(Action::Mouse(mouse)),
        Event::Paste(text) => Some(Action::Paste(text)),
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        _ => None,
    }
}

/// SIGTERM and SIGHUP end the dashboard like `q` does, so the terminal is restored.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    }
}
