//! The variables for a token. Names are fixed (scripts rely on them):
//!
//! | variable | value |
//! |---|---|
//! | `AC_TOKEN`, `SCNET_TOKEN`, `SCNET_OPENAPI_TOKEN` | the token |
//! | `AC_CLUSTER_ID`, `SCNET_CLUSTER_ID`, `SCNET_OPENAPI_REGION_ID` | the region's id: the login list's `clusterId` (the token's claim for a token added by hand) |
//! | `AC_CLUSTER_NAME` | the region's name: the login list's `clusterName`, else `center`'s `name` |
//! | `AC_USER` | its `user` claim |
//! | `AC_TOKEN_EXPIRES_AT`, `AC_TOKEN_RENEW_CUTOFF` | its expiry and renew cutoff (RFC 3339, UTC) |
//! | `AC_TOKEN_NAME` | the stored entry's name |
//! | `AC_BASE_URL` | the entry's base URL |
//! | `AC_HPC_URL`, `AC_EFILE_URL`, `AC_AI_URL` (and `SCNET_HPC_URL`, `SCNET_EFILE_URL`, `SCNET_AI_URL`) | the region's first enabled address of each kind, exactly as `center` lists it (`hpcUrls`, `efileUrls`, `aiUrls`): a service's root, which may end in `/hpc`, `/efile` or `/ai` |
//! | `AC_HPC_OPENAPI_URL`, `AC_EFILE_OPENAPI_URL`, `AC_AI_OPENAPI_URL` | the service's API base the documented endpoints hang off: that address without a trailing `/hpc` (`/efile`, `/ai`), then `/hpc/openapi/v2` (`/efile/openapi/v2`, `/ai/openapi/v2`) |
//! | `AC_CLUSTER_USER` | the region's cluster user (`clusterUserInfo.userName`): the user name the job API wants, not the account |
//! | `AC_HOME_PATH`, `SCNET_HOME_PATH` | the cluster user's home directory (`clusterUserInfo.homePath`) |
//!
//! The `center` values are set when `center` answered; the platform token (`USER/ac`) has no
//! region, so it gets none of them. `SCNET_API_KEY` is never set: other tools read it as the
//! model service's API key (`sk-…`), which is not a region token.
//!
//! A token added with `--also NAME` gets the `AC_*` names with a suffix, `AC_TOKEN_<SUFFIX>`
//! and so on (see [`suffix_for`]); the `SCNET_*` names belong to the main token only, since
//! the public SDKs read one token.

use jiff::Timestamp;
use zeroize::Zeroizing;

use super::ServiceAddrs;
use crate::shell_quote::shell_word;
use crate::token::Token;

/// Ordered name/value pairs. `Debug` shows names only: values hold the token.
#[derive(Default)]
pub struct Vars(Vec<(String, Zeroizing<String>)>);

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, _)| n))
            .finish()
    }
}

impl Vars {
    /// Adds a variable; a value the OS cannot carry in an environment (a NUL byte, which a
    /// server could send in an address) is left out rather than cut.
    pub(crate) fn push(&mut self, name: impl Into<String>, value: &str) {
        if !value.contains('\0') {
            self.0.push((name.into(), Zeroizing::new(value.to_owned())));
        }
    }

    pub(crate) fn extend(&mut self, other: Vars) {
        self.0.extend(other.0);
    }

