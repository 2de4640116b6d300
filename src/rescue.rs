//! Last resort for a renewed token the keyring would not take: a private file the user can
//! restore from (`actoken add NAME --force < FILE`). The only place a token ever touches disk.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::token::Token;

/// Writes `token` to a new file in `dir` (created 0700), readable by the owner only.
pub(crate) fn write(
    dir: &Path,
    name: &str,
    token: &Token,
    now: Timestamp,
) -> std::io::Result<PathBuf> {
    create_private_dir(dir)?;
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    // Never overwrite an earlier rescue: it may hold the only copy of another token.
    let stem = format!("{safe}-{}", now.as_millisecond());
    let (path, mut file) = (0..100)
        .find_map(|n| {
            let path = match n {
                0 => dir.join(format!("{stem}.jwt")),
                n => dir.join(format!("{stem}-{n}.jwt")),
            };
            options.open(&path).ok().map(|file| (path, file))
        })
        .ok_or_else(|| std::io::Error::other("no free rescue file name"))?;
    file.write_all(token.expose().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    Ok(path)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_private_file_with_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let token = Token::from_raw(crate::samples::SAMPLE_REQUEST);
        let now: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        let path = write(&dir.path().join("rescue"), "alice/east 1", &token, now).unwrap();
        assert!(
            path.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("alice_east_1-")
        );
        assert_eq!(
            fs::read_to_string(&path).unwrap().trim(),
            crate::samples::SAMPLE_REQUEST
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            let dir_mode = fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        // A second rescue at the same instant must not overwrite the first.
        let second = write(&dir.path().join("rescue"), "alice/east 1", &token, now).unwrap();
        assert_ne!(second, path);
        assert!(path.exists());
    }
}
