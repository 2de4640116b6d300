//! Who is on the other end of a connection: the kernel's word (`SO_PEERCRED` on Linux,
//! `getpeereid` on macOS, both behind tokio's `peer_cred`), never the client's.

use std::fmt;
use std::path::PathBuf;

/// A connection's peer as the kernel reports it when the connection was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub uid: u32,
    pub pid: Option<i32>,
    /// The peer process's executable, when it can be read (`/proc/PID/exe` on Linux).
    pub exe: Option<PathBuf>,
}

impl Peer {
    /// The peer of `stream`; `None` when the kernel cannot say (then the connection is refused).
    pub fn of(stream: &tokio::net::UnixStream) -> Option<Peer> {
        let cred = stream.peer_cred().ok()?;
        let pid = cred.pid();
        Some(Peer {
            uid: cred.uid(),
            pid,
            exe: pid.and_then(executable),
        })
    }

    /// Whether the connection came over an SSH forward: its peer is the local `ssh` client
    /// that carries a `-R` (or `RemoteForward`) of the socket to another machine.
    pub fn forwarded(&self) -> bool {
        self.exe
            .as_deref()
            .and_then(|e| e.file_name())
            .is_some_and(|n| n == "ssh")
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uid {}", self.uid)?;
        if let Some(pid) = self.pid {
            write!(f, " pid {pid}")?;
        }
        if let Some(exe) = &self.exe {
            write!(f, " {}", crate::inert::inert(&exe.to_string_lossy()))?;
        }
        f.write_str(if self.forwarded() {
            " (forwarded)"
        } else {
            " (local)"
        })
    }
}

#[cfg(target_os = "linux")]
fn executable(pid: i32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/exe")).ok()
}

#[cfg(not(target_os = "linux"))]
fn executable(_pid: i32) -> Option<PathBuf> {
    None
}

/// Who may ask: the agent's own user; root only when allowed (`--allow-root`): root on a
/// shared machine is someone else, whatever the socket's mode says.
#[derive(Debug, Clone, Copy)]
pub struct PeerPolicy {
    pub own_uid: u32,
    pub allow_root: bool,
}

impl PeerPolicy {
    pub fn allows(&self, peer: &Peer) -> bool {
        peer.uid == self.own_uid || (peer.uid == 0 && self.allow_root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(uid: u32, exe: Option<&str>) -> Peer {
        Peer {
            uid,
            pid: Some(42),
            exe: exe.map(PathBuf::from),
        }
    }

    #[test]
    fn only_the_own_uid_and_root_when_allowed() {
        let policy = PeerPolicy {
            own_uid: 1000,
            allow_root: false,
        };
        assert!(policy.allows(&peer(1000, None)));
        assert!(!policy.allows(&peer(1001, None)));
        assert!(!policy.allows(&peer(0, None)));
        let policy = PeerPolicy {
            allow_root: true,
            ..policy
        };
        assert!(policy.allows(&peer(0, None)));
        assert!(!policy.allows(&peer(1001, None)));
    }

    #[test]
    fn a_peer_that_is_ssh_came_over_a_forward() {
        assert!(peer(1000, Some("/usr/bin/ssh")).forwarded());
        assert!(!peer(1000, Some("/usr/bin/sshd")).forwarded());
        assert!(!peer(1000, Some("/usr/bin/actoken")).forwarded());
        assert!(!peer(1000, None).forwarded());
        assert_eq!(
            peer(1000, Some("/usr/bin/ssh")).to_string(),
            "uid 1000 pid 42 /usr/bin/ssh (forwarded)"
        );
    }

    #[tokio::test]
    async fn the_kernel_names_this_process_as_the_peer() {
        let (a, _b) = tokio::net::UnixStream::pair().unwrap();
        let me = Peer::of(&a).unwrap();
        assert_eq!(me.uid, super::super::socket::current_uid());
        assert_eq!(me.pid, Some(std::process::id() as i32));
        assert_eq!(me.exe, std::env::current_exe().ok());
    }
}
