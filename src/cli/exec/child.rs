//! CMD as actoken's child, for `exec --keep-fresh` (plain `exec` becomes CMD instead).
//!
//! - Its end is awaited on a thread with `waitid(WNOWAIT)`: the child is noticed without being
//!   reaped, so its pid cannot go to another process while signals are still being passed on;
//!   [`Running::status`] reaps it.
//! - [`Forwarder`]: SIGINT, SIGTERM and SIGHUP sent to actoken are sent on to CMD, except those
//!   the terminal sent (Ctrl-C, a hang-up): the terminal signals the whole foreground process
//!   group, CMD included, and a second copy would interrupt CMD's own clean-up.
//! - The exit code is CMD's; killed by signal N, 128+N, as shells report it.

use std::process::{Command, ExitStatus};

use tokio::sync::oneshot;

/// A started CMD.
pub(super) struct Running {
    #[cfg(unix)]
    child: std::process::Child,
    pid: u32,
    ended: oneshot::Receiver<Option<ExitStatus>>,
    /// Without `waitid` (not unix), the waiting thread reaps and hands the status over.
    status: Option<ExitStatus>,
}

impl Running {
    pub(super) fn start(command: &mut Command) -> std::io::Result<Running> {
        // CMD gets the core limit the user started actoken with (actoken's own stays 0).
        let child = crate::core_dumps::for_exec(|| command.spawn())?;
        let pid = child.id();
        let (tx, ended) = oneshot::channel();
        #[cfg(unix)]
        let waiting = move || {
            wait_without_reaping(pid);
            let _ = tx.send(None);
        };
        #[cfg(not(unix))]
        let waiting = {
            let mut child = child;
            move || {
                let _ = tx.send(child.wait().ok());
            }
        };
        std::thread::Builder::new()
            .name("exec-child".into())
            .spawn(waiting)?;
        Ok(Running {
            #[cfg(unix)]
            child,
            pid,
            ended,
            status: None,
        })
    }

    /// Resolves once CMD has ended (it is not reaped yet). Cancel-safe.
    pub(super) async fn ended(&mut self) {
        if let Ok(status) = (&mut self.ended).await {
            self.status = status;
        }
    }

    /// Without unix signals: nothing to send.
    #[cfg(not(unix))]
    pub(super) fn signal(&self, _signal: i32) {}

    /// Sends `signal` to CMD. Only before [`Running::status`]: until then its pid is its own,
    /// even once it has ended.
    #[cfg(unix)]
    pub(super) fn signal(&self, signal: i32) {
        let Ok(pid) = libc::pid_t::try_from(self.pid) else {
            return;
        };
        // SAFETY: kill takes plain integers and touches no memory of ours.
        unsafe {
            libc::kill(pid, signal);
        }
    }

    /// Reaps CMD (waiting for it if it has not ended) and turns its status into an exit code.
    pub(super) fn status(self) -> u8 {
        #[cfg(unix)]
        {
            let mut child = self.child;
            child.wait().map_or(1, exit_code)
        }
        #[cfg(not(unix))]
        {
            let _ = self.pid;
            self.status.map_or(1, exit_code)
        }
    }
}

/// Runs `command` to its end with SIGINT, SIGTERM and SIGHUP passed on to it (one the
/// terminal sent has reached it already); its status as an exit code (128+N when signal N
/// killed it). `Err` when it could not be started. For a parent that only has to wait
/// (`exec --scnet-cli`); `--keep-fresh` runs the same loop beside its renewals.
pub(in crate::cli) async fn run_forwarding(command: &mut Command) -> std::io::Result<u8> {
    let mut signals = Forwarder::new()?;
    let mut child = Running::start(command)?;
    loop {
        tokio::select! {
            () = child.ended() => break,
            incoming = signals.next() => {
                if incoming.to_forward() {
                    child.signal(incoming.number);
                }
            }
        }
    }
    Ok(child.status())
}

