//! The dashboard's runtime: terminal in, Actions through `app::update`, Effects out to tasks,
//! `ui::draw` after every batch. The only place that reads the clock for the dashboard.

mod agent;
#[cfg(test)]
mod agent_tests;
mod at_exit;
mod effects;
#[cfg(test)]
mod effects_tests;
pub mod event_loop;
mod login;
mod observer;
mod services;
mod terminal;

use crossterm::event::EventStream;
use tokio::sync::mpsc;

use crate::clipboard::Clipboard;
use crate::dashboard::app::{self, Action, App};
use crate::dashboard::ui;
use crate::signals::Terminating;

use effects::Executor;
use event_loop::Inputs;
pub use observer::{Observer, Unobserved};
pub use services::Services;
use terminal::TerminalGuard;

/// Runs the dashboard until the user quits or a terminating signal arrives (or `observer`
/// ends it).
pub(crate) async fn run(
    mut app: App,
    services: Services,
    clipboard: Clipboard,
    observer: &mut dyn Observer,
) -> anyhow::Result<()> {
    let clock = services.clock;
    let fallback = clipboard.fallback_reason().map(str::to_owned);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut executor = Executor::new(services, tx, clipboard);

    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
    let effects = app::update(
        &mut app,
        Action::Resize {
            width: size.width,
            height: size.height,
        },
        clock.now(),
    );
    // First frame before the index is read: the table fills in when `Loaded` arrives.
    guard.terminal.draw(|f| ui::draw(f, &app, clock.now()))?;
    observer.first_frame();
    executor.first_load();
    // In the background: the table does not wait for it (the handle is for tests).
    drop(executor.reconcile());
    // After the first frame, in a task of its own: an agent that is slow to answer, or none
    // at all, never delays the dashboard.
    drop(executor.follow_agent());
    if let Some(why) = fallback {
        tracing::info!("clipboard: {why}");
    }

    let inputs = Inputs {
        events: EventStream::new(),
        actions: &mut rx,
        // SIGTERM, SIGHUP (and a SIGINT from `kill`) quit as `q` does.
        signals: Terminating::new()?.into_stream(),
        clock,
    };
    let drove = event_loop::drive(
        &mut app,
        effects,
        inputs,
        &mut guard,
        &mut executor,
        observer,
    )
    .await;
    if let Err(e) = drove {
        // Whatever ended the loop, a token no store took is still shown.
        drop(guard);
        executor.at_exit().print();
        return Err(e);
    }
    // A clipboard clear asked for by quitting is still running: let it finish.
    executor.finish().await;
    // Leave the alternate screen first, so what follows stays readable.
    drop(guard);
    observer.ended();
    executor.at_exit().print();
    if let Some(note) = app::quit::abandoned_note(&app.abandoned) {
        // Never a panic for a stderr nobody reads (the tokens are stored by now).
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), "actoken: {note}");
    }
    Ok(())
}
