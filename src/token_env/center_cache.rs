//! A region's service addresses, remembered for a few minutes in `center-cache.json` under the
//! state dir, so `exec` in a loop of job submissions does not ask `center` every time. The
//! file holds addresses only (no token); a damaged or unwritable file only costs a request.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::api::{CenterInfo, ServiceUrl, is_safe_service_url};
use crate::config::Paths;
use crate::files::{Distrust, Role, capped, trust};

/// How long addresses are reused. Short: a region may move a service, but not every minute.
pub const CENTER_CACHE_TTL: SignedDuration = SignedDuration::from_mins(10);

/// What the variables take from `center`: the first enabled, real address of each kind, and
/// the region's own facts (its name, the cluster user the job API wants, the home path).
/// Fields added later are absent from older cache files, which read as unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAddrs {
    pub hpc: Option<String>,
    pub efile: Option<String>,
    pub ai: Option<String>,
    /// `name`: the region's name.
    #[serde(default)]
    pub region_name: Option<String>,
    /// `clusterUserInfo.userName`.
    #[serde(default)]
    pub cluster_user: Option<String>,
    /// `clusterUserInfo.homePath`.
    #[serde(default)]
    pub home: Option<String>,
}

impl ServiceAddrs {
    fn all_safe(&self) -> bool {
        [&self.hpc, &self.efile, &self.ai]
            .into_iter()
            .flatten()
            .all(|u| is_safe_service_url(u))
    }

