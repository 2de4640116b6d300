//! `actoken token NAME [--min-valid D] [--json]`: the raw token on stdout and nothing else, for
//! scripts; with `--json`, one object with its expiry, claims and region addresses (see
//! [`crate::token_env::handoff`]).

use super::advising::{Advising, condition_of, remembered_logins};
use super::context::Context;
use super::durations::parse_duration;
use super::exit::NeedsNewToken;
use super::fresh::{Network, fresh_for, service_addrs};
use crate::advice::Condition;
use crate::inert::inert;
use crate::renew::Renewed;
use crate::store::EntryMeta;
use crate::token_env::{CenterCache, Subject, handoff};
use crate::tr;
use clap::Args;
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Args)]
pub struct TokenArgs {
    pub name: String,
    /// Renew first if the token expires within this time (e.g. 30m, 2h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_valid: Option<SignedDuration>,
    /// One JSON object instead: the token, its expiry and renew cutoff, claims, base URL and
    /// region addresses (a versioned interface, see the README)
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(ctx: &Context, args: TokenArgs) -> anyhow::Result<()> {
    if let Some(path) = &ctx.agent {
        return from_agent(ctx, path, args);
    }
    let now = ctx.clock.now();
    let (meta, token) = match args.min_valid {
        Some(min_valid) => {
            let names = [args.name.clone()];
            let (_, mut fresh) = fresh_for(ctx, &names, min_valid, now)?;
            // Only `--json` needs the entry's facts (the raw token is the scripts' hot path).
            let meta = if args.json {
                Some(ctx.store()?.meta(&args.name)?)
            } else {
                None
            };
            (meta, fresh.remove(0).token)
        }
        None => {
            let store = ctx.store()?;
            let (meta, token) = store.get(&args.name)?;
            let decoded = token.decode()?;
            let grace = ctx.config.renew_grace;
            let condition = condition_of(decoded.phase(now, grace));
            if condition.usable() {
                (Some(meta), token)
            } else {
                let advice = Advising {
                    meta: &meta,
                    decoded: Some(&decoded),
                    accounts: &remembered_logins(&store),
                    now,
                    grace,
                }
                .sentence(condition);
                // One line, quoting the token's claims.
                let advice = inert(&advice).into_owned();
                return Err(match condition {
                    Condition::Renewable => anyhow::anyhow!(tr!("token.expired", advice = advice)),
                    Condition::Dead => NeedsNewToken(advice).into(),
                    _ => anyhow::anyhow!(advice),
                });
            }
        }
    };
    if let Some(meta) = meta.filter(|_| args.json) {
        let text = handoff_json(ctx, meta, token, ctx.config.renew_grace, now)?;
        ctx.io.write_out(text.as_bytes())?;
    } else {
        exactln!(ctx.io, "{}", token.expose());
    }
    Ok(())
}

/// The token from the agent: renewed there first when it expires within `--min-valid`;
/// without it, only when it has expired (a local `token` would refuse it then).
fn from_agent(ctx: &Context, path: &std::path::Path, args: TokenArgs) -> anyhow::Result<()> {
    let now = ctx.clock.now();
    let mut agent = super::via_agent::connect(path)?;
    let min_valid = args.min_valid.unwrap_or(SignedDuration::ZERO);
    let handed = super::via_agent::fresh_token(&mut agent, &args.name, Some(min_valid), now)?;
    super::fresh::report(&ctx.io, &handed.renewed, now, min_valid);
    if args.json {
        let text = handoff_json(ctx, handed.meta, handed.renewed.token, handed.grace, now)?;
        ctx.io.write_out(text.as_bytes())?;
    } else {
        exactln!(ctx.io, "{}", handed.renewed.token.expose());
    }
    Ok(())
}

/// The `--json` object; the region's addresses as `env` finds them (its cache, else `center`);
/// the renew cutoff `grace` after the expiry (the agent's, through an agent).
fn handoff_json(
    ctx: &Context,
    meta: EntryMeta,
    token: crate::token::Token,
    grace: SignedDuration,
    now: Timestamp,
) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let expiry = token.decode().ok().and_then(|d| d.claims.expire_time);
    let held = Renewed {
        name: meta.name.clone(),
        old_expiry: expiry,
        new_expiry: expiry.unwrap_or(now),
        token,
        called_server: false,
        via_login: false,
    };
    let (network, cache) = (Network::new(ctx), CenterCache::new(&ctx.paths));
    let addrs = service_addrs(&ctx.io, &network, &cache, &meta, &held, now);
    Ok(handoff::render(&Subject {
        name: &meta.name,
        token: &held.token,
        base_url: &meta.base_url,
        cluster_id: meta.cluster_id.as_deref(),
        cluster_name: meta.cluster_name.as_deref(),
        addrs: &addrs,
        grace,
    }))
}
