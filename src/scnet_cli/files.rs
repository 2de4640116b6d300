//! Reading scnet-cli's files (formats in scnet-cli's `scnet/config.py`):
//!
//! - `$SCNET_HOME/config.json` (default `~/.scnet`): `{"current", "profiles": {NAME: {"name",
//!   "user", "access_key", "secret_key", "default_cluster_id", "llm_api_key",
//!   "base_overrides": {"api", "www", "hpc", "efile", "ai"}}}}`;
//! - `$SCNET_HOME/cache/NAME.json`: `{"tokens": {clusterId: {"clusterId", "clusterName",
//!   "token", "expireMs"}}, "centers", "clustersByRegion", "lastGoodBases"}`; the platform
//!   token is under `"0"`.
//!
//! The raw JSON is kept ([`Config::raw`]) so that a rewrite can keep every key and value it
//! does not understand: scnet-cli crashes on an unknown profile key and loses nothing it wrote.
//! A file that is not what scnet-cli writes is an error naming the file, never a guess.

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::files::capped;

/// The most read from one of scnet-cli's files; a real one is a few kilobytes.
pub const SCNET_FILE_CAP: u64 = 4 * 1024 * 1024;

/// The keys of a profile in `config.json`, in scnet-cli's order. A file scnet-cli reads has
/// these and no others (`Profile(**pf)` raises `TypeError` on any other key).
pub const PROFILE_KEYS: [&str; 7] = [
    "name",
    "user",
    "access_key",
    "secret_key",
    "default_cluster_id",
    "llm_api_key",
    "base_overrides",
];

/// scnet-cli's directory: `$SCNET_HOME`, or `~/.scnet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScnetHome {
    dir: PathBuf,
}

impl ScnetHome {
    /// Where scnet-cli keeps its files for this process's environment (`SCNET_HOME` when set
    /// and not empty, as scnet-cli decides); `None` without a home directory.
    pub fn from_env() -> Option<ScnetHome> {
        Self::from_vars(
            std::env::var_os("SCNET_HOME"),
            std::env::var_os("HOME").or_else(|| {
                directories::BaseDirs::new().map(|d| d.home_dir().as_os_str().to_owned())
            }),
        )
    }

    /// [`ScnetHome::from_env`] on given values (tests).
    pub fn from_vars(
        scnet_home: Option<std::ffi::OsString>,
        home: Option<std::ffi::OsString>,
    ) -> Option<ScnetHome> {
        match scnet_home.filter(|v| !v.is_empty()) {
            Some(dir) => Some(ScnetHome::at(dir)),
            None => home
                .filter(|v| !v.is_empty())
                .map(|h| ScnetHome::at(PathBuf::from(h).join(".scnet"))),
        }
    }

    pub fn at(dir: impl Into<PathBuf>) -> ScnetHome {
        ScnetHome { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.join("cache")
    }

    /// `cache/NAME.json`, as scnet-cli names it.
    pub fn cache_path(&self, profile: &str) -> PathBuf {
        self.cache_dir().join(format!("{profile}.json"))
    }
}

/// One profile of `config.json`. `Debug` shows no secret (`SecretString`).
#[derive(Debug, Clone)]
pub struct Profile {
    /// The key under `profiles` (scnet-cli ignores the `name` inside).
    pub name: String,
    pub user: String,
    pub access_key: String,
    /// Empty when scrubbed or never set.
    pub secret_key: SecretString,
    pub default_cluster_id: String,
    pub llm_api_key: SecretString,
    /// `base_overrides`: `api`, `www`, `hpc`, `efile`, `ai` (empty values dropped).
    pub base_overrides: Vec<(String, String)>,
}

impl Profile {
    /// The `base_overrides` value for `key` (`"www"`, `"api"`, …), if set and not empty.
    pub fn base_override(&self, key: &str) -> Option<&str> {
        self.base_overrides
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn has_secret_key(&self) -> bool {
        use secrecy::ExposeSecret;
        !self.secret_key.expose_secret().is_empty()
    }
}

/// `config.json`, read: its profiles (each parsed, or why not) and the raw JSON.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    /// `current`: the profile scnet-cli uses without `--profile`.
    pub current: String,
    /// In the file's order; a profile scnet-cli could not use is an `Err` naming the problem.
    pub profiles: Vec<(String, Result<Profile, FileError>)>,
    /// The whole file, in its order (`preserve_order`), for a rewrite that keeps everything.
    pub raw: Value,
}

/// What is wrong with one of scnet-cli's files.
#[derive(Debug)]
pub struct FileError {
    pub path: PathBuf,
    pub problem: FileProblem,
}

#[derive(Debug)]
pub enum FileProblem {
    Missing,
    /// Cannot be read (permissions, not UTF-8, too large): the reason.
    Unreadable(String),
    /// Not JSON (truncated, not JSON at all): serde's message, with line and column.
    NotJson(String),
    /// JSON, but not what scnet-cli writes: which part (`profiles.lab.user`, `tokens.0`).
    Shape {
        at: String,
        wanted: &'static str,
    },
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display().to_string();
        let text = match &self.problem {
            FileProblem::Missing => crate::tr!("scnet_cli.file_missing", path = path),
            FileProblem::Unreadable(why) => {
                crate::tr!("scnet_cli.file_unreadable", path = path, why = why)
            }
            FileProblem::NotJson(why) => {
                crate::tr!("scnet_cli.file_not_json", path = path, why = why)
            }
            FileProblem::Shape { at, wanted } => {
                let wanted = match *wanted {
                    "object" => crate::tr!("scnet_cli.wanted_object"),
                    "string" => crate::tr!("scnet_cli.wanted_string"),
                    _ => crate::tr!("scnet_cli.wanted_text"),
                };
                crate::tr!(
                    "scnet_cli.file_shape",
                    path = path,
                    at = at,
                    wanted = wanted
                )
            }
        };
        f.write_str(&text)
    }
}

