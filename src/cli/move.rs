//! `actoken move NAME… | --all --to STORE`: tokens (and with --all, remembered secret keys)
//! into the other store, one line per name.

use super::context::Context;
use super::exit;
use super::streams::Io;
use crate::store::store_label;
use crate::store::{
    MoveOutcome, SecretBackend, Store, StoreKind, StorePair, move_account_keys,
    open_accounts_backend, open_backend,
};
use crate::tr;
use clap::Args;
use std::sync::Arc;

pub(crate) const MOVE_HELP: &str = "\
With --all, the remembered secret keys of logins move too. A token is deleted from the old store
only after its copy was read back intact and the index records the new place; if anything fails
on the way, it stays usable where it was. Moving again finishes an interrupted move.

Examples:
  actoken move --all --to keyutils          # a headless box: no desktop keyring
  actoken move hpc-east --to secret-service";

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["names", "all"]))]
pub struct MoveArgs {
    /// Tokens to move
    pub names: Vec<String>,
    /// Every token kept in the other store, and the remembered secret keys
    #[arg(long)]
    pub all: bool,
    /// The store to move them to
    #[arg(long, value_enum, value_name = "STORE")]
    pub to: crate::store::StoreKind,
}

/// Returns the exit code: names may fail in different ways.
pub(crate) fn run(ctx: &Context, args: MoveArgs) -> anyhow::Result<u8> {
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
            Ok(outcome) => outln!(ctx.io, "{}", describe(name, to, &outcome)),
            Err(e) => {
                failed(&ctx.io, &tr!("move.failed", name = name, error = e));
                codes.push(exit::code_for(&anyhow::Error::from(e)));
            }
        }
    }
    if names.is_empty() {
        outln!(ctx.io, "{}", tr!("move.nothing", store = store_label(to)));
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
    let (store, from) = (store_label(to), store_label(to.other()));
    match outcome {
        MoveOutcome::Moved { leftover: None } => {
            tr!("move.moved", name = name, store = store, kind = to)
        }
        MoveOutcome::Moved {
            leftover: Some(why),
        } => tr!(
            "move.moved_leftover",
            name = name,
            store = store,
            from = from,
            why = why
        ),
        MoveOutcome::AlreadyThere { cleaned: true } => {
            tr!(
                "move.already_cleaned",
                name = name,
                store = store,
                from = from
            )
        }
        MoveOutcome::AlreadyThere { cleaned: false } => {
            tr!("move.already", name = name, store = store)
        }
    }
}

/// One failed name or key on stderr, after the usual "error:".
fn failed(io: &Io, what: &str) {
    errln!(io, "{} {what}", tr!("cli.error"));
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
                    outln!(
                        ctx.io,
                        "{}",
                        tr!("move.key_moved", id = id, store = store_label(to))
                    );
                    exit::OK
                }
                Err(e) => {
                    failed(&ctx.io, &tr!("move.key_failed", id = id, error = e));
                    exit::code_for(&anyhow::Error::from(e))
                }
            })
            .collect(),
        Err(e) => {
            failed(&ctx.io, &tr!("move.keys_failed", error = e));
            vec![exit::code_for(&anyhow::Error::from(e))]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

    #[test]
    fn every_outcome_is_told_in_both_languages() {
        let name = "alice/华东一区【昆山】";
        let leftover = MoveOutcome::Moved {
            leftover: Some("locked".into()),
        };
        let to = StoreKind::Keyutils;
        assert_eq!(
            with_lang(Lang::En, || describe(
                name,
                to,
                &MoveOutcome::Moved { leftover: None }
            )),
            format!("{name}: moved to the kernel keyring (keyutils)")
        );
        assert_eq!(
            with_lang(Lang::ZhCn, || describe(name, to, &leftover)),
            format!(
                "{name}：已迁移到内核密钥环，但系统密钥环中的旧副本无法删除（locked）；\
                 再运行一次同样的 move 命令即可删除"
            )
        );
        let cleaned = MoveOutcome::AlreadyThere { cleaned: true };
        assert!(
            with_lang(Lang::En, || describe(name, to, &cleaned))
                .ends_with("left in the Secret Service")
        );
        assert_eq!(
            with_lang(Lang::ZhCn, || describe(name, to, &cleaned)),
            format!("{name}：已在内核密钥环中；已删除上次中断的迁移在系统密钥环中留下的副本")
        );
    }
}
