//! `actoken check NAME`: does the server still accept the token? (tokens/state)

use super::advising::condition_of;
use super::advising::refused_advice;
use super::context::{Context, runtime};
use super::exit;
use crate::advice::Condition;
use crate::inert::inert;
use crate::token::Phase;
use crate::tr;
use clap::Args;

#[derive(Debug, Args)]
pub struct CheckArgs {
    pub name: String,
}

/// Exit 0 when accepted, 3 when rejected (or dead); network errors and the server's own
/// errors (10001, ...: not a verdict on the token) propagate (exit 4; a frozen user, 1). The
/// server refuses every expired token, so for one the phase decides: renewable exits 1 with
/// `actoken renew`, never 3.
pub(crate) fn run(ctx: &Context, args: CheckArgs) -> anyhow::Result<u8> {
    let store = ctx.store()?;
    let (meta, token) = store.get(&args.name)?;
    let client = ctx.client()?;
    let asked_at = ctx.clock.now();
    // No verdict (the network, or the server's own error): said with the token's name.
    let state = runtime()
        .block_on(client.token_state(&meta.base_url, &token))
        .map_err(|e| anyhow::Error::new(e).context(inert(&args.name).into_owned()))?;
    outln!(
        ctx.io,
        "{}: {}",
        inert(&args.name),
        inert(&state.describe())
    );
    if state.is_accepted() {
        return Ok(exit::OK);
    }
    let (phase, advice) = refused_advice(ctx, &store, &meta, &token, asked_at, |phase| {
        if state.rejects(phase != Phase::Valid) {
            Condition::Rejected
        } else {
            condition_of(phase)
        }
    });
    // One line, quoting the token's claims.
    let advice = inert(&advice);
    if phase == Phase::Renewable {
        errln!(
            ctx.io,
            "{}",
            tr!("check.expired_renewable", advice = advice)
        );
        return Ok(exit::FAILURE);
    }
    errln!(ctx.io, "{advice}");
    Ok(exit::NEEDS_NEW_TOKEN)
}
