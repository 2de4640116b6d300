//! What identifies one version of the index file, so that a process can tell with one `stat`
//! whether another has written it since: a batch's secrets read before the locks
//! ([`super::Prefetched`]) and the store's view of the index ([`super::Store`]'s `current_entry`).

use std::path::Path;

/// What identifies one version of the index file: every write is an atomic rename of a new
/// file, so any write changes the inode or the change time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct IndexStamp {
    dev: u64,
    ino: u64,
    ctime: (i64, i64),
    mtime: (i64, i64),
    len: u64,
}

#[cfg(unix)]
pub(super) fn stamp(path: &Path) -> Option<IndexStamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(IndexStamp {
        dev: m.dev(),
        ino: m.ino(),
        ctime: (m.ctime(), m.ctime_nsec()),
        mtime: (m.mtime(), m.mtime_nsec()),
        len: m.len(),
    })
}

/// Elsewhere no stamp: every renewal reads under its lock (and the store re-reads the index
/// before each save).
#[cfg(not(unix))]
pub(super) fn stamp(_path: &Path) -> Option<IndexStamp> {
    None
}
