//! Reading actoken's own files within a size limit. Each file is read whole and parsed, which
//! takes several times its size in memory (a 200 MB index took 1.2 GB), so one far larger than
//! any real one is refused, naming the limit, before it is read. The limits leave generous
//! room: an index of 1000 tokens with all their facts is about a tenth of a megabyte.

use std::io::Read;
use std::path::Path;

use crate::tr;

/// `config.toml`: a few dozen settings and a `[keys]` table.
pub const CONFIG_CAP: u64 = 1024 * 1024;
/// `index.toml`: room for well over 100 000 tokens.
pub const INDEX_CAP: u64 = 16 * 1024 * 1024;
/// `accounts.toml`: room for tens of thousands of remembered logins.
pub const ACCOUNTS_CAP: u64 = 4 * 1024 * 1024;
/// `center-cache.json`: a few addresses per region.
pub const CENTER_CACHE_CAP: u64 = 4 * 1024 * 1024;

/// Why a capped read failed.
#[derive(Debug)]
pub enum ReadError {
    /// As `std::fs::read_to_string` fails (missing, unreadable, not UTF-8: `InvalidData`).
    Io(std::io::Error),
    /// Larger than the limit: not read.
    TooLarge { cap: u64 },
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => e.fmt(f),
            ReadError::TooLarge { cap } => f.write_str(&too_large(*cap)),
        }
    }
}

impl std::error::Error for ReadError {}

/// What to say about a file over `cap` bytes, in the interface language ("is larger than
/// 16 MiB, …"), to follow the file's name.
pub fn too_large(cap: u64) -> String {
    let cap = format!("{} MiB", cap / (1024 * 1024));
    tr!("files.too_large", cap = cap)
}

/// The text of `path`, if it is at most `cap` bytes. The limit holds for files that grow while
/// being read and for ones that report no size (a FIFO, `/dev/zero`).
pub fn read_to_string(path: &Path, cap: u64) -> Result<String, ReadError> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > cap {
        return Err(ReadError::TooLarge { cap });
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge { cap });
    }
    String::from_utf8(bytes)
        .map_err(|e| ReadError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

    #[test]
    fn reads_up_to_the_cap_and_refuses_more_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "x".repeat(1024)).unwrap();
        assert_eq!(read_to_string(&path, 1024).unwrap().len(), 1024);
        let err = read_to_string(&path, 1023).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { cap: 1023 }), "{err:?}");
        let text = with_lang(Lang::En, || too_large(16 * 1024 * 1024));
        assert!(text.contains("16 MiB"), "{text}");
        let zh = with_lang(Lang::ZhCn, || too_large(16 * 1024 * 1024));
        assert!(zh.contains("16 MiB") && zh != text, "{zh}");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_without_a_size_is_cut_at_the_cap() {
        // /dev/zero reports size 0 and never ends.
        let err = read_to_string(Path::new("/dev/zero"), 4096).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { .. }), "{err:?}");
    }

    #[test]
    fn missing_and_non_utf8_files_fail_as_std_does() {
        let dir = tempfile::tempdir().unwrap();
        let missing = read_to_string(&dir.path().join("none"), 10).unwrap_err();
        assert!(matches!(&missing, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound));
        let path = dir.path().join("bin");
        std::fs::write(&path, b"\xff\xfe").unwrap();
        let bad = read_to_string(&path, 10).unwrap_err();
        assert!(matches!(&bad, ReadError::Io(e) if e.kind() == std::io::ErrorKind::InvalidData));
    }
}
