//! COMMAND as a child (actoken must stay to store back what it renewed and remove the
//! directory): SIGINT, SIGTERM and SIGHUP sent to actoken are passed on to it, and its exit
//! status becomes actoken's, 128+N when a signal N killed it (as shells report it).
//!
//! Ctrl-C at a terminal already reaches the child (the terminal signals the whole foreground
//! process group, which the child shares): a SIGINT is passed on only when actoken is not in
//! the terminal's foreground, so the command never sees one Ctrl-C twice.

use std::process::ExitStatus;

use tokio::process::Command;

/// Runs `command` to its end; its status as an exit code. `Err` when it could not be started.
pub(crate) async fn run_forwarding(mut command: Command) -> std::io::Result<u8> {
    let mut child = command.spawn()?;
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut hup = signal(SignalKind::hangup())?;
        let mut int = signal(SignalKind::interrupt())?;
        let pid = child.id();
        loop {
            let forward = tokio::select! {
                status = child.wait() => return Ok(exit_code(status?)),
                _ = term.recv() => libc::SIGTERM,
                _ = hup.recv() => libc::SIGHUP,
                _ = int.recv() => {
                    if in_terminal_foreground() { continue }
                    libc::SIGINT
                }
            };
            if let Some(pid) = pid.and_then(|p| libc::pid_t::try_from(p).ok()) {
                // SAFETY: kill(2) with the child's pid, not yet reaped (we are its waiter).
                unsafe { libc::kill(pid, forward) };
            }
        }
    }
    #[cfg(not(unix))]
    Ok(exit_code(child.wait().await?))
}

/// The child's exit code, or 128+N for death by signal N.
fn exit_code(status: ExitStatus) -> u8 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(u8::MAX);
        }
    }
    status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(1)
}

/// Whether actoken's process group is the foreground group of its controlling terminal (a
/// Ctrl-C there has reached the child already).
#[cfg(unix)]
fn in_terminal_foreground() -> bool {
    use std::os::fd::AsRawFd;
    let Ok(tty) = std::fs::File::open("/dev/tty") else {
        return false;
    };
    // SAFETY: tcgetpgrp on an open descriptor; getpgrp cannot fail.
    let foreground = unsafe { libc::tcgetpgrp(tty.as_raw_fd()) };
    foreground > 0 && foreground == unsafe { libc::getpgrp() }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[tokio::test]
    async fn the_child_s_code_and_its_killing_signal_become_the_exit_code() {
        let _watchdog = crate::watchdog::arm();
        assert_eq!(run_forwarding(sh("exit 7")).await.unwrap(), 7);
        assert_eq!(run_forwarding(sh("kill -TERM $$")).await.unwrap(), 128 + 15);
        assert_eq!(run_forwarding(sh("kill -KILL $$")).await.unwrap(), 128 + 9);
    }
}
