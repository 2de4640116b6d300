//! Base URLs: which ones a token may be sent to, and how endpoint paths are joined on.

use std::net::IpAddr;

use reqwest::Url;
use reqwest::header::HeaderValue;

use super::ApiError;

/// Validates a base URL: https, or http only to a loopback host (127.0.0.0/8, ::1, localhost).
/// A trailing slash is tolerated; a path prefix is kept (`https://h/prefix`).
pub fn check_base_url(base: &str) -> Result<Url, ApiError> {
    let trimmed = base.trim();
    if trimmed.is_empty() {
        return Err(bad("the base URL is empty"));
    }
    // The URL parser drops tabs and line breaks without a word, so such a URL would be kept
    // as typed (a line injected into whatever file it is later written to) yet send elsewhere.
    if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad(
            "it contains a line break, tab, space or other control character",
        ));
    }
    let url = Url::parse(trimmed).map_err(|e| bad(&format!("it does not parse ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo it: the part before '@' may be a password.
        return Err(bad(
            "it contains a user name or password, which would be sent in clear; remove the part before '@'",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "it has a '?query' or '#fragment'; give only scheme, host, port and an optional path",
        ));
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(bad("it has no host name"));
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(ApiError::InsecureUrl {
                origin: origin(&url),
            });
        }
        other => {
            return Err(bad(&format!(
                "the scheme {other:?} is not supported; use https://"
            )));
        }
    }
    Ok(url)
}

/// Whether a service address a server sent (`center`'s `hpcUrls`, ...) may be handed on: to a
/// shell (`env`), a .env file, a child's environment, the screen. Like a base URL it is https,
/// or plain http to a loopback host, with a host and no user name or password; and it holds
/// none of the characters that would let it out of its quotes or act on a terminal: controls,
/// whitespace, quotes (typographic ones too: PowerShell takes them as quotes), backslashes,
/// invisible format characters.
pub(crate) fn is_safe_service_url(raw: &str) -> bool {
    let unsafe_char = |c: char| {
        c.is_whitespace()
            || matches!(c, '\'' | '"' | '`' | '\\' | '\u{2018}'..='\u{201F}')
            || crate::shell_quote::unseen(c)
    };
    // Written as `scheme://host…`: the parser would also take `https:///x` (host `x`).
    let authority = ["https://", "http://"].into_iter().find_map(|scheme| {
        raw.get(..scheme.len())
            .filter(|p| p.eq_ignore_ascii_case(scheme))
            .map(|_| &raw[scheme.len()..])
    });
    if raw.chars().any(unsafe_char) || authority.is_none_or(|a| a.is_empty() || a.starts_with('/'))
    {
        return false;
    }
    let Ok(url) = Url::parse(raw) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    match (url.scheme(), url.host_str().filter(|h| !h.is_empty())) {
        ("https", Some(_)) => true,
        ("http", Some(host)) => is_loopback(host),
        _ => false,
    }
}

/// `{base}/{path}`, keeping any path prefix of the base.
pub fn endpoint(base: &str, path: &str) -> Result<Url, ApiError> {
    let mut url = check_base_url(base)?;
    if !url.path().ends_with('/') {
        let with_slash = format!("{}/", url.path());
        url.set_path(&with_slash);
    }
    url.join(path.trim_start_matches('/'))
        .map_err(|e| bad(&format!("cannot join the endpoint path ({e})")))
}

/// `host:port` for messages (never the path or query).
pub(crate) fn host_port(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => "<no host>".to_owned(),
    }
}

/// `scheme://host:port`, for messages about where something points.
pub(crate) fn origin(url: &Url) -> String {
    format!("{}://{}", url.scheme(), host_port(url))
}

/// Where a redirect's `Location` points, as `scheme://host:port` only: a redirect URL's path
/// or query are the server's business and may carry anything.
pub(crate) fn redirect_target(from: &Url, location: Option<&HeaderValue>) -> String {
    location
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| from.join(loc).ok())
        .map(|u| origin(&u))
        .unwrap_or_else(|| "an unknown address".to_owned())
}

/// `host_str` form: IPv6 literals come in brackets; IPv4 is already normalised by the parser.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

fn bad(reason: &str) -> ApiError {
    ApiError::BadUrl {
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        for ok in [
            "https://api.example.org:65102",
            "https://api.example.org/",
            "http://127.0.0.1:8080",
            "http://127.5.6.7:1/",
            "http://[::1]:9000",
            "http://localhost:3000",
            "HTTP://LOCALHOST:3000",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for insecure in [
            "http://example.org",
            "http://10.0.0.1:80",
            "http://[::2]:80",
            "http://localhost.example.org",
        ] {
            let err = check_base_url(insecure).unwrap_err();
            assert!(matches!(err, ApiError::InsecureUrl { .. }), "{insecure}");
            assert!(err.to_string().contains("https://"), "{err}");
        }
    }

    #[test]
    fn rejects_malformed_bases_without_echoing_credentials() {
        for bad in [
            "",
            "example.org",
            "ftp://example.org",
            "https://h/?a=b",
            "https://h/#x",
        ] {
            let err = check_base_url(bad).unwrap_err();
            assert!(matches!(err, ApiError::BadUrl { .. }), "{bad}: {err}");
        }
        for hidden in [
            "https://api.example.org\nX-Injected: 1",
            "https://api.\texample.org",
            "https://api.example.org\r/x",
            "https://api.example.org/\u{1b}]52;c;aGk=\u{7}",
            "https://api.example.org\u{85}/x",
            "https://api example.org",
        ] {
            let err = check_base_url(hidden).unwrap_err();
            assert!(matches!(err, ApiError::BadUrl { .. }), "{hidden:?}: {err}");
            assert!(err.to_string().contains("control character"), "{err}");
        }
        let err = check_base_url("https://me:hunter2@example.org").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        assert!(!format!("{err:?}").contains("hunter2"));
    }

    #[test]
    fn endpoint_joins_with_or_without_slash_and_keeps_prefix() {
        let p = "ac/openapi/v2/tokens/next";
        assert_eq!(
            endpoint("https://h:1", p).unwrap().as_str(),
            "https://h:1/ac/openapi/v2/tokens/next"
        );
        assert_eq!(
            endpoint("https://h:1/", p).unwrap().as_str(),
            "https://h:1/ac/openapi/v2/tokens/next"
        );
        assert_eq!(
            endpoint("https://h/gw", "/ac/x").unwrap().as_str(),
            "https://h/gw/ac/x"
        );
    }

    #[test]
    fn redirect_target_shows_only_the_origin() {
        let from = Url::parse("https://a.example:8443/ac/x").unwrap();
        let loc = HeaderValue::from_static("http://evil.example:81/steal?x=y");
        assert_eq!(redirect_target(&from, Some(&loc)), "http://evil.example:81");
        let rel = HeaderValue::from_static("/elsewhere");
        assert_eq!(redirect_target(&from, Some(&rel)), "https://a.example:8443");
        assert_eq!(redirect_target(&from, None), "an unknown address");
    }
}
