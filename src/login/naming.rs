//! How a token from a login is named: `USER/REGION`.
//!
//! REGION is the region's `clusterName` (e.g. `华东一区【昆山】`), or its `clusterId` when the
//! platform gives no name; the platform token is `USER/ac`. Characters a token name may not
//! hold (see [`validate_name`]) become `-` (a `/` inside the user or region too, so the name
//! keeps exactly one), runs of `-` collapse, punctuation is trimmed from both ends of each
//! part, and the name is cut to [`MAX_NAME_CHARS`].

use crate::api::RegionToken;
use crate::store::{MAX_NAME_CHARS, validate_name};

/// Characters [`validate_name`] allows anywhere (besides `/`, which separates the parts).
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '.' | '_' | '-')
        || (!c.is_ascii() && c.is_alphanumeric())
        || matches!(c, '【' | '】' | '（' | '）')
}

/// One part, made safe; `None` if nothing usable is left.
fn part(raw: &str) -> Option<String> {
    let mut out = String::new();
    for c in raw.trim().chars() {
        let c = if allowed(c) { c } else { '-' };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    let trimmed = out.trim_matches(|c| matches!(c, '.' | '_' | '-'));
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The store name for `region`'s token in `user`'s login. Always passes [`validate_name`].
pub(crate) fn entry_name(user: &str, region: &RegionToken) -> String {
    let user = part(user).unwrap_or_else(|| "user".to_owned());
    let region = region
        .cluster_name
        .as_deref()
        .and_then(part)
        .or_else(|| region.cluster_id.as_deref().and_then(part))
        .unwrap_or_else(|| "region".to_owned());
    join(&user, &region)
}

/// The fallback name when two regions of one login would share a name: `USER/CLUSTERID`.
pub(crate) fn entry_name_by_id(user: &str, region: &RegionToken) -> Option<String> {
    let id = region.cluster_id.as_deref().and_then(part)?;
    Some(join(&part(user).unwrap_or_else(|| "user".to_owned()), &id))
}

/// The name of an entry whose usual `name` holds another server's token (the same user name on
/// two platforms): `HOST/name`, HOST being the base URL's host (and port, as `-PORT`).
pub(crate) fn beside_other_server(base_url: &str, name: &str) -> String {
    join(&server_part(base_url), name)
}

/// The HOST part of [`beside_other_server`]'s names.
pub(crate) fn server_part(base_url: &str) -> String {
    let host = match reqwest::Url::parse(base_url.trim()) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}-{port}"),
            (Some(host), None) => host.to_owned(),
            _ => base_url.to_owned(),
        },
        Err(_) => base_url.to_owned(),
    };
    part(&host.replace('/', "-")).unwrap_or_else(|| "server".to_owned())
}

fn join(user: &str, region: &str) -> String {
    let full = format!("{user}/{region}");
    let name = if full.chars().count() <= MAX_NAME_CHARS {
        full
    } else {
        let cut: String = full.chars().take(MAX_NAME_CHARS).collect();
        cut.trim_end_matches(['.', '_', '-', '/']).to_owned()
    };
    debug_assert!(validate_name(&name).is_ok(), "{name:?}");
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(id: Option<&str>, name: Option<&str>) -> RegionToken {
        RegionToken {
            cluster_id: id.map(str::to_owned),
            cluster_name: name.map(str::to_owned),
            token: None,
            problem: None,
        }
    }

    #[test]
    fn names_follow_the_documented_rule() {
        let cases = [
            (
                "alice",
                Some("11250"),
                Some("华东一区【昆山】"),
                "alice/华东一区【昆山】",
            ),
            ("alice", Some("0"), Some("ac"), "alice/ac"),
            ("alice", Some("11126"), None, "alice/11126"),
            ("alice", Some("7"), Some("  "), "alice/7"),
            (
                "a.b@corp.com",
                Some("1"),
                Some("East / West 2"),
                "a.b-corp.com/East-West-2",
            ),
            ("-bob-", Some("1"), Some("(lab) #1"), "bob/lab-1"),
            ("", None, Some("!!"), "user/region"),
        ];
        for (user, id, name, want) in cases {
            let got = entry_name(user, &region(id, name));
            assert_eq!(got, want, "{user:?} {id:?} {name:?}");
            assert!(validate_name(&got).is_ok(), "{got}");
        }
        assert_eq!(
            entry_name_by_id("alice", &region(Some("11250"), Some("x"))).as_deref(),
            Some("alice/11250")
        );
        assert_eq!(entry_name_by_id("alice", &region(None, Some("x"))), None);
    }

    #[test]
    fn names_beside_another_servers_start_with_the_host() {
        let name = "alice/华东一区【昆山】";
        for (url, want) in [
            (
                "https://ac.example.cn",
                "ac.example.cn/alice/华东一区【昆山】",
            ),
            (
                "https://ac.example.cn:8443/",
                "ac.example.cn-8443/alice/华东一区【昆山】",
            ),
            (
                "http://127.0.0.1:40123",
                "127.0.0.1-40123/alice/华东一区【昆山】",
            ),
        ] {
            let got = beside_other_server(url, name);
            assert_eq!(got, want);
            assert!(validate_name(&got).is_ok(), "{got}");
        }
        let long = beside_other_server(
            "https://a-very-long-host-name-of-a-platform.example.com",
            name,
        );
        assert!(validate_name(&long).is_ok(), "{long}");
    }

    proptest::proptest! {
        #[test]
        fn every_generated_name_is_valid(user in "\\PC{0,40}", name in proptest::option::of("\\PC{0,80}"), id in proptest::option::of("[0-9a-z/ ]{0,12}")) {
            let got = entry_name(&user, &region(id.as_deref(), name.as_deref()));
            proptest::prop_assert!(validate_name(&got).is_ok(), "{:?}", got);
            proptest::prop_assert_eq!(got.matches('/').count(), 1);
        }
    }
}
