//! The agent under a flood (issue 26, tests): 1,000 `token` requests from 50 clients at once,
//! with a client that sends half a line and stalls and one that never reads its replies among
//! them. Every request is answered with the stored token, within a time limit; a token that
//! is due is renewed once at the mock, however many ask for it at the same moment; the agent's
//! memory stays bounded.
//!
//! Most clients speak the protocol over raw `UnixStream`s (one connection for all their
//! requests, one by one or all sent at once, or a connection per request); two run the real
//! `actoken token` binary.

#![cfg(target_os = "linux")] // /proc/PID/status

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use actoken::mock::MockOptions;

use crate::support::agent::{Agent, remote_cmd};
use crate::support::{Env, Mock, hours, token};

const NAME: &str = "华东一区【昆山】";
const CLIENTS: usize = 50;
const PER_CLIENT: usize = 20;
/// Clients that run `actoken token` (a process per request); the others speak the protocol.
const BINARY_CLIENTS: usize = 2;
/// The whole flood, on a loaded 2-core CI machine with a debug build (it takes a few seconds).
const FLOOD_LIMIT: Duration = Duration::from_secs(120);
/// One answer (a binary client's: the whole process). Below the agent's 10 s limit for
/// writing a reply and its 30 s limit for reading a line: an answer that waited for the
/// client that never reads, or for the one that stalls mid-line, takes longer.
const ANSWER_LIMIT: Duration = Duration::from_secs(9);
/// How much the agent's resident memory may grow over the flood.
const RSS_GROWTH_LIMIT_KIB: u64 = 32 * 1024;
/// How much more it may grow over a second flood (nothing is kept per request).
const RSS_REGROWTH_LIMIT_KIB: u64 = 4 * 1024;

/// `token NAME` asking for 4 h: the stored token (3 h left: not due for the agent's own
/// passes, which renew within 2 h) is due for these, so the first request
/// renews it and every other waits for that renewal instead of making its own.
const REQUEST: &[u8] =
    "{\"version\":1,\"request\":\"token\",\"name\":\"华东一区【昆山】\",\"min_valid_s\":14400}\n"
        .as_bytes();

/// What one client saw: each request's token and how long its answer took.
type Answers = Result<Vec<(String, Duration)>, String>;

fn connect(socket: &Path) -> BufReader<UnixStream> {
    let stream = UnixStream::connect(socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    BufReader::new(stream)
}

/// The token of one reply line, or why it is not a token reply for NAME.
fn token_of(line: &str) -> Result<String, String> {
    let reply: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("{e}: {line:?}"))?;
    if reply["version"] != 1 || reply["reply"] != "token" || reply["name"] != NAME {
        return Err(format!("not a token reply for {NAME}: {reply}"));
    }
    reply["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no token in {reply}"))
}

fn read_token(stream: &mut BufReader<UnixStream>) -> Result<String, String> {
    let mut line = String::new();
    match stream.read_line(&mut line) {
        Ok(0) => Err("the agent closed the connection".into()),
        Ok(_) => token_of(&line),
        Err(e) => Err(format!("no answer: {e}")),
    }
}

/// Client `i`'s requests, the way its number says.
fn client(i: usize, socket: &Path, remote: &Path) -> Answers {
    let mut answers = Vec::with_capacity(PER_CLIENT);
    if i < BINARY_CLIENTS {
        for _ in 0..PER_CLIENT {
            let started = Instant::now();
            let out = remote_cmd(remote, socket)
                .args(["token", NAME, "--min-valid", "4h"])
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!(
                    "actoken token: {:?}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            let token = String::from_utf8_lossy(&out.stdout).trim_end().to_owned();
            answers.push((token, started.elapsed()));
        }
    } else if i.is_multiple_of(3) {
        // A connection per request.
        for _ in 0..PER_CLIENT {
            let started = Instant::now();
            let mut stream = connect(socket);
            stream
                .get_mut()
                .write_all(REQUEST)
                .map_err(|e| e.to_string())?;
            answers.push((read_token(&mut stream)?, started.elapsed()));
        }
    } else if i % 3 == 1 {
        // One connection, one request after another.
        let mut stream = connect(socket);
        for _ in 0..PER_CLIENT {
            let started = Instant::now();
            stream
                .get_mut()
                .write_all(REQUEST)
                .map_err(|e| e.to_string())?;
            answers.push((read_token(&mut stream)?, started.elapsed()));
        }
    } else {
        // One connection, every request sent at once, then the answers read.
        let started = Instant::now();
        let mut stream = connect(socket);
        stream
            .get_mut()
            .write_all(&REQUEST.repeat(PER_CLIENT))
            .map_err(|e| e.to_string())?;
        for _ in 0..PER_CLIENT {
            answers.push((read_token(&mut stream)?, started.elapsed()));
        }
    }
    Ok(answers)
}

/// The agent's resident memory (VmRSS, KiB).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in {status}"))
}

/// Connects and sends `token` requests without ever reading a reply, until the agent stops
/// reading them (its replies fill the socket): the agent is then stuck writing to it.
fn never_reads(socket: &Path) -> UnixStream {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let line =
        "{\"version\":1,\"request\":\"token\",\"name\":\"华东一区【昆山】\",\"min_valid_s\":0}\n";
    let started = Instant::now();
    let mut sent = 0;
    while stream.write_all(line.as_bytes()).is_ok() {
        sent += 1;
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the agent read {sent} requests in 60 s without their replies being read"
        );
    }
    stream
}

