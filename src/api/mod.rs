//! The AC HTTP client: one pooled connection set, strict about where tokens go.
//!
//! Tokens travel only in a `token` header marked sensitive, only over https (or http to
//! loopback), never across a redirect. Replies are read with a size cap and parsed tolerantly
//! (see [`response`]). Logs carry method, URL, status and elapsed time, never headers or bodies.

mod center;
mod codes;
mod error;
mod login;
mod probe;
mod public;
mod refusal;
pub mod response;
pub mod signature;
mod state;
mod url;
mod user;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, LOCATION};
use reqwest::{Client, Response, Url, redirect};
use zeroize::Zeroize;

pub use center::{CENTER_PATH, CenterInfo, RefusedUrl, ServiceUrl, parse_center};
pub use codes::describe_code;
pub use error::{ApiError, ConnectCause, TimeoutStage};
pub use login::{
    ACCESS_KEY_LOGIN_PATH, PASSWORD_LOGIN_PATH, PLATFORM_CLUSTER_ID, PLATFORM_CLUSTER_NAME,
    RegionToken, parse_login, sendable,
};
pub use probe::Probe;
pub use public::{PUBLIC_AUTH_URL, PUBLIC_BASE_URL};
pub use refusal::{LoginMethod, LoginRefusal};
pub use signature::sign;
pub use state::{STATE_PATH, TokenState};
pub(crate) use url::is_safe_service_url;
pub use url::{check_base_url, endpoint};
pub use user::{USER_PATH, UserInfo, parse_user};

use crate::config::Config;
use crate::token::Token;

/// Path of the renewal endpoint, relative to the base URL.
pub(crate) const RENEW_PATH: &str = "ac/openapi/v2/tokens/next";

/// Default cap on a reply body. A renewal reply is well under 1 KiB.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    /// The whole exchange, connect and body included.
    pub request_timeout: Duration,
    /// Extra PEM root certificate(s), trusted besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Replies longer than this are abandoned mid-read.
    pub max_body_bytes: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions::from_config(&Config::default())
    }
}

