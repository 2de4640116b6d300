//! `actoken renew NAME… | --all [--within D]`: concurrent renewals with one line per token.

use super::advising::{Advising, remembered_logins};
use super::context::{Context, runtime};
use super::durations::parse_duration;
use super::exit;
use super::finish::despite_signals;
use super::last_resort;
use crate::advice::Condition;
use crate::renew::{RenewError, Renewed, When};
use crate::shell_quote::shell_word;
use crate::store::Store;
use crate::timefmt;
use crate::token::Phase;
use crate::tr;
use clap::Args;
use jiff::{SignedDuration, Timestamp, tz::TimeZone};

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["names", "all"]))]
pub struct RenewArgs {
    /// Tokens to renew
    pub names: Vec<String>,
    /// Renew every stored token (a dead one through its remembered login, if any)
    #[arg(long)]
    pub all: bool,
    /// Only renew tokens that expire within this time (e.g. 2h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub within: Option<SignedDuration>,
}

/// Returns the exit code: several tokens may fail in different ways.
pub(crate) fn run(ctx: &Context, args: RenewArgs) -> anyhow::Result<u8> {
    if args.all && ctx.opens_the_secret_service() {
        crate::store::prepare_batch_read();
    }
    let renewer = ctx.renewer()?;
    let now = ctx.clock.now();
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
                    let (name, word) = (&stored.meta.name, shell_word(&stored.meta.name));
                    errln!(ctx.io, "{}", tr!("renew.skipped", name = name, word = word));
                    codes.push(exit::FAILURE);
                }
            }
        }
        names
    } else {
        args.names
    };

    let what = super::finish::renewing(&names);
    let mut results = runtime().block_on(despite_signals(
        &ctx.io,
        &what,
        renewer.renew_many(names, when, now),
    ));
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let tz = TimeZone::system();
    for (_, result) in results {
        match result {
            Ok(r) => outln!(ctx.io, "{}", describe(&r, now, &tz)),
            Err(mut e) => {
                last_resort::keep_renewal(&ctx.io, &mut e);
                let text = advised_failure(renewer.store(), &e, now, grace)
                    .unwrap_or_else(|| e.to_string());
                errln!(ctx.io, "{} {text}", tr!("cli.error"));
                codes.push(exit::code_for(&anyhow::Error::from(e)));
            }
        }
    }
    Ok(exit::worst(codes))
}

/// A failure that only a new token fixes (dead, rejected, undecodable, no login could help)
/// is told as the token's advice, in the words `show` and `check` use; others as they are.
pub(super) fn advised_failure(
    store: &Store,
    error: &RenewError,
    now: Timestamp,
    grace: SignedDuration,
) -> Option<String> {
    let (name, condition, cause, needs_login) = match error {
        RenewError::Dead { name, .. } => (name, Some(Condition::Dead), String::new(), None),
        RenewError::Rejected { name, source } => {
            (name, Some(Condition::Rejected), source.to_string(), None)
        }
        RenewError::Invalid { name, reason } => {
            (name, Some(Condition::Malformed), reason.clone(), None)
        }
        // Dead or rejected (the token's expiry tells which), and no remembered key helped.
        RenewError::NeedsLogin { name, why, command } => {
            (name, None, why.clone(), Some(command.as_str()))
        }
        _ => return None,
    };
    // The index's claims of this one token: no secret read, no whole-index copy per failure.
    let meta = store.meta(name).ok()?;
    let decoded = meta.facts.as_ref().and_then(|f| f.decoded().ok());
    let condition = condition.unwrap_or_else(|| match &decoded {
        Some(d) if d.phase(now, grace) != Phase::Dead => Condition::Rejected,
        _ => Condition::Dead,
    });
    let advising = Advising {
        meta: &meta,
        decoded: decoded.as_ref(),
        accounts: &remembered_logins(store),
        now,
        grace,
    };
    // One line, quoting the token's claims and the server's answer.
    Some(crate::inert::inert(&advising.failure(condition, &cause, needs_login)).into_owned())
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
