//! The agent's listening loop: each connection on a task of its own (a slow client holds only
//! its own), its peer checked first, each request line bounded in size and time, each request
//! answered by an [`Answer`] and told to the journal. What a request means is not decided
//! here (see `cli::agent::answer`). A `follow` connection stays open: the [`Event`]s the
//! answerer gives it are written as they come, between the replies to its further requests.

use super::peer::{Peer, PeerPolicy};
use super::protocol::{self, Envelope, ErrorKind, Event, MAX_REQUEST, Reply, Request};
use futures::future::BoxFuture;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::OwnedReadHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// What answers requests.
pub trait Answer: Send + Sync + 'static {
    fn answer<'a>(&'a self, request: Request, peer: &'a Peer) -> BoxFuture<'a, Reply>;

    /// A `follow` request: the events to write on this connection from now on (until the
    /// sender is dropped: a follower that does not read is let go), or the error refusing it.
    fn follow(&self, _peer: &Peer) -> Result<mpsc::Receiver<Event>, (ErrorKind, String)> {
        let message = "this agent does not serve follow".to_owned();
        Err((ErrorKind::BadRequest, message))
    }
}

/// What the journal is told of each request (never the token).
#[derive(Debug, Clone)]
pub struct Served {
    pub peer: Option<Peer>,
    /// `hello`, `list`, `show`, `token`, or what was wrong with the line.
    pub request: String,
    pub name: Option<String>,
    /// `ok`, `ok (renewed)`, or the error's kind.
    pub answer: String,
}

pub type Journal = Arc<dyn Fn(&Served) + Send + Sync>;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; one more is answered `busy` and closed.
    pub connections: usize,
    /// How long a connection may take to send a whole request line (or stay idle between two).
    pub line: Duration,
    /// How long one answer may take (a renewal, an approval).
    pub answer: Duration,
    /// How long writing a reply may take (a client that does not read).
    pub write: Duration,
    /// At the end: how long connections still answering are waited for.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections: 256,
            line: Duration::from_secs(30),
            answer: Duration::from_secs(150),
            write: Duration::from_secs(10),
            drain: Duration::from_secs(30),
        }
    }
}

pub struct Server {
    pub listener: UnixListener,
    pub policy: PeerPolicy,
    pub limits: Limits,
    pub answer: Arc<dyn Answer>,
    pub journal: Journal,
}

impl Server {
    /// Serves until `stop` completes, then waits (up to `limits.drain`) for the connections
    /// still answering: a renewal they started is saved before the agent goes.
    pub async fn serve(self, stop: impl Future<Output = ()>) {
        let slots = Arc::new(Semaphore::new(self.limits.connections));
        let mut connections = JoinSet::new();
        // Told to every connection at the end: followers and idle ones go at once.
        let (stopping, stopped) = watch::channel(false);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = self.listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let connection = Connection {
                        policy: self.policy,
                        limits: self.limits,
                        answer: Arc::clone(&self.answer),
                        journal: Arc::clone(&self.journal),
                        stopping: stopped.clone(),
                    };
                    match Arc::clone(&slots).try_acquire_owned() {
                        Ok(slot) => {
                            connections.spawn(async move {
                                connection.serve(stream).await;
                                drop(slot);
                            });
                        }
                        Err(_) => {
                            connections.spawn(connection.turn_away(stream));
                        }
                    }
                }
            }
        }
        let _ = stopping.send(true);
        let drained = tokio::time::timeout(self.limits.drain, async {
            while connections.join_next().await.is_some() {}
        });
        if drained.await.is_err() {
            connections.abort_all();
        }
    }
}

struct Connection {
    policy: PeerPolicy,
    limits: Limits,
    answer: Arc<dyn Answer>,
    journal: Journal,
    stopping: watch::Receiver<bool>,
}

