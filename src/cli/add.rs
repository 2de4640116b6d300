//! `actoken add NAME`: validate a token from stdin/prompt, then store it.

use jiff::Timestamp;

use crate::store::{self, EntryMeta};
use crate::timefmt;
use crate::token::{Phase, Token};

use super::args::AddArgs;
use super::context::Context;
use super::input;
use crate::tr;

pub fn run(ctx: &Context, args: AddArgs) -> anyhow::Result<()> {
    // Everything that can be checked without the secret is checked before asking for it.
    store::validate_name(&args.name)?;
    let base_url = ctx.base_url(args.base_url)?;
    let store = ctx.store()?;
    if !args.force && store.meta(&args.name).is_ok() {
        return Err(store::StoreError::Exists(args.name).into());
    }

    let raw = input::read_secret(&format!("Token for {}", args.name))?;
    let (token, decoded) = Token::parse(&raw)?;
    let now = Timestamp::now();
    if decoded.claims.expire_time_suspect_seconds {
        eprintln!("{}", tr!("add_cli.seconds_warning"));
    }
    store.add(
        EntryMeta {
            name: args.name.clone(),
            base_url,
            note: args.note,
            added_at: now,
            renewed_at: None,
            account: None,
            platform: false,
            facts: None,
            store: Default::default(),
        },
        &token,
        args.force,
    )?;

    let grace = ctx.config.renew_grace;
    let claims = &decoded.claims;
    let life = decoded.lifetime(grace).expect("parse guarantees an expiry");
    let state = match decoded.phase(now, grace) {
        Phase::Valid => tr!(
            "add_cli.expires",
            when = timefmt::relative(life.to_expiry(now))
        ),
        Phase::Renewable => tr!(
            "add_cli.renewable",
            when = timefmt::relative(life.to_cutoff(now)),
            name = args.name
        ),
        _ => tr!("add_cli.dead"),
    };
    eprintln!(
        "{}",
        tr!(
            "add_cli.stored",
            name = args.name,
            user = claims.user.as_deref().unwrap_or("?"),
            cluster = claims.cluster_id.as_deref().unwrap_or("?"),
            state = state
        )
    );
    Ok(())
}
