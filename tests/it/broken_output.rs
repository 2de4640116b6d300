//! Issue 22 item 5: a signal while `renew` waits for the server, with stderr on /dev/full or a
//! pipe nobody reads, used to panic on the "finishing…" notice (exit 101) and lose the token
//! the server issued; so did a log line at `-vv`. Output that cannot be written is dropped:
//! the renewal is still stored and the exit code is still the documented one.

use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use actoken::mock::Fault;
use actoken::token::Token;
use jiff::SignedDuration;

use crate::support::{self, Env, Mock};

const NAME: &str = "alice/华东一区【昆山】";

/// Where a stream of the child goes.
#[derive(Debug, Clone, Copy)]
enum Sink {
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
    /// A pipe whose reader is gone: every write fails with EPIPE.
    ClosedPipe,
}

impl Sink {
    fn stdio(self) -> Stdio {
        match self {
            Sink::Full => std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap()
                .into(),
            Sink::ClosedPipe => {
                let (reader, writer) = std::io::pipe().unwrap();
                drop(reader);
                writer.into()
            }
        }
    }
}

/// A stored token renewed by a slow mock, the child started with `stdout`/`stderr`.
struct Renewal {
    env: Env,
    mock: Mock,
    old: Token,
}

impl Renewal {
    fn new() -> Renewal {
        let (env, mock) = (Env::new(), Mock::start());
        let old = support::token("alice", SignedDuration::from_hours(1));
        env.add(NAME, &mock.url(), &old);
        mock.server.faults().set_delay(Duration::from_secs(2));
        Renewal { env, mock, old }
    }

    fn start(&self, flags: &[&str], stdout: Sink, stderr: Sink) -> Child {
        self.env
            .std_cmd()
            .args(flags)
            .args(["renew", NAME])
            .stdin(Stdio::null())
            .stdout(stdout.stdio())
            .stderr(stderr.stdio())
            .spawn()
            .unwrap()
    }

    /// Starts the renewal, sends SIGTERM once the request reached the mock, and waits for the
    /// end (bounded).
    fn sigterm(&self, stdout: Sink, stderr: Sink) -> ExitStatus {
        let mut child = self.start(&[], stdout, stderr);
        self.wait_until_in_flight(&mut child);
        let status = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        wait_within(&mut child, Duration::from_secs(60))
    }

    fn wait_until_in_flight(&self, child: &mut Child) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.mock.server.arrived_count() == 0 {
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the renewal never reached the mock");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The token the server issued is the one stored (read back from the keyring).
    fn assert_renewed(&self) {
        assert_eq!(self.mock.server.renew_count(), 1);
        let stored = Token::from_raw(&self.env.stored_raw(NAME));
        assert_ne!(stored, self.old, "the issued token was not stored");
        let expiry = |t: &Token| t.decode().unwrap().claims.expire_time.unwrap();
        assert!(expiry(&stored) > expiry(&self.old));
    }
}

/// Waits for `child` at most `limit`; kills it and fails loudly after that.
fn wait_within(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("actoken still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_with_stderr_on_dev_full_still_stores_the_issued_token() {
    need_store!();
    let r = Renewal::new();
    let status = r.sigterm(Sink::ClosedPipe, Sink::Full);
    assert_eq!(status.code(), Some(0), "{status:?}");
    r.assert_renewed();
}

#[test]
fn sigterm_with_stderr_on_a_closed_pipe_still_stores_the_issued_token() {
    need_store!();
    let r = Renewal::new();
    let status = r.sigterm(Sink::Full, Sink::ClosedPipe);
    assert_eq!(status.code(), Some(0), "{status:?}");
    r.assert_renewed();
}

#[test]
fn with_both_streams_unwritable_a_renewal_is_stored_and_exits_0() {
    need_store!();
    for sink in [Sink::Full, Sink::ClosedPipe] {
        let r = Renewal::new();
        let status = r.sigterm(sink, sink);
        assert_eq!(status.code(), Some(0), "{sink:?}: {status:?}");
        r.assert_renewed();
    }
}

/// A server error is still exit 4 ("network or server error") when nothing can be printed.
#[test]
fn with_both_streams_unwritable_a_failure_keeps_its_exit_code() {
    need_store!();
    let r = Renewal::new();
    r.mock.server.faults().set(Fault::Http(502));
    let status = r.sigterm(Sink::Full, Sink::ClosedPipe);
    assert_eq!(status.code(), Some(4), "{status:?}");
    assert_eq!(r.env.stored_raw(NAME), r.old.expose());
}

/// `-vv` logs the server's answer while the new token is in flight: a log line that cannot be
/// written must not end the renewal.
#[test]
fn a_log_line_to_an_unwritable_stderr_does_not_lose_the_token() {
    need_store!();
    let r = Renewal::new();
    r.mock.server.faults().set_delay(Duration::ZERO);
    for (n, sink) in [Sink::Full, Sink::ClosedPipe].into_iter().enumerate() {
        let mut child = r.start(&["-vv"], Sink::Full, sink);
        let status = wait_within(&mut child, Duration::from_secs(60));
        assert_eq!(status.code(), Some(0), "{sink:?}: {status:?}");
        assert_eq!(r.mock.server.renew_count(), n + 1);
    }
    let stored = Token::from_raw(&r.env.stored_raw(NAME));
    assert_ne!(stored, r.old);
}

/// `watch --once` (cron) logs each renewal on stderr: with stderr unwritable the pass still
/// renews, and exits with its own code.
#[test]
fn watch_once_with_an_unwritable_stderr_renews_and_exits_0() {
    need_store!();
    let r = Renewal::new();
    r.mock.server.faults().set_delay(Duration::ZERO);
    let mut child = r
        .env
        .std_cmd()
        .args(["watch", "--once"])
        .stdin(Stdio::null())
        .stdout(Sink::Full.stdio())
        .stderr(Sink::ClosedPipe.stdio())
        .spawn()
        .unwrap();
    let status = wait_within(&mut child, Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "{status:?}");
    r.assert_renewed();
}