impl Connection {
    async fn serve(self, stream: UnixStream) {
        let peer = Peer::of(&stream);
        let allowed = peer.as_ref().is_some_and(|p| self.policy.allows(p));
        let (read, mut write) = stream.into_split();
        if !allowed {
            let message = "this agent answers only its own user".to_owned();
            self.tell(peer.as_ref(), "connect", None, "refused");
            self.send(&mut write, error(ErrorKind::Refused, message))
                .await;
            return;
        }
        let peer = peer.expect("allowed peers are known");
        let mut lines = Lines::new(read);
        let mut stopping = self.stopping.clone();
        // Set once the connection follows: its events, written as they come.
        let mut events: Option<mpsc::Receiver<Event>> = None;
        loop {
            let line = tokio::select! {
                line = self.next_line(&mut lines, events.is_some()) => line,
                event = next_event(&mut events) => {
                    // None: the answerer let this follower go (it did not read).
                    let Some(event) = event else { return };
                    if !self.send(&mut write, Reply::Event(event)).await {
                        return;
                    }
                    continue;
                }
                () = until_stopping(&mut stopping) => return,
            };
            let line = match line {
                // A lock's passphrase travels in it: wiped when dropped.
                Line::Request(line) => zeroize::Zeroizing::new(line),
                Line::End => return,
                Line::TooLong => {
                    self.tell(Some(&peer), "oversized request", None, "too_large");
                    let message = format!("a request is at most {MAX_REQUEST} bytes");
                    self.send(&mut write, error(ErrorKind::TooLarge, message))
                        .await;
                    return;
                }
            };
            let request = match protocol::parse_request(&line) {
                Ok(request) => request,
                Err((kind, message)) => {
                    self.tell(Some(&peer), "malformed request", None, kind.as_str());
                    self.send(&mut write, error(kind, message)).await;
                    return;
                }
            };
            let (what, name) = describe(&request);
            let reply = match request {
                Request::Follow => self.start_following(&peer, &mut events),
                // A follower's token request could wait for an approval that only this very
                // connection's next line (a decide) would give.
                Request::Token { .. } if events.is_some() => error(
                    ErrorKind::BadRequest,
                    "a follow connection does not take token requests: ask on another one"
                        .to_owned(),
                ),
                request => {
                    let answered = tokio::time::timeout(
                        self.limits.answer,
                        self.answer.answer(request, &peer),
                    )
                    .await;
                    answered.unwrap_or_else(|_| {
                        error(
                            ErrorKind::Failure,
                            "the agent took too long to answer".to_owned(),
                        )
                    })
                }
            };
            self.tell(Some(&peer), what, name, &outcome(&reply));
            if !self.send(&mut write, reply).await {
                return;
            }
        }
    }

    /// `follow`: `done` and the events from now on, or the answerer's refusal.
    fn start_following(&self, peer: &Peer, events: &mut Option<mpsc::Receiver<Event>>) -> Reply {
        if events.is_some() {
            let message = "this connection follows already".to_owned();
            return error(ErrorKind::BadRequest, message);
        }
        match self.answer.follow(peer) {
            Ok(receiver) => {
                *events = Some(receiver);
                Reply::Done
            }
            Err((kind, message)) => error(kind, message),
        }
    }

    /// A connection over the limit: answered `busy` at once, without reading it.
    async fn turn_away(self, stream: UnixStream) {
        let peer = Peer::of(&stream);
        self.tell(peer.as_ref(), "connect", None, "busy");
        let (_, mut write) = stream.into_split();
        let message = "the agent is serving too many connections; try again".to_owned();
        self.send(&mut write, error(ErrorKind::Busy, message)).await;
    }

    /// The next request line, within `limits.line` (a follower may stay silent).
    async fn next_line(&self, lines: &mut Lines, following: bool) -> Line {
        if following {
            return lines.next().await;
        }
        tokio::time::timeout(self.limits.line, lines.next())
            .await
            .unwrap_or(Line::End)
    }

    /// Writes `reply` as one line; false when the client is gone or does not read in time.
    async fn send(&self, write: &mut tokio::net::unix::OwnedWriteHalf, reply: Reply) -> bool {
        let line = Envelope::line(reply);
        let writing = async {
            write.write_all(line.as_bytes()).await?;
            write.flush().await
        };
        matches!(
            tokio::time::timeout(self.limits.write, writing).await,
            Ok(Ok(()))
        )
    }

    fn tell(&self, peer: Option<&Peer>, request: &str, name: Option<String>, answer: &str) {
        (self.journal)(&Served {
            peer: peer.cloned(),
            request: request.to_owned(),
            name,
            answer: answer.to_owned(),
        });
    }
}

enum Line {
    Request(Vec<u8>),
    TooLong,
    End,
}

/// Request lines, read so that waiting for one can be given up and taken again without
/// losing bytes (a follower's lines are read beside its events): what arrived so far stays in
/// `partial`, and only `fill_buf`, which is cancel safe, is awaited.
struct Lines {
    read: BufReader<OwnedReadHalf>,
    partial: Vec<u8>,
}

impl Lines {
    fn new(read: OwnedReadHalf) -> Lines {
        Lines {
            read: BufReader::new(read),
            partial: Vec::new(),
        }
    }

    /// The next line (newline included): at most `MAX_REQUEST` bytes before its newline, a
    /// longer one is refused as soon as it is known to be longer, not read to its end.
    async fn next(&mut self) -> Line {
        let limit = MAX_REQUEST + 1;
        loop {
            let available = match self.read.fill_buf().await {
                // The client closed (mid-line: nothing to answer) or failed.
                Ok([]) | Err(_) => return Line::End,
                Ok(available) => available,
            };
            let room = limit - self.partial.len();
            let end = available.iter().position(|&b| b == b'\n');
            let taken = end.map_or(available.len(), |i| i + 1).min(room);
            self.partial.extend_from_slice(&available[..taken]);
            self.read.consume(taken);
            if self.partial.ends_with(b"\n") {
                return Line::Request(std::mem::take(&mut self.partial));
            }
            if self.partial.len() >= limit {
                return Line::TooLong;
            }
        }
    }
}

