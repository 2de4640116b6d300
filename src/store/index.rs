//! The index file: names and non-secret metadata of stored tokens (TOML, `version = 3` plus
//! `[[token]]` tables, each with an optional `[token.facts]` table of cached claims and the
//! secret's fingerprint). Secrets never go here.
//!
//! Versions 1 (no facts) and 2 (no `cluster-id`/`cluster-name`: the region as the login's
//! list names it) are still read; the store upgrades them in place on open (see
//! `Store::open`), filling the facts from the keyring and the platform token's list id.
//! Every field of an older version means the same in the newer one, so nothing is lost.
//! Older builds refuse unknown fields, so a field they would trip over comes with a new
//! version: they then say "written by a newer actoken" instead of failing on the field.
//!
//! Reading never "repairs": a corrupt, foreign-writable or newer-version index is an error
//! naming the file, because resetting it would silently lose the user's list of tokens.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{EntryMeta, StoreError, fsutil, validate_name};
use crate::files::capped::{self, ReadError};
use crate::files::{Role, trust};

/// The index format this build writes (and the newest it reads).
pub const INDEX_VERSION: u32 = 3;
/// The oldest index format this build reads (and upgrades).
const OLDEST_VERSION: u32 = 1;

/// An index as read from disk.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// The version the file was written with; [`INDEX_VERSION`] for a missing file.
    pub version: u32,
    /// Sorted by name.
    pub entries: Vec<EntryMeta>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexFile {
    version: u32,
    #[serde(default, rename = "token")]
    tokens: Vec<EntryMeta>,
}

/// Only `version`, read first so a newer format is reported as such rather than as a
/// confusing field error.
#[derive(Deserialize)]
struct VersionOnly {
    version: Option<toml::Value>,
}

/// Reads the index at `path`, sorted by name. A missing (or empty) file is an empty index.
pub(crate) fn read(path: &Path) -> Result<Vec<EntryMeta>, StoreError> {
    read_versioned(path).map(|index| index.entries)
}

/// [`read`], also saying which version the file was written with.
pub(crate) fn read_versioned(path: &Path) -> Result<Index, StoreError> {
    // Whoever can change the index can point a token's base URL at their own server.
    if let Some(dir) = path.parent() {
        trust::check(Role::ConfigDir, dir)?;
    }
    trust::check(Role::Index, path)?;
    let text = match capped::read_to_string(path, capped::INDEX_CAP) {
        Ok(text) => text,
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Index {
                version: INDEX_VERSION,
                entries: Vec::new(),
            });
        }
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Err(StoreError::index(
                path,
                format!("{}{RECOVER}", "not UTF-8 text"),
            ));
        }
        Err(ReadError::Io(e)) => return Err(StoreError::io(path, e)),
        Err(ReadError::TooLarge { cap }) => {
            return Err(StoreError::index(path, capped::too_large(cap)));
        }
    };
    parse(&text).map_err(|message| StoreError::index(path, message))
}

const RECOVER: &str = "\nfix the file by hand (it holds no secrets), or move it aside and \
    re-add your tokens; tokens still in the keyring are listed as orphans and can be re-added";

fn parse(text: &str) -> Result<Index, String> {
    if text.trim().is_empty() {
        return Ok(Index {
            version: INDEX_VERSION,
            entries: Vec::new(),
        });
    }
    let bad = |e: toml::de::Error| format!("cannot be read: {}{RECOVER}", e.to_string().trim_end());
    let version = toml::from_str::<VersionOnly>(text).map_err(bad)?.version;
    let version = match version {
        Some(toml::Value::Integer(v))
            if (i64::from(OLDEST_VERSION)..=i64::from(INDEX_VERSION)).contains(&v) =>
        {
            v as u32
        }
        Some(toml::Value::Integer(v)) if v > i64::from(INDEX_VERSION) => {
            return Err(format!(
                "was written by a newer actoken (index version {v}; this one reads up to \
                 version {INDEX_VERSION}); upgrade actoken, or keep using the newer one"
            ));
        }
        Some(other) => {
            return Err(format!(
                "has an unknown version {other}; this actoken reads versions {OLDEST_VERSION} to {INDEX_VERSION}{RECOVER}"
            ));
        }
        None => return Err(format!("has no `version` line{RECOVER}")),
    };
    let file: IndexFile = toml::from_str(text).map_err(bad)?;
    if version < 2 && file.tokens.iter().any(|t| t.facts.is_some()) {
        return Err(format!(
            "is version {version} but has `[token.facts]` tables (version 2){RECOVER}"
        ));
    }
    let mut tokens = file.tokens;
    for t in &tokens {
        validate_name(&t.name).map_err(|e| format!("{e}{RECOVER}"))?;
    }
    tokens.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = tokens.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(format!("lists the name {:?} twice{RECOVER}", pair[0].name));
    }
    Ok(Index {
        version,
        entries: tokens,
    })
}

