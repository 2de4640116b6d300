//! Region information: `GET {base}/ac/openapi/v2/center` (related-endpoints.md).
//!
//! What a user needs after a token: the region's service addresses (job, AI, file, shell)
//! and their home path. Parsing is tolerant: every field may be missing; `enable` is a
//! string ("true"/"false") on the platform, a boolean is accepted too.

use serde::Serialize;
use serde_json::{Map, Value};

use super::response::parse_envelope;
use super::url::is_safe_service_url;
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
    /// Addresses left out of the lists above because actoken will not hand them on
    /// ([`is_safe_service_url`]), for a note. Never in `--json` or a variable.
    #[serde(skip)]
    pub refused: Vec<RefusedUrl>,
}

/// An address a server sent that was left out: the list it was in and (the start of) what it
/// said, to be shown only through [`RefusedUrl::shown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedUrl {
    /// The reply's field: `hpcUrls`, `efileUrls`, ...
    pub list: &'static str,
    value: String,
}

/// How much of a refused address is kept for the note (a server may send megabytes).
const REFUSED_SHOWN_CHARS: usize = 60;

impl RefusedUrl {
    /// The address as an escaped, quoted string (`"x';touch /tmp/p;#"`, `"\u{1b}]52…"`),
    /// cut after [`REFUSED_SHOWN_CHARS`]: it holds nothing a terminal would act on.
    pub fn shown(&self) -> String {
        let cut: String = self.value.chars().take(REFUSED_SHOWN_CHARS).collect();
        let more = if cut.len() < self.value.len() {
            "…"
        } else {
            ""
        };
        format!("{cut:?}{more}")
    }
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
    let mut refused = Vec::new();
    let mut urls = |list| urls(data.get(list), list, &mut refused);
    let (hpc_urls, ai_urls) = (urls("hpcUrls"), urls("aiUrls"));
    let (efile_urls, eshell_urls) = (urls("efileUrls"), urls("eshellUrls"));
    let ingress_urls = urls("ingressUrls");
    let eshell_ssh_hosts = hosts(data.get("eshellSshHosts"), "eshellSshHosts", &mut refused);
    Ok(CenterInfo {
        id: text(data.get("id")),
        name: text(data.get("name")),
        user_name: text(user.get("userName")),
        home_path: text(user.get("homePath")),
        hpc_urls,
        ai_urls,
        efile_urls,
        eshell_urls,
        ingress_urls,
        eshell_ssh_hosts,
        refused,
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

/// The entries of the list `name`; an address that is not safe to hand on is left out and
/// recorded in `refused`.
fn urls(
    list: Option<&Value>,
    name: &'static str,
    refused: &mut Vec<RefusedUrl>,
) -> Vec<ServiceUrl> {
    let objects = items(list).iter().filter_map(Value::as_object);
    objects
        .map(entry)
        .filter(|e| safe_or_refused(e, name, refused, is_safe_service_url))
        .collect()
}

/// `eshellSshHosts`: like [`urls`], but the entries are `host:port`, and a bare string is an
/// enabled host.
fn hosts(
    list: Option<&Value>,
    name: &'static str,
    refused: &mut Vec<RefusedUrl>,
) -> Vec<ServiceUrl> {
    let entries = items(list).iter().filter_map(|item| match item {
        Value::String(_) => Some(ServiceUrl {
            url: text(Some(item)).filter(|h| !is_placeholder(h)),
            enabled: true,
            version: None,
        }),
        Value::Object(o) => Some(entry(o)),
        _ => None,
    });
    entries
        .filter(|e| safe_or_refused(e, name, refused, is_safe_host))
        .collect()
}

/// A list's items: an array, or one object standing for a list of one.
fn items(list: Option<&Value>) -> &[Value] {
    match list {
        Some(Value::Array(items)) => items,
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        _ => &[],
    }
}

/// One `{"url", "enable", "version"}` object (`enable` a string, a bool or 1).
fn entry(o: &Map<String, Value>) -> ServiceUrl {
    ServiceUrl {
        url: text(o.get("url")).filter(|u| !is_placeholder(u)),
        enabled: match o.get("enable").or(o.get("enabled")) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        },
        version: text(o.get("version")),
    }
}

/// Whether `e`'s address passes `safe`; one that does not is recorded in `refused`.
fn safe_or_refused(
    e: &ServiceUrl,
    list: &'static str,
    refused: &mut Vec<RefusedUrl>,
    safe: fn(&str) -> bool,
) -> bool {
    match e.url.as_deref() {
        Some(bad) if !safe(bad) => {
            refused.push(RefusedUrl {
                list,
                value: bad.chars().take(REFUSED_SHOWN_CHARS + 1).collect(),
            });
            false
        }
        _ => true,
    }
}

/// `host` or `host:port` (an IPv6 address in brackets): what an SSH client takes, nothing a
/// shell or a terminal would read otherwise.
fn is_safe_host(host: &str) -> bool {
    !host.is_empty()
        && !host.starts_with('-')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']'))
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

