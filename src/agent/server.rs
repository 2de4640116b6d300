//! The agent's listening loop: each connection on a task of its own (a slow client holds only
//! its own), its peer checked first, each request line bounded in size and time, each request
//! answered by an [`Answer`] and told to the journal. What a request means is not decided
//! here (see `cli::agent::answer`).

use super::peer::{Peer, PeerPolicy};
use super::protocol::{self, Envelope, ErrorKind, MAX_REQUEST, Reply, Request};
use futures::future::BoxFuture;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What answers requests.
pub trait Answer: Send + Sync + 'static {
    fn answer<'a>(&'a self, request: Request, peer: &'a Peer) -> BoxFuture<'a, Reply>;
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
        let mut read = BufReader::new(read);
        loop {
            let line = match self.next_line(&mut read).await {
                Line::Request(line) => line,
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
            let answered =
                tokio::time::timeout(self.limits.answer, self.answer.answer(request, &peer)).await;
            let reply = answered.unwrap_or_else(|_| {
                error(
                    ErrorKind::Failure,
                    "the agent took too long to answer".to_owned(),
                )
            });
            self.tell(Some(&peer), what, name, &outcome(&reply));
            if !self.send(&mut write, reply).await {
                return;
            }
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

    async fn next_line(&self, read: &mut BufReader<tokio::net::unix::OwnedReadHalf>) -> Line {
        let mut line = Vec::new();
        let limit = MAX_REQUEST as u64 + 1;
        let mut bounded = read.take(limit);
        let reading = bounded.read_until(b'\n', &mut line);
        match tokio::time::timeout(self.limits.line, reading).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => Line::End,
            Ok(Ok(_)) if line.ends_with(b"\n") => Line::Request(line),
            Ok(Ok(n)) if n as u64 >= limit => Line::TooLong,
            // The client closed mid-line: nothing to answer.
            Ok(Ok(_)) => Line::End,
        }
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