/// Writes the index atomically: a private temp file in the same directory, fsync, rename over
/// the old file, fsync the directory. A crash leaves either the old or the new index.
pub(crate) fn write(path: &Path, tokens: &[EntryMeta]) -> Result<(), StoreError> {
    let mut tokens = tokens.to_vec();
    tokens.sort_by(|a, b| a.name.cmp(&b.name));
    let text = toml::to_string(&IndexFile {
        version: INDEX_VERSION,
        tokens,
    })
    .map_err(|e| StoreError::index(path, format!("cannot be encoded: {e}")))?;
    let text = format!(
        "# actoken token index: names and metadata only; the tokens are in the OS keyring.\n{text}"
    );

    fsutil::write_private_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn meta(name: &str) -> EntryMeta {
        let added = Timestamp::from_second(1_700_000_000).unwrap();
        EntryMeta {
            note: Some("note \"quoted\"".into()),
            ..EntryMeta::new(name, "https://api01.example.com:65102", added)
        }
    }

    fn index_error(path: &Path) -> String {
        match read(path) {
            Err(e @ StoreError::Index { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(&path.display().to_string()), "{msg}");
                msg
            }
            other => panic!("expected an index error, got {other:?}"),
        }
    }

    #[test]
    fn missing_or_empty_file_is_an_empty_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        assert!(read(&path).unwrap().is_empty());
        std::fs::write(&path, "\n").unwrap();
        assert!(read(&path).unwrap().is_empty());
        std::fs::write(&path, "version = 1\n").unwrap();
        assert!(read(&path).unwrap().is_empty());
    }

    #[test]
    fn round_trip_sorted_with_private_mode_and_no_temp_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg").join("index.toml");
        let mut b = meta("b");
        b.renewed_at = Some(Timestamp::from_second(1_700_000_100).unwrap());
        b.note = None;
        write(&path, &[b.clone(), meta("华东一区"), meta("a")]).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back, vec![meta("a"), b, meta("华东一区")]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("version = 3"), "{text}");
        assert!(text.contains("[[token]]"), "{text}");
        assert!(text.contains("base-url ="), "{text}");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("index.toml")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
    }

    #[test]
    fn rewrite_replaces_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        write(&path, &[meta("a"), meta("b")]).unwrap();
        write(&path, &[meta("c")]).unwrap();
        assert_eq!(read(&path).unwrap(), vec![meta("c")]);
    }

    #[cfg(unix)]
    #[test]
    fn rewrite_fixes_a_leftover_temp_file_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        let tmp = dir
            .path()
            .join(format!(".index.toml.{}.tmp", std::process::id()));
        std::fs::write(&tmp, "garbage garbage garbage").unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, &[meta("a")]).unwrap();
        assert_eq!(read(&path).unwrap(), vec![meta("a")]);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn corrupt_index_names_file_and_line_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        let bad = "version = 1\n\n[[token]]\nname = \"a\"\nbase-url = \n";
        std::fs::write(&path, bad).unwrap();
        let msg = index_error(&path);
        assert!(msg.contains("line 5"), "{msg}");
        assert!(msg.contains("move it aside"), "{msg}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
    }

    #[test]
    fn missing_field_and_unknown_field_are_errors_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        std::fs::write(&path, "version = 1\n[[token]]\nname = \"a\"\n").unwrap();
        let msg = index_error(&path);
        assert!(msg.contains("base-url"), "{msg}");
        std::fs::write(
            &path,
            "version = 1\n[[token]]\nname = \"a\"\nbase-url = \"u\"\nadded-at = \"2024-01-01T00:00:00Z\"\ntoken = \"oops\"\n",
        )
        .unwrap();
        let msg = index_error(&path);
        assert!(msg.contains("line 6"), "{msg}");
    }

    #[test]
    fn duplicate_and_invalid_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        let entry = |n: &str| {
            format!(
                "[[token]]\nname = \"{n}\"\nbase-url = \"u\"\nadded-at = \"2024-01-01T00:00:00Z\"\n"
            )
        };
        std::fs::write(&path, format!("version = 1\n{}{}", entry("a"), entry("a"))).unwrap();
        assert!(index_error(&path).contains("\"a\" twice"));
        std::fs::write(&path, format!("version = 1\n{}", entry("has space"))).unwrap();
        assert!(index_error(&path).contains("a space"));
    }

    #[test]
    fn newer_or_missing_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        std::fs::write(&path, "version = 4\n[[token]]\nshape = \"new\"\n").unwrap();
        let msg = index_error(&path);
        assert!(msg.contains("newer actoken"), "{msg}");
        assert!(msg.contains("version 4"), "{msg}");
        std::fs::write(&path, "[[token]]\nname = \"a\"\n").unwrap();
        assert!(index_error(&path).contains("no `version`"));
        std::fs::write(&path, "version = \"1\"\n").unwrap();
        assert!(index_error(&path).contains("unknown version"));
    }

    #[cfg(unix)]
    #[test]
    fn index_writable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("cfg");
        let path = cfg.join("index.toml");
        write(&path, &[meta("a")]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let msg = read(&path).unwrap_err().to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("other users"), "{msg}");
        assert!(msg.contains("chmod 600"), "{msg}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 700"), "{err}");
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(read(&path).unwrap(), vec![meta("a")]);
    }

    #[test]
    fn an_index_over_the_cap_is_refused_and_a_thousand_tokens_fit_easily() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        // A thousand tokens, each with every fact, a note and a long base URL.
        let token = crate::token::Token::from_raw(crate::samples::SAMPLE_REQUEST);
        let many: Vec<EntryMeta> = (0..1000)
            .map(|i| EntryMeta {
                facts: Some(crate::store::TokenFacts::of(&token)),
                note: Some("华东一区【昆山】 a note of some length for this token".into()),
                ..EntryMeta::new(
                    format!("alice/华东一区【昆山】-{i:04}"),
                    "https://api01.region-name.example.com:65102/gateway",
                    jiff::Timestamp::from_second(1_700_000_000).unwrap(),
                )
            })
            .collect();
        write(&path, &many).unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(
            size * 20 < capped::INDEX_CAP,
            "1000 tokens take {size} bytes"
        );
        assert_eq!(read(&path).unwrap().len(), 1000);
        // Past the cap: refused before it is read, naming the file and the limit.
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.set_len(capped::INDEX_CAP + 1).unwrap();
        let msg = index_error(&path);
        assert!(msg.contains("16 MiB"), "{msg}");
    }

    #[test]
    fn account_and_platform_are_optional_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        let mut m = meta("alice/ac");
        m.account = Some("alice@api.example.com".into());
        m.platform = true;
        write(&path, &[m.clone(), meta("plain")]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // Entries without them are written exactly as before (older actoken can read them).
        assert_eq!(text.matches("account =").count(), 1, "{text}");
        assert_eq!(text.matches("platform = true").count(), 1, "{text}");
        assert!(!text.contains("platform = false"), "{text}");
        assert_eq!(read(&path).unwrap(), vec![m, meta("plain")]);
    }

    #[test]
    fn version_1_is_read_with_every_field_and_written_back_as_version_2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        let v1 = "version = 1\n\n[[token]]\nname = \"华东一区【昆山】\"\nbase-url = \"https://api01.example.com:65102\"\nnote = \"note\"\nadded-at = \"2024-01-01T00:00:00Z\"\nrenewed-at = \"2024-01-02T00:00:00Z\"\naccount = \"alice@ac.example.com\"\nplatform = true\n";
        std::fs::write(&path, v1).unwrap();
        let index = read_versioned(&path).unwrap();
        assert_eq!(index.version, 1);
        let [entry] = &index.entries[..] else {
            panic!("{:?}", index.entries)
        };
        assert_eq!(entry.name, "华东一区【昆山】");
        assert_eq!(entry.note.as_deref(), Some("note"));
        assert!(entry.renewed_at.is_some() && entry.platform);
        assert_eq!(entry.account.as_deref(), Some("alice@ac.example.com"));
        assert_eq!(entry.facts, None);
        write(&path, &index.entries).unwrap();
        let again = read_versioned(&path).unwrap();
        assert_eq!(again.version, INDEX_VERSION);
        assert_eq!(&again.entries, &index.entries);
    }

    #[test]
    fn facts_round_trip_in_their_own_table_and_version_1_cannot_have_them() {
        use crate::samples::SAMPLE_RESPONSE;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.toml");
        let mut m = meta("a");
        m.facts = Some(super::super::TokenFacts::of(
            &crate::token::Token::from_raw(SAMPLE_RESPONSE),
        ));
        write(&path, &[m.clone(), meta("b")]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("[token.facts]").count(), 1, "{text}");
        assert!(text.contains("expireTime = "), "{text}");
        assert!(text.contains("fingerprint = \"sha256:"), "{text}");
        assert_eq!(read(&path).unwrap(), vec![m, meta("b")]);
        std::fs::write(&path, text.replace("version = 3", "version = 1")).unwrap();
        assert!(index_error(&path).contains("version 1 but has"));
    }
}
