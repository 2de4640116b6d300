//! Small commands: `rm`, `paths`, `completions`, `manpage`, `mock-server`.

use clap::CommandFactory;
use jiff::{SignedDuration, Timestamp};

use crate::mock::{MintSpec, MockOptions, MockServer, mint};

use super::args::{Cli, CompletionsArgs, ManpageArgs, MockServerArgs, RmArgs};
use super::context::{Context, runtime};
use super::exit::UsageError;
use crate::tr;
use crate::width::pad;

pub fn rm(ctx: &Context, args: RmArgs) -> anyhow::Result<()> {
    ctx.store()?.remove(&args.name)?;
    eprintln!("{}", tr!("misc.removed", name = args.name));
    Ok(())
}

pub fn paths(ctx: &Context) -> anyhow::Result<()> {
    let lines = [
        (
            tr!("paths.config"),
            ctx.paths.config_file().display().to_string(),
        ),
        (
            tr!("paths.index"),
            ctx.paths.index_file().display().to_string(),
        ),
        (
            tr!("paths.state"),
            ctx.paths.state_dir.display().to_string(),
        ),
        (
            tr!("paths.keyring"),
            tr!("paths.keyring_value", service = ctx.service),
        ),
    ];
    for (label, value) in lines {
        outln!("{} {value}", pad(&format!("{label}:"), 13));
    }
    Ok(())
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<()> {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "actoken",
        &mut std::io::stdout(),
    );
    Ok(())
}

/// The man page from the same definitions as `--help` (clap_mangen).
pub fn manpage(args: ManpageArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    match args.dir {
        None => match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout().lock()) {
            // `actoken manpage | head` is not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other?,
        },
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), &dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            eprintln!("Wrote the man pages into {}", dir.display());
        }
    }
    Ok(())
}

pub fn mock_server(args: MockServerArgs) -> anyhow::Result<()> {
    if !args.addr.ip().is_loopback() {
        return Err(UsageError(format!(
            "the mock server only listens on loopback (e.g. 127.0.0.1:8080), not {}",
            args.addr
        ))
        .into());
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
        outln!("Mock AC server listening on {}", server.base_url());
        outln!(
            "A sample token it will renew (fake, valid 2h):\n{}",
            sample.expose()
        );
        outln!(
            "Store it with `actoken add demo --base-url {}` (paste it at the hidden prompt).",
            server.base_url()
        );
        outln!("Press Ctrl-C to stop.");
        tokio::signal::ctrl_c().await?;
        anyhow::Ok(())
    })
}
