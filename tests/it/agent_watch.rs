//! `actoken watch` as a service manager and cron run it: the real binary, a real Secret
//! Service (skipped with a message where none runs) and the mock AC server on loopback.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actoken::mock::{MintSpec, mint};
use jiff::{SignedDuration, Timestamp};
use predicates::prelude::*;

use crate::support::{Env, Mock, hours, token};

/// A running `actoken watch` whose stderr lines are collected as they come.
struct Watch {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Watch {
    fn start(env: &Env, args: &[&str]) -> Watch {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("actoken"))
            .env("XDG_CONFIG_HOME", env.dir.path().join("config"))
            .env("XDG_STATE_HOME", env.dir.path().join("state"))
            .env("ACTOKEN_KEYRING_SERVICE", &env.service)
            .env_remove("ACTOKEN_LOG")
            .env_remove("JOURNAL_STREAM")
            .arg("watch")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (stderr, sink) = (child.stderr.take().unwrap(), lines.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Watch { child, lines }
    }

    /// Waits (up to 30 s) for a line containing `text`.
    fn wait_for(&self, text: &str) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if self.lines.lock().unwrap().iter().any(|l| l.contains(text)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no line with {text:?} in {:#?}", self.lines.lock().unwrap());
    }

    fn count(&self, text: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(text))
            .count()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn once_renews_what_is_due_leaves_fresh_tokens_alone_and_exits_with_the_worst_code() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let (due, fresh) = (
        token("alice", SignedDuration::from_mins(30)),
        token("bob", hours(5)),
    );
    env.add("hpc-due", &mock.url(), &due);
    env.add("hpc-fresh", &mock.url(), &fresh);
    env.cmd()
        .args(["watch", "--once"])
        .assert()
        .success()
        .stderr(predicate::str::contains("hpc-due: renewed"))
        .stderr(predicate::str::contains("hpc-fresh").not());
    assert_ne!(env.stored_raw("hpc-due"), due.expose());
    assert_eq!(env.stored_raw("hpc-fresh"), fresh.expose());
    assert_eq!(mock.server.renew_count(), 1);
    // Nothing due any more: a quiet pass.
    env.cmd()
        .args(["watch", "--once"])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());

    // A dead token without a remembered key needs a login (3); a server error is 4; the worst wins.
    let dead = mint(&MintSpec::new(
        "carol",
        "11250",
        Timestamp::now() - hours(30),
    ));
    env.add("carol-dead", &mock.url(), &dead);
    env.cmd()
        .args(["watch", "--once"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("actoken login --user carol"));
    // The watch log is English whatever the language (journald and cron mail are searched).
    env.cmd()
        .env("ACTOKEN_LANG", "zh-CN")
        .args(["watch", "--once"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "carol-dead: the token expired 1d 6h ago, past its renew cutoff",
        ))
        .stderr(predicate::str::contains("next try in "));
    env.cmd().args(["rm", "carol-dead"]).assert().success();
    env.add(
        "hpc-due2",
        &mock.url(),
        &token("dave", SignedDuration::from_mins(10)),
    );
    mock.server.faults().set(actoken::mock::Fault::Http(503));
    env.cmd().args(["watch", "--once"]).assert().code(4);
    assert_eq!(mock.server.renew_count(), 1);
}

#[test]
fn foreground_watch_picks_up_new_tokens_backs_off_and_stops_cleanly_mid_renewal() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let fresh = token("bob", hours(5));
    env.add("hpc-fresh", &mock.url(), &fresh);
    let mut watch = Watch::start(&env, &["--interval", "1s"]);
    watch.wait_for("watching the tokens in");

    // Added by another process while watch runs: noticed on the next pass.
    let due = token("alice", SignedDuration::from_mins(30));
    env.add("hpc-added", &mock.url(), &due);
    watch.wait_for("hpc-added: renewed");
    assert_ne!(env.stored_raw("hpc-added"), due.expose());

    // A failing token backs off: one failure line, not one per pass.
    mock.server.faults().set(actoken::mock::Fault::Http(503));
    env.add(
        "hpc-failing",
        &mock.url(),
        &token("carol", SignedDuration::from_mins(20)),
    );
    watch.wait_for("hpc-failing");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        watch.count("hpc-failing"),
        1,
        "{:#?}",
        watch.lines.lock().unwrap()
    );
    assert!(
        watch
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("next try in 1m"))
    );
    mock.server.faults().clear();

    // SIGTERM while a slow renewal is in flight: it finishes and is saved, then exit 0.
    mock.server.faults().set_delay(Duration::from_secs(4));
    let slow = token("dave", SignedDuration::from_mins(15));
    env.add("hpc-slow", &mock.url(), &slow);
    std::thread::sleep(Duration::from_millis(2500));
    let status = watch.terminate();
    assert_eq!(status.code(), Some(0), "{:#?}", watch.lines.lock().unwrap());
    std::thread::sleep(Duration::from_millis(200));
    let lines = watch.lines.lock().unwrap().clone();
    let finishing = lines
        .iter()
        .position(|l| l.contains("finishing the renewals in flight"));
    let renewed = lines.iter().position(|l| l.contains("hpc-slow: renewed"));
    assert!(finishing.is_some() && renewed > finishing, "{lines:#?}");
    assert!(
        lines.last().unwrap().contains("SIGTERM: stopped"),
        "{lines:#?}"
    );
    assert_ne!(env.stored_raw("hpc-slow"), slow.expose());
    assert!(
        actoken::token::Token::from_raw(&env.stored_raw("hpc-slow"))
            .decode()
            .unwrap()
            .claims
            .expire_time
            .unwrap()
            > Timestamp::now() + hours(23)
    );
    assert_eq!(env.stored_raw("hpc-fresh"), fresh.expose());
}

