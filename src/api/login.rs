//! Getting fresh tokens: the two get-token endpoints (related-endpoints.md).
//!
//! Both answer a list with one token per region the account may use, plus the account-level
//! platform token. Credentials travel in headers marked sensitive; the secret key itself is
//! never sent (only a signature made with it). A refused login becomes
//! [`ApiError::LoginRefused`] with a reason read from the platform's message.

use jiff::Timestamp;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use zeroize::Zeroize;

use super::refusal::{self, LoginMethod};
use super::response::parse_envelope;
use super::signature::sign;
use super::{AcClient, ApiError, endpoint};
use crate::token::Token;

/// The access-key login, relative to the auth URL.
pub const ACCESS_KEY_LOGIN_PATH: &str = "api/user/v3/tokens";
/// The password login, relative to the base URL.
pub const PASSWORD_LOGIN_PATH: &str = "ac/openapi/v2/tokens";

/// The `clusterId` of the account-level platform token.
pub const PLATFORM_CLUSTER_ID: &str = "0";
/// The `clusterName` of the account-level platform token.
pub const PLATFORM_CLUSTER_NAME: &str = "ac";

/// One entry of a get-token reply. `Debug` is safe: [`Token`]'s is redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionToken {
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    /// `None` when the reply had no usable token for this region: `null`/absent (the region is
    /// not available to the account now; `problem` is `None`) or unusable (`problem` says why).
    pub token: Option<Token>,
    /// Why a token that was present could not be used (does not decode, wrong type, ...).
    pub problem: Option<String>,
}

impl RegionToken {
    /// The account-level token (`clusterId` "0" or `clusterName` "ac"), not a region's.
    pub fn is_platform(&self) -> bool {
        self.cluster_id.as_deref().map(str::trim) == Some(PLATFORM_CLUSTER_ID)
            || self
                .cluster_name
                .as_deref()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(PLATFORM_CLUSTER_NAME))
    }

    /// How to call the region in messages: its name, else its id, else "unnamed region".
    pub fn label(&self) -> &str {
        self.cluster_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .or(self.cluster_id.as_deref().filter(|i| !i.trim().is_empty()))
            .unwrap_or("unnamed region")
    }
}

impl AcClient {
    /// POST {auth}/api/user/v3/tokens with headers `user`, `accessKey`, `timestamp` (epoch
    /// seconds of `now`) and `signature` (see [`super::signature::sign`]). Every region's
    /// token, the platform token and unavailable regions, in the server's order; the list is
    /// never empty ([`ApiError::NoRegions`]) but may hold no usable token (all `null`).
    /// A refusal is [`ApiError::LoginRefused`]; see [`ApiError::login_refusal`].
    pub async fn login_access_key(
        &self,
        auth_url: &str,
        user: &str,
        access_key: &str,
        secret_key: &SecretString,
        now: Timestamp,
    ) -> Result<Vec<RegionToken>, ApiError> {
        let url = endpoint(auth_url, ACCESS_KEY_LOGIN_PATH)?;
        let timestamp = now.as_second().to_string();
        let secret = secret_key.expose_secret();
        let mut signature = sign(user, access_key, &timestamp, secret);
        let request = self
            .empty_post(&url)
            .header("user", header("user name", user, false)?)
            .header("accessKey", header("access key", access_key, false)?)
            .header("timestamp", header("timestamp", &timestamp, false)?)
            // Replayable until the timestamp goes stale: as sensitive as a token.
            .header("signature", header("signature", &signature, true)?);
        signature.zeroize();
        self.login(url, request, secret, LoginMethod::AccessKey)
            .await
    }

    /// POST {base}/ac/openapi/v2/tokens with headers `user`, `password` and `orgId`.
    pub async fn login_password(
        &self,
        base_url: &str,
        user: &str,
        password: &SecretString,
        org_id: &str,
    ) -> Result<Vec<RegionToken>, ApiError> {
        let url = endpoint(base_url, PASSWORD_LOGIN_PATH)?;
        let secret = password.expose_secret();
        let request = self
            .empty_post(&url)
            .header("user", header("user name", user, false)?)
            .header("password", header("password", secret, true)?)
            .header("orgId", header("org id", org_id, false)?);
        self.login(url, request, secret, LoginMethod::Password)
            .await
    }

    /// Both logins send their credentials in headers and an empty JSON body.
    fn empty_post(&self, url: &reqwest::Url) -> reqwest::RequestBuilder {
        self.http
            .post(url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_LENGTH, "0")
            .body("")
    }

    async fn login(
        &self,
        url: reqwest::Url,
        request: reqwest::RequestBuilder,
        secret: &str,
        method: LoginMethod,
    ) -> Result<Vec<RegionToken>, ApiError> {
        let mut reply = self
            .exchange(&url, request, Some(secret))
            .await
            .map_err(|e| as_login_error(e, method, &url))?;
        let parsed = parse_login(&reply.body, reply.content_type.as_deref(), secret)
            .map_err(|e| as_login_error(e, method, &url));
        // The body holds every region's token in clear.
        reply.body.zeroize();
        parsed
    }
}

