//! `actoken login`: get a token for every region at once, with an access key (secret key from
//! a hidden prompt or stdin) or the older user + password + org id.

use super::context::{Context, runtime};
use super::exit::UsageError;
use super::finish::despite_signals;
use super::input;
use super::streams::Io;
use crate::account_info;
use crate::api::{self, LoginMethod, UserInfo};
use crate::login::{Credential, LoginReport, NOT_AVAILABLE, login_and_store, login_command};
use crate::store::{Account, Accounts};
use crate::tr;
use crate::width::pad;
use clap::Args;
use secrecy::SecretString;

pub(crate) const LOGIN_HELP: &str = "\
Every usable token the platform returns is stored, one entry per region, named USER/REGION:
REGION is the region's name (clusterName), or its id (clusterId) when it has no name; the
account-level platform token is USER/ac. Characters a name may not hold become '-', and names
are cut to 64 characters. Entries of an earlier login of the same user and region are replaced;
other entries are left alone. Regions without a token are listed as \"not available\".

The secret key and the password are never taken as arguments: they are read from a hidden
prompt, or from stdin with --secret-key-stdin / --password-stdin, or (the secret key only) from
an environment variable named with --secret-key-env VAR. Without --user and --access-key, the
names the public SDKs use are read: SCNET_USER and SCNET_ACCESS_KEY (the latter not for the
password login). No secret is ever read from the environment unless --secret-key-env names it. The secret key is kept in the
OS keyring (service <service>-accounts) unless --no-remember, so dead tokens can come back by
themselves; the password is never stored. User, method, access key id, URLs and org id are
remembered (no secrets), so the next login only needs the secret.

Examples:
  actoken login --user alice --access-key AK1 --base-url https://www.example.com --auth-url https://api.example.com
  printf '%s' \"$SK\" | actoken login --user alice --access-key AK1 --secret-key-stdin --base-url https://www.example.com
  printf '%s' \"$PW\" | actoken login --user alice --org-id 4af1... --password-stdin --base-url https://www.example.com
  SCNET_USER=alice SCNET_ACCESS_KEY=AK1 actoken login --secret-key-env SCNET_SECRET_KEY --base-url https://www.example.com";

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The platform account name [env: SCNET_USER]
    #[arg(long = "user", value_name = "USER")]
    pub user: Option<String>,
    /// Access key id (access-key login; remembered after the first login) [env: SCNET_ACCESS_KEY,
    /// not for the password login]
    // Both variables are read by `cli::login`, not by clap: a value clap takes from the
    // environment counts as given, and would clash with --org-id / --password-stdin.
    #[arg(long, value_name = "AK", conflicts_with_all = ["org_id", "password_stdin"])]
    pub access_key: Option<String>,
    /// Read the secret key from stdin instead of a hidden prompt
    #[arg(long, conflicts_with_all = ["org_id", "password_stdin", "secret_key_env"])]
    pub secret_key_stdin: bool,
    /// Read the secret key from this environment variable (only when asked, never by default)
    #[arg(long, value_name = "VAR", conflicts_with_all = ["org_id", "password_stdin"])]
    pub secret_key_env: Option<String>,
    /// Organisation id (password login)
    #[arg(long, value_name = "ORG")]
    pub org_id: Option<String>,
    /// Read the password from stdin instead of a hidden prompt (password login)
    #[arg(long)]
    pub password_stdin: bool,
    /// Where the tokens are renewed and used, e.g. https://www.example.com (default: remembered, then config base-url)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Where the access-key login is sent, e.g. https://api.example.com (default: the base URL)
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// Do not keep the secret key in the keyring (and forget one kept before)
    #[arg(long)]
    pub no_remember: bool,
}

/// A secret key or password is short; anything longer is a mistaken pipe.
const MAX_SECRET_BYTES: usize = 4096;

/// The names the public SDKs read the account from.
pub(crate) const USER_ENV: &str = "SCNET_USER";

