//! `actoken accounts` (remembered logins, no secrets) and `actoken logout USER`.

use serde::Serialize;

use crate::api::LoginMethod;
use crate::store::{Account, Accounts, SecretState};
use crate::timefmt;

use super::args::{AccountsArgs, LogoutArgs};
use super::context::Context;
use super::view::render_table;

/// Field names are a stable interface for scripts (`accounts --json`).
#[derive(Debug, Serialize)]
struct AccountView<'a> {
    id: String,
    #[serde(flatten)]
    account: &'a Account,
    /// Every method it can log in with (`access-key`, `password`); `method` is the last used.
    methods: Vec<LoginMethod>,
    /// Whether the keyring holds a secret key for it (dead tokens then come back by themselves).
    secret_key_remembered: bool,
    /// Names of the stored entries this login stored.
    tokens: Vec<String>,
}

pub fn list(ctx: &Context, args: AccountsArgs) -> anyhow::Result<()> {
    let accounts = Accounts::load(&ctx.paths)?;
    if accounts.list().is_empty() && !args.json {
        eprintln!(
            "No remembered logins. Log in with:\n  actoken login --user USER --access-key AK --base-url https://HOST:PORT"
        );
        return Ok(());
    }
    let remembered = ctx.account_keys()?.ids()?;
    let entries = ctx.store()?.entries();
    let views: Vec<AccountView> = accounts
        .list()
        .iter()
        .map(|a| {
            let id = a.id();
            AccountView {
                methods: a.methods(),
                secret_key_remembered: remembered.contains(&id),
                tokens: entries
                    .iter()
                    .filter(|e| e.account.as_deref() == Some(id.as_str()))
                    .map(|e| e.name.clone())
                    .collect(),
                id,
                account: a,
            }
        })
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&views)?);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            let a = v.account;
            vec![
                a.user.clone(),
                describe_methods(a),
                a.base_url.clone(),
                a.auth_url.clone(),
                match (a.access_key.is_some(), v.secret_key_remembered) {
                    (false, _) => "never stored".to_owned(),
                    (true, true) => "remembered".to_owned(),
                    (true, false) => "not remembered".to_owned(),
                },
                a.last_login.map_or("-".to_owned(), timefmt::rfc3339),
                v.tokens.len().to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        render_table(
            &[
                "USER",
                "METHOD",
                "BASE URL",
                "AUTH URL",
                "SECRET",
                "LAST LOGIN",
                "TOKENS"
            ],
            &rows
        )
    );
    Ok(())
}

/// "access key AK1 + password (org 4af1…)": every method the account holds.
fn describe_methods(a: &Account) -> String {
    a.methods()
        .into_iter()
        .map(|m| match m {
            LoginMethod::AccessKey => {
                format!("access key {}", a.access_key.as_deref().unwrap_or("?"))
            }
            LoginMethod::Password => {
                format!("password (org {})", a.org_id.as_deref().unwrap_or("?"))
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// What `logout` forgot for one account, in one line.
fn forgotten(a: &Account, had_key: bool) -> String {
    let key = if had_key {
        format!(
            "the secret key of access key {} (from the keyring)",
            a.access_key.as_deref().unwrap_or("?")
        )
    } else {
        "no secret key was remembered".to_owned()
    };
    format!(
        "{}: forgot {key}; forgot the login details: {}",
        a.id(),
        describe_methods(a)
    )
}

/// Forgets the login(s) of a user: the secret key and the remembered details; with
/// `--tokens`, also every stored token the account owns.
pub fn logout(ctx: &Context, args: LogoutArgs) -> anyhow::Result<()> {
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
            for stored in store.load_all() {
                let owned = match &stored.secret {
                    SecretState::Present(token) => {
                        let user = token.decode().ok().and_then(|d| d.claims.user);
                        account.owns(user.as_deref(), &stored.meta.base_url)
                    }
                    _ => false,
                } || stored.meta.account.as_deref() == Some(id.as_str());
                if owned {
                    store.remove(&stored.meta.name)?;
                    removed.push(stored.meta.name);
                }
            }
        }
        accounts.forget(&account.user, Some(&account.base_url))?;
        println!("{}", forgotten(account, remembered.contains(&id)));
        if args.tokens {
            if removed.is_empty() {
                println!("  no stored tokens belonged to it");
            }
            for name in removed {
                println!("  removed {name}");
            }
        } else {
            println!(
                "  its tokens stay stored (`actoken logout {} --tokens` removes them)",
                account.user
            );
        }
    }
    Ok(())
}
