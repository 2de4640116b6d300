//! The dashboard's runtime against a fake agent on a Unix socket in a temporary directory: the
//! follow task receives the agent's events (and finds it again when it comes back), a key in
//! the approval dialog reaches the agent as `decide`, and the agent's `settled` closes it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc};
use tokio::task::{JoinHandle, JoinSet};

use super::Services;
use super::agent::{Backoff, spawn};
use super::effects::Executor;
use crate::agent::protocol::{Decision, Envelope, ErrorKind, Event, Reply, Request};
use crate::api::{AcClient, ClientOptions};
use crate::clipboard::Clipboard;
use crate::config::{Config, Paths};
use crate::dashboard::app::approval::ARMING;
use crate::dashboard::app::{Action, AgentNews, App, Effect, Mode, update};
use crate::login::Relogin;
use crate::renew::Renewer;
use crate::store::{AccountKeys, MemoryBackend, Store};

const KUNSHAN: &str = "华东一区【昆山】";
/// Every wait here fails loudly after this.
const LIMIT: Duration = Duration::from_secs(10);
/// Tries again within milliseconds, but only once a minute after a refusal.
const FAST: Backoff = Backoff {
    first: Duration::from_millis(20),
    max: Duration::from_millis(100),
    refused: Duration::from_secs(60),
};

/// A stand-in for `actoken agent`: answers `follow` with `done`, its history and then every
/// event it is given; answers `decide` for a request it holds with `done` (and a `settled`
/// to its followers), else with an error.
struct FakeAgent {
    path: PathBuf,
    task: JoinHandle<()>,
    events: broadcast::Sender<Event>,
    decided: mpsc::UnboundedReceiver<(u64, Decision)>,
}

impl FakeAgent {
    fn start(path: &Path, history: Vec<Event>) -> FakeAgent {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).unwrap();
        let (events, _) = broadcast::channel(64);
        let (decided_tx, decided) = mpsc::unbounded_channel();
        let shared = events.clone();
        let task = tokio::spawn(async move {
            // Dropped with the task: every connection ends with it.
            let mut connections = JoinSet::new();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let history = history.clone();
                let events = shared.clone();
                let decided = decided_tx.clone();
                connections.spawn(serve(stream, history, events, decided));
            }
        });
        FakeAgent {
            path: path.to_owned(),
            task,
            events,
            decided,
        }
    }

    fn send(&self, event: Event) {
        self.events.send(event).unwrap();
    }

    async fn decided(&mut self) -> (u64, Decision) {
        tokio::time::timeout(LIMIT, self.decided.recv())
            .await
            .expect("no decide reached the agent")
            .unwrap()
    }

    /// The agent stops: its connections close, its socket file stays (as after a crash).
    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
        assert!(self.path.exists());
    }
}

async fn serve(
    stream: UnixStream,
    history: Vec<Event>,
    events: broadcast::Sender<Event>,
    decided: mpsc::UnboundedSender<(u64, Decision)>,
) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let Ok(Some(line)) = lines.next_line().await else {
        return;
    };
    let mut say = async |reply: Reply| {
        let _ = write.write_all(Envelope::line(reply).as_bytes()).await;
    };
    match crate::agent::protocol::parse_request(line.as_bytes()) {
        Ok(Request::Follow) => {
            let mut live = events.subscribe();
            say(Reply::Done).await;
            for event in history {
                say(Reply::Event(event)).await;
            }
            while let Ok(event) = live.recv().await {
                say(Reply::Event(event)).await;
            }
        }
        Ok(Request::Decide { id, decision }) => {
            let held = history
                .iter()
                .any(|e| matches!(e, Event::Pending { id: held, .. } if *held == id));
            if held {
                decided.send((id, decision)).unwrap();
                say(Reply::Done).await;
                let _ = events.send(Event::Settled { id, decision });
            } else {
                let message = format!("no request {id} is waiting");
                let kind = ErrorKind::Failure;
                say(Reply::Error { kind, message }).await;
            }
        }
        other => panic!("the dashboard asked {other:?}"),
    }
}

