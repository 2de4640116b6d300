//! `actoken mock-server`: the built-in mock AC server, in the foreground.

use super::context::runtime;
use super::durations::parse_duration;
use super::exit::UsageError;
use super::streams::Io;
use crate::mock::{DEMO_ACCOUNTS, MintSpec, MockOptions, MockServer, mint};
use crate::timefmt;
use clap::Args;
use jiff::{SignedDuration, Timestamp};
use std::net::SocketAddr;

#[derive(Debug, Args)]
pub struct MockServerArgs {
    /// Address to listen on (loopback only)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Lifetime of the tokens it issues (e.g. 24h, 10m)
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub token_lifetime: SignedDuration,
    /// Added latency before every reply (e.g. 100ms), to try a slow network
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub delay: SignedDuration,
    /// Run the server's clock this far off (e.g. 10m, -3m): its Date header and its login
    /// timestamp check, to try `actoken doctor`
    #[arg(long, default_value = "0s", value_parser = timefmt::parse_duration, allow_hyphen_values = true)]
    pub clock_skew: SignedDuration,
}

pub(crate) fn run(args: MockServerArgs) -> anyhow::Result<()> {
    // A server in the foreground: its banner goes to the process's own streams.
    let io = Io::system();
    if !args.addr.ip().is_loopback() {
        let addr = args.addr.to_string();
        return Err(UsageError(crate::tr!("usage.mock_loopback_only", addr = addr)).into());
    }
    runtime().block_on(async {
        let options = MockOptions {
            token_lifetime: args.token_lifetime,
            delay: args.delay.unsigned_abs(),
            clock_skew: args.clock_skew,
            ..MockOptions::default()
        };
        let server = MockServer::start(args.addr, options).await?;
        let sample = mint(&MintSpec {
            user: "alice".into(),
            compute_user: "alice".into(),
            cluster_id: "11112".into(),
            account_status: "Normal".into(),
            expire_at: Timestamp::now() + SignedDuration::from_hours(2),
        });
        // Everything printed here is fake and signed or checked with the mock's own public
        // key: worthless anywhere else.
        outln!(io, "{}", banner(&server.base_url(), sample.expose()));
        tokio::signal::ctrl_c().await?;
        anyhow::Ok(())
    })
}

/// What the mock prints on start: where it listens, every login it accepts (so any client can
/// log in to it, not only actoken), and a sample token for `actoken add`.
fn banner(url: &str, sample: &str) -> String {
    let mut lines = vec![
        crate::tr!("mock_server.listening", url = url),
        crate::tr!("mock_server.logins"),
    ];
    for a in DEMO_ACCOUNTS {
        lines.push(crate::tr!(
            "mock_server.login",
            user = a.user,
            ak = a.access_key,
            sk = a.secret_key,
            password = a.password,
            org = a.org_id
        ));
    }
    let first = &DEMO_ACCOUNTS[0];
    lines.push(crate::tr!(
        "mock_server.log_in_with",
        user = first.user,
        ak = first.access_key,
        url = url
    ));
    lines.push(crate::tr!("mock_server.other_clients", url = url));
    lines.push(crate::tr!("mock_server.sample", token = sample));
    lines.push(crate::tr!("mock_server.store_it", url = url));
    lines.push(crate::tr!("mock_server.stop"));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

    /// Every credential of every demo account is on screen, in both languages.
    #[test]
    fn the_banner_lists_every_login_the_mock_accepts() {
        for lang in [Lang::En, Lang::ZhCn] {
            let text = with_lang(lang, || banner("http://127.0.0.1:8080", "eyJ.sample.x"));
            for a in DEMO_ACCOUNTS {
                for fact in [a.user, a.access_key, a.secret_key, a.password, a.org_id] {
                    assert!(text.contains(fact), "{lang:?}: {fact} missing:\n{text}");
                }
            }
            assert!(text.contains("eyJ.sample.x"), "{text}");
            assert!(
                text.contains("actoken login --user alice --access-key AKDEMOALICE --base-url http://127.0.0.1:8080"),
                "{text}"
            );
        }
        let en = with_lang(Lang::En, || banner("http://127.0.0.1:8080", "t"));
        assert!(
            en.starts_with("Mock AC server listening on http://127.0.0.1:8080\n"),
            "{en}"
        );
    }
}