pub(crate) const ACCESS_KEY_ENV: &str = "SCNET_ACCESS_KEY";

pub(crate) fn run(ctx: &Context, args: LoginArgs) -> anyhow::Result<()> {
    let mut args = from_environment(args, |name| std::env::var_os(name))?;
    let mut env_secret = args.env_secret.take();
    // Everything that can be checked without the secret is checked before asking for it.
    let accounts = Accounts::load(&ctx.paths)?;
    let remembered = pick(&accounts, &args)?;
    let account = account_for(ctx, &args, remembered.as_ref())?;
    let store = ctx.store()?;
    let keys = ctx.account_keys()?;
    let id = account.id();
    // A remembered key is only good for the access key it was remembered with.
    let same_key = remembered.as_ref().is_some_and(|r| {
        r.access_key.is_some() && r.access_key == account.access_key && r.id() == id
    });
    let remembered_key = || -> anyhow::Result<Option<SecretString>> {
        Ok(if same_key { keys.get(&id)? } else { None })
    };

    let instead = || piped_login(&account, args.no_remember);
    let (credential, from_keyring) = match account.method {
        LoginMethod::AccessKey if env_secret.is_some() => (
            Credential::SecretKey(env_secret.take().expect("checked")),
            false,
        ),
        LoginMethod::AccessKey if !args.secret_key_stdin && !ctx.io.stdin_is_terminal() => {
            // A script without the flag: only a remembered key can do.
            match remembered_key()? {
                Some(key) => (Credential::SecretKey(key), true),
                None => {
                    return Err(UsageError(tr!("cli_login.no_key_not_terminal", id = id)).into());
                }
            }
        }
        LoginMethod::AccessKey if !args.secret_key_stdin && !args.no_remember => {
            match remembered_key()? {
                Some(key) => (Credential::SecretKey(key), true),
                None => (
                    Credential::SecretKey(secret(
                        &ctx.io,
                        &tr!(
                            "cli_login.prompt_secret_key_for",
                            user = account.user,
                            ak = account.access_key.as_deref().unwrap_or("")
                        ),
                        true,
                        instead,
                    )?),
                    false,
                ),
            }
        }
        LoginMethod::AccessKey => (
            Credential::SecretKey(secret(
                &ctx.io,
                &tr!("cli_login.prompt_secret_key"),
                !args.secret_key_stdin,
                instead,
            )?),
            false,
        ),
        LoginMethod::Password => {
            if !args.password_stdin && !ctx.io.stdin_is_terminal() {
                return Err(UsageError(tr!("cli_login.password_not_terminal")).into());
            }
            (
                Credential::Password(secret(
                    &ctx.io,
                    &tr!("cli_login.prompt_password_for", user = account.user),
                    !args.password_stdin,
                    instead,
                )?),
                false,
            )
        }
    };
    if from_keyring {
        errln!(
            ctx.io,
            "{}",
            crate::tr!("cli_login.using_remembered", id = id)
        );
    }

    let now = ctx.clock.now();
    let what = crate::tr!("finish.logging_in", user = account.user);
    let report = runtime().block_on(despite_signals(
        &what,
        login_and_store(&store, &ctx.client()?, &account, &credential, now),
    ))?;
    let unavailable = report.skipped.iter().any(|s| s.reason == NOT_AVAILABLE);
    let why = match report.stored.iter().find(|s| s.platform) {
        Some(platform) if unavailable => runtime().block_on(account_info::fetch(
            &ctx.client()?,
            &account.base_url,
            &platform.token,
        )),
        _ => Err(String::new()),
    };
    print_report(&ctx.io, &account, &report, why.ok().as_ref());

    match (&credential, args.no_remember) {
        (Credential::SecretKey(_), true) => {
            keys.delete(&id)?;
            outln!(ctx.io, "{}", crate::tr!("cli_login.not_remembered"));
        }
        (Credential::SecretKey(key), false) => {
            if !from_keyring {
                keys.set(&id, key)?;
            }
            outln!(
                ctx.io,
                "{}",
                crate::tr!(
                    "cli_login.remembered",
                    store = keys.describe(),
                    user = account.user
                )
            );
        }
        (Credential::Password(_), _) => {
            // A password login never forgets the access key's remembered secret key: say so.
            let kept = account.access_key.is_some() && keys.get(&id)?.is_some();
            outln!(ctx.io, "{}", password_note(&account, kept));
        }
    }
    Ok(())
}