/// A header value, or an error naming the field (never its value). Only printable ASCII:
/// `HeaderValue` would pass UTF-8 bytes through, but servers read header bytes as Latin-1,
/// so a non-ASCII user name would be mangled (and its signature fail) on the other side.
fn header(what: &str, value: &str, sensitive: bool) -> Result<HeaderValue, ApiError> {
    sendable(what, value)?;
    let mut v = HeaderValue::from_str(value).map_err(|_| ApiError::CredentialNotSendable {
        what: what.to_owned(),
    })?;
    v.set_sensitive(sensitive);
    Ok(v)
}

/// Whether `value` can travel in a login header (printable ASCII); the error names `what`,
/// never the value. `actoken login` checks the user name and access key with it before it
/// asks for the secret.
pub fn sendable(what: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().all(|c| (' '..='~').contains(&c)) {
        Ok(())
    } else {
        Err(ApiError::CredentialNotSendable {
            what: what.to_owned(),
        })
    }
}

/// A platform error code from a get-token endpoint is a refused login, not a refused token;
/// a 404 there means the host has no such login (e.g. the access-key login is on another host).
fn as_login_error(err: ApiError, method: LoginMethod, url: &reqwest::Url) -> ApiError {
    match err {
        ApiError::Platform { code, msg } => ApiError::LoginRefused {
            reason: refusal::classify(method, &code, &msg),
            code,
            msg,
        },
        ApiError::Status { status: 404, .. } => ApiError::LoginNotFound {
            origin: super::url::origin(url),
            method,
        },
        other => other,
    }
}

/// Parses a get-token reply. `secret` is scrubbed from any message the server echoes.
pub fn parse_login(
    body: &[u8],
    content_type: Option<&str>,
    secret: &str,
) -> Result<Vec<RegionToken>, ApiError> {
    let envelope = parse_envelope(body, content_type)?;
    if !envelope.is_success() {
        return Err(envelope.to_error(Some(secret)));
    }
    let items: Vec<&Value> = match envelope.data.as_ref() {
        Some(Value::Array(items)) => items.iter().collect(),
        // Tolerated: a single entry not wrapped in a list.
        Some(obj @ Value::Object(_)) => vec![obj],
        None | Some(Value::Null) => return Err(malformed("`data` is missing")),
        Some(Value::String(_)) => {
            return Err(malformed("`data` is a string, not a list of regions"));
        }
        Some(_) => return Err(malformed("`data` is not a list of regions")),
    };
    if items.is_empty() {
        return Err(ApiError::NoRegions);
    }
    Ok(items.into_iter().enumerate().map(region).collect())
}

fn region((index, item): (usize, &Value)) -> RegionToken {
    let Value::Object(obj) = item else {
        return RegionToken {
            cluster_id: None,
            cluster_name: None,
            token: None,
            problem: Some(format!("entry {} is not an object", index + 1)),
        };
    };
    let text = |key: &str| match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let (token, problem) = match obj.get("token") {
        None | Some(Value::Null) => (None, None),
        Some(Value::String(s)) if s.trim().is_empty() => (None, None),
        Some(Value::String(s)) => match Token::parse(s) {
            Ok((token, _)) => (Some(token), None),
            Err(e) => (None, Some(format!("its token is unusable: {e}"))),
        },
        Some(_) => (None, Some("its `token` is not a string".to_owned())),
    };
    RegionToken {
        cluster_id: text("clusterId"),
        cluster_name: text("clusterName"),
        token,
        problem,
    }
}

