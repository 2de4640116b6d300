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
