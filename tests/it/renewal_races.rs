//! Renewals racing the user and each other, through the CLI in-process (each command opens its
//! own store on the same files and keyring, as separate processes do, with real file locks):
//! `rm` and `add --force` while a renewal is held at the mock (issue 22, item 7), three batches
//! at once over the same tokens (item 10), and a batch whose keyring stops saving (item 11).

use std::process::Output;
use std::time::{Duration, Instant};

use actoken::mock::Faults;
use actoken::token::Token;
use predicates::prelude::PredicateBooleanExt;

use crate::support::in_process::InProcess;
use crate::support::{Mock, hours, token};

const KUNSHAN: &str = "华东一区【昆山】";

/// Exit codes from `actoken --help`.
const NOT_SAVED: i32 = 6;

/// Far below the 30 s a renewal waits for a token's lock: a batch that waits that long stalled.
const NO_STALL: Duration = Duration::from_secs(12);

/// Waits (at most 20 s, then fails by `what`) until `done`.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Lets the mock's held requests go when dropped, so a failing test never leaves a renewal
/// (and the thread waiting for it) held.
struct Holding<'a>(&'a Faults);

impl<'a> Holding<'a> {
    fn start(faults: &'a Faults) -> Holding<'a> {
        faults.hold();
        Holding(faults)
    }
}

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `actoken renew KUNSHAN` held at the mock while `meanwhile` runs; the renewal's output.
fn renew_while(world: &InProcess, mock: &Mock, meanwhile: impl FnOnce()) -> Output {
    let holding = Holding::start(mock.server.faults());
    std::thread::scope(|s| {
        let renewal = s.spawn(|| world.cmd().args(["renew", KUNSHAN]).output().unwrap());
        wait_until("the renewal reaches the mock", || {
            mock.server.arrived_count() == 1 || renewal.is_finished()
        });
        assert!(!renewal.is_finished(), "the renewal ended before the mock");
        meanwhile();
        drop(holding);
        renewal.join().unwrap()
    })
}

/// The one rescue file, which holds a renewed `KUNSHAN` (not `old`); named in `stderr`.
fn rescued_renewal(world: &InProcess, old: &Token, stderr: &str) -> Token {
    let files = world.rescue_files();
    assert_eq!(files.len(), 1, "{files:?}\n{stderr}");
    let rescued = Token::from_raw(std::fs::read_to_string(&files[0]).unwrap().trim());
    assert_ne!(&rescued, old, "the rescue file holds the old token");
    let expiry = |t: &Token| t.decode().unwrap().claims.expire_time.unwrap();
    assert!(expiry(&rescued) > expiry(old), "not a renewed token");
    assert!(
        stderr.contains(&files[0].display().to_string()),
        "the message does not name the rescue file: {stderr}"
    );
    assert!(!stderr.contains(rescued.expose()), "{stderr}");
    rescued
}

#[test]
fn rm_during_a_renewal_stands_and_the_renewed_token_is_rescued() {
    let (world, mock) = (InProcess::new(), Mock::start());
    let old = token("alice", hours(1));
    world.add(KUNSHAN, &mock.url(), &old);

    let renewal = renew_while(&world, &mock, || {
        world.cmd().args(["rm", KUNSHAN]).assert().success();
    });

    let stderr = text(&renewal.stderr);
    assert!(
        world.stored_names().is_empty(),
        "the renewal wrote back a removed token: {stderr}"
    );
    world
        .cmd()
        .args(["list"])
        .assert()
        .success()
        .stdout(predicates::str::contains(KUNSHAN).not());
    rescued_renewal(&world, &old, &stderr);
    assert!(
        stderr.contains(KUNSHAN) && stderr.contains("removed"),
        "{stderr}"
    );
    assert_eq!(renewal.status.code(), Some(NOT_SAVED), "{stderr}");
    assert_eq!(mock.server.renew_count(), 1);
}

#[test]
fn add_force_during_a_renewal_stands_and_the_renewed_token_is_rescued() {
    let (world, mock) = (InProcess::new(), Mock::start());
    let old = token("alice", hours(1));
    world.add(KUNSHAN, &mock.url(), &old);
    let mine = token("bob", hours(5));

    let renewal = renew_while(&world, &mock, || {
        world
            .cmd()
            .args(["add", KUNSHAN, "--force", "--base-url", &mock.url()])
            .write_stdin(mine.expose())
            .assert()
            .success();
    });

    let stderr = text(&renewal.stderr);
    assert!(
        world.stored_raw(KUNSHAN) == mine.expose(),
        "the renewal overwrote the token the user added: {stderr}"
    );
    // The index describes the user's token too (its user is bob's).
    world
        .cmd()
        .args(["show", KUNSHAN])
        .assert()
        .success()
        .stdout(predicates::str::contains("bob"));
    rescued_renewal(&world, &old, &stderr);
    assert!(
        stderr.contains(KUNSHAN) && stderr.contains("replaced"),
        "{stderr}"
    );
    assert_eq!(renewal.status.code(), Some(NOT_SAVED), "{stderr}");
}

/// `count` tokens named `华东一区【昆山】1`, … at the mock, each expiring in an hour.
fn add_each(world: &InProcess, mock: &Mock, count: usize) -> Vec<(String, Token)> {
    (1..=count)
        .map(|i| {
            let (name, old) = (format!("{KUNSHAN}{i}"), token("alice", hours(1)));
            world.add(&name, &mock.url(), &old);
            (name, old)
        })
        .collect()
}

/// A config file that allows one request at a time (`concurrency = 1`).
fn one_at_a_time(world: &InProcess) -> std::path::PathBuf {
    let config = world.dir().join("one-at-a-time.toml");
    std::fs::write(&config, "concurrency = 1\n").unwrap();
    config
}

/// The line `output` printed about `name` (stdout or stderr).
fn line_about<'a>(output: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}: ");
    output
        .lines()
        .find(|l| l.starts_with(&prefix) || l.contains(&format!(" {prefix}")))
}

