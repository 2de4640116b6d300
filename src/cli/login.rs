//! `actoken login`: get a token for every region at once, with an access key (secret key from
//! a hidden prompt or stdin) or the older user + password + org id.

use super::context::{Context, runtime};
use super::exit::UsageError;
use super::finish::despite_signals;
use super::input;
use super::last_resort;
use super::streams::Io;
use crate::account_info;
use crate::api::{self, LoginMethod, PUBLIC_AUTH_URL, PUBLIC_BASE_URL, UserInfo};
use crate::inert::inert;
use crate::login::{Credential, LoginReport, NOT_AVAILABLE, login_and_store, login_command};
use crate::shell_quote::shell_word;
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
other entries are left alone. An entry of the same name that holds another server's token (the
same user at another base URL) is kept too: this login's is then named HOST/USER/REGION beside
it. A token of another user than --user, or of another cluster than the one it would replace, is
not stored. Regions without a token are listed as \"not available\"; a login that stores no
token at all is an error (exit 1).

Where: --base-url (renewal and everything else) and --auth-url (the access-key login), else
the remembered login's, else the config's base-url; with none of them, the public deployment:
https://www.scnet.cn, with the access-key login at https://api.scnet.cn (said in one line).
Other deployments pass their URLs.

The secret key and the password are never taken as arguments: they are read from a hidden
prompt, or from stdin with --secret-key-stdin / --password-stdin (as piped, less one line
ending), or (the secret key only) from an environment variable named with --secret-key-env VAR;
they are sent exactly as given: a space at either end is part of them. Without --user and
--access-key, the names the public SDKs use are read: SCNET_USER and SCNET_ACCESS_KEY (the
latter not for the password login). No secret is ever read from the environment unless
--secret-key-env names it. The secret key is kept in the OS keyring (service
<service>-accounts) unless --no-remember, so dead tokens can come back by themselves; the
password is never stored. User, method, access key id, URLs and org id are
remembered (no secrets), so the next login only needs the secret.

Examples:
  actoken login --user alice --access-key AK1
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
    /// Where the tokens are renewed and used, e.g. https://www.example.com (default: remembered, then config base-url, then the public deployment https://www.scnet.cn)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Where the access-key login is sent, e.g. https://api.example.com (default: remembered, then the base URL; https://api.scnet.cn for the public deployment)
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
    let (account, public) = account_for(ctx, &args, remembered.as_ref())?;
    if public {
        errln!(
            ctx.io,
            "{}",
            tr!(
                "cli_login.public_deployment",
                auth = account.auth_url,
                base = account.base_url
            )
        );
    }
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
    let what = crate::tr!(
        "finish.logging_in",
        user = super::streams::shown_value(&account.user)
    );
    let report = runtime().block_on(despite_signals(
        &ctx.io,
        &what,
        login_and_store(&store, &ctx.client()?, &account, &credential, now),
    ));
    let report = report.map_err(|mut e| {
        last_resort::keep_login(&ctx.io, &mut e);
        e
    })?;
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
                    user = shell_word(&account.user)
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
    // The secret exactly as the variable holds it (never trimmed: see `secret`).
    let env_secret = match &args.secret_key_env {
        None => None,
        Some(name) => {
            let empty = || UsageError(tr!("cli_login.secret_var_empty", name = name));
            let raw = var(name).ok_or_else(empty)?;
            let raw = zeroize::Zeroizing::new(
                raw.into_string()
                    .map_err(|_| UsageError(tr!("cli_login.not_utf8", name = name)))?,
            );
            if raw.trim().is_empty() {
                return Err(empty().into());
            }
            Some(SecretString::from(raw.as_str().to_owned()))
        }
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

/// Flags first, then the remembered login, then the config file, then the public deployment
/// (`true` beside the account when nothing said which base URL: the caller says so). The user
/// name and access key are checked here, before anyone is asked for a secret.
fn account_for(
    ctx: &Context,
    args: &LoginRequest,
    remembered: Option<&Account>,
) -> anyhow::Result<(Account, bool)> {
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
    let given = args
        .base_url
        .clone()
        .or_else(|| remembered.map(|r| r.base_url.clone()))
        .or_else(|| ctx.config.base_url.clone());
    let public = given.is_none();
    let base_url = ctx.base_url(Some(given.unwrap_or_else(|| PUBLIC_BASE_URL.to_owned())))?;
    // The public deployment's access-key login lives on its own host.
    let auth_url = args
        .auth_url
        .clone()
        .or_else(|| remembered.map(|r| r.auth_url.clone()))
        .unwrap_or_else(|| {
            if crate::store::same_url(&base_url, PUBLIC_BASE_URL) {
                PUBLIC_AUTH_URL.to_owned()
            } else {
                base_url.clone()
            }
        });
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
    // They travel in headers: what cannot (张三, a tab) is a usage error, found before the
    // secret is asked for.
    api::sendable("user name", &args.user)?;
    if method == LoginMethod::AccessKey {
        api::sendable("access key", access_key.as_deref().unwrap_or_default())?;
    }
    let account = Account {
        user: args.user.clone(),
        method,
        access_key,
        base_url,
        auth_url,
        org_id,
        last_login: remembered.and_then(|r| r.last_login),
    };
    Ok((account, public))
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

/// A secret from a hidden prompt (`prompt_ok` and a terminal), exactly as typed, or from
/// stdin, exactly as piped less one line ending (`\n` or `\r\n`, which `echo` and editors
/// add). A secret key is signed with: a space at either end is part of it, and trimming it
/// made the login fail with a signature error. Under `--no-input` a terminal is not read at
/// all, prompt or not (`--secret-key-stdin` typed at one waits for Ctrl-D): the error names
/// `instead`.
fn secret(
    io: &Io,
    what: &str,
    prompt_ok: bool,
    instead: impl FnOnce() -> String,
) -> anyhow::Result<SecretString> {
    let exact = if input::may_prompt(io, instead)? && prompt_ok {
        input::prompt_hidden(what)?
    } else {
        let piped = input::read_piped(io, MAX_SECRET_BYTES)?;
        zeroize::Zeroizing::new(without_line_ending(&piped).to_owned())
    };
    nonblank(exact.as_str(), what)
}

/// `text` less one trailing `\n` or `\r\n`.
fn without_line_ending(text: &str) -> &str {
    text.strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(text)
}

/// The secret as given, unless nothing (or only blanks) was given.
fn nonblank(exact: &str, what: &str) -> anyhow::Result<SecretString> {
    if exact.trim().is_empty() {
        return Err(UsageError(tr!("cli_login.nothing_given", what = what)).into());
    }
    Ok(SecretString::from(exact.to_owned()))
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
            shell_word(&account.user),
            shell_word(account.org_id.as_deref().unwrap_or("YOUR_ORG_ID")),
            shell_word(&account.base_url)
        ),
    };
    let forget = if no_remember { " --no-remember" } else { "" };
    format!("`{command}{forget}`")
}

