//! `actoken token NAME --json`: one JSON object with the token and what a program needs to use
//! it and to know when to ask again. A documented interface (README, "For scripts"): fields
//! are only ever added; a change to the meaning of one raises [`HANDOFF_VERSION`].
//!
//! | field | value |
//! |---|---|
//! | `version` | 1 |
//! | `name` | the stored entry's name |
//! | `token` | the token |
//! | `expires_at`, `renew_cutoff` | RFC 3339 in UTC; `null` when the token has no expiry |
//! | `user`, `compute_user` | its claims, `null` when absent |
//! | `cluster_id`, `cluster_name` | the region as the login list gave it (the token's claims for a token added by hand), `null` when unknown |
//! | `base_url` | the entry's base URL |
//! | `hpc_url`, `efile_url`, `ai_url` | the region's addresses when known, else `null` |

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::Subject;

/// The version of the object's shape.
pub const HANDOFF_VERSION: u32 = 1;

/// The object, one line, newline-terminated. The text holds the token: zeroized on drop.
pub fn render(s: &Subject) -> Zeroizing<String> {
    let decoded = s.token.decode().ok();
    let life = decoded.as_ref().and_then(|d| d.lifetime(s.grace));
    let claims = decoded.map(|d| d.claims);
    let text = |v: Option<String>| v.map_or(Value::Null, Value::String);
    let claim = |key: &str| {
        text(
            claims
                .as_ref()
                .and_then(|c| c.all.get(key))
                .and_then(crate::token::value_as_text),
        )
    };
    let time = |t: Option<jiff::Timestamp>| text(t.map(crate::timefmt::rfc3339));
    let mut object = Map::new();
    object.insert("version".into(), HANDOFF_VERSION.into());
    object.insert("name".into(), s.name.into());
    object.insert("token".into(), s.token.expose().into());
    object.insert("expires_at".into(), time(life.map(|l| l.expires_at)));
    object.insert("renew_cutoff".into(), time(life.map(|l| l.cutoff_at)));
    object.insert("user".into(), claim("user"));
    object.insert("compute_user".into(), claim("computeUser"));
    // The login list's region first: the token's `clusterId` claim differs on the platform.
    let listed = |v: Option<&str>| v.map(|v| Value::String(v.to_owned()));
    object.insert(
        "cluster_id".into(),
        listed(s.cluster_id).unwrap_or_else(|| claim("clusterId")),
    );
    let region_name = || text(s.addrs.region_name.clone());
    let claimed_name = claim("clusterName");
    object.insert(
        "cluster_name".into(),
        listed(s.cluster_name).unwrap_or(if claimed_name.is_null() {
            region_name()
        } else {
            claimed_name
        }),
    );
    object.insert("base_url".into(), s.base_url.into());
    object.insert("hpc_url".into(), text(s.addrs.hpc.clone()));
    object.insert("efile_url".into(), text(s.addrs.efile.clone()));
    object.insert("ai_url".into(), text(s.addrs.ai.clone()));
    let mut out =
        Zeroizing::new(serde_json::to_string(&Value::Object(object)).expect("strings serialise"));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{MintSpec, mint};
    use crate::token_env::ServiceAddrs;
    use jiff::{SignedDuration, Timestamp};

    #[test]
    fn every_field_of_version_1() {
        let expires = Timestamp::from_millisecond(1_900_000_000_123).unwrap();
        let token = mint(&MintSpec::new("alice", "11250", expires));
        let addrs = ServiceAddrs {
            hpc: Some("https://hpc.example".into()),
            ..ServiceAddrs::default()
        };
        let text = render(&Subject {
            name: "alice/华东一区【昆山】",
            token: &token,
            base_url: "https://api.example:65102",
            cluster_id: Some("11250"),
            cluster_name: Some("华东一区【昆山】"),
            addrs: &addrs,
            grace: SignedDuration::from_hours(24),
        });
        assert!(
            text.ends_with('\n') && text.lines().count() == 1,
            "{}",
            *text
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["name"], "alice/华东一区【昆山】");
        assert_eq!(v["token"], token.expose());
        assert_eq!(v["expires_at"], "2030-03-17T17:46:40.123Z");
        assert_eq!(v["renew_cutoff"], "2030-03-18T17:46:40.123Z");
        assert_eq!(v["user"], "alice");
        // The login list's region, not the claims (they differ on the platform).
        assert_eq!(v["cluster_id"], "11250");
        assert_eq!(v["cluster_name"], "华东一区【昆山】");
        assert_eq!(v["base_url"], "https://api.example:65102");
        assert_eq!(v["hpc_url"], "https://hpc.example");
        // Unknown is null, never left out: every field of the version is always there.
        for key in ["efile_url", "ai_url"] {
            assert_eq!(v[key], Value::Null, "{key}");
        }
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "version",
                "name",
                "token",
                "expires_at",
                "renew_cutoff",
                "user",
                "compute_user",
                "cluster_id",
                "cluster_name",
                "base_url",
                "hpc_url",
                "efile_url",
                "ai_url"
            ]
        );
    }
}