/// A login as asked for: the flags, with what they left out taken from the environment
/// (`Debug` is safe: `SecretString` prints as redacted).
#[derive(Debug)]
struct LoginRequest {
    /// `--user`, else `$SCNET_USER`.
    user: String,
    /// `--access-key`, else `$SCNET_ACCESS_KEY` (not for a password login).
    access_key: Option<String>,
    /// The secret key from the variable `--secret-key-env` names.
    env_secret: Option<SecretString>,
    secret_key_stdin: bool,
    secret_key_env: Option<String>,
    org_id: Option<String>,
    password_stdin: bool,
    base_url: Option<String>,
    auth_url: Option<String>,
    no_remember: bool,
}

/// Resolves the flags into a [`LoginRequest`]: the user from `SCNET_USER`, the access key from
/// `SCNET_ACCESS_KEY` (not for a password login), and the secret key from the variable
/// `--secret-key-env` names (no other variable is ever read for a secret).
fn from_environment(
    args: LoginArgs,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> anyhow::Result<LoginRequest> {
    let text = |name: &str| -> anyhow::Result<Option<String>> {
        match var(name) {
            None => Ok(None),
            Some(v) => match v.into_string() {
                Ok(s) if s.trim().is_empty() => Ok(None),
                Ok(s) => Ok(Some(s.trim().to_owned())),
                Err(_) => Err(UsageError(tr!("cli_login.not_utf8", name = name)).into()),
            },
        }
    };
    let user = match args.user {
        Some(user) => user,
        None => text(USER_ENV)?.ok_or_else(|| UsageError(tr!("cli_login.who", var = USER_ENV)))?,
    };
    let password_login = args.org_id.is_some() || args.password_stdin;
    let access_key = match args.access_key {
        None if !password_login => text(ACCESS_KEY_ENV)?,
        given => given,
    };
    let env_secret = match &args.secret_key_env {
        None => None,
        Some(name) => Some(SecretString::from(text(name)?.ok_or_else(|| {
            UsageError(tr!("cli_login.secret_var_empty", name = name))
        })?)),
    };
    Ok(LoginRequest {
        user,
        access_key,
        env_secret,
        secret_key_stdin: args.secret_key_stdin,
        secret_key_env: args.secret_key_env,
        org_id: args.org_id,
        password_stdin: args.password_stdin,
        base_url: args.base_url,
        auth_url: args.auth_url,
        no_remember: args.no_remember,
    })
}

/// The remembered login this command continues, if any.
fn pick(accounts: &Accounts, args: &LoginRequest) -> anyhow::Result<Option<Account>> {
    let found = accounts.matching(&args.user, args.base_url.as_deref());
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        many => Err(UsageError(tr!(
            "cli_login.several_urls",
            user = args.user,
            urls = many
                .iter()
                .map(|a| a.base_url.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into()),
    }
}

/// Flags first, then the remembered login, then the config file.
fn account_for(
    ctx: &Context,
    args: &LoginRequest,
    remembered: Option<&Account>,
) -> anyhow::Result<Account> {
    let method =
        if args.access_key.is_some() || args.secret_key_stdin || args.secret_key_env.is_some() {
            LoginMethod::AccessKey
        } else if args.org_id.is_some() || args.password_stdin {
            LoginMethod::Password
        } else if let Some(r) = remembered {
            r.method
        } else {
            let command = login_command(
                None,
                &args.user,
                args.base_url.as_deref().unwrap_or("https://HOST:PORT"),
            );
            return Err(UsageError(tr!("cli_login.how", command = command)).into());
        };
    let base_url = ctx.base_url(
        args.base_url
            .clone()
            .or_else(|| remembered.map(|r| r.base_url.clone())),
    )?;
    let auth_url = args
        .auth_url
        .clone()
        .or_else(|| remembered.map(|r| r.auth_url.clone()))
        .unwrap_or_else(|| base_url.clone());
    api::check_base_url(&auth_url)?;
    let auth_url = auth_url.trim().trim_end_matches('/').to_owned();

    // One account holds both methods: what this login does not use is kept, not forgotten.
    let access_key = args
        .access_key
        .clone()
        .or_else(|| remembered.and_then(|r| r.access_key.clone()));
    let org_id = args
        .org_id
        .clone()
        .or_else(|| remembered.and_then(|r| r.org_id.clone()));
    match method {
        LoginMethod::AccessKey if access_key.is_none() => {
            return Err(UsageError(tr!("cli_login.needs_access_key")).into());
        }
        LoginMethod::Password if org_id.is_none() => {
            return Err(UsageError(tr!("cli_login.needs_org_id")).into());
        }
        _ => {}
    }
    Ok(Account {
        user: args.user.clone(),
        method,
        access_key,
        base_url,
        auth_url,
        org_id,
        last_login: remembered.and_then(|r| r.last_login),
    })
}

/// What a password login says about secrets: the password is never stored; a secret key the
/// access-key login remembered stays (and keeps bringing dead tokens back).
fn password_note(account: &Account, key_kept: bool) -> String {
    if key_kept {
        crate::tr!(
            "cli_login.password_key_kept",
            id = account.id(),
            ak = account.access_key.as_deref().unwrap_or("?")
        )
    } else {
        crate::tr!("cli_login.password_not_stored")
    }
}

/// A secret from a hidden prompt (`prompt_ok` and a terminal) or from stdin, trimmed. Under
/// `--no-input` a terminal is not read at all, prompt or not (`--secret-key-stdin` typed at
/// one waits for Ctrl-D): the error names `instead`.
fn secret(
    io: &Io,
    what: &str,
    prompt_ok: bool,
    instead: impl FnOnce() -> String,
) -> anyhow::Result<SecretString> {
    let raw = if input::may_prompt(io, instead)? && prompt_ok {
        input::prompt_hidden(what)?
    } else {
        input::read_piped(io, MAX_SECRET_BYTES)?
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(UsageError(tr!("cli_login.nothing_given", what = what)).into());
    }
    Ok(SecretString::from(trimmed.to_owned()))
}

/// The same login with its secret piped in, for `--no-input` to name.
fn piped_login(account: &Account, no_remember: bool) -> String {
    let command = match account.method {
        LoginMethod::AccessKey => format!(
            "printf '%s' \"$SECRET_KEY\" | {} --secret-key-stdin",
            login_command(Some(account), &account.user, &account.base_url)
        ),
        LoginMethod::Password => format!(
            "printf '%s' \"$PASSWORD\" | actoken login --user {} --org-id {} --password-stdin --base-url {}",
            account.user,
            account.org_id.as_deref().unwrap_or("YOUR_ORG_ID"),
            account.base_url
        ),
    };
    let forget = if no_remember { " --no-remember" } else { "" };
    format!("`{command}{forget}`")
}

/// The verb column of the login report ("replaced", "已替换").
const VERB: usize = 8;

/// `user`: the account's status and balance, which explain regions listed without a token.
fn print_report(io: &Io, account: &Account, report: &LoginReport, user: Option<&UserInfo>) {
    let how = match (&account.method, &account.access_key) {
        (LoginMethod::AccessKey, Some(ak)) => {
            crate::tr!("cli_login.via_access_key", ak = ak, url = account.auth_url)
        }
        _ => crate::tr!("cli_login.via_password", url = account.base_url),
    };
    outln!(
        io,
        "{}",
        crate::tr!(
            "cli_login.logged_in",
            user = account.user,
            how = how,
            count = report.stored.len(),
            base_url = account.base_url
        )
    );
    for stored in &report.stored {
        let verb = if report.replaced.contains(&stored.name) {
            crate::tr!("cli_login.replaced")
        } else {
            crate::tr!("cli_login.added")
        };
        let what = if stored.platform {
            crate::tr!("cli_login.platform_token")
        } else {
            crate::tr!(
                "cli_login.cluster",
                id = stored.cluster_id.as_deref().unwrap_or("?")
            )
        };
        outln!(io, "  {}  {}  ({what})", pad(&verb, VERB), stored.name);
    }
    for skipped in &report.skipped {
        let verb = crate::tr!("cli_login.skipped");
        let reason = match user {
            Some(info) if skipped.reason == NOT_AVAILABLE => info.explain_unavailable(),
            _ => skipped.reason.clone(),
        };
        outln!(io, "  {}  {}: {reason}", pad(&verb, VERB), skipped.region);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use secrecy::ExposeSecret;

    fn parse(
        args: &[&str],
        env: &[(&str, &str)],
    ) -> anyhow::Result<(LoginRequest, Option<SecretString>)> {
        let cli =
            super::super::Cli::try_parse_from(["actoken", "login"].iter().chain(args)).unwrap();
        let Some(super::super::args::Command::Login(login)) = cli.command else {
            unreachable!()
        };
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut request = from_environment(login, |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.into())
        })?;
        let secret = request.env_secret.take();
        Ok((request, secret))
    }

    #[test]
    fn flags_win_over_the_sdk_variables() {
        let env = [
            ("SCNET_USER", "bob"),
            ("SCNET_ACCESS_KEY", "AKBOB"),
            ("SK", " sk1 \n"),
        ];
        let (a, secret) = parse(&[], &env).unwrap();
        assert_eq!(
            (a.user.as_str(), a.access_key.as_deref()),
            ("bob", Some("AKBOB"))
        );
        assert!(secret.is_none(), "no secret unless asked for by name");
        let (a, _) = parse(&["--user", "alice", "--access-key", "AK1"], &env).unwrap();
        assert_eq!(
            (a.user.as_str(), a.access_key.as_deref()),
            ("alice", Some("AK1"))
        );
        let (_, secret) = parse(&["--secret-key-env", "SK"], &env).unwrap();
        assert_eq!(secret.unwrap().expose_secret(), "sk1");
        // A password login does not pick up an access key from the environment.
        let (a, _) = parse(&["--org-id", "4af1", "--password-stdin"], &env).unwrap();
        assert_eq!(a.access_key, None);
    }

    #[test]
    fn missing_user_or_secret_variable_is_a_usage_error() {
        let err = parse(&[], &[]).unwrap_err();
        assert!(err.to_string().contains("SCNET_USER"), "{err}");
        let err = parse(
            &["--user", "a", "--secret-key-env", "NOPE"],
            &[("NOPE", "  ")],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("$NOPE is not set or empty"),
            "{err}"
        );
        assert!(err.is::<UsageError>());
    }

    /// The prompts and usage errors come from the catalogs, in the interface language.
    #[test]
    fn usage_errors_and_prompts_speak_the_interface_language() {
        use crate::i18n::{Lang, with_lang};
        let zh = with_lang(Lang::ZhCn, || parse(&[], &[]).unwrap_err().to_string());
        assert!(
            zh.contains("请说明谁登录") && zh.contains("SCNET_USER"),
            "{zh}"
        );
        let prompt = with_lang(Lang::ZhCn, || {
            tr!(
                "cli_login.prompt_secret_key_for",
                user = "alice",
                ak = "AK1"
            )
        });
        assert_eq!(prompt, "alice 的 SecretKey（AK1）");
        let en = with_lang(Lang::En, || {
            tr!("cli_login.prompt_password_for", user = "alice")
        });
        assert_eq!(en, "Password for alice");
    }
}