    /// All but the variable `name`.
    pub(crate) fn without(mut self, name: &str) -> Vars {
        self.0.retain(|(n, _)| n != name);
        self
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    #[cfg(test)]
    pub(crate) fn names(&self) -> Vec<&str> {
        self.0.iter().map(|(n, _)| n.as_str()).collect()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// What the variables of one token are made from.
pub struct Subject<'a> {
    pub name: &'a str,
    pub token: &'a Token,
    pub base_url: &'a str,
    /// The region's id and name as the login's list gave them (`None` for a token added by
    /// hand: its `clusterId` claim and `center`'s name stand in).
    pub cluster_id: Option<&'a str>,
    pub cluster_name: Option<&'a str>,
    pub addrs: &'a ServiceAddrs,
    /// How long after expiry the token can still be renewed (config `renew-grace`).
    pub grace: jiff::SignedDuration,
}

impl Subject<'_> {
    /// (variable stem, value) of the `AC_*` family, the stems `--also` suffixes.
    fn ac_family(&self) -> Vec<(&'static str, Option<String>)> {
        let decoded = self.token.decode().ok();
        let life = decoded.as_ref().and_then(|d| d.lifetime(self.grace));
        let claims = decoded.map(|d| d.claims);
        let claim = |f: fn(&crate::token::Claims) -> Option<String>| claims.as_ref().and_then(f);
        let a = self.addrs;
        let api = |url: &Option<String>, service| url.as_deref().map(|u| openapi_base(u, service));
        let time = |t: Timestamp| Some(crate::timefmt::rfc3339(t));
        vec![
            ("AC_TOKEN", Some(self.token.expose().to_owned())),
            (
                "AC_CLUSTER_ID",
                self.cluster_id
                    .map(str::to_owned)
                    .or_else(|| claim(|c| c.cluster_id.clone())),
            ),
            (
                "AC_CLUSTER_NAME",
                self.cluster_name
                    .map(str::to_owned)
                    .or_else(|| a.region_name.clone()),
            ),
            ("AC_USER", claim(|c| c.user.clone())),
            ("AC_TOKEN_EXPIRES_AT", life.and_then(|l| time(l.expires_at))),
            (
                "AC_TOKEN_RENEW_CUTOFF",
                life.and_then(|l| time(l.cutoff_at)),
            ),
            ("AC_TOKEN_NAME", Some(self.name.to_owned())),
            ("AC_BASE_URL", Some(self.base_url.to_owned())),
            ("AC_HPC_URL", a.hpc.clone()),
            ("AC_EFILE_URL", a.efile.clone()),
            ("AC_AI_URL", a.ai.clone()),
            ("AC_HPC_OPENAPI_URL", api(&a.hpc, "hpc")),
            ("AC_EFILE_OPENAPI_URL", api(&a.efile, "efile")),
            ("AC_AI_OPENAPI_URL", api(&a.ai, "ai")),
            ("AC_CLUSTER_USER", a.cluster_user.clone()),
            ("AC_HOME_PATH", a.home.clone()),
        ]
    }
}

/// `{url without a trailing /SERVICE}/SERVICE/openapi/v2`: where the platform's documented
/// endpoints of a service hang off (`{hpcUrls}/hpc/openapi/v2/...`), built as scnet-cli builds
/// it from the same `center` address.
fn openapi_base(url: &str, service: &str) -> String {
    let root = url.trim_end_matches('/');
    let root = root
        .strip_suffix(service)
        .and_then(|r| r.strip_suffix('/'))
        .unwrap_or(root);
    format!("{root}/{service}/openapi/v2")
}

/// The main token's variables: the `AC_*` family and the ecosystem's `SCNET_*` names.
pub fn primary_vars(s: &Subject) -> Vars {
    let mut vars = Vars::default();
    let family = s.ac_family();
    for (stem, value) in &family {
        if let Some(v) = value {
            vars.push(*stem, v);
        }
    }
    let lookup = |stem: &str| {
        family
            .iter()
            .find(|(s, _)| *s == stem)
            .and_then(|(_, v)| v.clone())
    };
    for (name, stem) in [
        ("SCNET_TOKEN", "AC_TOKEN"),
        ("SCNET_OPENAPI_TOKEN", "AC_TOKEN"),
        ("SCNET_CLUSTER_ID", "AC_CLUSTER_ID"),
        ("SCNET_OPENAPI_REGION_ID", "AC_CLUSTER_ID"),
        ("SCNET_HPC_URL", "AC_HPC_URL"),
        ("SCNET_EFILE_URL", "AC_EFILE_URL"),
        ("SCNET_AI_URL", "AC_AI_URL"),
        ("SCNET_HOME_PATH", "AC_HOME_PATH"),
    ] {
        if let Some(v) = lookup(stem) {
            vars.push(name, &v);
        }
    }
    vars
}

/// An extra token's variables: the `AC_*` family as `AC_TOKEN_<SUFFIX>`, `AC_USER_<SUFFIX>`...
pub fn also_vars(s: &Subject, suffix: &str) -> Vars {
    let mut vars = Vars::default();
    for (stem, value) in s.ac_family() {
        if let Some(v) = value {
            vars.push(format!("{stem}_{suffix}"), &v);
        }
    }
    vars
}

/// One `--also` argument: `NAME`, or `NAME=SUFFIX` to choose the suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Also {
    pub name: String,
    pub suffix: String,
}

