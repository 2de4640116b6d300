//! `actoken mock-server` as a user (or another client) runs it: the binary in a process of its
//! own on a free loopback port, its banner read until it is ready. Dropping it ends that process
//! (by its own handle, nothing else).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the server may take to print its banner.
const READY_WITHIN: Duration = Duration::from_secs(30);

pub struct MockProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`, from the banner's first line.
    pub url: String,
    /// Everything it printed up to "Press Ctrl-C to stop."
    pub banner: String,
}

impl MockProcess {
    /// Starts `actoken mock-server --addr 127.0.0.1:0` (English banner) and waits for it.
    pub fn start() -> MockProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_actoken"))
            .args(["mock-server", "--addr", "127.0.0.1:0"])
            .env("ACTOKEN_LANG", "en")
            .env_remove("ACTOKEN_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("actoken mock-server starts");
        let stdout = child.stdout.take().expect("piped");
        let (lines, banner_lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + READY_WITHIN;
        let mut banner = String::new();
        let mut running = MockProcess {
            child,
            url: String::new(),
            banner: String::new(),
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = banner_lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!("actoken mock-server printed no ready banner within {READY_WITHIN:?}; so far:\n{banner}")
            });
            banner.push_str(&line);
            banner.push('\n');
            if let Some(url) = line.strip_prefix("Mock AC server listening on ") {
                running.url = url.trim().to_owned();
            }
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        assert!(running.url.starts_with("http://127.0.0.1:"), "{banner}");
        running.banner = banner;
        running
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
