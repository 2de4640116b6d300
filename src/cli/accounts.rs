//! `actoken accounts`: the remembered logins (user, method, access key id, URLs; never a
//! secret), with each account's status when its platform token is at hand.

use super::context::{Context, runtime};
use super::table::render_table;
use crate::account_info;
use crate::api::{LoginMethod, UserInfo};
use crate::inert::inert;
use crate::shell_quote::shell_word;
use crate::store::{Account, Accounts, Store};
use crate::timefmt;
use crate::tr;
use clap::Args;
use serde::Serialize;

#[derive(Debug, Args)]
pub struct AccountsArgs {
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

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
    /// The platform's word on the account (`GET /ac/openapi/v2/user`, asked with the stored
    /// platform token): e.g. "Normal", and the balance as written ("0.00"); null when unknown.
    account_status: Option<String>,
    account_balance: Option<String>,
    /// Why status and balance are unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    account_info_error: Option<String>,
    #[serde(skip)]
    info: Option<UserInfo>,
}

pub(crate) fn run(ctx: &Context, args: AccountsArgs) -> anyhow::Result<()> {
    let accounts = Accounts::load(&ctx.paths)?;
    if accounts.list().is_empty() && !args.json {
        errln!(ctx.io, "{}", tr!("accounts.empty"));
        return Ok(());
    }
    let remembered = ctx.account_keys()?.ids()?;
    let store = ctx.store()?;
    let entries = store.entries();
    let infos = user_infos(ctx, &store, accounts.list())?;
    let views: Vec<AccountView> = accounts
        .list()
        .iter()
        .zip(infos)
        .map(|(a, info)| {
            let id = a.id();
            let (info, error) = match info {
                Ok(info) => (Some(info), None),
                Err(e) => (None, Some(e)),
            };
            AccountView {
                methods: a.methods(),
                account_status: info.as_ref().and_then(|i| i.account_status.clone()),
                account_balance: info.as_ref().and_then(|i| i.account_balance.clone()),
                account_info_error: error,
                info: info.clone(),
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
        exactln!(ctx.io, "{}", serde_json::to_string_pretty(&views)?);
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
                    (false, _) => tr!("accounts.never_stored"),
                    (true, true) => tr!("accounts.remembered"),
                    (true, false) => tr!("accounts.not_remembered"),
                },
                a.last_login.map_or("-".to_owned(), timefmt::rfc3339),
                v.tokens.len().to_string(),
                v.account_status.clone().unwrap_or_else(|| "?".to_owned()),
                v.account_balance.clone().unwrap_or_else(|| "?".to_owned()),
            ]
        })
        .collect();
    let header = [
        tr!("accounts.user"),
        tr!("accounts.method"),
        tr!("accounts.base_url"),
        tr!("accounts.auth_url"),
        tr!("accounts.secret"),
        tr!("accounts.last_login"),
        tr!("accounts.tokens"),
        tr!("accounts.status"),
        tr!("accounts.balance"),
    ];
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    out!(ctx.io, "{}", render_table(&header, &rows));
    // One line each, quoting what the server said.
    for v in &views {
        if let Some(e) = &v.account_info_error {
            let note = tr!("accounts.note_unknown", id = v.id, error = e);
            errln!(ctx.io, "{}", inert(&note));
        } else if let Some(summary) = v.info.as_ref().and_then(|i| i.regions_advice()) {
            let note = tr!("accounts.note_top_up", id = v.id, summary = summary);
            errln!(ctx.io, "{}", inert(&note));
        }
    }
    Ok(())
}

/// "access key AK1 + password, org 4af1…": every method the account holds.
pub(super) fn describe_methods(a: &Account) -> String {
    a.methods()
        .into_iter()
        .map(|m| match m {
            LoginMethod::AccessKey => tr!(
                "accounts.access_key",
                ak = a.access_key.as_deref().unwrap_or("?")
            ),
            LoginMethod::Password => tr!(
                "accounts.password",
                org = a.org_id.as_deref().unwrap_or("?")
            ),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Each account's information, asked at once for all of them.
fn user_infos(
    ctx: &Context,
    store: &Store,
    accounts: &[Account],
) -> anyhow::Result<Vec<Result<UserInfo, String>>> {
    let tokens: Vec<_> = accounts
        .iter()
        .map(|a| account_info::platform_token(store, &a.id()))
        .collect();
    let client = ctx.client()?;
    let asks = accounts.iter().zip(&tokens).map(|(a, token)| {
        let client = &client;
        async move {
            match token {
                Some(t) => account_info::fetch(client, &a.base_url, t).await,
                None => Err(format!(
                    "no platform token ({}/ac) is stored; `actoken login --user {}` stores one",
                    a.user,
                    shell_word(&a.user)
                )),
            }
        }
    });
    Ok(runtime().block_on(futures::future::join_all(asks)))
}
