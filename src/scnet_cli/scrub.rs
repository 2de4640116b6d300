//! Taking the plaintext out of scnet-cli's files once actoken holds it: `secret_key` blanked in
//! `config.json` (every other key and value kept, in order: scnet-cli crashes on a missing or
//! unknown profile key), the tokens removed from `cache/NAME.json` (its other content kept),
//! both files 0600. Each rewrite is atomic and fsync'd ([`write_atomic`]); a file that is
//! read-only is left alone, never partly rewritten.

use std::path::Path;

use serde_json::Value;

use super::files::{FileError, FileProblem, read_json};
use crate::store::fsutil::write_atomic;

/// What scrubbing one file changed (all `false`/`None`: nothing needed changing).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scrubbed {
    /// `config.json`: the profile's `secret_key` was blanked.
    pub secret_blanked: bool,
    /// A cache file: how many tokens were removed.
    pub tokens_removed: usize,
    /// The mode it had when wider than 0600 (it is 0600 now).
    pub mode_was: Option<u32>,
}

impl Scrubbed {
    pub fn changed(&self) -> bool {
        self.secret_blanked || self.tokens_removed > 0 || self.mode_was.is_some()
    }
}

/// Blanks `profiles.PROFILE.secret_key` in `config.json` at `path`, and makes the file 0600.
pub fn scrub_config(path: &Path, profile: &str) -> Result<Scrubbed, FileError> {
    rewrite(path, |raw| {
        let secret = raw
            .get_mut("profiles")
            .and_then(|p| p.get_mut(profile))
            .and_then(|p| p.get_mut("secret_key"));
        match secret {
            Some(Value::String(s)) if !s.is_empty() => {
                *s = String::new();
                Some(Scrubbed {
                    secret_blanked: true,
                    ..Scrubbed::default()
                })
            }
            _ => None,
        }
    })
}

/// Empties `tokens` in the cache file at `path` (kept as `{}`, as scnet-cli starts one), and
/// makes the file 0600. A missing cache is nothing to scrub.
pub fn scrub_cache(path: &Path) -> Result<Scrubbed, FileError> {
    if !path.exists() {
        return Ok(Scrubbed::default());
    }
    rewrite(path, |raw| match raw.get_mut("tokens") {
        Some(Value::Object(tokens)) if !tokens.is_empty() => {
            let removed = tokens.len();
            tokens.clear();
            Some(Scrubbed {
                tokens_removed: removed,
                ..Scrubbed::default()
            })
        }
        _ => None,
    })
}

/// Reads `path`, lets `change` edit its JSON (`None`: nothing to change), writes it back
/// atomically as 0600 when changed, else only narrows its mode when wider than 0600.
fn rewrite(
    path: &Path,
    change: impl FnOnce(&mut Value) -> Option<Scrubbed>,
) -> Result<Scrubbed, FileError> {
    let mut raw = read_json(path)?;
    let io = |e: std::io::Error| FileError {
        path: path.to_path_buf(),
        problem: FileProblem::Unreadable(e.to_string()),
    };
    let mode = mode_of(path).map_err(io)?;
    if mode & 0o200 == 0 {
        // The user made it read-only: respected, never replaced behind their back.
        return Err(io(std::io::Error::from(
            std::io::ErrorKind::PermissionDenied,
        )));
    }
    let wider = (mode & 0o077 != 0).then_some(mode);
    let Some(mut scrubbed) = change(&mut raw) else {
        if wider.is_some() {
            set_private(path).map_err(io)?;
        }
        return Ok(Scrubbed {
            mode_was: wider,
            ..Scrubbed::default()
        });
    };
    scrubbed.mode_was = wider;
    // As scnet-cli writes it: two-space indent, non-ASCII as is.
    let mut text = serde_json::to_string_pretty(&raw).expect("a Value always serialises");
    text.push('\n');
    write_atomic(path, text.as_bytes(), 0o600).map_err(|e| FileError {
        path: path.to_path_buf(),
        problem: FileProblem::Unreadable(e.to_string()),
    })?;
    // The umask may have taken bits away, never added them; make sure of 0600 exactly.
    set_private(path).map_err(io)?;
    Ok(scrubbed)
}

#[cfg(unix)]
fn mode_of(path: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_: &Path) -> std::io::Result<u32> {
    Ok(0o600)
}

#[cfg(unix)]
fn set_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const CONFIG: &str = r#"{
  "current": "lab",
  "profiles": {
    "lab": {
      "name": "lab",
      "user": "zhangsan",
      "access_key": "AK1",
      "secret_key": "SK1",
      "default_cluster_id": "11250",
      "llm_api_key": "sk-llm",
      "base_overrides": {"www": "https://w", "api": "https://a"}
    }
  },
  "extra": [1, 2]
}"#;

    fn write(path: &Path, text: &str, mode: u32) {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn blanks_only_the_secret_keeping_every_key_then_does_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        write(&path, CONFIG, 0o644);
        let done = scrub_config(&path, "lab").unwrap();
        assert_eq!(
            done,
            Scrubbed {
                secret_blanked: true,
                tokens_removed: 0,
                mode_was: Some(0o644)
            }
        );
        let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut wanted: Value = serde_json::from_str(CONFIG).unwrap();
        wanted["profiles"]["lab"]["secret_key"] = Value::String(String::new());
        assert_eq!(after, wanted);
        let keys: Vec<_> = after["profiles"]["lab"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, crate::scnet_cli::PROFILE_KEYS);
        assert_eq!(mode_of(&path).unwrap(), 0o600);
        assert!(!scrub_config(&path, "lab").unwrap().changed());
    }

    #[test]
    fn empties_the_cache_tokens_keeping_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lab.json");
        write(
            &path,
            r#"{"tokens": {"0": {"clusterId": "0", "clusterName": "ac", "token": "T0", "expireMs": 1}},
                "centers": {"11250": {"x": "华东一区【昆山】"}}, "lastGoodBases": {"a:b": "c"}}"#,
            0o664,
        );
        let done = scrub_cache(&path).unwrap();
        assert_eq!((done.tokens_removed, done.mode_was), (1, Some(0o664)));
        let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(after["tokens"], serde_json::json!({}));
        assert_eq!(after["centers"]["11250"]["x"], "华东一区【昆山】");
        assert_eq!(after["lastGoodBases"]["a:b"], "c");
        assert_eq!(mode_of(&path).unwrap(), 0o600);
        assert!(!scrub_cache(&path).unwrap().changed());
        assert!(
            !scrub_cache(&dir.path().join("none.json"))
                .unwrap()
                .changed()
        );
    }

    #[test]
    fn a_read_only_or_truncated_file_is_left_exactly_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        write(&path, CONFIG, 0o444);
        let err = scrub_config(&path, "lab").unwrap_err();
        assert!(err.to_string().contains(&path.display().to_string()));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), CONFIG);
        write(&path, &CONFIG[..60], 0o644);
        assert!(scrub_config(&path, "lab").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), &CONFIG[..60]);
        assert_eq!(mode_of(&path).unwrap(), 0o644);
    }
}