    pub(crate) fn from_center(c: &CenterInfo) -> ServiceAddrs {
        let first =
            |urls: &[ServiceUrl]| urls.iter().find(|u| u.usable()).and_then(|u| u.url.clone());
        ServiceAddrs {
            hpc: first(&c.hpc_urls),
            efile: first(&c.efile_urls),
            ai: first(&c.ai_urls),
            region_name: c.name.clone(),
            cluster_user: c.user_name.clone(),
            home: c.home_path.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    fetched_at: Timestamp,
    addrs: ServiceAddrs,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    entries: BTreeMap<String, Entry>,
}

/// The cache file of one actoken profile.
#[derive(Debug, Clone)]
pub struct CenterCache {
    path: PathBuf,
}

impl CenterCache {
    pub fn new(paths: &Paths) -> CenterCache {
        CenterCache {
            path: paths.state_dir.join("center-cache.json"),
        }
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Addresses fetched less than [`CENTER_CACHE_TTL`] before `now`. `Err` when the file is
    /// one another user could have changed (it would hand their addresses to scripts that
    /// send tokens there): it is not used, and the next [`CenterCache::put`] replaces it. An
    /// entry holding an address that may not be handed on (written by an actoken that did not
    /// check them) is not used either: `center` is asked again, and its reply checked.
    pub fn get(&self, key: &str, now: Timestamp) -> Result<Option<ServiceAddrs>, Distrust> {
        let Some(entry) = self.read()?.entries.remove(key) else {
            return Ok(None);
        };
        Ok((fresh(&entry, now) && entry.addrs.all_safe()).then_some(entry.addrs))
    }

    /// Remembers `addrs` and drops stale entries. Failing to write is logged, not an error.
    pub(crate) fn put(&self, key: &str, addrs: &ServiceAddrs, now: Timestamp) {
        // A file that is not trusted is not merged, only replaced.
        let mut file = self.read().unwrap_or_default();
        file.entries.retain(|_, e| fresh(e, now));
        file.entries.insert(
            key.to_owned(),
            Entry {
                fetched_at: now,
                addrs: addrs.clone(),
            },
        );
        let text = serde_json::to_vec_pretty(&file).expect("serialisable");
        if let Err(e) = crate::store::write_private_atomic(&self.path, &text) {
            tracing::debug!(error = %e, "cannot write the center cache");
        }
    }

    /// The file's entries; none when it is missing, damaged or oversized (that only costs a
    /// request).
    fn read(&self) -> Result<File, Distrust> {
        trust::check(Role::CenterCache, &self.path)?;
        Ok(capped::read_to_string(&self.path, capped::CENTER_CACHE_CAP)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default())
    }
}

fn fresh(e: &Entry, now: Timestamp) -> bool {
    let age = e.fetched_at.duration_until(now);
    !age.is_negative() && age < CENTER_CACHE_TTL
}

/// The cache key of a region as one user sees it.
pub(crate) fn key(base_url: &str, cluster_id: Option<&str>, user: Option<&str>) -> String {
    format!(
        "{}|{}|{}",
        base_url.trim().trim_end_matches('/').to_ascii_lowercase(),
        cluster_id.unwrap_or(""),
        user.unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_bad_files_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CenterCache::new(&Paths::under(dir.path()));
        let now = Timestamp::now();
        let addrs = ServiceAddrs {
            hpc: Some("https://h".into()),
            ..ServiceAddrs::default()
        };
        assert_eq!(cache.get("k", now), Ok(None));
        cache.put("k", &addrs, now);
        assert_eq!(
            cache.get("k", now + SignedDuration::from_mins(9)),
            Ok(Some(addrs.clone()))
        );
        assert_eq!(cache.get("k", now + CENTER_CACHE_TTL), Ok(None));
        assert_eq!(cache.get("other", now), Ok(None));
        std::fs::write(cache.path(), "{not json").unwrap();
        assert_eq!(cache.get("k", now), Ok(None));
        cache.put("k", &addrs, now);
        assert_eq!(cache.get("k", now), Ok(Some(addrs)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(cache.path())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_others_could_change_is_not_used_and_is_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache = CenterCache::new(&Paths::under(dir.path()));
        let now = Timestamp::now();
        let ours = ServiceAddrs {
            efile: Some("https://efile.example.com".into()),
            ..ServiceAddrs::default()
        };
        cache.put("k", &ours, now);
        std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o666)).unwrap();
        let distrust = cache.get("k", now).unwrap_err();
        let text = crate::i18n::with_lang(crate::i18n::Lang::En, || distrust.to_string());
        assert!(text.contains(&cache.path().display().to_string()), "{text}");
        // The next put writes a private file of actoken's own in its place.
        cache.put("k", &ours, now);
        assert_eq!(cache.get("k", now), Ok(Some(ours)));
    }

    /// Issue 22: a cache written by an older actoken (or by someone else) may hold an address
    /// a server sent before addresses were checked; such an entry is not used.
    #[test]
    fn an_entry_with_an_unsafe_address_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CenterCache::new(&Paths::under(dir.path()));
        let now = Timestamp::now();
        for bad in [
            "x';touch /tmp/p;#",
            "https://h/\u{1b}[2J",
            "http://far.example/x",
        ] {
            let addrs = ServiceAddrs {
                hpc: Some("https://h.example/hpc".into()),
                efile: Some(bad.into()),
                ..ServiceAddrs::default()
            };
            cache.put("k", &addrs, now);
            assert!(
                std::fs::read_to_string(cache.path())
                    .unwrap()
                    .contains("efile")
            );
            assert_eq!(cache.get("k", now), Ok(None), "{bad:?}");
        }
    }

    #[test]
    fn first_usable_address_of_each_kind() {
        let url = |u: Option<&str>, enabled| ServiceUrl {
            url: u.map(str::to_owned),
            enabled,
            version: None,
        };
        let info = CenterInfo {
            hpc_urls: vec![
                url(Some("https://off"), false),
                url(Some("https://on"), true),
            ],
            ai_urls: vec![url(None, true)],
            efile_urls: vec![url(Some("https://f"), true)],
            ..CenterInfo::default()
        };
        let a = ServiceAddrs::from_center(&info);
        assert_eq!(a.hpc.as_deref(), Some("https://on"));
        assert_eq!(a.ai, None);
        assert_eq!(a.efile.as_deref(), Some("https://f"));
    }
}