impl std::error::Error for FileError {}

impl FileError {
    fn new(path: &Path, problem: FileProblem) -> FileError {
        FileError {
            path: path.to_path_buf(),
            problem,
        }
    }

    fn shape(path: &Path, at: impl Into<String>, wanted: &'static str) -> FileError {
        FileError::new(
            path,
            FileProblem::Shape {
                at: at.into(),
                wanted,
            },
        )
    }
}

/// The JSON of one of scnet-cli's files, as an object (both are objects at the top).
pub fn read_json(path: &Path) -> Result<Value, FileError> {
    let text = match capped::read_to_string(path, SCNET_FILE_CAP) {
        Ok(text) => text,
        Err(capped::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FileError::new(path, FileProblem::Missing));
        }
        Err(e) => return Err(FileError::new(path, FileProblem::Unreadable(e.to_string()))),
    };
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| FileError::new(path, FileProblem::NotJson(e.to_string())))?;
    if !value.is_object() {
        return Err(FileError::shape(path, "(top)", "object"));
    }
    Ok(value)
}

/// Reads `config.json`. The file as a whole failing (missing, not JSON, `profiles` not an
/// object) is an `Err`; one bad profile is an `Err` in [`Config::profiles`].
pub fn read_config(path: &Path) -> Result<Config, FileError> {
    let raw = read_json(path)?;
    let current = match raw.get("current") {
        None | Some(Value::Null) => "default".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(FileError::shape(path, "current", "string")),
    };
    let profiles = match raw.get("profiles") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, value)| (name.clone(), parse_profile(path, name, value)))
            .collect(),
        Some(_) => return Err(FileError::shape(path, "profiles", "object")),
    };
    Ok(Config {
        path: path.to_path_buf(),
        current,
        profiles,
        raw,
    })
}

fn parse_profile(path: &Path, name: &str, value: &Value) -> Result<Profile, FileError> {
    let at = |key: &str| format!("profiles.{name}.{key}");
    let empty = Map::new();
    let map = match value {
        Value::Null => &empty,
        Value::Object(map) => map,
        _ => return Err(FileError::shape(path, format!("profiles.{name}"), "object")),
    };
    let text = |key: &str| -> Result<String, FileError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(FileError::shape(path, at(key), "string")),
        }
    };
    let required = |key: &str| -> Result<String, FileError> {
        let value = text(key)?;
        if value.trim().is_empty() {
            return Err(FileError::shape(path, at(key), "text"));
        }
        Ok(value)
    };
    let base_overrides = match map.get("base_overrides") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(o)) => {
            let mut out = Vec::new();
            for (k, v) in o {
                match v {
                    Value::String(s) if !s.is_empty() => out.push((k.clone(), s.clone())),
                    Value::String(_) | Value::Null => {}
                    _ => {
                        return Err(FileError::shape(
                            path,
                            format!("profiles.{name}.base_overrides.{k}"),
                            "string",
                        ));
                    }
                }
            }
            out
        }
        Some(_) => return Err(FileError::shape(path, at("base_overrides"), "object")),
    };
    Ok(Profile {
        name: name.to_owned(),
        user: required("user")?,
        access_key: required("access_key")?,
        secret_key: SecretString::from(text("secret_key")?),
        default_cluster_id: text("default_cluster_id")?,
        llm_api_key: SecretString::from(text("llm_api_key")?),
        base_overrides,
    })
}

/// One token of a cache file's `tokens`. `Debug` shows no token.
#[derive(Debug, Clone)]
pub struct CachedToken {
    /// The key under `tokens` (the login list's `clusterId`; `"0"` is the platform token).
    pub cluster_id: String,
    pub cluster_name: String,
    pub token: SecretString,
    /// `expireMs`: Unix milliseconds, from the token's `exp` (`None` when scnet-cli had none).
    pub expire_ms: Option<i64>,
}