impl Also {
    /// Parses `NAME[=SUFFIX]` (`=` cannot occur in a token name). The suffix is checked
    /// or, when absent, derived from the name with [`suffix_for`].
    pub fn parse(arg: &str) -> Result<Also, String> {
        let (name, given) = match arg.split_once('=') {
            Some((n, s)) => (n, Some(s)),
            None => (arg, None),
        };
        let suffix = match given {
            Some(s) => {
                let upper = s.to_ascii_uppercase();
                if upper.is_empty() || !upper.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    let example = shell_word(&format!("{name}=WEST"));
                    return Err(format!(
                        "--also {arg}: the suffix must be ASCII letters, digits and '_' (e.g. --also {example})"
                    ));
                }
                upper
            }
            None => suffix_for(name).ok_or_else(|| {
                let example = shell_word(&format!("{name}=WEST"));
                format!(
                    "--also {arg}: the name has no ASCII letters or digits to name its variables by; give a suffix: --also {example}"
                )
            })?,
        };
        Ok(Also {
            name: name.to_owned(),
            suffix,
        })
    }
}

/// The suffix of a token's variables under `--also`: the name upper-cased, each run of
/// characters other than ASCII letters and digits made one `_`, `_` trimmed from both ends
/// (`hpc-west` → `HPC_WEST`, `alice/华东一区【昆山】` → `ALICE`). `None` when nothing is left.
pub fn suffix_for(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{MintSpec, mint};

    fn token() -> Token {
        mint(&MintSpec::new(
            "alice",
            "11250",
            jiff::Timestamp::now() + jiff::SignedDuration::from_hours(3),
        ))
    }

    #[test]
    fn primary_has_both_families_and_skips_unknown_addresses() {
        let t = token();
        let addrs = ServiceAddrs {
            hpc: Some("https://c.example/hpc".into()),
            efile: None,
            ai: Some("https://c.example/ai".into()),
            ..ServiceAddrs::default()
        };
        let vars = primary_vars(&Subject {
            name: "alice/华东一区【昆山】",
            token: &t,
            base_url: "https://b.example",
            cluster_id: None,
            cluster_name: None,
            addrs: &addrs,
            grace: jiff::SignedDuration::from_hours(24),
        });
        assert_eq!(vars.get("AC_TOKEN"), Some(t.expose()));
        // The expiry and the renew cutoff (expiry + grace), RFC 3339 in UTC.
        let expires = t.decode().unwrap().claims.expire_time.unwrap();
        let read = |name| vars.get(name).unwrap().parse::<jiff::Timestamp>().unwrap();
        assert_eq!(read("AC_TOKEN_EXPIRES_AT"), expires);
        assert_eq!(
            read("AC_TOKEN_RENEW_CUTOFF"),
            expires + jiff::SignedDuration::from_hours(24)
        );
        assert!(vars.get("AC_TOKEN_EXPIRES_AT").unwrap().ends_with('Z'));
        assert_eq!(vars.get("SCNET_TOKEN"), Some(t.expose()));
        assert_eq!(vars.get("SCNET_OPENAPI_TOKEN"), Some(t.expose()));
        assert_eq!(vars.get("AC_CLUSTER_ID"), Some("11250"));
        assert_eq!(vars.get("SCNET_CLUSTER_ID"), Some("11250"));
        assert_eq!(vars.get("AC_USER"), Some("alice"));
        assert_eq!(vars.get("AC_TOKEN_NAME"), Some("alice/华东一区【昆山】"));
        assert_eq!(vars.get("AC_HPC_URL"), Some("https://c.example/hpc"));
        assert_eq!(vars.get("AC_EFILE_URL"), None);
        assert_eq!(vars.get("SCNET_AI_URL"), Some("https://c.example/ai"));
        // Debug never shows a value.
        assert!(!format!("{vars:?}").contains(t.expose()));
    }

    /// The region is the login list's (the claim only stands in for a token added by hand),
    /// `center`'s facts reach scripts under the names other public clients read, and the
    /// service bases are built from the addresses (issue 23).
    #[test]
    fn the_region_the_service_bases_and_the_ecosystem_names() {
        let t = token();
        let addrs = ServiceAddrs {
            hpc: Some("https://c.example:65101/hpc/".into()),
            efile: Some("https://c.example:65103".into()),
            ai: Some("https://c.example:65102/ai".into()),
            region_name: Some("center's name".into()),
            cluster_user: Some("alice_ks".into()),
            home: Some("/public/home/alice_ks".into()),
        };
        let vars = primary_vars(&Subject {
            name: "alice/华中一区【郑州】",
            token: &t,
            base_url: "https://b.example",
            cluster_id: Some("11112"),
            cluster_name: Some("华中一区【郑州】"),
            addrs: &addrs,
            grace: jiff::SignedDuration::from_hours(24),
        });
        for (name, want) in [
            ("AC_CLUSTER_ID", "11112"),
            ("SCNET_CLUSTER_ID", "11112"),
            ("SCNET_OPENAPI_REGION_ID", "11112"),
            ("AC_CLUSTER_NAME", "华中一区【郑州】"),
            ("AC_HPC_URL", "https://c.example:65101/hpc/"),
            ("SCNET_HPC_URL", "https://c.example:65101/hpc/"),
            ("SCNET_EFILE_URL", "https://c.example:65103"),
            (
                "AC_HPC_OPENAPI_URL",
                "https://c.example:65101/hpc/openapi/v2",
            ),
            (
                "AC_EFILE_OPENAPI_URL",
                "https://c.example:65103/efile/openapi/v2",
            ),
            ("AC_AI_OPENAPI_URL", "https://c.example:65102/ai/openapi/v2"),
            ("AC_CLUSTER_USER", "alice_ks"),
            ("AC_HOME_PATH", "/public/home/alice_ks"),
            ("SCNET_HOME_PATH", "/public/home/alice_ks"),
        ] {
            assert_eq!(vars.get(name), Some(want), "{name}");
        }
        // Four tools read SCNET_API_KEY as the model service's key: never set.
        assert_eq!(vars.get("SCNET_API_KEY"), None);
        // Added by hand: the claim and center's name stand in.
        let hand = primary_vars(&Subject {
            cluster_id: None,
            cluster_name: None,
            name: "hpc-zz",
            token: &t,
            base_url: "https://b.example",
            addrs: &addrs,
            grace: jiff::SignedDuration::from_hours(24),
        });
        assert_eq!(hand.get("AC_CLUSTER_ID"), Some("11250"));
        assert_eq!(hand.get("AC_CLUSTER_NAME"), Some("center's name"));
        assert_eq!(
            openapi_base("https://h/hpcx", "hpc"),
            "https://h/hpcx/hpc/openapi/v2"
        );
    }

    #[test]
    fn also_suffixes_the_ac_family_only() {
        let t = token();
        let vars = also_vars(
            &Subject {
                name: "hpc-west",
                token: &t,
                base_url: "https://b",
                cluster_id: None,
                cluster_name: None,
                addrs: &ServiceAddrs::default(),
                grace: jiff::SignedDuration::from_hours(24),
            },
            "HPC_WEST",
        );
        assert_eq!(vars.get("AC_TOKEN_HPC_WEST"), Some(t.expose()));
        assert_eq!(vars.get("AC_USER_HPC_WEST"), Some("alice"));
        assert!(vars.get("AC_TOKEN_EXPIRES_AT_HPC_WEST").is_some());
        assert!(
            vars.names()
                .iter()
                .all(|n| n.starts_with("AC_") && n.ends_with("_HPC_WEST")),
            "{vars:?}"
        );
    }

    #[test]
    fn suffixes() {
        assert_eq!(suffix_for("hpc-west").as_deref(), Some("HPC_WEST"));
        assert_eq!(
            suffix_for("alice/华东一区【昆山】").as_deref(),
            Some("ALICE")
        );
        assert_eq!(suffix_for("a..b--c").as_deref(), Some("A_B_C"));
        assert_eq!(suffix_for("西北一区"), None);
        assert_eq!(
            Also::parse("西北一区=xian").unwrap(),
            Also {
                name: "西北一区".into(),
                suffix: "XIAN".into()
            }
        );
        assert!(
            Also::parse("西北一区")
                .unwrap_err()
                .contains("give a suffix: --also '西北一区=WEST'")
        );
        // The example is one shell word, whatever the name (issue 22).
        assert!(
            Also::parse("it's=a-b")
                .unwrap_err()
                .ends_with(r"(e.g. --also 'it'\''s=WEST')")
        );
        assert!(Also::parse("x=a-b").is_err());
        assert!(Also::parse("x=").is_err());
    }

    #[test]
    fn nul_values_are_left_out() {
        let mut v = Vars::default();
        v.push("A", "x\0y");
        v.push("B", "ok");
        assert_eq!(v.names(), ["B"]);
    }
}
