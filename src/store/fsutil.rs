//! Small file-system helpers: private directories and permission checks.

use std::path::Path;

use super::StoreError;

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

/// Refuses a file or directory that users other than its owner can write: anyone who can
/// edit the index could point a token's base URL at their own server and receive the token
/// on the next renewal.
pub(crate) fn refuse_if_others_can_write(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::io(path, e)),
        };
        let mode = meta.permissions().mode() & 0o7777;
        // A sticky world-writable dir (/tmp) still lets others create files, so it is refused too.
        if mode & 0o022 != 0 {
            let (kind, fix) = if meta.is_dir() {
                ("directory", "chmod 700")
            } else {
                ("file", "chmod 600")
            };
            return Err(StoreError::index(
                path,
                format!(
                    "this {kind} can be written by other users (mode {mode:04o}), so its \
                     contents cannot be trusted; check it, then run `{fix} {}`",
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Writes a private (0600) file atomically: a temp file in the same directory, fsync, rename
/// over the old file, fsync the directory. A crash leaves either the old or the new file.
/// The directory is created (0700) if missing.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    ensure_private_dir(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = write_new_file(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    // Truncate rather than create_new: a temp file left by a crashed run with our pid is ours.
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let io = |e| StoreError::io(path, e);
    let mut file = options.open(path).map_err(io)?;
    #[cfg(unix)]
    {
        // `mode` only applies on creation; a leftover file may have other bits.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
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
