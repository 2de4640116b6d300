//! Where the agent listens, and taking that place: its directory is the user's alone (0700),
//! a socket left by an agent that died is replaced, one an agent still answers on is not.

use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// `$XDG_RUNTIME_DIR/actoken/agent.sock`; without a runtime directory (a login node without
/// systemd-logind), `$TMPDIR/actoken-UID/agent.sock` (`/tmp` without TMPDIR).
pub fn default_path() -> PathBuf {
    let uid = current_uid();
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("actoken").join("agent.sock"),
        None => std::env::temp_dir()
            .join(format!("actoken-{uid}"))
            .join("agent.sock"),
    }
}

pub(crate) fn current_uid() -> u32 {
    // SAFETY: getuid cannot fail and touches no memory.
    unsafe { libc::getuid() }
}

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("another agent is listening on {0}")]
    Live(PathBuf),
    #[error("{path} is not a socket: not replaced")]
    NotASocket { path: PathBuf },
    #[error("{dir} is not private to you ({why}): the agent's socket is not put there")]
    OpenDirectory { dir: PathBuf, why: String },
    #[error("cannot listen on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Binds `path`, making its directory (0700) when missing. An existing directory must be the
/// user's and closed to others; an existing socket is replaced only when nothing answers on it.
pub fn bind(path: &Path) -> Result<tokio::net::UnixListener, BindError> {
    let io_err = |source| BindError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        private_dir(dir)?;
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            if answers(path) {
                return Err(BindError::Live(path.to_owned()));
            }
            std::fs::remove_file(path).map_err(io_err)?;
        }
        Ok(_) => {
            return Err(BindError::NotASocket {
                path: path.to_owned(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(e)),
    }
    let listener = std::os::unix::net::UnixListener::bind(path).map_err(io_err)?;
    // Whatever the umask: only the user (the peer check refuses others anyway).
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io_err)?;
    listener.set_nonblocking(true).map_err(io_err)?;
    tokio::net::UnixListener::from_std(listener).map_err(io_err)
}

/// Whether something accepts connections on `path`. A connect to a Unix socket does not
/// wait: it is accepted (queued), or refused at once when nobody listens.
pub fn answers(path: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(path).is_ok()
}

/// `dir` made 0700 when missing; refused when it is someone else's or open to others.
fn private_dir(dir: &Path) -> Result<(), BindError> {
    let open = |why: String| BindError::OpenDirectory {
        dir: dir.to_owned(),
        why,
    };
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(source) => {
            return Err(BindError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|source| BindError::Io {
        path: dir.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(open("not a directory".into()));
    }
    if meta.uid() != current_uid() {
        return Err(open(format!("owned by uid {}", meta.uid())));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(open(format!("mode {:o}", meta.mode() & 0o777)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> PathBuf {
        std::env::temp_dir().join(format!(
            "actoken-socket-test-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ))
    }

    #[tokio::test]
    async fn a_stale_socket_is_replaced_and_a_live_one_refused() {
        let dir = temp();
        let path = dir.join("agent.sock");
        let first = bind(&path).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(matches!(bind(&path), Err(BindError::Live(_))));
        drop(first);
        // The file stays behind, as after a crash: nothing answers, so it is replaced.
        assert!(path.exists());
        let _second = bind(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_open_directory_or_a_plain_file_is_refused() {
        let dir = temp();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join("agent.sock");
        assert!(matches!(bind(&path), Err(BindError::OpenDirectory { .. })));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(&path, "not a socket").unwrap();
        assert!(matches!(bind(&path), Err(BindError::NotASocket { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), b"not a socket");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