#[test]
fn idle_watch_stops_at_once_on_sigint() {
    need_store!();
    let env = Env::new();
    let mut watch = Watch::start(&env, &["--interval", "1h"]);
    watch.wait_for("watching the tokens in");
    let pid = watch.child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert_eq!(watch.child.wait().unwrap().code(), Some(0));
    watch.wait_for("SIGINT: stopped");
}

#[test]
fn install_writes_a_unit_refuses_to_clobber_an_edited_one_and_verifies() {
    let env = Env::new();
    let config = env.dir.path().join("config");
    let unit = config.join("systemd/user/actoken-watch.service");
    let install = |extra: &[&str]| env.cmd().args(["watch", "--install"]).args(extra).assert();
    install(&[]).success().stdout(predicate::str::contains(
        "systemctl --user enable --now actoken-watch.service",
    ));
    let text = std::fs::read_to_string(&unit).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("actoken");
    assert!(
        text.contains(&format!("ExecStart=\"{}\" watch\n", exe.display())),
        "{text}"
    );
    assert!(text.contains(&format!(
        "Environment=\"ACTOKEN_KEYRING_SERVICE={}\"",
        env.service
    )));
    install(&[])
        .success()
        .stdout(predicate::str::contains("already installed"));

    std::fs::write(&unit, format!("{text}# my change\n")).unwrap();
    install(&[])
        .code(1)
        .stderr(predicate::str::contains("--force"));
    assert!(
        std::fs::read_to_string(&unit)
            .unwrap()
            .ends_with("# my change\n")
    );
    install(&["--force"]).success();
    assert_eq!(std::fs::read_to_string(&unit).unwrap(), text);
    env.cmd().args(["watch", "--force"]).assert().code(2);

    // systemd's own checker, where it is installed (not in CI's image). `--user` looks up
    // the user manager's runtime directory, which a server without a login session lacks:
    // a private one lets it verify the file with no manager running.
    let runtime_dir = env.dir.path().join("run");
    std::fs::create_dir_all(&runtime_dir).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    match std::process::Command::new("systemd-analyze")
        .args(["--user", "verify"])
        .arg(&unit)
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .output()
    {
        Ok(out) => assert!(out.status.success() && out.stderr.is_empty(), "{out:?}"),
        Err(_) => eprintln!("SKIPPED systemd verification: systemd-analyze is not installed"),
    }
}

/// `watch --sink` in-process (memory stores): the files a job on a shared file system reads
/// follow each pass's renewals and the store's removals; a directory others can read is
/// refused, not fixed.
#[cfg(unix)]
#[test]
fn sink_files_follow_renewals_and_removals() {
    use std::os::unix::fs::PermissionsExt;
    let (world, mock) = (crate::support::in_process::InProcess::new(), Mock::start());
    let (alice, kunshan) = ("alice/华东一区【昆山】", "华东一区【昆山】");
    let due = token("alice", SignedDuration::from_mins(30));
    let fresh = token("bob", hours(5));
    world.add(alice, &mock.url(), &due);
    world.add(kunshan, &mock.url(), &fresh);
    let sink = world.dir().join("scratch/tokens");
    let watch_once = || {
        world
            .cmd()
            .args(["watch", "--once", "--sink"])
            .arg(&sink)
            .assert()
    };
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let read = |file: &str| std::fs::read_to_string(sink.join(file)).unwrap();
    let sidecar = |file: &str| serde_json::from_str::<serde_json::Value>(&read(file)).unwrap();

    watch_once().success();
    assert_eq!(mock.server.renew_count(), 1);
    // The due token was renewed: its file holds the new one, which is what the store holds.
    let held = read("alice%2F华东一区【昆山】.token");
    assert_ne!(held, due.expose());
    assert_eq!(held, world.stored_raw(alice));
    let expiry = actoken::token::Token::from_raw(&held)
        .decode()
        .unwrap()
        .claims
        .expire_time
        .unwrap();
    let facts = sidecar("alice%2F华东一区【昆山】.json");
    assert_eq!(facts["name"], alice);
    assert_eq!(facts["token_file"], "alice%2F华东一区【昆山】.token");
    assert_eq!(facts["base_url"], mock.url());
    let expires_at: Timestamp = facts["expires_at"].as_str().unwrap().parse().unwrap();
    let cutoff: Timestamp = facts["renew_cutoff"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires_at, expiry);
    assert_eq!(cutoff, expiry + hours(24));
    // The fresh one is there as it is.
    assert_eq!(read("华东一区【昆山】.token"), fresh.expose());
    assert_eq!(mode(&sink), 0o700);
    for file in ["alice%2F华东一区【昆山】.token", "华东一区【昆山】.json"] {
        assert_eq!(mode(&sink.join(file)), 0o600, "{file}");
    }

    // Removed from the store: its files go at the next pass; the other token's stay.
    world.cmd().args(["rm", alice]).assert().success();
    watch_once().success();
    assert!(!sink.join("alice%2F华东一区【昆山】.token").exists());
    assert!(!sink.join("alice%2F华东一区【昆山】.json").exists());
    assert_eq!(read("华东一区【昆山】.token"), fresh.expose());

    // A directory others can read: refused, left as it was, nothing renewed or written.
    let open = world.dir().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    world
        .cmd()
        .args(["watch", "--once", "--sink"])
        .arg(&open)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "can be read by other users (mode 0755)",
        ))
        .stderr(predicate::str::contains(format!(
            "chmod 700 {}",
            open.display()
        )));
    assert_eq!(mode(&open), 0o755);
    assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0);
}