/// One flood: [`CLIENTS`] clients of [`PER_CLIENT`] requests each, at once. Panics (with the
/// agent's log) when they are not all answered within [`FLOOD_LIMIT`], or one answer took
/// [`ANSWER_LIMIT`] or longer.
fn flood(agent: &Agent, socket: &Path, remote: &Path) -> Flood {
    let (done, answers) = mpsc::channel::<(usize, Answers)>();
    let started = Instant::now();
    for i in 0..CLIENTS {
        let (done, socket, remote) = (done.clone(), socket.to_owned(), remote.to_owned());
        std::thread::spawn(move || {
            let _ = done.send((i, client(i, &socket, &remote)));
        });
    }
    let mut tokens = Vec::with_capacity(CLIENTS * PER_CLIENT);
    let mut slowest = Duration::ZERO;
    for finished in 0..CLIENTS {
        let left = FLOOD_LIMIT.saturating_sub(started.elapsed());
        let (i, answered) = answers.recv_timeout(left).unwrap_or_else(|_| {
            panic!(
                "the flood stalled: {finished} of {CLIENTS} clients answered in {:?}; agent log:\n{}",
                started.elapsed(),
                agent.log().join("\n")
            )
        });
        let answered = answered.unwrap_or_else(|e| panic!("client {i}: {e}"));
        assert_eq!(answered.len(), PER_CLIENT, "client {i}");
        for (token, took) in answered {
            slowest = slowest.max(took);
            tokens.push(token);
        }
    }
    let took = started.elapsed();
    assert!(
        slowest < ANSWER_LIMIT,
        "an answer took {slowest:?} (the flood {took:?}): one connection stalled others"
    );
    Flood {
        tokens,
        took,
        slowest,
    }
}

struct Flood {
    tokens: Vec<String>,
    took: Duration,
    slowest: Duration,
}

#[test]
fn a_flood_of_1000_token_requests_is_answered_with_one_renewal_and_bounded_memory() {
    need_store!();
    let env = Env::new();
    // The renewal takes a while: the requests that find the token due meanwhile wait for it.
    let mock = Mock::start_with(MockOptions {
        delay: Duration::from_millis(300),
        ..MockOptions::default()
    });
    let due = token("alice", hours(3));
    env.add(NAME, &mock.url(), &due);
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let socket: PathBuf = agent.socket.clone();
    let pid = agent.child.id();
    let remote = tempfile::tempdir().unwrap();
    // Warm: the agent has answered once (its runtime and store are up) before it is measured.
    let mut warm = connect(&socket);
    warm.get_mut()
        .write_all(b"{\"version\":1,\"request\":\"list\"}\n")
        .unwrap();
    let mut line = String::new();
    warm.read_line(&mut line).unwrap();
    assert!(line.contains("\"reply\":\"list\""), "{line}");
    drop(warm);
    let rss_before = rss_kib(pid);

    // The slow one: half a request line, then nothing.
    let mut slow = UnixStream::connect(&socket).unwrap();
    let slow_since = Instant::now();
    slow.write_all(&REQUEST[..REQUEST.len() / 2]).unwrap();
    // The one that never reads: the agent is left writing to it.
    let deaf = never_reads(&socket);
    assert_eq!(mock.server.renew_count(), 0, "min_valid_s 0 renewed");

    let first = flood(&agent, &socket, remote.path());
    let rss_first = rss_kib(pid);
    let tokens = &first.tokens;
    assert_eq!(tokens.len(), 1000);
    let stored = env.stored_raw(NAME);
    assert_ne!(stored, due.expose(), "the due token was not renewed");
    let wrong = tokens.iter().filter(|t| **t != stored).count();
    assert_eq!(
        wrong, 0,
        "{wrong} of 1000 answers were not the stored token"
    );
    assert_eq!(
        mock.server.renew_count(),
        1,
        "concurrent requests for one due token renewed it more than once"
    );

    // The stalled ones held only their own connections. The half line is never answered;
    // the agent may have closed it, but only after its 30 s limit for a line.
    slow.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut byte = [0u8; 1];
    match std::io::Read::read(&mut slow, &mut byte) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok(0) if slow_since.elapsed() >= Duration::from_secs(30) => {}
        other => panic!(
            "the half-sent request: {other:?} after {:?}",
            slow_since.elapsed()
        ),
    }
    drop((slow, deaf));

    // A second flood on the fresh token: what the first one left in memory (threads of the
    // blocking pool, the allocator's arenas) is reused, not added to again.
    let second = flood(&agent, &socket, remote.path());
    assert!(second.tokens.iter().all(|t| *t == stored));
    assert_eq!(mock.server.renew_count(), 1);
    let rss_second = rss_kib(pid);
    eprintln!(
        "flood: 1000 token requests from {CLIENTS} clients in {:?} (slowest answer {:?}), \
         again in {:?} (slowest {:?}); agent VmRSS {rss_before} KiB before, {rss_first} KiB \
         after the first, {rss_second} KiB after the second",
        first.took, first.slowest, second.took, second.slowest
    );
    assert!(
        rss_first <= rss_before + RSS_GROWTH_LIMIT_KIB,
        "the agent's memory grew from {rss_before} KiB to {rss_first} KiB over the flood"
    );
    assert!(
        rss_second <= rss_first + RSS_REGROWTH_LIMIT_KIB,
        "the agent's memory grew again from {rss_first} KiB to {rss_second} KiB over a second flood"
    );
    // One log line per request (the flood's and the deaf client's), none with the token.
    let token_lines = || {
        agent
            .log()
            .iter()
            .filter(|l| l.contains(&format!("token {NAME} from uid ")))
            .count()
    };
    let logged = Instant::now();
    while token_lines() < 1000 && logged.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        token_lines() >= 1000,
        "{} token lines in the log",
        token_lines()
    );
    assert!(!agent.log().iter().any(|l| l.contains(&stored)));
}