fn services(dir: &Path, agent: Option<PathBuf>) -> Services {
    let backend = Arc::new(MemoryBackend::new());
    let store = Store::open(&Paths::under(dir), backend.clone()).unwrap();
    let client = AcClient::new(&ClientOptions::default()).unwrap();
    Services {
        renewer: Renewer::new(store.clone(), client.clone(), &Config::default()),
        store,
        client,
        keys: AccountKeys::new(backend.clone()),
        relogin: Relogin::new(AccountKeys::new(backend)),
        clock: crate::clock::Clock::system(),
        agent,
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Action>) -> Action {
    tokio::time::timeout(LIMIT, rx.recv())
        .await
        .expect("no action within the limit")
        .expect("the channel closed")
}

async fn next_news(rx: &mut mpsc::UnboundedReceiver<Action>) -> AgentNews {
    match next(rx).await {
        Action::Agent(news) => news,
        other => panic!("expected news of the agent, got {other:?}"),
    }
}

fn pending_event(id: u64) -> Event {
    let deadline = Timestamp::now() + SignedDuration::from_secs(60);
    Event::Pending {
        id,
        name: KUNSHAN.into(),
        pid: Some(4242),
        exe: Some("/usr/bin/ssh".into()),
        forwarded: true,
        deadline: deadline.to_string(),
    }
}

fn served_event(answer: &str) -> Event {
    Event::Served {
        at: Timestamp::now().to_string(),
        request: "token".into(),
        name: Some(KUNSHAN.into()),
        pid: Some(31),
        exe: Some("/usr/bin/python3".into()),
        forwarded: false,
        answer: answer.into(),
    }
}

/// The whole round: follow, the dialog, the key, `decide` on its own connection, `settled`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_follows_the_agent_and_answers_its_request() {
    let _watchdog = crate::watchdog::arm();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.sock");
    let mut agent = FakeAgent::start(&path, vec![served_event("ok"), pending_event(7)]);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let clipboard = Clipboard::osc52(false, Box::new(std::io::sink()));
    let mut executor = Executor::new(services(dir.path(), Some(path.clone())), tx, clipboard);
    let mut app = App::new(&Config::default(), jiff::tz::TimeZone::UTC, false, true);
    executor.follow_agent().expect("an agent is looked for");

    let feed = async |app: &mut App, rx: &mut mpsc::UnboundedReceiver<Action>| {
        let action = next(rx).await;
        let seen = format!("{action:?}");
        assert!(update(app, action, Timestamp::now()).is_empty(), "{seen}");
        seen
    };
    for _ in 0..3 {
        feed(&mut app, &mut rx).await;
    }
    assert!(app.agent.panel_visible());
    assert_eq!(app.agent.served.len(), 1);
    assert!(
        matches!(&app.mode, Mode::Approval(a) if a.id == 7),
        "{:?}",
        app.mode
    );

    // `a` once the dialog is armed: allow for 30 minutes.
    let key = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('a'));
    let later = Timestamp::now() + ARMING;
    let effects = update(&mut app, Action::Key(key), later);
    assert_eq!(
        effects,
        vec![Effect::Decide {
            id: 7,
            decision: Decision::For30Min
        }]
    );
    for effect in effects {
        assert!(executor.run(effect));
    }
    assert_eq!(agent.decided().await, (7, Decision::For30Min));
    // The answer's `done` and the agent's `settled`, in either order.
    let mut seen = Vec::new();
    for _ in 0..2 {
        seen.push(feed(&mut app, &mut rx).await);
    }
    assert!(
        seen.iter()
            .any(|s| s.contains("Decided") && s.contains("Ok")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|s| s.contains("Settled")), "{seen:?}");
    assert!(app.agent.pending.is_empty());
    assert!(matches!(app.mode, Mode::Normal));

    // An answer the agent refuses comes back as an error, with its words.
    executor.run(Effect::Decide {
        id: 99,
        decision: Decision::Deny,
    });
    match next(&mut rx).await {
        Action::Decided {
            id: 99,
            result: Err(e),
            ..
        } => assert!(e.message.contains("no request 99 is waiting"), "{e}"),
        other => panic!("{other:?}"),
    }

    // Live events keep coming on the same connection.
    agent.send(served_event("denied"));
    feed(&mut app, &mut rx).await;
    assert_eq!(app.agent.served.back().unwrap().answer, "denied");

    agent.stop().await;
    assert!(matches!(next_news(&mut rx).await, AgentNews::Gone));
}

/// No agent: nothing arrives (no error either). An agent that comes, goes and comes back is
/// found each time; once the dashboard has closed, the task ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_finds_the_agent_again_and_stays_quiet_without_one() {
    let _watchdog = crate::watchdog::arm();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.sock");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn(path.clone(), tx, FAST);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(rx.try_recv().is_err(), "something arrived without an agent");

    for round in 0..2 {
        let agent = FakeAgent::start(&path, vec![served_event(&format!("ok {round}"))]);
        assert!(matches!(next_news(&mut rx).await, AgentNews::Connected));
        match next_news(&mut rx).await {
            AgentNews::Event(Event::Served { answer, .. }) => {
                assert_eq!(answer, format!("ok {round}"))
            }
            other => panic!("{other:?}"),
        }
        agent.stop().await;
        assert!(matches!(next_news(&mut rx).await, AgentNews::Gone));
    }
    // A stale socket (nobody listens) is as quiet as none.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.try_recv().is_err());

    drop(rx);
    tokio::time::timeout(LIMIT, task)
        .await
        .expect("the follow task outlived the dashboard")
        .unwrap();
}

/// An agent that answers `follow` with an error (one that does not serve it yet) is not asked
/// again every few milliseconds: each try would be a line in its log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_refuses_to_be_followed_is_asked_seldom() {
    let _watchdog = crate::watchdog::arm();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let (asked_tx, mut asked) = mpsc::unbounded_channel();
    let refusing = tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            if let Ok(Some(line)) = lines.next_line().await {
                asked_tx.send(line).unwrap();
                let reply = Reply::Error {
                    kind: ErrorKind::BadRequest,
                    message: "this agent does not serve that request".into(),
                };
                let _ = write.write_all(Envelope::line(reply).as_bytes()).await;
            }
        }
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn(path, tx, FAST);
    let first = tokio::time::timeout(LIMIT, asked.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(first.contains("\"follow\""), "{first}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        asked.try_recv().is_err(),
        "asked again within half a second"
    );
    assert!(
        rx.try_recv().is_err(),
        "a refusal is not news for the screen"
    );
    task.abort();
    refusing.abort();
}
