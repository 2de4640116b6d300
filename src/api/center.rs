//! Region information: `GET {base}/ac/openapi/v2/center` (related-endpoints.md).
//!
//! What a user needs after a token: the region's service addresses (job, AI, file, shell)
//! and their home path. Parsing is tolerant: every field may be missing; `enable` is a
//! string ("true"/"false") on the platform, a boolean is accepted too.

use serde::Serialize;
use serde_json::{Map, Value};

use super::response::parse_envelope;
use super::{AcClient, ApiError, endpoint, token_header};
use crate::token::Token;

pub const CENTER_PATH: &str = "ac/openapi/v2/center";

/// A region's details. Serialisable for `info --json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CenterInfo {
    pub id: Option<String>,
    /// The region's name (`name`).
    pub name: Option<String>,
    pub user_name: Option<String>,
    pub home_path: Option<String>,
    pub hpc_urls: Vec<ServiceUrl>,
    pub ai_urls: Vec<ServiceUrl>,
    pub efile_urls: Vec<ServiceUrl>,
    pub eshell_urls: Vec<ServiceUrl>,
    /// `ingressUrls`: the region's ingress addresses.
    pub ingress_urls: Vec<ServiceUrl>,
    /// `eshellSshHosts`: where the region's shell takes SSH connections (objects like the
    /// other lists, or bare host names, which count as enabled).
    pub eshell_ssh_hosts: Vec<ServiceUrl>,
}

/// One service address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceUrl {
    /// `None` when absent or a placeholder the deployment left unfilled (`{hpcUrls}/ai`).
    pub url: Option<String>,
    pub enabled: bool,
    pub version: Option<String>,
}

impl ServiceUrl {
    /// A real address that is switched on.
    pub fn usable(&self) -> bool {
        self.enabled && self.url.is_some()
    }
}

impl AcClient {
    /// GET {base}/ac/openapi/v2/center with header `token`. A refused token is
    /// [`ApiError::Platform`] (see [`ApiError::token_rejected`]).
    pub async fn center(&self, base_url: &str, token: &Token) -> Result<CenterInfo, ApiError> {
        let url = endpoint(base_url, CENTER_PATH)?;
        let request = self
            .http
            .get(url.clone())
            .header("token", token_header(token)?);
        let reply = self.exchange(&url, request, Some(token.expose())).await?;
        parse_center(&reply.body, reply.content_type.as_deref(), token.expose())
    }
}

/// Parses a `center` reply. `sent` (the token) is scrubbed from any message.
pub fn parse_center(
    body: &[u8],
    content_type: Option<&str>,
    sent: &str,
) -> Result<CenterInfo, ApiError> {
    let envelope = parse_envelope(body, content_type)?;
    if !envelope.is_success() {
        return Err(envelope.to_error(Some(sent)));
    }
    let data = data_object(envelope.data, "region information reply")?;
    let user = match data.get("clusterUserInfo") {
        Some(Value::Object(u)) => u.clone(),
        _ => Map::new(),
    };
    Ok(CenterInfo {
        id: text(data.get("id")),
        name: text(data.get("name")),
        user_name: text(user.get("userName")),
        home_path: text(user.get("homePath")),
        hpc_urls: urls(data.get("hpcUrls")),
        ai_urls: urls(data.get("aiUrls")),
        efile_urls: urls(data.get("efileUrls")),
        eshell_urls: urls(data.get("eshellUrls")),
        ingress_urls: urls(data.get("ingressUrls")),
        eshell_ssh_hosts: hosts(data.get("eshellSshHosts")),
    })
}

/// The reply's `data` object; a one-element list holding it is tolerated (a documentation
/// page types `data` as a list where clients see an object).
pub(super) fn data_object(data: Option<Value>, what: &str) -> Result<Map<String, Value>, ApiError> {
    let malformed = |reason: &str| ApiError::Malformed {
        what: what.to_owned(),
        reason: reason.to_owned(),
    };
    match data {
        Some(Value::Object(obj)) => Ok(obj),
        Some(Value::Array(items)) if matches!(items.first(), Some(Value::Object(_))) => {
            match items.into_iter().next() {
                Some(Value::Object(obj)) => Ok(obj),
                _ => unreachable!("checked above"),
            }
        }
        None | Some(Value::Null) => Err(malformed("`data` is missing")),
        Some(_) => Err(malformed("`data` is not an object")),
    }
}

fn urls(list: Option<&Value>) -> Vec<ServiceUrl> {
    let items: &[Value] = match list {
        Some(Value::Array(items)) => items,
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        _ => &[],
    };
    items
        .iter()
        .filter_map(Value::as_object)
        .map(|o| ServiceUrl {
            url: text(o.get("url")).filter(|u| !is_placeholder(u)),
            enabled: match o.get("enable").or(o.get("enabled")) {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
                Some(Value::Number(n)) => n.as_i64() == Some(1),
                _ => false,
            },
            version: text(o.get("version")),
        })
        .collect()
}

