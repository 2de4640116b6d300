//! `actoken token NAME [--min-valid D]`: the raw token on stdout and nothing else, for scripts.

use jiff::Timestamp;

use crate::timefmt;
use crate::token::Phase;

use super::args::TokenArgs;
use super::context::{Context, runtime};
use super::exit::NeedsNewToken;
use super::fresh::fresh_tokens;

pub fn run(ctx: &Context, args: TokenArgs) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let token = match args.min_valid {
        Some(min_valid) => {
            let renewer = ctx.renewer()?;
            let names = [args.name.clone()];
            let mut fresh = fresh_tokens(&runtime(), &renewer, &names, min_valid, now)?;
            fresh.remove(0).token
        }
        None => {
            let (_, token) = ctx.store()?.get(&args.name)?;
            let decoded = token.decode()?;
            let grace = ctx.config.renew_grace;
            match decoded.phase(now, grace) {
                Phase::Valid => {}
                Phase::Renewable => anyhow::bail!(
                    "{} expired {}; renew it with `actoken renew {}` or ask for `--min-valid 30m`",
                    args.name,
                    timefmt::relative(decoded.lifetime(grace).expect("has expiry").to_expiry(now)),
                    args.name
                ),
                Phase::Dead => {
                    return Err(NeedsNewToken(format!(
                        "{} is past its renew cutoff and cannot be renewed: get a new token (`actoken login`)",
                        args.name
                    ))
                    .into());
                }
                Phase::Invalid => anyhow::bail!("{} has no usable expiry", args.name),
            }
            token
        }
    };
    outln!("{}", token.expose());
    Ok(())
}
