//! Asking an agent: one blocking connection, one request line and one reply line at a time.
//! A client never falls back to a local store: an agent that is gone is an error of its own
//! (exit 5), and so is every error the agent answers with (its kind's exit code).

use super::protocol::{self, Envelope, ErrorKind, Hello, MAX_REPLY, Reply, Request, TokenReply};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longer than the agent takes to answer at most (its own limit, `Limits::answer`: an
/// approval waits up to a minute, a renewal its own timeouts), so the agent's answer, not
/// this, is what a client sees.
const READ_LIMIT: Duration = Duration::from_secs(180);
const WRITE_LIMIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Nothing answers at the path (no socket, nobody listening, or a forward that is gone).
    #[error("no agent answers at {path}: {source}")]
    Unreachable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The agent answered with an error.
    #[error("the agent at {path} answered: {message}")]
    Answered {
        path: PathBuf,
        kind: ErrorKind,
        message: String,
    },
    /// The agent said something this client cannot read, or closed mid-answer.
    #[error("the agent at {path} did not answer properly: {why}")]
    Garbled { path: PathBuf, why: String },
}

impl AgentError {
    /// The exit code a command gives for this error (README's table): an agent that is gone
    /// is a store that cannot be reached (5).
    pub fn exit_code(&self) -> u8 {
        match self {
            AgentError::Unreachable { .. } | AgentError::Garbled { .. } => 5,
            AgentError::Answered { kind, .. } => kind.exit_code(),
        }
    }
}

/// The agent's `show`: `show --json`'s object, and the masked fingerprint `show` prints.
#[derive(Debug)]
pub struct Shown {
    pub token: serde_json::Value,
    pub hint: Option<String>,
}

pub struct AgentClient {
    path: PathBuf,
    stream: BufReader<UnixStream>,
}

impl AgentClient {
    pub fn connect(path: &Path) -> Result<AgentClient, AgentError> {
        let unreachable = |source| AgentError::Unreachable {
            path: path.to_owned(),
            source,
        };
        let stream = UnixStream::connect(path).map_err(unreachable)?;
        stream
            .set_read_timeout(Some(READ_LIMIT))
            .map_err(unreachable)?;
        stream
            .set_write_timeout(Some(WRITE_LIMIT))
            .map_err(unreachable)?;
        Ok(AgentClient {
            path: path.to_owned(),
            stream: BufReader::new(stream),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends `request` and reads its reply; an error reply is an [`AgentError::Answered`].
    pub fn ask(&mut self, request: Request) -> Result<Reply, AgentError> {
        let line = Envelope::line(request);
        if let Err(source) = self.stream.get_mut().write_all(line.as_bytes()) {
            // A refusing agent writes its answer and closes: read it if it is there.
            return match self.read_reply() {
                Ok(reply) => self.checked(reply),
                Err(_) => Err(AgentError::Unreachable {
                    path: self.path.clone(),
                    source,
                }),
            };
        }
        let reply = self.read_reply()?;
        self.checked(reply)
    }

    pub fn hello(&mut self) -> Result<Hello, AgentError> {
        match self.ask(Request::Hello)? {
            Reply::Hello(hello) => Ok(hello),
            other => Err(self.unexpected(&other)),
        }
    }

    pub fn token(
        &mut self,
        name: &str,
        min_valid_s: Option<u64>,
    ) -> Result<TokenReply, AgentError> {
        let request = Request::Token {
            name: name.to_owned(),
            min_valid_s,
        };
        match self.ask(request)? {
            Reply::Token(token) => Ok(token),
            other => Err(self.unexpected(&other)),
        }
    }

    pub fn list(&mut self) -> Result<Vec<serde_json::Value>, AgentError> {
        match self.ask(Request::List)? {
            Reply::List { tokens } => Ok(tokens),
            other => Err(self.unexpected(&other)),
        }
    }

    pub fn show(&mut self, name: &str) -> Result<Shown, AgentError> {
        match self.ask(Request::Show {
            name: name.to_owned(),
        })? {
            Reply::Show { token, hint } => Ok(Shown { token, hint }),
            other => Err(self.unexpected(&other)),
        }
    }

    fn read_reply(&mut self) -> Result<Reply, AgentError> {
        let mut line = zeroize::Zeroizing::new(Vec::new());
        let read = (&mut self.stream)
            .take(MAX_REPLY as u64 + 1)
            .read_until(b'\n', &mut line);
        match read {
            Ok(0) => return Err(self.garbled("it closed the connection without an answer")),
            Ok(_) if !line.ends_with(b"\n") => {
                return Err(self.garbled("its answer was cut off or too long"));
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let secs = READ_LIMIT.as_secs();
                return Err(self.garbled(&format!("no answer within {secs} s")));
            }
            Err(source) => {
                return Err(AgentError::Unreachable {
                    path: self.path.clone(),
                    source,
                });
            }
        }
        let envelope: Envelope<Reply> = serde_json::from_slice(&line)
            .map_err(|e| self.garbled(&format!("not a reply: {e}")))?;
        if envelope.version != protocol::VERSION {
            return Err(self.garbled(&format!(
                "it speaks protocol version {}, this client {}",
                envelope.version,
                protocol::VERSION
            )));
        }
        Ok(envelope.body)
    }

    fn checked(&self, reply: Reply) -> Result<Reply, AgentError> {
        match reply {
            Reply::Error { kind, message } => Err(AgentError::Answered {
                path: self.path.clone(),
                kind,
                message: crate::inert::inert(&message).into_owned(),
            }),
            reply => Ok(reply),
        }
    }

    fn unexpected(&self, reply: &Reply) -> AgentError {
        let what = match reply {
            Reply::Hello(_) => "hello",
            Reply::List { .. } => "list",
            Reply::Show { .. } => "show",
            Reply::Token(_) => "token",
            Reply::Done => "done",
            Reply::Event(_) => "event",
            Reply::Error { .. } => "error",
        };
        self.garbled(&format!("a `{what}` reply to another request"))
    }

    fn garbled(&self, why: &str) -> AgentError {
        AgentError::Garbled {
            path: self.path.clone(),
            why: why.to_owned(),
        }
    }
}