/// Two `renew --all` and the dashboard's `R` at once stalled 30 s per round and then failed
/// every renewal: each batch held the locks of the tokens it had renewed until its index
/// write, while waiting for the locks the others held. Three batches over the same six tokens,
/// each taking them in another order, must all finish well before that stall, every token
/// renewed exactly once and seen as fresh by the other two.
#[test]
fn three_batches_at_once_renew_each_token_once_without_stalling() {
    let (world, mock) = (InProcess::new(), Mock::start());
    let tokens = add_each(&world, &mock, 6);
    let names: Vec<String> = tokens.iter().map(|(n, _)| n.clone()).collect();
    // Every request takes a while, so the three batches overlap.
    mock.server.faults().set_delay(Duration::from_millis(200));
    // One request at a time, so a batch takes the locks of its first four tokens (its lock
    // work runs four renewals ahead) and the others' only as those finish.
    let config = one_at_a_time(&world);
    let backward: Vec<String> = names.iter().rev().cloned().collect();
    let rotated: Vec<String> = names[3..].iter().chain(&names[..3]).cloned().collect();

    let (world, config) = (&world, &config);
    let started = Instant::now();
    let outputs: Vec<Output> = std::thread::scope(|s| {
        let batches: Vec<_> = [names.clone(), backward, rotated]
            .into_iter()
            .map(|order| {
                s.spawn(move || {
                    world
                        .cmd()
                        .args(["renew", "--within", "2h", "--config"])
                        .arg(config)
                        .args(order)
                        .output()
                        .unwrap()
                })
            })
            .collect();
        batches.into_iter().map(|b| b.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();

    let said: Vec<String> = outputs
        .iter()
        .map(|o| format!("{}{}", text(&o.stdout), text(&o.stderr)))
        .collect();
    assert!(
        elapsed < NO_STALL,
        "took {elapsed:?}:\n{}",
        said.join("\n--\n")
    );
    for (output, said) in outputs.iter().zip(&said) {
        assert!(output.status.success(), "{:?}\n{said}", output.status);
    }
    assert_eq!(mock.server.renew_count(), names.len(), "{said:#?}");
    // Under each lock the index described the keyring: nobody saw another's save half-done.
    assert!(!said.iter().any(|s| s.contains("note:")), "{said:#?}");
    for (name, old) in &tokens {
        let lines: Vec<&str> = said.iter().filter_map(|s| line_about(s, name)).collect();
        let renewed = lines.iter().filter(|l| l.contains(": renewed")).count();
        let fresh = lines.iter().filter(|l| l.contains(": not due")).count();
        assert_eq!((renewed, fresh), (1, 2), "{name}: {lines:#?}");
        assert!(world.stored_raw(name) != old.expose(), "{name} not renewed");
    }
    assert!(world.rescue_files().is_empty());
}

/// The same token twice in one batch: the second renewal waited 30 s for the lock its own
/// batch held until its index write, then failed. Now it finds the token fresh at once.
#[test]
fn a_token_named_twice_in_one_batch_does_not_wait_for_itself() {
    let (world, mock) = (InProcess::new(), Mock::start());
    world.add(KUNSHAN, &mock.url(), &token("alice", hours(1)));
    let started = Instant::now();
    let output = world
        .cmd()
        .args(["renew", "--within", "2h", KUNSHAN, KUNSHAN])
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(
        started.elapsed() < NO_STALL,
        "took {:?}: {stderr}",
        started.elapsed()
    );
    assert!(output.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout.matches(": renewed").count(), 1, "{stdout}");
    assert_eq!(stdout.matches(": not due").count(), 1, "{stdout}");
    assert_eq!(mock.server.renew_count(), 1);
}

/// Once the keyring cannot save a renewed token (after its retries), a batch starts no more
/// renewals: each one would spend a token only to leave it in a rescue file. The renewed but
/// unsaved ones are rescued; the rest are reported as not attempted, with the reason.
#[test]
fn a_batch_stops_starting_renewals_once_the_keyring_cannot_save() {
    let (world, mock) = (InProcess::new(), Mock::start());
    let tokens = add_each(&world, &mock, 6);
    // One request at a time: at most the one in flight, and one sent while the first save was
    // still in its first try, can be spent before the batch knows the keyring fails.
    let config = one_at_a_time(&world);
    // Each request takes far longer than a failed write to the memory keyring, so the first
    // failure is known before a third request could start.
    mock.server.faults().set_delay(Duration::from_millis(200));
    world.token_backend().fail_all_sets(true);

    let output = world
        .cmd()
        .args(["renew", "--all", "--config"])
        .arg(&config)
        .output()
        .unwrap();

    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(NOT_SAVED), "{stderr}");
    let spent = mock.server.renew_count();
    assert!((1..=2).contains(&spent), "{spent} renewals sent\n{stderr}");
    assert_eq!(world.rescue_files().len(), spent, "{stderr}");
    let mut not_attempted = 0;
    for (name, old) in &tokens {
        assert!(world.stored_raw(name) == old.expose(), "{name} changed");
        let line = line_about(&stderr, name).unwrap_or_else(|| panic!("{name}: {stderr}"));
        if line.contains("not attempted") {
            assert!(
                line.contains("memory backend set to fail every write"),
                "{line}"
            );
            not_attempted += 1;
        } else {
            assert!(line.contains("could not be saved"), "{line}");
        }
    }
    assert_eq!(not_attempted, tokens.len() - spent, "{stderr}");
}