/// A code as it is; killed by signal N: 128+N, as shells report it.
pub(super) fn exit_code(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        // Only the low 8 bits reach a parent on unix; Windows codes above 255 are cut the same.
        return (code & 0xff) as u8;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(255);
        }
    }
    1
}

/// Blocks until `pid` (a child of this process) has ended, leaving it to be reaped.
#[cfg(unix)]
fn wait_without_reaping(pid: u32) {
    let id = pid as libc::id_t;
    loop {
        // SAFETY: `info` is a valid, writable siginfo_t that waitid fills in.
        let done = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT)
        };
        if done == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// One of the signals passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Incoming {
    pub number: i32,
    /// Sent by the kernel for the terminal (Ctrl-C, a hang-up): CMD got it too.
    pub from_terminal: bool,
}

#[cfg_attr(not(unix), allow(dead_code))] // Only unix signals go through the pipe.
impl Incoming {
    fn encode(self) -> u8 {
        // Signal numbers of SIGINT, SIGTERM and SIGHUP are all below 64.
        (self.number as u8 & 0x3f) | if self.from_terminal { 0x80 } else { 0 }
    }

    fn decode(byte: u8) -> Incoming {
        Incoming {
            number: i32::from(byte & 0x3f),
            from_terminal: byte & 0x80 != 0,
        }
    }

    /// Whether CMD should be sent this one (it did not get it already).
    pub(super) fn to_forward(self) -> bool {
        !self.from_terminal
    }
}

/// SIGINT, SIGTERM and SIGHUP, caught (they no longer end actoken) and read one at a time with
/// who sent them. The handler writes one byte per signal into a pipe (the only thing it may
/// safely do); [`Forwarder::next`] reads them.
#[cfg(unix)]
pub(super) struct Forwarder {
    actions: Vec<signal_hook_registry::SigId>,
    /// Kept open while the handlers may write to it.
    _sender: tokio::net::unix::pipe::Sender,
    receiver: tokio::net::unix::pipe::Receiver,
}

#[cfg(unix)]
impl Forwarder {
    /// Inside the runtime (the pipe registers with its reactor).
    pub(super) fn new() -> std::io::Result<Forwarder> {
        use std::os::fd::AsRawFd;
        let (sender, receiver) = tokio::net::unix::pipe::pipe()?;
        let fd = sender.as_raw_fd();
        let mut actions = Vec::new();
        for number in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            let action = move |info: &libc::siginfo_t| {
                let byte = Incoming {
                    number,
                    from_terminal: sent_by_the_kernel(info),
                }
                .encode();
                // SAFETY: write(2) is async-signal-safe; the pipe is non-blocking, so a full
                // pipe (hundreds of signals unread) drops one rather than blocking the handler.
                unsafe {
                    libc::write(fd, (&raw const byte).cast(), 1);
                }
            };
            // SAFETY: the action only builds a byte and calls write(2), both
            // async-signal-safe; it is unregistered before the pipe is closed (Drop).
            let id = unsafe { signal_hook_registry::register_sigaction(number, action) }?;
            actions.push(id);
        }
        Ok(Forwarder {
            actions,
            _sender: sender,
            receiver,
        })
    }

    /// The next signal. Cancel-safe.
    pub(super) async fn next(&mut self) -> Incoming {
        use tokio::io::AsyncReadExt;
        let mut byte = [0u8; 1];
        loop {
            match self.receiver.read(&mut byte).await {
                Ok(1) => return Incoming::decode(byte[0]),
                // Cannot happen while the sender is open; never spin on it.
                _ => std::future::pending::<()>().await,
            }
        }
    }
}

#[cfg(unix)]
impl Drop for Forwarder {
    fn drop(&mut self) {
        for id in self.actions.drain(..) {
            signal_hook_registry::unregister(id);
        }
    }
}

/// Without unix signals (Windows: Ctrl-C reaches every process of the console, CMD
/// included) there is nothing to pass on.
#[cfg(not(unix))]
pub(super) struct Forwarder;

