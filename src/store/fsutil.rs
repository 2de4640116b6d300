//! Small file-system helpers: private directories and atomic private files.

use std::path::Path;

use super::StoreError;
use crate::files::{Role, trust};

/// Creates `dir` (and parents) if missing; a directory we create is mode 0700.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| StoreError::io(dir, e))
}

/// Creates `dir` as [`ensure_private_dir`] does, refusing it when it, or a directory above
/// it, is one another user could change (see [`crate::files::trust`]): checked before anything
/// is created inside a directory someone else controls, and again once it exists.
pub(crate) fn ensure_trusted_dir(role: Role, dir: &Path) -> Result<(), StoreError> {
    trust::check(role, dir)?;
    ensure_private_dir(dir)?;
    Ok(trust::check(role, dir)?)
}

/// Writes a private (0600) file atomically: a temp file in the same directory, fsync, rename
/// over the old file, fsync the directory. A crash leaves either the old or the new file.
/// The directory is created (0700) if missing.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    ensure_private_dir(dir)?;
    write_atomic(path, bytes, 0o600)
}

/// Writes `path` atomically with permission bits `mode` (less the umask), in its existing
/// directory. Never writes through a symlink: the temp file is created afresh (`O_EXCL` does not
/// follow one), and the rename replaces a symlink at `path` rather than following it.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    // A temp file left by a crashed run with our pid is ours; whatever else is there (a
    // symlink planted by someone else) is removed, not followed.
    let _ = std::fs::remove_file(&tmp);
    let result = write_new_file(&tmp, bytes, mode)
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

fn write_new_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StoreError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let io = |e| StoreError::io(path, e);
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        let d = std::fs::File::open(dir).map_err(|e| StoreError::io(dir, e))?;
        d.sync_all().map_err(|e| StoreError::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    #[test]
    fn an_atomic_write_replaces_a_symlink_and_never_writes_through_one() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        // A symlink where the file goes, and one where the temp file would go.
        let path = dir.path().join("page.1");
        symlink(&victim, &path).unwrap();
        let tmp = dir
            .path()
            .join(format!(".page.1.{}.tmp", std::process::id()));
        symlink(&victim, &tmp).unwrap();
        write_atomic(&path, b"new\n", 0o644).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_file(), "{meta:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert!(!tmp.exists());
        // Private files come out 0600 whatever was there before.
        write_private_atomic(&path, b"secret\n").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
