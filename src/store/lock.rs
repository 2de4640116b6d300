//! Cross-process exclusive locks (advisory file locks via fs4), so two actoken processes never
//! renew the same token, change it under each other, or rewrite the index, at the same time.
//!
//! Each token has two locks, always taken in this order (and the index lock after both):
//! - the *renewal* lock ([`TokenLock::acquire`]), held across a renewal's network call (and by
//!   a batch until its index write), so two renewals of one token take turns and the second
//!   re-reads what the first saved;
//! - the *change* lock ([`TokenLock::change`]), held only around keyring and index work: by
//!   `add`, `rm`, `move`, and by a renewal while it checks that the entry is still the one it
//!   renewed and saves the new token. `rm` and `add --force` take only this one, so they never
//!   wait for a server, and a renewal that finishes after them does not undo them.
//!
//! Lock files stay on disk after use: deleting one while another process waits on it would let
//! a third process lock a fresh file with the same name and run at the same time.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fs4::FileExt;
use sha2::{Digest, Sha256};

use super::{StoreError, fsutil};
use crate::config::Paths;

/// How often a waiter retries a held lock.
const POLL: Duration = Duration::from_millis(20);

/// An exclusive lock on one token name, held until dropped.
///
/// Locks are per open file: a process that already holds the lock for a name and asks for it
/// again waits like any other process (and times out), so take it once per operation.
#[derive(Debug)]
pub struct TokenLock {
    file: File,
    path: PathBuf,
}

impl TokenLock {
    /// Waits up to `timeout` for the renewal lock on `name`.
    pub(crate) fn acquire(
        paths: &Paths,
        name: &str,
        timeout: Duration,
    ) -> Result<TokenLock, StoreError> {
        let path = paths.lock_dir().join(lock_file_name("token", name));
        acquire_file(&path, name, timeout)
    }

    /// Waits up to `timeout` for the change lock on `name` (see the module docs).
    pub(crate) fn change(
        paths: &Paths,
        name: &str,
        timeout: Duration,
    ) -> Result<TokenLock, StoreError> {
        let path = paths.lock_dir().join(lock_file_name("change", name));
        acquire_file(&path, name, timeout)
    }

    /// The lock file (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TokenLock {
    fn drop(&mut self) {
        // Closing the file releases the lock anyway; unlocking first makes it immediate even
        // if a clone of the descriptor lingers.
        let _ = FileExt::unlock(&self.file);
    }
}

/// The lock serialising read-modify-write of the index file.
pub(crate) fn lock_index(paths: &Paths, timeout: Duration) -> Result<TokenLock, StoreError> {
    acquire_file(
        &paths.lock_dir().join("index.lock"),
        "the token index",
        timeout,
    )
}

/// `<kind>-<readable part>-<hash>.lock`: readable for people looking at the directory, and the
/// hash keeps distinct names distinct (`a/b` and `a_b`) and the file name short whatever the
/// name's script.
fn lock_file_name(kind: &str, name: &str) -> String {
    let readable: String = name
        .chars()
        .take(24)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hash = hex::encode(&Sha256::digest(name.as_bytes())[..8]);
    format!("{kind}-{readable}-{hash}.lock")
}

fn acquire_file(path: &Path, what: &str, timeout: Duration) -> Result<TokenLock, StoreError> {
    if let Some(dir) = path.parent() {
        fsutil::ensure_private_dir(dir)?;
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(|e| StoreError::io(path, e))?;
    let deadline = Instant::now() + timeout;
    loop {
        match FileExt::try_lock(&file) {
            Ok(()) => {
                return Ok(TokenLock {
                    file,
                    path: path.to_owned(),
                });
            }
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(StoreError::io(path, e)),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(StoreError::LockTimeout {
                name: what.to_owned(),
                path: path.to_owned(),
            });
        }
        std::thread::sleep(POLL.min(deadline - now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_names_are_distinct_short_and_safe() {
        let a = lock_file_name("token", "a/b");
        let b = lock_file_name("token", "a_b");
        assert_ne!(a, b);
        assert!(a.starts_with("token-a_b-"), "{a}");
        let long = lock_file_name("change", &"区".repeat(64));
        assert!(long.len() < 80, "{long}");
        for n in [a, b, long] {
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "{n}"
            );
        }
    }

    #[test]
    fn second_holder_waits_until_the_first_drops() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let first = TokenLock::acquire(&paths, "hpc", Duration::from_secs(1)).unwrap();
        let started = Instant::now();
        let err = TokenLock::acquire(&paths, "hpc", Duration::from_millis(150)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert!(matches!(&err, StoreError::LockTimeout { name, .. } if name == "hpc"));
        assert!(err.to_string().contains("wait for it to finish"), "{err}");
        // Other names are independent, and so is the same name's change lock.
        let _other = TokenLock::acquire(&paths, "other", Duration::ZERO).unwrap();
        let change = TokenLock::change(&paths, "hpc", Duration::ZERO).unwrap();
        assert!(TokenLock::change(&paths, "hpc", Duration::ZERO).is_err());
        drop(change);

        let paths2 = paths.clone();
        let waiter = std::thread::spawn(move || {
            TokenLock::acquire(&paths2, "hpc", Duration::from_secs(5)).map(|_| Instant::now())
        });
        std::thread::sleep(Duration::from_millis(200));
        let released = Instant::now();
        drop(first);
        let got = waiter.join().unwrap().unwrap();
        assert!(
            got >= released,
            "waiter got the lock before it was released"
        );
    }

    #[cfg(unix)]
    #[test]
    fn lock_dir_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let lock = TokenLock::acquire(&paths, "x", Duration::ZERO).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&paths.lock_dir()), 0o700);
        assert_eq!(mode(lock.path()), 0o600);
    }

    /// Set in a child process started by `another_process_waits_for_the_holder`.
    const CHILD_ENV: &str = "ACTOKEN_LOCK_TEST_CHILD_DIR";

    /// The child half of the two-process test: does nothing unless started by it.
    #[test]
    fn lock_holder_child() {
        let Some(root) = std::env::var_os(CHILD_ENV) else {
            return;
        };
        let root = std::path::PathBuf::from(root);
        let paths = Paths::under(&root);
        let lock = TokenLock::acquire(&paths, "shared", Duration::from_secs(5)).unwrap();
        std::fs::write(root.join("held"), "").unwrap();
        std::thread::sleep(Duration::from_millis(700));
        // Written while still holding the lock: the waiter must see it once it gets the lock.
        std::fs::write(root.join("releasing"), "").unwrap();
        drop(lock);
    }

    #[test]
    fn another_process_waits_for_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "store::lock::tests::lock_holder_child",
                "--nocapture",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let held = dir.path().join("held");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !held.exists() {
            assert!(Instant::now() < deadline, "child never took the lock");
            if let Some(status) = child.try_wait().unwrap() {
                panic!("child exited early: {status}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Held by the other process: a short wait times out...
        let err = TokenLock::acquire(&paths, "shared", Duration::from_millis(100)).unwrap_err();
        assert!(matches!(err, StoreError::LockTimeout { .. }), "{err}");
        // ...and a longer one succeeds only after the holder let go.
        let lock = TokenLock::acquire(&paths, "shared", Duration::from_secs(20)).unwrap();
        assert!(
            dir.path().join("releasing").exists(),
            "got the lock while the other process still held it"
        );
        drop(lock);
        assert!(child.wait().unwrap().success(), "child test failed");
    }
}
