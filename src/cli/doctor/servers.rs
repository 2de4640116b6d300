//! Doctor: can each base URL be reached (TLS included), and how far is its clock from ours?
//! The access-key login signs a timestamp the server accepts only within minutes of its own
//! clock, and every countdown assumes our clock is right.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::Serialize;

use crate::api::{AcClient, ApiError, ClientOptions};
use crate::config::Config;
use crate::store::{Account, EntryMeta};
use crate::timefmt;

use super::super::context::runtime;
use super::report::{Findings, Status};

/// Beyond this the platform refuses access-key logins (its window is a few minutes).
const LOGIN_TOLERANCE: SignedDuration = SignedDuration::from_mins(5);
/// Beyond this countdowns are visibly off.
const COUNTDOWN_TOLERANCE: SignedDuration = SignedDuration::from_secs(30);

#[derive(Debug, Serialize)]
pub struct ServerFacts {
    pub base_url: String,
    /// Token names, "config base-url", "login USER".
    pub used_by: Vec<String>,
    pub reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub tls: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    /// The server's clock minus ours, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_offset_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Every URL actoken talks to, with who uses it: tokens' base URLs, the config's, and the
/// remembered logins' base and auth URLs.
fn targets(
    config: &Config,
    entries: &[EntryMeta],
    accounts: &[Account],
) -> BTreeMap<String, Vec<String>> {
    let mut urls: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |url: &str, who: String| {
        let url = url.trim().trim_end_matches('/').to_owned();
        let users = urls.entry(url).or_default();
        if !users.contains(&who) {
            users.push(who);
        }
    };
    if let Some(url) = &config.base_url {
        add(url, "config base-url".into());
    }
    for e in entries {
        add(&e.base_url, format!("token {}", e.name));
    }
    for a in accounts {
        add(&a.base_url, format!("login {}", a.id()));
        add(&a.auth_url, format!("login {} (auth)", a.id()));
    }
    urls
}

pub fn check(
    config: &Config,
    entries: &[EntryMeta],
    accounts: &[Account],
    f: &mut Findings,
) -> Vec<ServerFacts> {
    let urls = targets(config, entries, accounts);
    if urls.is_empty() {
        f.push(
            "servers",
            Status::Info,
            "no server to check yet (no tokens, no base-url in the config)",
        );
        return Vec::new();
    }
    let client = match AcClient::new(&ClientOptions::from_config(config)) {
        Ok(c) => c,
        Err(e) => {
            f.push(
                "servers",
                Status::Fail,
                format!("cannot set up the HTTP client: {e}"),
            );
            return Vec::new();
        }
    };
    let probes = runtime().block_on(futures::future::join_all(
        urls.keys().map(|url| client.probe(url)),
    ));
    let mut offsets = Vec::new();
    let facts: Vec<ServerFacts> = urls
        .into_iter()
        .zip(probes)
        .map(|((base_url, used_by), probe)| {
            let tls = base_url.starts_with("https://");
            let who = summary(&used_by);
            match probe {
                Ok(p) => {
                    let ms = u64::try_from(p.elapsed.as_millis()).unwrap_or(u64::MAX);
                    f.push(
                        "servers",
                        Status::Ok,
                        format!(
                            "{base_url} answers (HTTP {}, {ms} ms{}) — {who}",
                            p.status,
                            if tls { ", TLS ok" } else { "" }
                        ),
                    );
                    if let Some(o) = p.clock_offset {
                        offsets.push((base_url.clone(), o));
                    }
                    ServerFacts {
                        base_url,
                        used_by,
                        reachable: true,
                        status: Some(p.status),
                        tls,
                        elapsed_ms: Some(ms),
                        clock_offset_seconds: p.clock_offset.map(|o| o.as_secs()),
                        problem: None,
                    }
                }
                Err(e) => {
                    let problem = e.to_string();
                    f.push_fix(
                        "servers",
                        Status::Fail,
                        format!("{base_url} cannot be reached: {problem} — {who}"),
                        fix_for(&e),
                    );
                    ServerFacts {
                        base_url,
                        used_by,
                        reachable: false,
                        status: None,
                        tls,
                        elapsed_ms: None,
                        clock_offset_seconds: None,
                        problem: Some(problem),
                    }
                }
            }
        })
        .collect();
    report_clock(&offsets, f);
    facts
}

/// "3 tokens, login alice@host": who uses a URL, short enough for one line.
fn summary(used_by: &[String]) -> String {
    let tokens = used_by.iter().filter(|u| u.starts_with("token ")).count();
    let mut parts: Vec<String> = Vec::new();
    match tokens {
        0 => {}
        1 => parts.extend(used_by.iter().filter(|u| u.starts_with("token ")).cloned()),
        n => parts.push(format!("{n} tokens")),
    }
    parts.extend(used_by.iter().filter(|u| !u.starts_with("token ")).cloned());
    parts.join(", ")
}

fn fix_for(e: &ApiError) -> String {
    match e {
        ApiError::Tls { .. } => "the server's certificate is not trusted: if it is signed by \
            your site's own CA, set ca-file in the config (or --ca-file); TLS checks are never \
            turned off"
            .into(),
        ApiError::Connect { .. } | ApiError::Timeout { .. } => "check the URL, your network and \
            any proxy or VPN this server needs; if it moved, update the tokens' base URL \
            (`actoken add NAME --force --base-url ...`)"
            .into(),
        _ => "check the URL".into(),
    }
}

/// One finding for the clock: the largest offset seen, judged against the login window.
fn report_clock(offsets: &[(String, SignedDuration)], f: &mut Findings) {
    const AREA: &str = "clock";
    let Some((url, worst)) = offsets.iter().max_by_key(|(_, o)| o.abs()) else {
        f.push(
            AREA,
            Status::Info,
            "no server sent a Date header: the clock could not be compared",
        );
        return;
    };
    let off = timefmt::compact(worst.abs());
    let direction = if worst.is_negative() {
        "ahead of"
    } else {
        "behind"
    };
    let fix = "synchronise the clock (e.g. `timedatectl set-ntp true`, or ask the \
        administrator to run chrony/ntpd)";
    if worst.abs() > LOGIN_TOLERANCE {
        f.push_fix(
            AREA,
            Status::Fail,
            format!(
                "this machine's clock is {off} {direction} {url}: access-key logins will be \
                 refused (the platform allows a few minutes) and countdowns are off"
            ),
            fix,
        );
    } else if worst.abs() > COUNTDOWN_TOLERANCE {
        f.push_fix(
            AREA,
            Status::Warn,
            format!(
                "this machine's clock is {off} {direction} {url}: countdowns are off by that much"
            ),
            fix,
        );
    } else {
        f.push(
            AREA,
            Status::Ok,
            format!(
                "in step with the servers (largest offset {}s)",
                worst.as_secs().abs()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(offset: i64) -> Findings {
        let mut f = Findings::default();
        report_clock(
            &[("https://a".into(), SignedDuration::from_secs(offset))],
            &mut f,
        );
        f
    }

    #[test]
    fn clock_offsets_are_judged_against_the_login_window() {
        assert!(clock(3).0[0].status == Status::Ok);
        assert!(clock(-90).0[0].status == Status::Warn);
        let far = clock(-600);
        assert_eq!(far.0[0].status, Status::Fail);
        assert!(far.0[0].message.contains("10m"), "{}", far.0[0].message);
        assert!(
            far.0[0].message.contains("ahead of"),
            "{}",
            far.0[0].message
        );
        assert!(clock(600).0[0].message.contains("behind"));
    }
}