impl ClientOptions {
    pub fn from_config(c: &Config) -> ClientOptions {
        let defaults = Config::default();
        // A negative duration in the config cannot mean anything; fall back to the default.
        let std = |d: jiff::SignedDuration, fallback: jiff::SignedDuration| {
            Duration::try_from(d)
                .or_else(|_| Duration::try_from(fallback))
                .unwrap_or(Duration::from_secs(20))
        };
        ClientOptions {
            connect_timeout: std(c.connect_timeout, defaults.connect_timeout),
            request_timeout: std(c.request_timeout, defaults.request_timeout),
            ca_file: c.ca_file.clone(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// The AC API client. Cloning is cheap and shares the connection pool.
#[derive(Clone, Debug)]
pub struct AcClient {
    http: Client,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body_bytes: usize,
}

impl AcClient {
    pub fn new(opts: &ClientOptions) -> Result<AcClient, ApiError> {
        let mut builder = Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.request_timeout)
            // A redirect would carry the token header to wherever the server points.
            .redirect(redirect::Policy::none())
            .referer(false)
            .user_agent(concat!("actoken/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &opts.ca_file {
            builder = builder.tls_certs_merge(load_ca_file(path)?);
        }
        let http = builder.build().map_err(|e| ApiError::ClientSetup {
            detail: e.to_string(),
        })?;
        Ok(AcClient {
            http,
            connect_timeout: opts.connect_timeout,
            request_timeout: opts.request_timeout,
            max_body_bytes: opts.max_body_bytes,
        })
    }

    /// POST {base}/ac/openapi/v2/tokens/next, header `token`, `Content-Type: application/json`,
    /// empty body. Returns the new token only if it decodes (Token::parse) -- the caller
    /// compares expiries.
    pub async fn renew(&self, base_url: &str, token: &Token) -> Result<Token, ApiError> {
        let url = endpoint(base_url, RENEW_PATH)?;
        let secret = token_header(token)?;
        let request = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, "application/json")
            // Some front ends answer 411 to a POST without a length; the body is empty.
            .header(CONTENT_LENGTH, "0")
            .header("token", secret)
            .body("");
        let mut reply = self.exchange(&url, request, Some(token.expose())).await?;
        let renewed = response::parse_renew(
            &reply.body,
            reply.content_type.as_deref(),
            Some(token.expose()),
        );
        // The body holds the new token in clear; don't leave it in freed memory.
        reply.body.zeroize();
        renewed
    }

    /// Sends a request and reads the reply within the limits. Non-2xx statuses become errors,
    /// except that a platform error envelope in a 4xx/5xx body is reported as that code.
    /// `sent` is the secret in the request, scrubbed from any message the server echoes.
    async fn exchange(
        &self,
        url: &Url,
        request: reqwest::RequestBuilder,
        sent: Option<&str>,
    ) -> Result<Reply, ApiError> {
        let host = url::host_port(url);
        let request = request.build().map_err(|e| ApiError::Request {
            host: host.clone(),
            detail: format!("the request could not be built ({})", e.without_url()),
        })?;
        let method = request.method().clone();
        let started = Instant::now();
        let elapsed_ms = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let resp = match self.http.execute(request).await {
            Ok(resp) => resp,
            Err(e) => {
                tracing::debug!(%method, %url, elapsed_ms = elapsed_ms(), "request failed");
                return Err(error::classify(&e, &host, self.timeouts()));
            }
        };
        let status = resp.status();
        tracing::debug!(%method, %url, status = status.as_u16(), elapsed_ms = elapsed_ms(), "response headers");
        if status.is_redirection() {
            return Err(ApiError::Redirect {
                status: status.as_u16(),
                target: url::redirect_target(url, resp.headers().get(LOCATION)),
            });
        }
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = self.read_bounded(resp, &host).await?;
        if !status.is_success() {
            return Err(match response::parse_envelope(&body, None) {
                Ok(env) if !env.is_success() => env.to_error(sent),
                _ => ApiError::Status {
                    host,
                    status: status.as_u16(),
                },
            });
        }
        Ok(Reply { content_type, body })
    }

    /// Reads the body chunk by chunk, giving up as soon as it passes the cap.
    async fn read_bounded(&self, mut resp: Response, host: &str) -> Result<Vec<u8>, ApiError> {
        let limit = self.max_body_bytes;
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(ApiError::TooLarge { limit });
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(ApiError::TooLarge { limit });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => {
                    return Err(match error::classify(&e, host, self.timeouts()) {
                        ApiError::Truncated { .. } => ApiError::Truncated {
                            received: body.len(),
                        },
                        other => other,
                    });
                }
            }
        }
    }

    fn timeouts(&self) -> (Duration, Duration) {
        (self.connect_timeout, self.request_timeout)
    }
}

/// The `token` header, marked sensitive so no layer prints it.
fn token_header(token: &Token) -> Result<HeaderValue, ApiError> {
    let mut value =
        HeaderValue::from_str(token.expose()).map_err(|_| ApiError::TokenNotSendable)?;
    value.set_sensitive(true);
    Ok(value)
}

struct Reply {
    content_type: Option<String>,
    body: Vec<u8>,
}

fn load_ca_file(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, ApiError> {
    let fail = |reason: String| ApiError::CaFile {
        path: path.display().to_string(),
        reason,
    };
    // Whoever can change the ca-file can make their own server look like the platform.
    crate::files::trust::check(crate::files::Role::CaFile, path).map_err(|d| {
        ApiError::Untrusted {
            message: d.to_string(),
        }
    })?;
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| fail(format!("not a PEM certificate bundle ({e})")))?;
    if certs.is_empty() {
        return Err(fail("it holds no PEM certificate".to_owned()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_follow_config() {
        let c = Config {
            connect_timeout: jiff::SignedDuration::from_millis(1500),
            request_timeout: jiff::SignedDuration::from_secs(-3),
            ca_file: Some("/x.pem".into()),
            ..Config::default()
        };
        let o = ClientOptions::from_config(&c);
        assert_eq!(o.connect_timeout, Duration::from_millis(1500));
        assert_eq!(o.request_timeout, Duration::from_secs(20));
        assert_eq!(o.ca_file, Some(PathBuf::from("/x.pem")));
        assert_eq!(o.max_body_bytes, 1024 * 1024);
    }

    #[test]
    fn bad_ca_file_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let opts = ClientOptions {
            ca_file: Some(missing.clone()),
            ..ClientOptions::default()
        };
        let err = AcClient::new(&opts).unwrap_err();
        assert!(matches!(err, ApiError::CaFile { .. }), "{err:?}");
        assert!(err.to_string().contains("nope.pem"), "{err}");

        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "hello").unwrap();
        let opts = ClientOptions {
            ca_file: Some(junk),
            ..ClientOptions::default()
        };
        let err = AcClient::new(&opts).unwrap_err();
        assert!(matches!(err, ApiError::CaFile { .. }), "{err:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_ca_file_others_can_write_is_refused_before_it_is_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("extra.pem");
        std::fs::write(&pem, "not even a certificate").unwrap();
        std::fs::set_permissions(&pem, std::fs::Permissions::from_mode(0o646)).unwrap();
        let opts = ClientOptions {
            ca_file: Some(pem.clone()),
            ..ClientOptions::default()
        };
        let err = AcClient::new(&opts).unwrap_err();
        assert!(matches!(err, ApiError::Untrusted { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&pem.display().to_string()), "{text}");
        assert!(text.contains("mode 0646"), "{text}");
    }
}