/// Like [`urls`], and a bare string is an enabled host.
fn hosts(list: Option<&Value>) -> Vec<ServiceUrl> {
    let Some(Value::Array(items)) = list else {
        return urls(list);
    };
    items
        .iter()
        .flat_map(|item| match item {
            Value::String(host) => vec![ServiceUrl {
                url: text(Some(item)).filter(|_| !is_placeholder(host)),
                enabled: true,
                version: None,
            }],
            other => urls(Some(other)),
        })
        .collect()
}

/// `{hpcUrls}/ai` and the like: a template the deployment never filled in.
fn is_placeholder(url: &str) -> bool {
    url.contains('{') || url.contains('}')
}

/// A non-blank string, or a number as text.
pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<CenterInfo, ApiError> {
        parse_center(body.as_bytes(), Some("application/json"), "tok")
    }

    #[test]
    fn reads_a_realistic_reply() {
        let body = r#"{"code":"0","msg":"success","data":{
            "id":11250,
            "clusterUserInfo":{"userName":"alice","homePath":"/public/home/alice"},
            "hpcUrls":[{"url":"https://ks.example/hpc","enable":"true","version":"2.0"},
                       {"url":"https://old.example/hpc","enable":"false","version":"1.0"}],
            "aiUrls":[{"url":"{hpcUrls}/ai","enable":"true","version":"1"}],
            "efileUrls":[{"url":"https://ks.example/efile","enable":true}],
            "eshellUrls":[{"url":"","enable":"TRUE"}, 3]
        }}"#;
        let c = parse(body).unwrap();
        assert_eq!(c.id.as_deref(), Some("11250"));
        assert_eq!(c.user_name.as_deref(), Some("alice"));
        assert_eq!(c.home_path.as_deref(), Some("/public/home/alice"));
        assert_eq!(c.hpc_urls.len(), 2);
        assert!(c.hpc_urls[0].usable());
        assert_eq!(c.hpc_urls[0].version.as_deref(), Some("2.0"));
        assert!(!c.hpc_urls[1].enabled);
        assert_eq!(
            c.hpc_urls[1].url.as_deref(),
            Some("https://old.example/hpc")
        );
        assert_eq!(c.ai_urls[0].url, None);
        assert!(c.ai_urls[0].enabled && !c.ai_urls[0].usable());
        assert!(c.efile_urls[0].usable());
        assert_eq!(c.eshell_urls.len(), 1);
        assert_eq!(c.eshell_urls[0].url, None);
        assert!(c.eshell_urls[0].enabled);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse_center(&body, None, "tok");
        }
    }

    /// What the public deployment's `center` also carries (issue 23): the region's name, its
    /// ingress addresses and its shell's SSH hosts (objects or bare host names).
    #[test]
    fn reads_name_ingress_and_ssh_hosts() {
        let c = parse(
            r#"{"code":"0","data":{"id":"11250","name":"华东一区【昆山】",
            "ingressUrls":[{"url":"https://in.example","enable":"true","version":"1"}],
            "eshellSshHosts":[{"url":"ssh.example:22","enable":"false"},"login.example:22","{x}"]}}"#,
        )
        .unwrap();
        assert_eq!(c.name.as_deref(), Some("华东一区【昆山】"));
        assert_eq!(c.ingress_urls[0].url.as_deref(), Some("https://in.example"));
        assert!(c.ingress_urls[0].usable());
        assert_eq!(c.eshell_ssh_hosts.len(), 3);
        assert!(!c.eshell_ssh_hosts[0].enabled);
        assert_eq!(
            c.eshell_ssh_hosts[1].url.as_deref(),
            Some("login.example:22")
        );
        assert!(c.eshell_ssh_hosts[1].usable());
        assert_eq!(c.eshell_ssh_hosts[2].url, None);
    }

    #[test]
    fn missing_parts_are_empty_not_errors() {
        let c = parse(r#"{"code":"0","data":{}}"#).unwrap();
        assert_eq!(c, CenterInfo::default());
        let c = parse(r#"{"code":"0","data":[{"id":"7"}]}"#).unwrap();
        assert_eq!(c.id.as_deref(), Some("7"));
    }

    #[test]
    fn errors_and_bad_shapes() {
        let err = parse(r#"{"code":"10008","msg":"token expired"}"#).unwrap_err();
        assert!(err.token_rejected());
        for body in [
            r#"{"code":"0"}"#,
            r#"{"code":"0","data":"x"}"#,
            r#"{"code":"0","data":[]}"#,
        ] {
            let err = parse(body).unwrap_err();
            assert!(matches!(err, ApiError::Malformed { .. }), "{body}: {err:?}");
            assert!(err.to_string().contains("region information"), "{err}");
        }
    }
}