fn malformed(reason: &str) -> ApiError {
    ApiError::Malformed {
        what: "login reply".to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{SAMPLE_REQUEST, SAMPLE_RESPONSE};

    fn parse(body: &str) -> Result<Vec<RegionToken>, ApiError> {
        parse_login(body.as_bytes(), Some("application/json"), "SECRET-KEY-1")
    }

    #[test]
    fn reads_regions_platform_and_unavailable_entries() {
        let body = format!(
            r#"{{"code":"0","msg":"success","data":[
              {{"clusterId":"11250","clusterName":"华东一区【昆山】","token":"{SAMPLE_REQUEST}"}},
              {{"clusterId":11126,"token":"{SAMPLE_RESPONSE}"}},
              {{"clusterId":"0","clusterName":"ac","token":"{SAMPLE_REQUEST}"}},
              {{"clusterId":"11300","clusterName":"西北一区","token":null}},
              {{"clusterName":"坏区","token":"not-a-jwt"}},
              {{"clusterId":"9","token":7}},
              "junk"
            ]}}"#
        );
        let got = parse(&body).unwrap();
        assert_eq!(got.len(), 7);
        assert_eq!(got[0].cluster_id.as_deref(), Some("11250"));
        assert_eq!(got[0].label(), "华东一区【昆山】");
        assert_eq!(got[0].token.as_ref().unwrap().expose(), SAMPLE_REQUEST);
        assert!(!got[0].is_platform());
        assert_eq!(got[1].cluster_id.as_deref(), Some("11126"));
        assert_eq!(got[1].label(), "11126");
        assert!(got[2].is_platform());
        assert!(got[3].token.is_none() && got[3].problem.is_none());
        assert!(got[4].token.is_none());
        assert!(got[4].problem.as_deref().unwrap().contains("not a JWT"));
        assert!(got[5].problem.as_deref().unwrap().contains("not a string"));
        assert!(got[6].problem.as_deref().unwrap().contains("entry 7"));
        assert_eq!(got[6].label(), "unnamed region");
        // Debug never shows a token.
        assert!(!format!("{got:?}").contains("eyJ"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse_login(&body, None, "s");
        }

        #[test]
        fn never_panics_on_list_like_json(entries in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::prelude::Just("null".to_owned()),
                "\"[a-zA-Z0-9._-]{0,30}\"",
                proptest::prelude::Just(format!(r#"{{"clusterId":1,"token":"{SAMPLE_REQUEST}"}}"#)),
                "\\{\"token\":\"[a-z.]{0,12}\"\\}",
            ], 0..6)) {
            let body = format!(r#"{{"code":"0","data":[{}]}}"#, entries.join(","));
            match parse_login(body.as_bytes(), None, "s") {
                Ok(list) => proptest::prop_assert_eq!(list.len(), entries.len()),
                Err(e) => proptest::prop_assert!(entries.is_empty() && e == ApiError::NoRegions),
            }
        }
    }

    #[test]
    fn platform_token_is_recognised_by_id_or_name() {
        let entry = |id: Option<&str>, name: Option<&str>| RegionToken {
            cluster_id: id.map(str::to_owned),
            cluster_name: name.map(str::to_owned),
            token: None,
            problem: None,
        };
        assert!(entry(Some("0"), None).is_platform());
        assert!(entry(None, Some("AC")).is_platform());
        assert!(!entry(Some("10"), Some("acme")).is_platform());
        assert!(!entry(None, None).is_platform());
    }

    #[test]
    fn a_single_object_is_tolerated() {
        let body = format!(r#"{{"code":0,"data":{{"clusterId":"1","token":"{SAMPLE_REQUEST}"}}}}"#);
        assert_eq!(parse(&body).unwrap().len(), 1);
    }

    #[test]
    fn bad_shapes_are_specific_errors() {
        for (body, words) in [
            (r#"{"code":"0"}"#, "missing"),
            (r#"{"code":"0","data":null}"#, "missing"),
            (r#"{"code":"0","data":"eyJx"}"#, "a string"),
            (r#"{"code":"0","data":5}"#, "not a list"),
        ] {
            let err = parse(body).unwrap_err();
            assert!(matches!(err, ApiError::Malformed { .. }), "{body}: {err:?}");
            assert!(err.to_string().contains(words), "{err}");
            assert!(err.to_string().contains("login reply"), "{err}");
        }
        assert_eq!(
            parse(r#"{"code":"0","data":[]}"#).unwrap_err(),
            ApiError::NoRegions
        );
    }

    #[test]
    fn refusals_scrub_the_secret_and_name_the_reason() {
        let body = r#"{"code":"10004","msg":"AccessKey不存在 SECRET-KEY-1"}"#;
        let url = reqwest::Url::parse("https://api.example.com/api/user/v3/tokens").unwrap();
        let err = as_login_error(parse(body).unwrap_err(), LoginMethod::AccessKey, &url);
        assert_eq!(
            err.login_refusal(),
            Some(refusal::LoginRefusal::UnknownAccessKey)
        );
        assert_eq!(err.platform_code(), Some("10004"));
        assert!(!err.token_rejected());
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains("SECRET-KEY-1"), "{text}");
        }
    }

    /// A 404 at the access-key login points at `--auth-url` and the public deployment's
    /// two hosts (issue 23); at the password login, at the base URL.
    #[test]
    fn a_404_at_a_login_names_where_the_login_may_be() {
        let url = reqwest::Url::parse("https://www.example.com:8443/api/user/v3/tokens").unwrap();
        let not_found = || ApiError::Status {
            host: "www.example.com:8443".into(),
            status: 404,
        };
        let err = as_login_error(not_found(), LoginMethod::AccessKey, &url);
        let text = err.to_string();
        assert!(
            text.starts_with("https://www.example.com:8443 has no access-key login"),
            "{text}"
        );
        for part in [
            "--auth-url https://api.scnet.cn",
            "--base-url https://www.scnet.cn",
        ] {
            assert!(text.contains(part), "{text}");
        }
        let err = as_login_error(not_found(), LoginMethod::Password, &url);
        assert!(err.to_string().contains("check the base URL"), "{err}");
        assert!(matches!(
            as_login_error(
                ApiError::Status {
                    host: "h".into(),
                    status: 502
                },
                LoginMethod::AccessKey,
                &url
            ),
            ApiError::Status { status: 502, .. }
        ));
    }
}
