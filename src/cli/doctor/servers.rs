//! Doctor: can each base URL be reached (TLS included), and how far is its clock from ours?
//! The access-key login signs a timestamp the server accepts only within minutes of its own
//! clock, and every countdown assumes our clock is right.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::Serialize;

use crate::api::{AcClient, ApiError, ClientOptions};
use crate::config::Config;
use crate::inert::inert;
use crate::store::{Account, EntryMeta};
use crate::timefmt;

use super::super::context::runtime;
use super::report::{Area, Findings, Status};
use crate::tr;

/// Beyond this the platform refuses access-key logins (its window is a few minutes).
const LOGIN_TOLERANCE: SignedDuration = SignedDuration::from_mins(5);
/// Beyond this countdowns are visibly off.
const COUNTDOWN_TOLERANCE: SignedDuration = SignedDuration::from_secs(30);

#[derive(Debug, Serialize)]
pub(crate) struct ServerFacts {
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

/// Who talks to a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
enum User {
    ConfigBaseUrl,
    Token(String),
    Login(String),
    LoginAuth(String),
}

impl User {
    /// For `--json` (`used_by`): the same words in every language.
    fn english(&self) -> String {
        match self {
            User::ConfigBaseUrl => "config base-url".into(),
            User::Token(name) => format!("token {name}"),
            User::Login(id) => format!("login {id}"),
            User::LoginAuth(id) => format!("login {id} (auth)"),
        }
    }

    /// For people, in the interface language; a remembered login's user is shown inert.
    fn label(&self) -> String {
        match self {
            User::ConfigBaseUrl => tr!("doctor.used_by_config"),
            User::Token(name) => tr!("doctor.used_by_token", name = inert(name)),
            User::Login(id) => tr!("doctor.used_by_login", id = inert(id)),
            User::LoginAuth(id) => tr!("doctor.used_by_login_auth", id = inert(id)),
        }
    }
}

/// Every URL actoken talks to, with who uses it: tokens' base URLs, the config's, and the
/// remembered logins' base and auth URLs.
fn targets(
    config: &Config,
    entries: &[EntryMeta],
    accounts: &[Account],
) -> BTreeMap<String, Vec<User>> {
    let mut urls: BTreeMap<String, Vec<User>> = BTreeMap::new();
    let mut add = |url: &str, who: User| {
        let url = url.trim().trim_end_matches('/').to_owned();
        let users = urls.entry(url).or_default();
        if !users.contains(&who) {
            users.push(who);
        }
    };
    if let Some(url) = &config.base_url {
        add(url, User::ConfigBaseUrl);
    }
    for e in entries {
        add(&e.base_url, User::Token(e.name.clone()));
    }
    for a in accounts {
        add(&a.base_url, User::Login(a.id()));
        add(&a.auth_url, User::LoginAuth(a.id()));
    }
    urls
}

pub(crate) fn check(
    config: &Config,
    entries: &[EntryMeta],
    accounts: &[Account],
    f: &mut Findings,
) -> Vec<ServerFacts> {
    let urls = targets(config, entries, accounts);
    if urls.is_empty() {
        f.push(Area::Servers, Status::Info, tr!("doctor.servers_none"));
        return Vec::new();
    }
    let client = match AcClient::new(&ClientOptions::from_config(config)) {
        Ok(c) => c,
        Err(e) => {
            f.push(
                Area::Servers,
                Status::Fail,
                tr!("doctor.servers_client", error = e),
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
            let used_by: Vec<String> = used_by.iter().map(User::english).collect();
            match probe {
                Ok(p) => {
                    let ms = u64::try_from(p.elapsed.as_millis()).unwrap_or(u64::MAX);
                    let tls_ok = if tls {
                        tr!("doctor.server_tls_ok")
                    } else {
                        String::new()
                    };
                    f.push(
                        Area::Servers,
                        Status::Ok,
                        tr!(
                            "doctor.server_answers",
                            url = inert(&base_url),
                            status = p.status,
                            ms = ms,
                            tls = tls_ok,
                            who = who
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
                        Area::Servers,
                        Status::Fail,
                        tr!(
                            "doctor.server_unreachable",
                            url = inert(&base_url),
                            problem = inert(&problem),
                            who = who
                        ),
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
fn summary(used_by: &[User]) -> String {
    let is_token = |u: &&User| matches!(u, User::Token(_));
    let mut parts: Vec<String> = Vec::new();
    match used_by.iter().filter(is_token).count() {
        0 => {}
        1 => parts.extend(used_by.iter().filter(is_token).map(User::label)),
        n => parts.push(tr!("doctor.used_by_tokens", count = n)),
    }
    parts.extend(used_by.iter().filter(|u| !is_token(u)).map(User::label));
    parts.join(&tr!("doctor.list_separator"))
}

fn fix_for(e: &ApiError) -> String {
    match e {
        ApiError::Tls { .. } => tr!("doctor.fix_tls"),
        ApiError::Connect { .. } | ApiError::Timeout { .. } => tr!("doctor.fix_connect"),
        _ => tr!("doctor.fix_url"),
    }
}

/// One finding for the clock: the largest offset seen, judged against the login window.
fn report_clock(offsets: &[(String, SignedDuration)], f: &mut Findings) {
    const AREA: Area = Area::Clock;
    let Some((url, worst)) = offsets.iter().max_by_key(|(_, o)| o.abs()) else {
        f.push(AREA, Status::Info, tr!("doctor.clock_no_date"));
        return;
    };
    let off = timefmt::compact(worst.abs());
    let direction = if worst.is_negative() {
        tr!("doctor.clock_ahead")
    } else {
        tr!("doctor.clock_behind")
    };
    let fix = tr!("doctor.clock_fix");
    if worst.abs() > LOGIN_TOLERANCE {
        f.push_fix(
            AREA,
            Status::Fail,
            tr!(
                "doctor.clock_fail",
                off = off,
                direction = direction,
                url = url
            ),
            fix,
        );
    } else if worst.abs() > COUNTDOWN_TOLERANCE {
        f.push_fix(
            AREA,
            Status::Warn,
            tr!(
                "doctor.clock_warn",
                off = off,
                direction = direction,
                url = url
            ),
            fix,
        );
    } else {
        f.push(
            AREA,
            Status::Ok,
            tr!("doctor.clock_ok", secs = worst.as_secs().abs()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

    fn clock(offset: i64) -> Findings {
        let mut f = Findings::default();
        with_lang(Lang::En, || {
            report_clock(
                &[("https://a".into(), SignedDuration::from_secs(offset))],
                &mut f,
            )
        });
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

    #[test]
    fn who_uses_a_url_is_summed_up_in_the_interface_language() {
        let used_by = [
            User::Token("alice/华东一区【昆山】".into()),
            User::Token("alice/华中一区【A区】".into()),
            User::Login("alice@test中心".into()),
        ];
        assert_eq!(
            with_lang(Lang::En, || summary(&used_by)),
            "2 tokens, login alice@test中心"
        );
        assert_eq!(
            with_lang(Lang::ZhCn, || summary(&used_by)),
            "2 个访问凭证、登录 alice@test中心"
        );
        assert_eq!(
            with_lang(Lang::ZhCn, || summary(&used_by[..1])),
            "访问凭证 alice/华东一区【昆山】"
        );
        assert_eq!(used_by[2].english(), "login alice@test中心");
    }
}