/// The verb column of the login report ("replaced", "已替换").
const VERB: usize = 8;

/// `user`: the account's status and balance, which explain regions listed without a token.
/// Region names, ids and reasons come from the server: each line is shown inert.
fn print_report(io: &Io, account: &Account, report: &LoginReport, user: Option<&UserInfo>) {
    let how = match (&account.method, &account.access_key) {
        (LoginMethod::AccessKey, Some(ak)) => {
            crate::tr!("cli_login.via_access_key", ak = ak, url = account.auth_url)
        }
        _ => crate::tr!("cli_login.via_password", url = account.base_url),
    };
    let logged_in = crate::tr!(
        "cli_login.logged_in",
        user = account.user,
        how = how,
        count = report.stored.len(),
        base_url = account.base_url
    );
    outln!(io, "{}", inert(&logged_in));
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
        let line = format!("{}  {}  ({what})", pad(&verb, VERB), stored.name);
        outln!(io, "  {}", inert(&line));
    }
    for skipped in &report.skipped {
        let verb = crate::tr!("cli_login.skipped");
        let reason = match user {
            Some(info) if skipped.reason == NOT_AVAILABLE => info.explain_unavailable(),
            _ => skipped.reason.clone(),
        };
        let line = format!("{}  {}: {reason}", pad(&verb, VERB), skipped.region);
        outln!(io, "  {}", inert(&line));
    }
    if !report.others_kept.is_empty() {
        let urls = report.others_kept.join(", ");
        let prefix = crate::login::naming::server_part(&account.base_url);
        outln!(
            io,
            "{}",
            crate::tr!("cli_login.others_kept", urls = urls, prefix = prefix)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use secrecy::ExposeSecret;

    /// The command `--no-input` names for a password login is pasted: its user, org id and URL
    /// are each one shell word, and nothing in them runs.
    #[test]
    fn the_piped_password_login_quotes_every_value() {
        use crate::shell_quote::tests::pasted;
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path().join("ran");
        let user = format!("bob$(touch {})", canary.display());
        let mut account = Account::with_access_key(&user, "AK1", "https://b.example/x y");
        account.method = LoginMethod::Password;
        account.org_id = Some("org 1".into());
        let named = piped_login(&account, true);
        let command = named
            .trim_matches('`')
            .strip_prefix("printf '%s' \"$PASSWORD\" | ")
            .unwrap();
        assert_eq!(
            pasted("sh", command),
            [
                "actoken",
                "login",
                "--user",
                user.as_str(),
                "--org-id",
                "org 1",
                "--password-stdin",
                "--base-url",
                "https://b.example/x y",
                "--no-remember",
            ]
        );
        assert!(!canary.exists(), "a pasted value ran");
    }

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
        // Exactly as the variable holds it (issue 23: trimming broke the signature).
        let (_, secret) = parse(&["--secret-key-env", "SK"], &env).unwrap();
        assert_eq!(secret.unwrap().expose_secret(), " sk1 \n");
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

    /// Issue 23: a secret key is sent exactly as given: from stdin less one line ending, a
    /// space at either end kept; blank input is still refused.
    #[test]
    fn a_piped_secret_keeps_its_spaces_and_loses_one_line_ending() {
        let read = |stdin: &str| {
            let (io, _) = Io::captured(stdin.as_bytes());
            secret(&io, "Secret key", true, String::new).map(|s| s.expose_secret().to_owned())
        };
        assert_eq!(read(" SK 1 \r\n").unwrap(), " SK 1 ");
        assert_eq!(read(" SK 1 \n").unwrap(), " SK 1 ");
        assert_eq!(read("SK\n\n").unwrap(), "SK\n");
        assert_eq!(read("\tSK").unwrap(), "\tSK");
        for blank in ["", "\n", "  \r\n"] {
            let err = read(blank).unwrap_err();
            assert!(err.is::<UsageError>(), "{blank:?}: {err}");
        }
    }

    fn context(dir: &std::path::Path, config: crate::config::Config) -> Context {
        let cli = super::super::Cli::try_parse_from(["actoken", "list"]).unwrap();
        let (io, _) = Io::captured(b"");
        Context::new(
            &cli.global,
            crate::config::Paths::under(dir),
            config,
            std::sync::Arc::new(io),
        )
        .unwrap()
    }

    /// Where a login goes: the account as `account_for` makes it, and whether it fell back to
    /// the public deployment.
    fn where_to(
        args: &[&str],
        config: crate::config::Config,
    ) -> anyhow::Result<(String, String, bool)> {
        let dir = tempfile::tempdir().unwrap();
        let (request, _) = parse(args, &[])?;
        let (account, public) = account_for(&context(dir.path(), config), &request, None)?;
        Ok((account.base_url, account.auth_url, public))
    }

    /// Issue 23: with nothing saying where, a login goes to the public deployment's two hosts
    /// (and says so); the public base URL named by hand brings its login host along; other
    /// deployments keep their URLs.
    #[test]
    fn the_public_deployment_by_name() {
        let ak = ["--user", "alice", "--access-key", "AK1"];
        let public = (
            "https://www.scnet.cn".to_owned(),
            "https://api.scnet.cn".to_owned(),
        );
        let (base, auth, fell_back) = where_to(&ak, Default::default()).unwrap();
        assert_eq!((base, auth), public.clone());
        assert!(fell_back);
        let named = [&ak[..], &["--base-url", "https://www.scnet.cn/"]].concat();
        let (base, auth, fell_back) = where_to(&named, Default::default()).unwrap();
        assert_eq!((base, auth), public);
        assert!(!fell_back);
        let other = [&ak[..], &["--base-url", "https://www.example.com"]].concat();
        let (base, auth, _) = where_to(&other, Default::default()).unwrap();
        assert_eq!(
            (base.as_str(), auth.as_str()),
            ("https://www.example.com", "https://www.example.com")
        );
        let config = crate::config::Config {
            base_url: Some("https://hpc.example.org".into()),
            ..Default::default()
        };
        let (base, _, fell_back) = where_to(&ak, config).unwrap();
        assert_eq!(base, "https://hpc.example.org");
        assert!(!fell_back);
    }

    /// Issue 23: a user name or access key that cannot go in a header is a usage error
    /// (exit 2), found before any secret is asked for, naming the field, never the value.
    #[test]
    fn an_unsendable_user_or_access_key_is_a_usage_error() {
        for args in [
            ["--user", "张三", "--access-key", "AK1"],
            ["--user", "alice", "--access-key", "AK\t1"],
        ] {
            let err = where_to(&args, Default::default()).unwrap_err();
            assert_eq!(
                super::super::exit::code_for(&err),
                super::super::exit::USAGE,
                "{err}"
            );
            let text = format!("{err:#}");
            assert!(!text.contains("张三") && !text.contains("AK\t1"), "{text}");
            assert!(
                text.contains("user name") || text.contains("access key"),
                "{text}"
            );
        }
        let zh = crate::i18n::with_lang(crate::i18n::Lang::ZhCn, || {
            let err = where_to(
                &["--user", "张三", "--access-key", "AK1"],
                Default::default(),
            );
            format!("{:#}", err.unwrap_err())
        });
        assert!(zh.contains("用户名含有无法放进 HTTP 请求头的字符"), "{zh}");
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
