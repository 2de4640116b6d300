//! What stands between a client and a token on the agent's side: confirm (a person allows a
//! request once or for 30 minutes, or denies it, at a `follow` connection as the dashboard
//! does or at the agent's own terminal; nobody answering in time denies it), and the lock.
//! The real binary as the agent; clients on a "remote" side that only the agent can answer.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Output;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::agent::{Agent, remote_cmd};
use crate::support::{Env, Mock, hours, token};
use crate::tui_e2e::Tmux;

const NAME: &str = "华东一区【昆山】";
const OTHER: &str = "华北一区【北京】";

/// A connection that follows the agent's events and answers its approvals, as the dashboard.
struct Follower {
    stream: BufReader<UnixStream>,
    /// Events read while waiting for a reply.
    backlog: VecDeque<serde_json::Value>,
}

impl Follower {
    fn start(agent: &Agent) -> Follower {
        let stream = UnixStream::connect(&agent.socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut follower = Follower {
            stream: BufReader::new(stream),
            backlog: VecDeque::new(),
        };
        follower.send("{\"version\":1,\"request\":\"follow\"}\n");
        assert_eq!(follower.reply()["reply"], "done");
        follower
    }

    fn send(&mut self, line: &str) {
        self.stream.get_mut().write_all(line.as_bytes()).unwrap();
    }

    /// The next line (failing after 20 s).
    fn line(&mut self) -> serde_json::Value {
        let mut line = String::new();
        let read = self.stream.read_line(&mut line);
        assert!(
            read.is_ok_and(|n| n > 0),
            "no line from the agent: {line:?}"
        );
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }

    /// The next reply that is not an event (the events before it are kept for later).
    fn reply(&mut self) -> serde_json::Value {
        loop {
            let line = self.line();
            if line["reply"] != "event" {
                return line;
            }
            self.backlog.push_back(line);
        }
    }

    fn event(&mut self) -> serde_json::Value {
        self.backlog.pop_front().unwrap_or_else(|| self.line())
    }

    /// The next `pending` event (the others before it are passed over).
    fn pending(&mut self) -> serde_json::Value {
        loop {
            let event = self.event();
            if event["event"] == "pending" {
                return event;
            }
        }
    }

    /// The next `settled` event's decision.
    fn settled(&mut self, id: &serde_json::Value) -> String {
        loop {
            let event = self.event();
            if event["event"] == "settled" && &event["id"] == id {
                return event["decision"].as_str().unwrap().to_owned();
            }
        }
    }

    /// Answers approval `id`; the agent says `done`.
    fn decide(&mut self, id: &serde_json::Value, decision: &str) {
        self.send(&format!(
            "{{\"version\":1,\"request\":\"decide\",\"id\":{id},\"decision\":\"{decision}\"}}\n"
        ));
        let reply = self.reply();
        assert_eq!(reply["reply"], "done", "{reply}");
    }

    /// The events up to the `served` one for a token request; none of them may be `pending`.
    fn served_without_asking(&mut self) -> serde_json::Value {
        loop {
            let event = self.event();
            assert_ne!(event["event"], "pending", "asked again: {event}");
            if event["event"] == "served" && event["request"] == "token" {
                return event;
            }
        }
    }
}

/// `actoken token NAME` on the remote side, on a thread (it waits for an approval).
fn ask_token(remote: &Path, agent: &Agent, name: &str) -> JoinHandle<Output> {
    let (remote, socket, name) = (remote.to_owned(), agent.socket.clone(), name.to_owned());
    std::thread::spawn(move || {
        remote_cmd(&remote, &socket)
            .args(["token", &name])
            .output()
            .unwrap()
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The agent's `hello`, asked by hand.
fn hello(agent: &Agent) -> serde_json::Value {
    let mut stream = UnixStream::connect(&agent.socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(b"{\"version\":1,\"request\":\"hello\"}\n")
        .unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    serde_json::from_str(&line).unwrap()
}

#[test]
fn confirm_at_a_follower_denies_allows_once_and_allows_for_30_min() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let stored = token("alice", hours(5));
    env.add(NAME, &mock.url(), &stored);
    let args = ["--confirm", "--confirm-timeout", "60s", "--interval", "1h"];
    let agent = Agent::start(&env, &args);
    assert_eq!(hello(&agent)["confirm"], true);
    let remote = tempfile::tempdir().unwrap();
    let mut dashboard = Follower::start(&agent);

    // Denied: the client says so and exits 3; nothing on stdout.
    let client = ask_token(remote.path(), &agent, NAME);
    let pending = dashboard.pending();
    assert_eq!(pending["name"], NAME);
    assert_eq!(pending["forwarded"], false);
    assert!(pending["pid"].is_number(), "{pending}");
    assert!(
        pending["exe"].as_str().unwrap().ends_with("actoken"),
        "{pending}"
    );
    assert!(pending["deadline"].is_string(), "{pending}");
    dashboard.decide(&pending["id"], "deny");
    assert_eq!(dashboard.settled(&pending["id"]), "deny");
    let out = client.join().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let said = stderr(&out);
    assert!(said.contains("did not hand over the token"), "{said}");
    assert!(
        said.contains(&format!("{NAME}: denied by a person")),
        "{said}"
    );

    // Allowed once: handed over; the next request is asked about again.
    let client = ask_token(remote.path(), &agent, NAME);
    let once = dashboard.pending();
    dashboard.decide(&once["id"], "once");
    let out = client.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", stored.expose())
    );

    let client = ask_token(remote.path(), &agent, NAME);
    let again = dashboard.pending();
    assert_ne!(again["id"], once["id"]);
    dashboard.decide(&again["id"], "for_30_min");
    assert!(client.join().unwrap().status.success());
    assert_eq!(dashboard.settled(&again["id"]), "for_30_min");

    // Within 30 minutes: served without asking.
    let out = ask_token(remote.path(), &agent, NAME).join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let served = dashboard.served_without_asking();
    assert_eq!(
        (&served["name"], &served["answer"]),
        (&NAME.into(), &"ok".into())
    );

    // A dashboard that comes now starts with the recent requests, the denial among them.
    let mut late = Follower::start(&agent);
    let mut answers = Vec::new();
    while answers.len() < 4 {
        let event = late.event();
        if event["event"] == "served" && event["request"] == "token" {
            answers.push(event["answer"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(answers, ["denied", "ok", "ok", "ok"]);

    // The log says who answered what, never the token.
    agent.wait_for("(local): denied, by uid ");
    agent.wait_for("(local): allowed for 30 min, by uid ");
    assert!(!agent.log().iter().any(|l| l.contains(stored.expose())));
}

#[test]
fn nobody_answering_in_time_or_nobody_able_to_answer_is_a_denial() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    env.add(NAME, &mock.url(), &token("alice", hours(5)));
    env.add(OTHER, &mock.url(), &token("bob", hours(5)));
    // Confirm for one token only, from the config.
    env.write_config(&format!("[agent]\nconfirm-tokens = [\"{NAME}\"]\n"));
    let args = ["--confirm-timeout", "2s", "--interval", "1h"];
    let agent = Agent::start(&env, &args);
    assert_eq!(hello(&agent)["confirm"], true);
    let remote = tempfile::tempdir().unwrap();

    // The other token is not held.
    let out = ask_token(remote.path(), &agent, OTHER).join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    // No terminal, no dashboard: denied at once, saying why.
    let started = Instant::now();
    let out = ask_token(remote.path(), &agent, NAME).join().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nobody can answer"),
        "{}",
        stderr(&out)
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it waited for nobody"
    );

    // A dashboard that does not answer: denied when the 2 s are up.
    let mut dashboard = Follower::start(&agent);
    let client = ask_token(remote.path(), &agent, NAME);
    let pending = dashboard.pending();
    assert_eq!(dashboard.settled(&pending["id"]), "deny");
    let out = client.join().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("{NAME}: nobody answered within 2 s")),
        "{said}"
    );
    agent.wait_for("denied, nobody answered in time");
}

#[test]
fn lock_refuses_tokens_and_a_wrong_passphrase_until_unlocked() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let stored = token("alice", hours(5));
    env.add(NAME, &mock.url(), &stored);
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let remote = tempfile::tempdir().unwrap();
    let passphrase = "华东 correct horse\n";

    let out = remote_cmd(remote.path(), &agent.socket)
        .args(["agent", "lock"])
        .write_stdin(passphrase)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("is locked"), "{}", stderr(&out));
    assert_eq!(hello(&agent)["locked"], true);

    let out = ask_token(remote.path(), &agent, NAME).join().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let said = stderr(&out);
    assert!(
        said.contains("is locked") && said.contains("actoken agent unlock"),
        "{said}"
    );

    let out = remote_cmd(remote.path(), &agent.socket)
        .args(["agent", "unlock"])
        .write_stdin("correct horse\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );
    assert_eq!(hello(&agent)["locked"], true);

    let out = remote_cmd(remote.path(), &agent.socket)
        .args(["agent", "unlock"])
        .write_stdin(passphrase)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("is unlocked"), "{}", stderr(&out));
    assert_eq!(hello(&agent)["locked"], false);

    let out = ask_token(remote.path(), &agent, NAME).join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", stored.expose())
    );
    // The passphrase is in no log line.
    assert!(!agent.log().iter().any(|l| l.contains("horse")));
}