/// Completes when the server stops.
async fn until_stopping(stopping: &mut watch::Receiver<bool>) {
    loop {
        if *stopping.borrow_and_update() {
            return;
        }
        if stopping.changed().await.is_err() {
            // The server is gone without saying stop: the drain's own limit ends this.
            return std::future::pending().await;
        }
    }
}

/// The next event of a follower; never, for a connection that does not follow.
async fn next_event(events: &mut Option<mpsc::Receiver<Event>>) -> Option<Event> {
    match events {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

fn error(kind: ErrorKind, message: String) -> Reply {
    Reply::Error { kind, message }
}

fn describe(request: &Request) -> (&'static str, Option<String>) {
    match request {
        Request::Hello => ("hello", None),
        Request::List => ("list", None),
        Request::Show { name } => ("show", Some(name.clone())),
        Request::Token { name, .. } => ("token", Some(name.clone())),
        Request::Lock { .. } => ("lock", None),
        Request::Unlock { .. } => ("unlock", None),
        Request::Follow => ("follow", None),
        Request::Decide { .. } => ("decide", None),
    }
}

/// The journal's word for a reply.
fn outcome(reply: &Reply) -> String {
    match reply {
        Reply::Error { kind, .. } => kind.as_str().to_owned(),
        Reply::Token(t) if t.via_login => "ok (logged in again)".to_owned(),
        Reply::Token(t) if t.renewed => "ok (renewed)".to_owned(),
        _ => "ok".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::protocol::Decision;
    use futures::FutureExt;
    use std::sync::Mutex;
    use tokio::io::AsyncBufReadExt;

    /// Answers `decide` with `done`; `follow` with the events the test sends.
    struct Steered {
        events: Mutex<Option<mpsc::Receiver<Event>>>,
    }

    impl Answer for Steered {
        fn answer<'a>(&'a self, request: Request, _peer: &'a Peer) -> BoxFuture<'a, Reply> {
            let reply = match request {
                Request::Decide { .. } => Reply::Done,
                _ => error(ErrorKind::Failure, "not here".to_owned()),
            };
            async move { reply }.boxed()
        }

        fn follow(&self, _peer: &Peer) -> Result<mpsc::Receiver<Event>, (ErrorKind, String)> {
            let taken = self.events.lock().unwrap().take();
            taken.ok_or_else(|| (ErrorKind::Busy, "one follower".to_owned()))
        }
    }

    async fn read_json(read: &mut BufReader<OwnedReadHalf>) -> serde_json::Value {
        let mut line = String::new();
        let reading = read.read_line(&mut line);
        tokio::time::timeout(Duration::from_secs(10), reading)
            .await
            .expect("a line within 10 s")
            .unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }

    #[tokio::test]
    async fn a_follower_gets_events_between_its_replies_and_is_let_go_at_stop() {
        let _watchdog = crate::watchdog::arm();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent").join("agent.sock");
        let (events, receiver) = mpsc::channel(8);
        let server = Server {
            listener: super::super::socket::bind(&path).unwrap(),
            policy: PeerPolicy {
                own_uid: super::super::socket::current_uid(),
                allow_root: true,
            },
            limits: Limits::default(),
            answer: Arc::new(Steered {
                events: Mutex::new(Some(receiver)),
            }),
            journal: Arc::new(|_: &Served| {}),
        };
        let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.serve(async {
            let _ = stopping.await;
        }));

        let (read, mut write) = UnixStream::connect(&path).await.unwrap().into_split();
        let mut read = BufReader::new(read);
        write
            .write_all(b"{\"version\":1,\"request\":\"follow\"}\n")
            .await
            .unwrap();
        assert_eq!(read_json(&mut read).await["reply"], "done");
        let settled = |id| Event::Settled {
            id,
            decision: Decision::Deny,
        };
        events.send(settled(1)).await.unwrap();
        let event = read_json(&mut read).await;
        assert_eq!(
            (&event["reply"], &event["event"]),
            (&"event".into(), &"settled".into())
        );

        // Half a request, an event meanwhile, then the rest: nothing of the line is lost.
        write
            .write_all(b"{\"version\":1,\"request\":\"dec")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        events.send(settled(2)).await.unwrap();
        assert_eq!(read_json(&mut read).await["id"], 2);
        write
            .write_all(b"ide\",\"id\":2,\"decision\":\"once\"}\n")
            .await
            .unwrap();
        assert_eq!(read_json(&mut read).await["reply"], "done");
        // A follower's token request could wait on its own next line: refused.
        write
            .write_all(b"{\"version\":1,\"request\":\"token\",\"name\":\"x\"}\n")
            .await
            .unwrap();
        assert_eq!(read_json(&mut read).await["kind"], "bad_request");

        // At stop the follower is let go at once, not after the drain's limit.
        stop.send(()).unwrap();
        let mut rest = String::new();
        let end = tokio::time::timeout(Duration::from_secs(10), read.read_line(&mut rest));
        assert_eq!(end.await.expect("closed within 10 s").unwrap(), 0, "{rest}");
        tokio::time::timeout(Duration::from_secs(10), serving)
            .await
            .expect("the server ends")
            .unwrap();
    }
}
