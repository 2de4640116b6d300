//! `actoken move NAME… | --all --to STORE`: tokens (and with --all, remembered secret keys)
//! into the other store, one line per name.

use std::sync::Arc;

use crate::store::{
    MoveOutcome, SecretBackend, Store, StoreKind, StorePair, move_account_keys,
    open_accounts_backend, open_backend,
};

use super::args::MoveArgs;
use super::context::Context;
use super::exit;

/// Returns the exit code: names may fail in different ways.
pub fn run(ctx: &Context, args: MoveArgs) -> anyhow::Result<u8> {
    let to = args.to;
    let timeout = ctx.keyring_timeout();
    let target = open_backend(to, &ctx.service, timeout)?;
    let store = Store::open_in(&ctx.paths, target.clone(), to)?;
    let names: Vec<String> = if args.all {
        store
            .entries()
            .into_iter()
            .filter(|e| e.store != to)
            .map(|e| e.name)
            .collect()
    } else {
        args.names
    };
    // The other store is needed to read what moves, and to clean up after an interrupted
    // move; when it cannot be opened, only names already in the target can be answered.
    let source = open_backend(to.other(), &ctx.service, timeout);
    let mut codes = Vec::new();
    for name in &names {
        let result = match &source {
            Ok(source) => store.move_entry(name, pair(to, &target, source), to),
            Err(e) => match store.meta(name) {
                Ok(meta) if meta.store == to => Ok(MoveOutcome::AlreadyThere { cleaned: false }),
                Ok(_) => Err(e.again()),
                Err(not_found) => Err(not_found),
            },
        };
        match result {
            Ok(outcome) => outln!("{}", describe(name, to, &outcome)),
            Err(e) => {
                eprintln!("error: {name}: {e}");
                codes.push(exit::code_for(&anyhow::Error::from(e)));
            }
        }
    }
    if names.is_empty() {
        outln!(
            "No tokens to move: every token is in {} already.",
            to.label()
        );
    }
    if args.all {
        codes.extend(move_keys(ctx, to, source.is_ok()));
    }
    Ok(exit::worst(codes))
}

fn pair<'a>(
    to: StoreKind,
    target: &'a Arc<dyn SecretBackend>,
    source: &'a Arc<dyn SecretBackend>,
) -> StorePair<'a> {
    let (ss, ku) = match to {
        StoreKind::SecretService => (target, source),
        StoreKind::Keyutils => (source, target),
    };
    StorePair {
        secret_service: ss.as_ref(),
        keyutils: ku.as_ref(),
    }
}

fn describe(name: &str, to: StoreKind, outcome: &MoveOutcome) -> String {
    match outcome {
        MoveOutcome::Moved { leftover: None } => {
            format!("{name}: moved to {} ({})", to.label(), to)
        }
        MoveOutcome::Moved {
            leftover: Some(why),
        } => format!(
            "{name}: moved to {}, but the old copy in {} could not be deleted ({why}); run the \
             same move again to delete it",
            to.label(),
            to.other().label()
        ),
        MoveOutcome::AlreadyThere { cleaned: true } => format!(
            "{name}: already in {}; deleted the copy an interrupted move left in {}",
            to.label(),
            to.other().label()
        ),
        MoveOutcome::AlreadyThere { cleaned: false } => {
            format!("{name}: already in {}", to.label())
        }
    }
}

/// The remembered secret keys follow the tokens, so unattended re-logins keep working.
fn move_keys(ctx: &Context, to: StoreKind, other_reachable: bool) -> Vec<u8> {
    if !other_reachable {
        return Vec::new(); // already reported for the tokens, or nothing was there
    }
    let timeout = ctx.keyring_timeout();
    let opened = open_accounts_backend(to.other(), &ctx.service, timeout).and_then(|source| {
        let target = open_accounts_backend(to, &ctx.service, timeout)?;
        move_account_keys(source.as_ref(), target.as_ref())
    });
    match opened {
        Ok(results) => results
            .into_iter()
            .map(|(id, result)| match result {
                Ok(()) => {
                    outln!("secret key of {id}: moved to {}", to.label());
                    exit::OK
                }
                Err(e) => {
                    eprintln!("error: secret key of {id}: {e}");
                    exit::code_for(&anyhow::Error::from(e))
                }
            })
            .collect(),
        Err(e) => {
            eprintln!("error: remembered secret keys: {e}");
            vec![exit::code_for(&anyhow::Error::from(e))]
        }
    }
}
