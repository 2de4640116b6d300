//! The dashboard's side of an agent: following it (a `follow` request, then one [`Event`]
//! line after another on the same connection for as long as it stays open) and answering a
//! pending approval (`decide`, on a connection of its own). Following is async, for the
//! dashboard's runtime; `decide` is one request and one reply, through the blocking
//! [`AgentClient`].

use std::io;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::client::{AgentClient, AgentError};
use super::protocol::{self, Decision, Envelope, Event, Reply, Request};

/// The longest event line read: an event holds a name, an executable's path and a few words.
pub const MAX_EVENT: usize = 64 * 1024;

/// A `follow` connection the agent accepted.
pub struct Follower {
    path: PathBuf,
    lines: BufReader<UnixStream>,
}

/// Connects to the agent at `path` and asks to follow it. Only an agent running as this
/// user is followed: at a default path in a shared `/tmp`, a socket another user put there
/// could show made-up requests and collect the answers.
pub async fn follow(path: &Path) -> Result<Follower, AgentError> {
    let unreachable = |source| AgentError::Unreachable {
        path: path.to_owned(),
        source,
    };
    let mut stream = UnixStream::connect(path).await.map_err(unreachable)?;
    let owner = stream.peer_cred().map_err(unreachable)?.uid();
    if owner != super::socket::current_uid() {
        let why = format!("the socket's listener runs as uid {owner}, not as you");
        return Err(unreachable(io::Error::new(
            io::ErrorKind::PermissionDenied,
            why,
        )));
    }
    let line = Envelope::line(Request::Follow);
    stream
        .write_all(line.as_bytes())
        .await
        .map_err(unreachable)?;
    let mut follower = Follower {
        path: path.to_owned(),
        lines: BufReader::new(stream),
    };
    match follower.reply().await? {
        Some(Reply::Done) => Ok(follower),
        Some(Reply::Error { kind, message }) => Err(AgentError::Answered {
            path: path.to_owned(),
            kind,
            message: crate::inert::inert(&message).into_owned(),
        }),
        Some(_) => Err(follower.garbled("another reply than `done` to `follow`")),
        None => Err(follower.garbled("it closed the connection without an answer")),
    }
}

impl Follower {
    /// The next event; `None` once the agent has closed the connection. Replies this build
    /// cannot read as an event (a kind a newer agent sends) are skipped, not fatal.
    pub async fn next(&mut self) -> Result<Option<Event>, AgentError> {
        loop {
            match self.reply().await? {
                None => return Ok(None),
                Some(Reply::Event(event)) => return Ok(Some(event)),
                Some(_) => continue,
            }
        }
    }

    /// One reply line; `None` at the end of the stream.
    async fn reply(&mut self) -> Result<Option<Reply>, AgentError> {
        loop {
            let mut line = Vec::new();
            let read = (&mut self.lines)
                .take(MAX_EVENT as u64 + 1)
                .read_until(b'\n', &mut line)
                .await
                .map_err(|source| AgentError::Unreachable {
                    path: self.path.clone(),
                    source,
                })?;
            if read == 0 {
                return Ok(None);
            }
            if !line.ends_with(b"\n") {
                return Err(self.garbled("a line was cut off or too long"));
            }
            let value: serde_json::Value = serde_json::from_slice(&line)
                .map_err(|e| self.garbled(&format!("not a reply: {e}")))?;
            if value.get("version").and_then(serde_json::Value::as_u64)
                != Some(u64::from(protocol::VERSION))
            {
                return Err(self.garbled("a reply in another protocol version"));
            }
            match serde_json::from_value::<Envelope<Reply>>(value) {
                Ok(envelope) => return Ok(Some(envelope.body)),
                Err(e) => {
                    tracing::debug!(error = %e, "agent: skipped a reply this build cannot read")
                }
            }
        }
    }

    fn garbled(&self, why: &str) -> AgentError {
        AgentError::Garbled {
            path: self.path.clone(),
            why: why.to_owned(),
        }
    }
}

/// A person's answer to pending approval `id`, on a connection of its own. Blocking.
pub fn decide(path: &Path, id: u64, decision: Decision) -> Result<(), AgentError> {
    let mut client = AgentClient::connect(path)?;
    match client.ask(Request::Decide { id, decision })? {
        Reply::Done => Ok(()),
        _ => Err(AgentError::Garbled {
            path: path.to_owned(),
            why: "another reply than `done` to `decide`".into(),
        }),
    }
}
