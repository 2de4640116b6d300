//! `actoken add NAME`: validate a token from stdin/prompt, then store it.

use jiff::Timestamp;

use crate::store::{self, EntryMeta};
use crate::timefmt;
use crate::token::{Phase, Token};

use super::args::AddArgs;
use super::context::Context;
use super::input;

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
        eprintln!(
            "warning: expireTime looks like seconds, not milliseconds; the expiry shown may be wrong"
        );
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
            store: Default::default(),
        },
        &token,
        args.force,
    )?;

    let grace = ctx.config.renew_grace;
    let claims = &decoded.claims;
    let life = decoded.lifetime(grace).expect("parse guarantees an expiry");
    let state = match decoded.phase(now, grace) {
        Phase::Valid => format!("expires {}", timefmt::relative(life.to_expiry(now))),
        Phase::Renewable => format!(
            "already expired; renew it before the cutoff {} with `actoken renew {}`",
            timefmt::relative(life.to_cutoff(now)),
            args.name
        ),
        _ => "already past its renew cutoff: it cannot be renewed, get a new token".to_owned(),
    };
    eprintln!(
        "Stored {} (user {}, cluster {}): {state}",
        args.name,
        claims.user.as_deref().unwrap_or("?"),
        claims.cluster_id.as_deref().unwrap_or("?"),
    );
    Ok(())
}
