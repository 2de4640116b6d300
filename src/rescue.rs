//! Last resort for an issued token the keyring would not take: a private file the user can
//! restore from (`actoken add NAME --force < FILE`). The only place a token ever touches disk.
//! When not even that file can be written, the front end shows the token where the user can
//! copy it ([`Kept`] says where it went, and every message about it says so).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::shell_quote::shell_word;
use crate::token::Token;
use crate::tr;

/// Where an issued token that the keyring would not take was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// In this private (0600) rescue file.
    File(PathBuf),
    /// Written to the user's terminal (`/dev/tty`).
    Terminal,
    /// Written to standard output (no terminal to write to).
    Stdout,
    /// To be printed on the terminal when the dashboard closes.
    AtExit,
    /// Nowhere: no rescue file could be written, and the front end could not show it either
    /// (or has not tried yet).
    Nowhere,
}

impl Kept {
    /// Where it is and how to put it back, for a message about `name` (no token in it).
    pub fn describe(&self, name: &str) -> String {
        // Both go into a command the user pastes: one shell word each.
        let name = &shell_word(name);
        match self {
            Kept::File(path) => {
                let path = shell_word(&path.to_string_lossy());
                tr!("rescue.in_file", path = path, name = name)
            }
            Kept::Terminal => tr!("rescue.on_terminal", name = name),
            Kept::Stdout => tr!("rescue.on_stdout", name = name),
            Kept::AtExit => tr!("rescue.at_exit", name = name),
            Kept::Nowhere => tr!("rescue.lost"),
        }
    }
}

/// An issued token that was not stored, and where it was kept instead.
#[derive(Debug, Clone)]
pub struct Rescued {
    pub name: String,
    pub token: Token,
    pub kept: Kept,
}

/// Writes `token` to a rescue file in `dir`: [`Kept::File`], or [`Kept::Nowhere`] (the front
/// end then shows it) when the file cannot be written.
pub(crate) fn keep(dir: &Path, name: &str, token: &Token, now: Timestamp) -> Kept {
    match write(dir, name, token, now) {
        Ok(path) => Kept::File(path),
        Err(e) => {
            tracing::warn!(name, error = %e, "the rescue file could not be written");
            Kept::Nowhere
        }
    }
}

/// Writes `text` to the user's terminal (`/dev/tty`): seen by the user, captured by no
/// pipe or log. An error when the process has no terminal.
pub(crate) fn on_terminal(text: &str) -> std::io::Result<()> {
    let mut tty = OpenOptions::new().write(true).open("/dev/tty")?;
    tty.write_all(text.as_bytes())?;
    tty.flush()
}

/// Whether stdout is the systemd journal (`JOURNAL_STREAM` names its device and inode, as
/// under `actoken watch` as a service): a log, which others (the `adm` group) may read, so
/// never the last resort for a token.
pub(crate) fn stdout_is_journal() -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let (Some(stream), Ok(stdout)) = (
            std::env::var_os("JOURNAL_STREAM"),
            fs::metadata("/proc/self/fd/1"),
        ) else {
            return false;
        };
        names_stream(&stream.to_string_lossy(), stdout.dev(), stdout.ino())
    }
    #[cfg(not(target_os = "linux"))]
    false
}

/// Whether a `JOURNAL_STREAM` value (`DEVICE:INODE`, decimal) names this device and inode.
#[cfg(any(target_os = "linux", test))]
fn names_stream(value: &str, dev: u64, ino: u64) -> bool {
    value
        .split_once(':')
        .and_then(|(d, i)| Some((d.parse::<u64>().ok()?, i.parse::<u64>().ok()?)))
        == Some((dev, ino))
}

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
    fn journal_stream_names_a_device_and_an_inode() {
        assert!(names_stream("8:12345", 8, 12345));
        assert!(!names_stream("8:12345", 8, 12346));
        assert!(!names_stream("", 8, 12345));
        assert!(!names_stream("8", 8, 12345));
    }

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
