//! `actoken token NAME [--min-valid D]`: the raw token on stdout and nothing else, for scripts.

use super::advising::{Advising, condition_of, remembered_logins};
use super::context::Context;
use super::durations::parse_duration;
use super::exit::NeedsNewToken;
use super::fresh::fresh_for;
use crate::advice::Condition;
use crate::tr;
use clap::Args;
use jiff::SignedDuration;

#[derive(Debug, Args)]
pub struct TokenArgs {
    pub name: String,
    /// Renew first if the token expires within this time (e.g. 30m, 2h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_valid: Option<SignedDuration>,
}

pub(crate) fn run(ctx: &Context, args: TokenArgs) -> anyhow::Result<()> {
    let now = ctx.clock.now();
    let token = match args.min_valid {
        Some(min_valid) => {
            let names = [args.name.clone()];
            let (_, mut fresh) = fresh_for(ctx, &names, min_valid, now)?;
            fresh.remove(0).token
        }
        None => {
            let store = ctx.store()?;
            let (meta, token) = store.get(&args.name)?;
            let decoded = token.decode()?;
            let grace = ctx.config.renew_grace;
            let condition = condition_of(decoded.phase(now, grace));
            if condition.usable() {
                token
            } else {
                let advice = Advising {
                    meta: &meta,
                    decoded: Some(&decoded),
                    accounts: &remembered_logins(&store),
                    now,
                    grace,
                }
                .sentence(condition);
                return Err(match condition {
                    Condition::Renewable => anyhow::anyhow!(tr!("token.expired", advice = advice)),
                    Condition::Dead => NeedsNewToken(advice).into(),
                    _ => anyhow::anyhow!(advice),
                });
            }
        }
    };
    outln!(ctx.io, "{}", token.expose());
    Ok(())
}
