//! `actoken renew NAME… | --all [--within D]`: concurrent renewals with one line per token.

use jiff::{Timestamp, tz::TimeZone};

use crate::renew::{Renewed, When};
use crate::timefmt;
use crate::token::Phase;

use super::args::RenewArgs;
use super::context::{Context, runtime};
use super::exit;
use super::finish::despite_signals;
use crate::tr;

/// Returns the exit code: several tokens may fail in different ways.
pub fn run(ctx: &Context, args: RenewArgs) -> anyhow::Result<u8> {
    let renewer = ctx.renewer()?;
    let now = Timestamp::now();
    let grace = ctx.config.renew_grace;
    let when = args.within.map_or(When::Always, When::ExpiringWithin);

    let mut codes = Vec::new();
    let names = if args.all {
        let mut names = Vec::new();
        // The index says which tokens can be renewed: no secret is read to choose.
        for stored in renewer.store().load_index() {
            let phase = match stored.decoded() {
                Some(Ok(d)) => d.phase(now, grace),
                _ => Phase::Invalid,
            };
            match phase {
                // Dead ones too: the renewer logs in again when the account has a remembered
                // secret key, and otherwise says which `actoken login` to run.
                p if p.can_renew() || p == Phase::Dead => names.push(stored.meta.name),
                _ => {
                    eprintln!("{}", tr!("renew.skipped", name = stored.meta.name));
                    codes.push(exit::FAILURE);
                }
            }
        }
        names
    } else {
        args.names
    };

    let what = super::finish::renewing(&names);
    let mut results =
        runtime().block_on(despite_signals(&what, renewer.renew_many(names, when, now)));
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let tz = TimeZone::system();
    for (_, result) in results {
        match result {
            Ok(r) => outln!("{}", describe(&r, now, &tz)),
            Err(e) => {
                eprintln!("{} {e}", tr!("cli.error"));
                codes.push(exit::code_for(&anyhow::Error::from(e)));
            }
        }
    }
    Ok(exit::worst(codes))
}

fn describe(r: &Renewed, now: Timestamp, tz: &TimeZone) -> String {
    let at = |t: Timestamp| {
        format!(
            "{} ({})",
            timefmt::absolute(t, tz),
            timefmt::relative(now.duration_until(t))
        )
    };
    if r.via_login {
        return tr!("renew.via_login", name = r.name, new = at(r.new_expiry));
    }
    match (r.called_server, r.old_expiry) {
        (true, Some(old)) => tr!(
            "renew.renewed_from",
            name = r.name,
            old = at(old),
            new = at(r.new_expiry)
        ),
        (true, None) => tr!("renew.renewed", name = r.name, new = at(r.new_expiry)),
        (false, _) => tr!("renew.not_due", name = r.name, new = at(r.new_expiry)),
    }
}
