//! Two real actoken processes renewing the same token at once: the per-token lock and the
//! re-read under it must make them take turns, never both spend the old token.

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use actoken::token::Token;
use jiff::{SignedDuration, tz::TimeZone};

use crate::support::{Env, Mock, token};

/// The mock holds every request this long, so the two processes overlap.
const DELAY: Duration = Duration::from_millis(500);

/// Starts `actoken ARGS` in `env` without waiting (assert_cmd cannot run two at once).
fn spawn(env: &Env, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("actoken"))
        .args(args)
        .env("XDG_CONFIG_HOME", env.dir.path().join("config"))
        .env("XDG_STATE_HOME", env.dir.path().join("state"))
        .env("ACTOKEN_KEYRING_SERVICE", &env.service)
        .env("TZ", "UTC")
        .env_remove("ACTOKEN_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> (Output, String) {
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {text}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

/// The expiry of `t` as `renew` prints it (TZ=UTC).
fn printed_expiry(t: &Token) -> String {
    let at = t.decode().unwrap().claims.expire_time.unwrap();
    actoken::timefmt::absolute(at, &TimeZone::UTC)
}

/// "east: renewed, expiry A (in 1h) -> B (in 1d)" → (A, B).
fn old_and_new(line: &str) -> (String, String) {
    let rest = line
        .split_once("expiry ")
        .unwrap_or_else(|| panic!("not a renewal line: {line}"))
        .1;
    let (old, new) = rest.split_once(" -> ").unwrap();
    let strip = |s: &str| s.split(" (").next().unwrap().to_owned();
    (strip(old), strip(new))
}

#[test]
fn conditional_renewals_at_once_call_the_server_exactly_once() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let old = token("alice", SignedDuration::from_mins(30));
    env.add("east", &mock.url(), &old);
    mock.server.faults().set_delay(DELAY);

    // Both think the token is due; whichever gets the lock second must see it renewed.
    let a = spawn(&env, &["renew", "east", "--within", "2h"]);
    let b = spawn(&env, &["token", "east", "--min-valid", "2h"]);
    let (_, a_out) = finish(a);
    let (_, b_out) = finish(b);

    assert_eq!(mock.server.renew_count(), 1, "a: {a_out}\nb: {b_out}");
    let stored = env.stored_raw("east");
    assert_ne!(stored, old.expose());
    // `token` printed the one stored token, whoever renewed it.
    assert_eq!(b_out.trim(), stored);
    assert!(
        a_out.contains("east: renewed") || a_out.contains("east: not due"),
        "{a_out}"
    );
}

#[test]
fn plain_renewals_at_once_take_turns_and_keep_the_newest() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let old = token("alice", SignedDuration::from_mins(30));
    env.add("east", &mock.url(), &old);
    mock.server.faults().set_delay(DELAY);

    let started = std::time::Instant::now();
    let a = spawn(&env, &["renew", "east"]);
    let b = spawn(&env, &["renew", "east"]);
    let (_, a_out) = finish(a);
    let (_, b_out) = finish(b);
    // Serialised by the lock: two server delays back to back, not side by side.
    assert!(started.elapsed() >= DELAY * 2, "{:?}", started.elapsed());
    assert_eq!(mock.server.renew_count(), 2);

    let original = printed_expiry(&old);
    let (a_old, a_new) = old_and_new(a_out.trim());
    let (b_old, b_new) = old_and_new(b_out.trim());
    // One renewed the original; the other renewed *that* result (re-read under the lock),
    // not the original a second time.
    let (first_new, second_old, second_new) = if a_old == original {
        (a_new, b_old, b_new)
    } else {
        assert_eq!(
            b_old, original,
            "neither renewed the original: {a_out} / {b_out}"
        );
        (b_new, a_old, a_new)
    };
    assert_eq!(
        second_old, first_new,
        "the second renewal sent a stale token"
    );

    let stored = Token::from_raw(&env.stored_raw("east"));
    assert_ne!(stored, old);
    assert_eq!(
        printed_expiry(&stored),
        second_new,
        "the newest token was not kept"
    );
}

#[test]
fn processes_starting_at_once_on_an_empty_keyring_do_not_trip_over_each_others_probe() {
    need_store!();
    // With nothing stored yet, each process probes the keyring by writing and deleting an
    // item; several at once (cron plus a dashboard) must not fail on each other's item.
    for round in 0..3 {
        let env = Env::new();
        let children: Vec<Child> = (0..6).map(|_| spawn(&env, &["list", "--json"])).collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
