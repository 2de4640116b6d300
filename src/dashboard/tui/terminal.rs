//! Owning the terminal: raw mode, alternate screen (so no token is left in scrollback), mouse
//! and bracketed paste — and giving all of it back on quit, on panic and on signals.

use std::io::{Stdout, stdout};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub(crate) type Term = Terminal<CrosstermBackend<Stdout>>;

/// Enters the dashboard's terminal mode. Drop the guard (or let a panic unwind) to restore.
pub(crate) struct TerminalGuard {
    pub terminal: Term,
}

impl TerminalGuard {
    pub(crate) fn enter() -> std::io::Result<TerminalGuard> {
        install_panic_hook();
        // ratatui::try_init enters raw mode and the alternate screen.
        let terminal = ratatui::try_init()?;
        execute!(stdout(), EnableMouseCapture, EnableBracketedPaste)?;
        Ok(TerminalGuard { terminal })
    }
}

impl super::event_loop::Screen for TerminalGuard {
    fn draw(
        &mut self,
        app: &crate::dashboard::app::App,
        now: jiff::Timestamp,
    ) -> std::io::Result<()> {
        self.terminal
            .draw(|f| crate::dashboard::ui::draw(f, app, now))
            .map(|_| ())
    }

    /// Restores the terminal, stops the process as the shell's Ctrl-Z would (raw mode turned
    /// the key into a keypress instead of SIGTSTP), and takes the terminal again on `fg`.
    fn suspend(&mut self) -> std::io::Result<()> {
        restore();
        #[cfg(unix)]
        // SAFETY: raise(3) with a valid signal number has no memory-safety preconditions.
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
        // Here after SIGCONT (`fg`).
        crossterm::terminal::enable_raw_mode()?;
        execute!(
            stdout(),
            crossterm::terminal::EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )?;
        self.terminal.clear()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Idempotent: safe to call from the panic hook and again from `Drop`.
pub(crate) fn restore() {
    let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
    ratatui::restore();
}

/// On the loop (main) thread: restores the terminal before the panic message is printed, so the
/// message is readable and
/// the shell is usable. Panic messages never carry tokens (no type that holds one prints it).
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A task's panic (a worker thread) becomes a row error and the dashboard goes on: the
        // terminal stays as it is and nothing is printed over the screen.
        if std::thread::current().name() != Some("main") {
            tracing::error!("a dashboard task panicked: {info}");
            return;
        }
        restore();
        previous(info);
    }));
}