    /// Issue 22: an address that would leave its quotes in a shell or a .env file, or
    /// rewrite the terminal, is left out of every list, and kept (shortened, for a note) in
    /// `refused`, which `--json` does not carry.
    #[test]
    fn unsafe_addresses_are_left_out_and_noted() {
        let long = format!("https://h.example/{}'", "a".repeat(500));
        let hostile = [
            "x';touch /tmp/p;#",
            "https://h.example/a'b",
            "https://h.example/a\"b",
            "https://h.example/a`id`",
            "https://h.example/a\\b",
            "https://h.example/a b",
            "https://h.example/a\tb",
            "https://h.example/\u{1b}]52;c;aWQ=\u{7}",
            "https://h.example/\u{202e}gpj",
            "https://h.example/\u{2019}x",
            "http://h.example/plain-http-off-loopback",
            "ftp://h.example/x",
            "https://user:pw@h.example/x",
            "https:///no-host",
            "/relative/path",
            long.as_str(),
        ];
        let list: Vec<_> = hostile
            .iter()
            .map(|u| serde_json::json!({"url": u, "enable": "true"}))
            .collect();
        let body = serde_json::json!({"code": "0", "data": {
            "hpcUrls": [{"url": "https://ok.example:65101/hpc?x=$y#z", "enable": "true"}],
            "efileUrls": list,
            "aiUrls": [{"url": "http://127.0.0.1:8080/ai", "enable": "true"},
                       {"url": "http://[::1]:1/ai", "enable": "true"},
                       {"url": "http://localhost:2/ai", "enable": "true"}],
            "eshellUrls": [{"url": "x';touch /tmp/p;#", "enable": "true"}],
        }});
        let c = parse(&body.to_string()).unwrap();
        assert_eq!(c.hpc_urls.len(), 1);
        assert!(c.hpc_urls[0].usable());
        assert_eq!(c.ai_urls.len(), 3, "loopback http is kept: {:?}", c.ai_urls);
        assert!(c.efile_urls.is_empty(), "{:?}", c.efile_urls);
        assert!(c.eshell_urls.is_empty(), "{:?}", c.eshell_urls);
        assert_eq!(c.refused.len(), hostile.len() + 1);
        assert!(
            c.refused
                .iter()
                .take(hostile.len())
                .all(|r| r.list == "efileUrls")
        );
        assert_eq!(c.refused.last().unwrap().list, "eshellUrls");
        // The note's rendering is inert: no control character, no bidi override, bounded.
        for r in &c.refused {
            let shown = r.shown();
            assert!(
                !shown.chars().any(|ch| ch.is_control() || ch == '\u{202e}'),
                "{shown}"
            );
            assert!(shown.chars().count() < 120, "{shown}");
        }
        assert_eq!(c.refused[0].shown(), r#""x';touch /tmp/p;#""#);
        assert!(
            c.refused[7].shown().contains(r"\u{1b}]52"),
            "{}",
            c.refused[7].shown()
        );
        let json = serde_json::to_string(&c).unwrap();
        assert!(
            !json.contains("touch") && !json.contains("refused"),
            "{json}"
        );
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
