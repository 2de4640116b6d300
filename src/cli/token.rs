//! `actoken token NAME [--min-valid D]`: the raw token on stdout and nothing else, for scripts.

use jiff::Timestamp;

use crate::renew::When;
use crate::timefmt;
use crate::token::Phase;

use super::args::TokenArgs;
use super::context::{Context, runtime};
use super::exit::NeedsNewToken;
use super::finish::despite_signals;

pub fn run(ctx: &Context, args: TokenArgs) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let token = match args.min_valid {
        Some(min_valid) => {
            let renewer = ctx.renewer()?;
            let what = format!("renewing {}", args.name);
            let renewed = runtime().block_on(despite_signals(
                &what,
                renewer.renew(&args.name, When::ExpiringWithin(min_valid), now),
            ))?;
            if renewed.via_login {
                eprintln!(
                    "{} was dead or rejected: logged in again with the remembered secret key and stored new tokens; now expires {}",
                    args.name,
                    timefmt::relative(renewed.new_expiry.duration_since(now))
                );
            } else if renewed.called_server {
                eprintln!(
                    "renewed {}: now expires {}",
                    args.name,
                    timefmt::relative(renewed.new_expiry.duration_since(now))
                );
            }
            let left = now.duration_until(renewed.new_expiry);
            if left < min_valid {
                eprintln!(
                    "warning: {} is valid for only {} more, less than the {} asked for (the server issues shorter tokens)",
                    args.name,
                    timefmt::compact(left),
                    timefmt::compact(min_valid)
                );
            }
            renewed.token
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
    println!("{}", token.expose());
    Ok(())
}
