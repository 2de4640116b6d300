//! `actoken logout USER`: forget a remembered login and its secret key (with `--tokens`, its
//! tokens too).

use super::accounts::describe_methods;
use super::context::Context;
use crate::shell_quote::shell_word;
use crate::store::{Account, Accounts};
use crate::tr;
use clap::Args;

#[derive(Debug, Args)]
pub struct LogoutArgs {
    pub user: String,
    /// Only the login at this base URL (when the user has several)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Also remove the tokens this account owns from the keyring and the index
    #[arg(long)]
    pub tokens: bool,
}

/// Forgets the login(s) of a user: the secret key and the remembered details; with
/// `--tokens`, also every stored token the account owns.
pub(crate) fn run(ctx: &Context, args: LogoutArgs) -> anyhow::Result<()> {
    let mut accounts = Accounts::load(&ctx.paths)?;
    let found: Vec<Account> = accounts
        .matching(&args.user, args.base_url.as_deref())
        .into_iter()
        .cloned()
        .collect();
    if found.is_empty() {
        anyhow::bail!(
            "no remembered login for {}{}; `actoken accounts` lists them",
            args.user,
            args.base_url
                .as_deref()
                .map(|b| format!(" at {b}"))
                .unwrap_or_default()
        );
    }
    let keys = ctx.account_keys()?;
    let remembered = keys.ids()?;
    let store = if args.tokens {
        Some(ctx.store()?)
    } else {
        None
    };
    for account in &found {
        let id = account.id();
        // The key first: if anything fails later, no secret is left behind.
        keys.delete(&id)?;
        let mut removed = Vec::new();
        if let Some(store) = &store {
            for meta in crate::login::owned_entries(store, account) {
                store.remove(&meta.name)?;
                removed.push(meta.name);
            }
        }
        accounts.forget(&account.user, Some(&account.base_url))?;
        let forgot = forgotten(account, remembered.contains(&id));
        outln!(ctx.io, "{}", crate::inert::inert(&forgot));
        if args.tokens {
            if removed.is_empty() {
                outln!(ctx.io, "  {}", tr!("logout.no_tokens"));
            }
            for name in removed {
                outln!(ctx.io, "  {}", tr!("logout.removed", name = name));
            }
        } else {
            outln!(
                ctx.io,
                "  {}",
                tr!("logout.tokens_stay", user = shell_word(&account.user))
            );
        }
    }
    Ok(())
}

/// What `logout` forgot for one account, in one line.
fn forgotten(a: &Account, had_key: bool) -> String {
    let (id, methods) = (a.id(), describe_methods(a));
    if had_key {
        let ak = a.access_key.as_deref().unwrap_or("?");
        tr!("logout.forgot_key", id = id, ak = ak, methods = methods)
    } else {
        tr!("logout.forgot_no_key", id = id, methods = methods)
    }
}
