//! The variables for a token. Names are fixed (scripts rely on them):
//!
//! | variable | value |
//! |---|---|
//! | `AC_TOKEN`, `SCNET_TOKEN`, `SCNET_OPENAPI_TOKEN` | the token |
//! | `AC_CLUSTER_ID`, `SCNET_CLUSTER_ID` | its `clusterId` claim |
//! | `AC_USER` | its `user` claim |
//! | `AC_TOKEN_EXPIRES_AT`, `AC_TOKEN_RENEW_CUTOFF` | its expiry and renew cutoff (RFC 3339, UTC) |
//! | `AC_TOKEN_NAME` | the stored entry's name |
//! | `AC_BASE_URL` | the entry's base URL |
//! | `AC_HPC_URL`, `AC_EFILE_URL`, `AC_AI_URL` (and `SCNET_AI_URL`) | the region's first enabled address of each kind, when `center` answered |
//!
//! A token added with `--also NAME` gets the `AC_*` names with a suffix, `AC_TOKEN_<SUFFIX>`
//! and so on (see [`suffix_for`]); the `SCNET_*` names belong to the main token only, since
//! the public SDKs read one token.

use jiff::Timestamp;
use zeroize::Zeroizing;

use super::ServiceAddrs;
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
        let time = |t: Timestamp| Some(crate::timefmt::rfc3339(t));
        vec![
            ("AC_TOKEN", Some(self.token.expose().to_owned())),
            ("AC_CLUSTER_ID", claim(|c| c.cluster_id.clone())),
            ("AC_USER", claim(|c| c.user.clone())),
            ("AC_TOKEN_EXPIRES_AT", life.and_then(|l| time(l.expires_at))),
            (
                "AC_TOKEN_RENEW_CUTOFF",
                life.and_then(|l| time(l.cutoff_at)),
            ),
            ("AC_TOKEN_NAME", Some(self.name.to_owned())),
            ("AC_BASE_URL", Some(self.base_url.to_owned())),
            ("AC_HPC_URL", self.addrs.hpc.clone()),
            ("AC_EFILE_URL", self.addrs.efile.clone()),
            ("AC_AI_URL", self.addrs.ai.clone()),
        ]
    }
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
        ("SCNET_AI_URL", "AC_AI_URL"),
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
                    return Err(format!(
                        "--also {arg}: the suffix must be ASCII letters, digits and '_' (e.g. --also {name}=WEST)"
                    ));
                }
                upper
            }
            None => suffix_for(name).ok_or_else(|| {
                format!(
                    "--also {arg}: the name has no ASCII letters or digits to name its variables by; give a suffix: --also '{name}=WEST'"
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
        };
        let vars = primary_vars(&Subject {
            name: "alice/华东一区【昆山】",
            token: &t,
            base_url: "https://b.example",
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

    #[test]
    fn also_suffixes_the_ac_family_only() {
        let t = token();
        let vars = also_vars(
            &Subject {
                name: "hpc-west",
                token: &t,
                base_url: "https://b",
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
                .contains("give a suffix")
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
