//! A token kept in a file for programs that re-read it (`exec --keep-fresh`'s `AC_TOKEN_FILE`,
//! the `BEARER_TOKEN_FILE` of the WLCG token discovery rules).
//!
//! - [`PrivateDir`]: a new directory of actoken's own (0700), made under the user's runtime
//!   directory, removed with what it holds when dropped.
//! - [`write`]: replaces a file's content atomically (a temp file in the same directory, 0600,
//!   fsync, rename, fsync of the directory), so a reader sees the old token or the new one,
//!   never half of one, and never a file others could read.
//!
//! The file holds the token alone, with no line break after it.

use std::path::{Path, PathBuf};

use crate::files::{Role, trust};
use crate::store::StoreError;
use crate::token::Token;

/// Writes `token` to `path` (in an existing directory) as [`write_bytes`] does.
pub fn write(path: &Path, token: &Token) -> Result<(), StoreError> {
    write_bytes(path, token.expose().as_bytes())
}

/// Replaces `path` with `bytes`, atomically, mode 0600; never through a symlink (the temp file
/// is created afresh and the rename replaces whatever is at `path`).
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    crate::store::write_atomic(path, bytes, 0o600)
}

/// A directory actoken made for itself (mode 0700), removed with its files on drop.
#[derive(Debug)]
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// A new directory under [`runtime_parent`].
    pub fn create() -> Result<PrivateDir, StoreError> {
        PrivateDir::create_in(&runtime_parent())
    }

    /// A new directory `actoken-PID-N` in `parent`, refused (and removed) when `parent` or a
    /// directory above it is one another user could change: they could swap the directory
    /// for their own between two writes and be handed the next token.
    pub fn create_in(parent: &Path) -> Result<PrivateDir, StoreError> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        // `mkdir` fails on anything already there (a planted directory or symlink included),
        // so a name is tried afresh rather than reused.
        let mut last = None;
        for _ in 0..16 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = parent.join(format!("actoken-{}-{n}", std::process::id()));
            match builder.create(&path) {
                Ok(()) => {
                    let dir = PrivateDir { path };
                    dir.make_private()?;
                    trust::check(Role::TokenFileDir, &dir.path)?;
                    return Ok(dir);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(StoreError::io(path, e)),
            }
        }
        let error = last.unwrap_or_else(|| std::io::Error::other("no free name"));
        Err(StoreError::io(parent, error))
    }

    /// 0700 whatever the umask left.
    fn make_private(&self) -> Result<(), StoreError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let private = std::fs::Permissions::from_mode(0o700);
            std::fs::set_permissions(&self.path, private)
                .map_err(|e| StoreError::io(&self.path, e))?;
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        // Only what actoken put there: its files (and a temp file a failed write left).
        if let Ok(entries) = std::fs::read_dir(&self.path) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        if let Err(e) = std::fs::remove_dir(&self.path) {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot remove the token directory");
        }
    }
}

/// Where private directories go: `$XDG_RUNTIME_DIR` when it is a directory of this user that
/// others cannot enter (a job on another node may inherit one that does not exist there),
/// else the temporary directory (`$TMPDIR`, else `/tmp`).
pub fn runtime_parent() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute() && is_own_private_dir(dir))
        .unwrap_or_else(std::env::temp_dir)
}

fn is_own_private_dir(dir: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(dir) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid cannot fail and touches no memory.
        let me = unsafe { libc::geteuid() };
        meta.is_dir() && meta.uid() == me && meta.mode() & 0o077 == 0
    }
    #[cfg(not(unix))]
    meta.is_dir()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_private_dir_holds_a_private_file_and_goes_away_with_it() {
        let parent = tempfile::tempdir().unwrap();
        let dir = PrivateDir::create_in(parent.path()).unwrap();
        assert_eq!(mode(dir.path()), 0o700);
        let file = dir.path().join("token");
        let token = crate::mock::mint(&crate::mock::MintSpec::new(
            "alice",
            "11250",
            jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1),
        ));
        write(&file, &token).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), token.expose());
        // A second write replaces the content whole; no temp file is left beside it.
        write_bytes(&file, b"second").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let (path, second) = (
            dir.path().to_owned(),
            PrivateDir::create_in(parent.path()).unwrap(),
        );
        assert_ne!(second.path(), path, "a new directory each time");
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn a_parent_others_can_write_is_refused() {
        let parent = tempfile::tempdir().unwrap();
        let open = parent.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = PrivateDir::create_in(&open).unwrap_err();
        assert!(matches!(error, StoreError::Untrusted(_)), "{error:?}");
        assert_eq!(
            std::fs::read_dir(&open).unwrap().count(),
            0,
            "nothing left behind"
        );
    }

    #[test]
    fn a_runtime_dir_of_someone_else_or_open_to_others_is_passed_over() {
        let parent = tempfile::tempdir().unwrap();
        let own = parent.path().join("run");
        std::fs::create_dir(&own).unwrap();
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(is_own_private_dir(&own));
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(!is_own_private_dir(&own));
        assert!(!is_own_private_dir(&parent.path().join("missing")));
        assert!(!is_own_private_dir(Path::new("/")));
    }
}
