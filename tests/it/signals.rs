//! Issue 10: a signal while `actoken renew` waits for the server used to kill the process,
//! losing the token the server was about to issue. Now the first signal is answered with
//! "finishing…", the renewal completes and the new token is stored; a second one abandons.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actoken::token::Token;
use jiff::SignedDuration;

use crate::support::{self, Env, Mock};

const NAME: &str = "alice/华中一区【A区】";

fn renew_in_background(env: &Env) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_actoken"))
        .args(["renew", NAME])
        .env("XDG_CONFIG_HOME", env.dir.path().join("config"))
        .env("XDG_STATE_HOME", env.dir.path().join("state"))
        .env("ACTOKEN_KEYRING_SERVICE", &env.service)
        .env_remove("ACTOKEN_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the renewal request reached the (slow) mock: from then on a token may be issued.
fn wait_until_in_flight(mock: &Mock) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while mock.server.arrived_count() == 0 {
        assert!(
            Instant::now() < deadline,
            "the renewal never reached the mock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &std::process::Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sigterm_during_renew_finishes_and_stores_the_new_token() {
    if !support::store_available(module_path!()) {
        return;
    }
    let (env, mock) = (Env::new(), Mock::start());
    let old = support::token("alice", SignedDuration::from_hours(1));
    env.add(NAME, &mock.url(), &old);
    mock.server.faults().set_delay(Duration::from_secs(2));
    let child = renew_in_background(&env);
    wait_until_in_flight(&mock);
    let started = Instant::now();
    signal(&child, "-TERM");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("finishing: renewing alice/华中一区【A区】"),
        "{stderr}"
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(mock.server.renew_count(), 1);
    let stored = Token::from_raw(&env.stored_raw(NAME));
    assert_ne!(stored, old);
}

#[test]
fn a_second_signal_abandons_and_says_what() {
    if !support::store_available(module_path!()) {
        return;
    }
    let (env, mock) = (Env::new(), Mock::start());
    let old = support::token("alice", SignedDuration::from_hours(1));
    env.add(NAME, &mock.url(), &old);
    mock.server.faults().set_delay(Duration::from_secs(10));
    let child = renew_in_background(&env);
    wait_until_in_flight(&mock);
    signal(&child, "-INT");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "-HUP");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("abandoned: renewing alice/华中一区【A区】"),
        "{stderr}"
    );
    assert_eq!(env.stored_raw(NAME), old.expose());
}