/// The tokens of `cache/NAME.json`, in the file's order. A missing file is `Ok(None)` (scnet-cli
/// has not logged in yet); a file of another shape is an error naming it.
pub fn read_cache(path: &Path) -> Result<Option<Vec<CachedToken>>, FileError> {
    let raw = match read_json(path) {
        Ok(raw) => raw,
        Err(FileError {
            problem: FileProblem::Missing,
            ..
        }) => return Ok(None),
        Err(e) => return Err(e),
    };
    cache_tokens(path, &raw).map(Some)
}

/// The tokens in a cache file's JSON (`raw`, read from `path`).
pub fn cache_tokens(path: &Path, raw: &Value) -> Result<Vec<CachedToken>, FileError> {
    let tokens = match raw.get("tokens") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(FileError::shape(path, "tokens", "object")),
    };
    let mut out = Vec::new();
    for (id, entry) in tokens {
        let at = |key: &str| format!("tokens.{id}.{key}");
        let Value::Object(entry) = entry else {
            return Err(FileError::shape(path, format!("tokens.{id}"), "object"));
        };
        let token = match entry.get("token") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(FileError::shape(path, at("token"), "text")),
        };
        let cluster_name = match entry.get("clusterName") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(FileError::shape(path, at("clusterName"), "string")),
        };
        let expire_ms = match entry.get("expireMs") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Some(_) => return Err(FileError::shape(path, at("expireMs"), "string")),
        };
        out.push(CachedToken {
            cluster_id: id.clone(),
            cluster_name,
            token: SecretString::from(token),
            expire_ms,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const CONFIG: &str = r#"{
  "current": "default",
  "profiles": {
    "default": {
      "name": "default",
      "user": "zhangsan",
      "access_key": "AK1",
      "secret_key": "SK1",
      "default_cluster_id": "",
      "llm_api_key": "",
      "base_overrides": {"www": "http://127.0.0.1:9", "api": ""}
    },
    "lab": {"name": "lab", "user": "", "access_key": "AK2"}
  }
}"#;

    #[test]
    fn scnet_home_honours_the_variable_then_home() {
        let home = ScnetHome::from_vars(Some("/x/s".into()), Some("/home/u".into())).unwrap();
        assert_eq!(home.config_path(), Path::new("/x/s/config.json"));
        assert_eq!(home.cache_path("lab"), Path::new("/x/s/cache/lab.json"));
        let home = ScnetHome::from_vars(Some("".into()), Some("/home/u".into())).unwrap();
        assert_eq!(home.dir(), Path::new("/home/u/.scnet"));
        assert!(ScnetHome::from_vars(None, None).is_none());
    }

    #[test]
    fn reads_profiles_and_names_a_bad_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, CONFIG).unwrap();
        let config = read_config(&path).unwrap();
        assert_eq!(config.current, "default");
        let (name, default) = &config.profiles[0];
        assert_eq!(name, "default");
        let default = default.as_ref().unwrap();
        assert_eq!(default.user, "zhangsan");
        assert_eq!(default.secret_key.expose_secret(), "SK1");
        assert_eq!(default.base_override("www"), Some("http://127.0.0.1:9"));
        assert_eq!(default.base_override("api"), None);
        assert!(!format!("{default:?}").contains("SK1"));
        let err = config.profiles[1].1.as_ref().unwrap_err();
        assert!(matches!(&err.problem, FileProblem::Shape { at, .. } if at == "profiles.lab.user"));
    }

    #[test]
    fn a_truncated_or_foreign_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        assert!(matches!(
            read_config(&path).unwrap_err().problem,
            FileProblem::Missing
        ));
        std::fs::write(&path, &CONFIG[..40]).unwrap();
        let err = read_config(&path).unwrap_err();
        assert!(matches!(err.problem, FileProblem::NotJson(_)));
        assert!(err.to_string().contains(&path.display().to_string()));
        std::fs::write(&path, "[1,2]").unwrap();
        assert!(matches!(
            read_config(&path).unwrap_err().problem,
            FileProblem::Shape { .. }
        ));
    }

    #[test]
    fn reads_the_cache_tokens_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("default.json");
        assert!(read_cache(&path).unwrap().is_none());
        std::fs::write(
            &path,
            r#"{"tokens": {"0": {"clusterId": "0", "clusterName": "", "token": "T0", "expireMs": 1700000000000},
                "11": {"clusterId": "11", "clusterName": "华东一区【昆山】", "token": "T1", "expireMs": null}},
               "centers": {}}"#,
        )
        .unwrap();
        let tokens = read_cache(&path).unwrap().unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].cluster_id, "0");
        assert_eq!(tokens[0].expire_ms, Some(1_700_000_000_000));
        assert_eq!(tokens[1].cluster_name, "华东一区【昆山】");
        assert_eq!(tokens[1].token.expose_secret(), "T1");
        std::fs::write(&path, r#"{"tokens": ["T0"]}"#).unwrap();
        assert!(read_cache(&path).is_err());
        std::fs::write(&path, r#"{"tokens": {"0": {"token": 5}}}"#).unwrap();
        let err = read_cache(&path).unwrap_err();
        assert!(err.to_string().contains("tokens.0.token"));
    }
}