#[cfg(not(unix))]
impl Forwarder {
    pub(super) fn new() -> std::io::Result<Forwarder> {
        Ok(Forwarder)
    }

    pub(super) async fn next(&mut self) -> Incoming {
        std::future::pending().await
    }
}

/// Linux marks signals the kernel raises for a terminal (`SI_KERNEL`); elsewhere every signal
/// counts as sent by a process, and is passed on.
#[cfg(target_os = "linux")]
fn sent_by_the_kernel(info: &libc::siginfo_t) -> bool {
    info.si_code == libc::SI_KERNEL
}

#[cfg(all(unix, not(target_os = "linux")))]
fn sent_by_the_kernel(_info: &libc::siginfo_t) -> bool {
    false
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn codes_and_signals_become_exit_codes_as_shells_report_them() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
        // Killed by SIGTERM (15) and SIGKILL (9).
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 143);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
    }

    /// The terminal's Ctrl-C (sent by the kernel, `SI_KERNEL`) is told from a `kill` (sent by
    /// a process): only the second is passed on. A process may queue a kernel-coded signal to
    /// its own thread, which is how the first is made here. SIGHUP: stays caught afterwards.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_signal_the_terminal_sent_is_told_from_one_a_process_sent() {
        let _watchdog = crate::watchdog::arm();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut forwarder = Forwarder::new().unwrap();
            let limit = std::time::Duration::from_secs(10);
            // SAFETY: a zeroed siginfo_t with its number and code set is a valid argument; the
            // signal goes to this thread, whose handler (the forwarder's) only writes a byte.
            let queued = unsafe {
                let mut info: libc::siginfo_t = std::mem::zeroed();
                info.si_signo = libc::SIGHUP;
                info.si_code = libc::SI_KERNEL;
                libc::syscall(
                    libc::SYS_rt_tgsigqueueinfo,
                    libc::getpid(),
                    libc::gettid(),
                    libc::SIGHUP,
                    &raw const info,
                )
            };
            assert_eq!(queued, 0, "{}", std::io::Error::last_os_error());
            let got = tokio::time::timeout(limit, forwarder.next()).await.unwrap();
            assert_eq!(
                got,
                Incoming {
                    number: libc::SIGHUP,
                    from_terminal: true
                }
            );
            assert!(!got.to_forward());
            // SAFETY: kill takes plain integers.
            unsafe { libc::kill(libc::getpid(), libc::SIGHUP) };
            let got = tokio::time::timeout(limit, forwarder.next()).await.unwrap();
            assert_eq!(
                got,
                Incoming {
                    number: libc::SIGHUP,
                    from_terminal: false
                }
            );
            assert!(got.to_forward());
        });
    }

    #[test]
    fn a_signal_and_its_sender_survive_the_pipe() {
        for number in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            for from_terminal in [false, true] {
                let sent = Incoming {
                    number,
                    from_terminal,
                };
                assert_eq!(Incoming::decode(sent.encode()), sent);
                assert_eq!(sent.to_forward(), !from_terminal);
            }
        }
    }

    /// `exec --scnet-cli`'s wait: the child's code, and its killing signal as 128+N.
    #[cfg(unix)]
    #[tokio::test]
    async fn run_forwarding_gives_the_child_s_code_and_its_killing_signal() {
        let _watchdog = crate::watchdog::arm();
        let sh = |script: &str| {
            let mut c = Command::new("sh");
            c.args(["-c", script]);
            c
        };
        assert_eq!(run_forwarding(&mut sh("exit 7")).await.unwrap(), 7);
        assert_eq!(
            run_forwarding(&mut sh("kill -TERM $$")).await.unwrap(),
            128 + 15
        );
        assert_eq!(
            run_forwarding(&mut sh("kill -KILL $$")).await.unwrap(),
            128 + 9
        );
        let missing = run_forwarding(&mut Command::new("/nonexistent/actoken-test")).await;
        assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    }
}