#[test]
fn the_agent_s_terminal_allows_and_denies_held_requests() {
    need_store!();
    let (env, mock) = (Env::new(), Mock::start());
    let stored = token("alice", hours(5));
    env.add(NAME, &mock.url(), &stored);
    let socket = env.dir.path().join("agent").join("agent.sock");
    // The agent in a terminal of its own, with the Env's environment.
    let script = env.dir.path().join("agent.sh");
    let mut text = String::from("#!/bin/sh\n");
    for (key, value) in env.std_cmd().get_envs() {
        let key = key.to_string_lossy();
        match value {
            Some(value) => text.push_str(&format!("export {key}='{}'\n", value.to_string_lossy())),
            None => text.push_str(&format!("unset {key}\n")),
        }
    }
    text.push_str(&format!(
        "unset ACTOKEN_AGENT_SOCK JOURNAL_STREAM\nexec {} agent --socket '{}' --allow-root --confirm --confirm-timeout 60s --interval 1h\n",
        env!("CARGO_BIN_EXE_actoken"),
        socket.display()
    ));
    std::fs::write(&script, text).unwrap();
    let Some(tmux) = Tmux::start(&format!("sh '{}'", script.display())) else {
        return;
    };
    tmux.wait_for("the agent to listen", |s| s.contains("agent listening on"));
    let remote = tempfile::tempdir().unwrap();
    let agent_socket = |remote: &Path| {
        let mut cmd = remote_cmd(remote, &socket);
        cmd.args(["token", NAME]);
        cmd
    };

    let client = {
        let remote = remote.path().to_owned();
        let mut cmd = agent_socket(&remote);
        std::thread::spawn(move || cmd.output().unwrap())
    };
    tmux.wait_for("the question", |s| {
        // Joined again where the terminal wrapped it (the executable's path is long).
        let s = s.replace('\n', "");
        s.contains(&format!("{NAME} requested by pid"))
            && s.contains("(local) — allow [o]nce, for [3]0 min, [d]eny?")
    });
    tmux.keys("o");
    let out = client.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", stored.expose())
    );
    // The screen is 120 columns: a line naming a long executable's path wraps anywhere.
    tmux.wait_for("the answer shown", |s| {
        s.replace('\n', "").contains("allowed once")
    });

    // A key typed before a question does not answer it; one typed while it is shown does.
    tmux.keys("o");
    let client = {
        let remote = remote.path().to_owned();
        let mut cmd = agent_socket(&remote);
        std::thread::spawn(move || cmd.output().unwrap())
    };
    tmux.wait_for("the second question", |s| {
        s.replace('\n', "").matches("requested by pid").count() == 2
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !client.is_finished(),
        "a key typed ahead answered the question"
    );
    tmux.keys("d");
    let out = client.join().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("denied by a person"),
        "{}",
        stderr(&out)
    );
    tmux.wait_for("the denial shown", |s| {
        s.replace('\n', "").contains("denied")
    });
}
