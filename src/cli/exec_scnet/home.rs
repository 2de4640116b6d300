//! The private, temporary `SCNET_HOME` scnet-cli runs on: its own `config.json` (one profile,
//! no secret key) and `cache/default.json` (the account's tokens), in the exact shapes
//! scnet-cli reads (`config.py`: `Config.load`, `TokenCache`).
//!
//! Everything is created private from the start: the directory 0700 (`mkdir` with that mode,
//! so it is never wider, and failing if the name exists: no one can plant a symlink there),
//! each file 0600 and new (`O_CREAT|O_EXCL`). The directory goes away when this is dropped,
//! so an early return or a panic leaves no token behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::token::Token;

/// scnet-cli reads the profile named by its `--profile` option, which defaults to "default"
/// (the file's `current` is not consulted): the one profile must have that name.
pub(crate) const PROFILE: &str = "default";

/// The platform token's key in scnet-cli's cache (its `PLATFORM_CLUSTER_IDS`).
pub(crate) const PLATFORM_ID: &str = "0";

/// One token as scnet-cli's cache holds it.
pub(crate) struct CachedToken<'a> {
    /// The login list's `clusterId` ("0" for the platform token).
    pub cluster_id: &'a str,
    pub cluster_name: &'a str,
    pub token: &'a Token,
    /// When it expires, in milliseconds (scnet-cli renews 60 s before).
    pub expire_ms: i64,
}

/// The account's non-secret facts scnet-cli's profile needs.
pub(crate) struct Profile<'a> {
    pub user: &'a str,
    pub access_key: &'a str,
    /// Where scnet-cli logs in (`base_overrides.api`).
    pub auth_url: &'a str,
    /// Where it renews and calls the platform (`base_overrides.www`).
    pub base_url: &'a str,
}

/// The directory, removed (with what scnet-cli left in it) on drop.
#[derive(Debug)]
pub(crate) struct ScnetHome {
    dir: PathBuf,
}

impl ScnetHome {
    /// A new private directory under `parent`, with the profile and the tokens written.
    pub(crate) fn create(
        parent: &Path,
        profile: &Profile,
        tokens: &[CachedToken],
    ) -> std::io::Result<ScnetHome> {
        let home = ScnetHome {
            dir: new_private_dir(parent)?,
        };
        write_new_private(&home.dir.join("config.json"), &config_json(profile))?;
        let cache = home.dir.join("cache");
        make_private_dir(&cache)?;
        write_new_private(&home.cache_file(), &cache_json(tokens))?;
        Ok(home)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.dir
    }

    fn cache_file(&self) -> PathBuf {
        self.dir.join("cache").join(format!("{PROFILE}.json"))
    }

    /// The tokens the cache holds now, by `clusterId` (what scnet-cli renewed replaced ours).
    /// Entries that are not of the expected shape are left out; an unreadable cache is none.
    pub(crate) fn tokens_now(&self) -> Vec<(String, Token)> {
        let Ok(bytes) = std::fs::read(self.cache_file()) else {
            return Vec::new();
        };
        let Ok(cache) = serde_json::from_slice::<Value>(&bytes) else {
            return Vec::new();
        };
        let Some(tokens) = cache.get("tokens").and_then(Value::as_object) else {
            return Vec::new();
        };
        tokens
            .iter()
            .filter_map(|(id, entry)| {
                let token = entry.get("token")?.as_str()?;
                Some((id.clone(), Token::from_raw(token)))
            })
            .collect()
    }
}

impl Drop for ScnetHome {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "could not remove the temporary SCNET_HOME");
        }
    }
}

/// Where the directory goes: `XDG_RUNTIME_DIR` (a per-user tmpfs, never on disk) where it is
/// set to an existing directory, else the system's temporary directory.
pub(crate) fn parent_dir() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute() && d.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

/// Exactly scnet-cli's profile keys (it crashes on any other); the secret key empty, so it
/// can renew but never log in.
fn config_json(p: &Profile) -> Value {
    json!({
        "current": PROFILE,
        "profiles": {PROFILE: {
            "name": PROFILE,
            "user": p.user,
            "access_key": p.access_key,
            "secret_key": "",
            "default_cluster_id": "",
            "llm_api_key": "",
            "base_overrides": {"api": p.auth_url, "www": p.base_url},
        }},
    })
}

fn cache_json(tokens: &[CachedToken]) -> Value {
    let entries: serde_json::Map<String, Value> = tokens
        .iter()
        .map(|t| {
            let entry = json!({
                "clusterId": t.cluster_id,
                "clusterName": t.cluster_name,
                "token": t.token.expose(),
                "expireMs": t.expire_ms,
            });
            (t.cluster_id.to_owned(), entry)
        })
        .collect();
    json!({ "tokens": entries })
}

/// `actoken-scnet-<pid>-<n>` under `parent`, made 0700 and new (a name taken, by anything,
/// is skipped).
fn new_private_dir(parent: &Path) -> std::io::Result<PathBuf> {
    let pid = std::process::id();
    let salt = jiff::Timestamp::now().subsec_nanosecond().unsigned_abs();
    for n in 0..100u32 {
        let dir = parent.join(format!("actoken-scnet-{pid}-{salt:x}-{n}"));
        match make_private_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("no free name under {}", parent.display()),
    ))
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn write_new_private(path: &Path, value: &Value) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(value.to_string().as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{MintSpec, mint};

    fn profile() -> Profile<'static> {
        Profile {
            user: "alice",
            access_key: "AK-alice",
            auth_url: "https://api.example.cn",
            base_url: "https://www.example.cn",
        }
    }

    #[test]
    fn the_home_is_private_holds_scnet_cli_s_shapes_and_goes_away() {
        let parent = std::env::temp_dir();
        let token = mint(&MintSpec::new(
            "alice",
            "11250",
            "2030-01-01T00:00:00Z".parse().unwrap(),
        ));
        let tokens = [CachedToken {
            cluster_id: "11250",
            cluster_name: "华东一区【昆山】",
            token: &token,
            expire_ms: 1_700_000_000_000,
        }];
        let home = ScnetHome::create(&parent, &profile(), &tokens).unwrap();
        let dir = home.path().to_owned();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&dir.join("cache")), 0o700);
            assert_eq!(mode(&dir.join("config.json")), 0o600);
            assert_eq!(mode(&dir.join("cache/default.json")), 0o600);
        }
        let read = |p: &str| -> Value {
            serde_json::from_slice(&std::fs::read(dir.join(p)).unwrap()).unwrap()
        };
        let config = read("config.json");
        let keys: Vec<&String> = config["profiles"]["default"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        // Exactly scnet-cli's keys, in its order: another key crashes it.
        assert_eq!(keys, crate::scnet_cli::PROFILE_KEYS);
        assert_eq!(config["profiles"]["default"]["secret_key"], "");
        assert_eq!(
            config["profiles"]["default"]["base_overrides"],
            json!({"api": "https://api.example.cn", "www": "https://www.example.cn"})
        );
        let cache = read("cache/default.json");
        assert_eq!(cache["tokens"]["11250"]["clusterName"], "华东一区【昆山】");
        assert_eq!(cache["tokens"]["11250"]["expireMs"], 1_700_000_000_000i64);
        assert_eq!(home.tokens_now().len(), 1);
        assert_eq!(home.tokens_now()[0].1.expose(), token.expose());
        drop(home);
        assert!(!dir.exists());
    }
}
