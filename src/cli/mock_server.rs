//! `actoken mock-server`: the built-in mock AC server, in the foreground.

use super::context::runtime;
use super::durations::parse_duration;
use super::exit::UsageError;
use super::streams::Io;
use crate::mock::{MintSpec, MockOptions, MockServer, mint};
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
        // This token is signed with the mock's own key: it is worthless anywhere else.
        outln!(io, "Mock AC server listening on {}", server.base_url());
        outln!(
            io,
            "A sample token it will renew (fake, valid 2h):\n{}",
            sample.expose()
        );
        outln!(
            io,
            "Store it with `actoken add demo --base-url {}` (paste it at the hidden prompt).",
            server.base_url()
        );
        outln!(io, "Press Ctrl-C to stop.");
        tokio::signal::ctrl_c().await?;
        anyhow::Ok(())
    })
}
