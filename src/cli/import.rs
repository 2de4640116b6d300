//! `actoken import scnet-cli`: each scnet-cli profile becomes a remembered account (its secret
//! key into the keyring) and a login fetches fresh tokens; when that login fails, the profile's
//! cached tokens are imported instead, saying why. `--scrub` then takes the plaintext out of
//! scnet-cli's files, only for a profile whose import was verified.

use clap::{Args, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::context::{Context, runtime};
use super::finish::despite_signals;
use crate::api::{PUBLIC_AUTH_URL, PUBLIC_BASE_URL, RegionToken};
use crate::login::{Credential, LoginReport, login_and_store, store_regions};
use crate::scnet_cli::files::{Profile, ScnetHome, read_cache, read_config};
use crate::scnet_cli::scrub::{Scrubbed, scrub_cache, scrub_config};
use crate::store::{Account, Accounts};
use crate::token::Token;
use crate::tr;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub from: ImportFrom,
}

#[derive(Debug, Subcommand)]
pub enum ImportFrom {
    /// scnet-cli's profiles ($SCNET_HOME/config.json, default ~/.scnet): accounts, secret keys, tokens
    ScnetCli(ScnetCliArgs),
}

#[derive(Debug, Args)]
pub struct ScnetCliArgs {
    /// Only this profile (default: every profile)
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// After a verified import, blank secret_key in config.json, remove the cached tokens, chmod 0600
    #[arg(long)]
    pub scrub: bool,
    /// Print what was imported as JSON (for scripts)
    #[arg(long)]
    pub json: bool,
}

/// How one profile came in.
#[derive(Debug, Default)]
struct Outcome {
    profile: String,
    user: String,
    account: String,
    /// "login", "cache" or "nothing" (already imported and scrubbed).
    via: &'static str,
    /// Why the login failed (the cache was used).
    login_failed: Option<String>,
    stored: Vec<String>,
    key_remembered: bool,
    verified: bool,
    error: Option<String>,
    scrubbed: Vec<(String, Scrubbed)>,
}

pub(crate) fn run(ctx: &Context, args: ImportArgs) -> anyhow::Result<u8> {
    let ImportFrom::ScnetCli(args) = args.from;
    let home = ScnetHome::from_env().ok_or_else(|| anyhow::anyhow!(tr!("cli_import.no_home")))?;
    let config_path = home.config_path();
    let config = read_config(&config_path)?;
    let wanted: Vec<_> = match &args.profile {
        Some(name) => {
            let one: Vec<_> = config.profiles.iter().filter(|(n, _)| n == name).collect();
            if one.is_empty() {
                anyhow::bail!(tr!(
                    "cli_import.no_profile",
                    name = name,
                    path = config_path.display()
                ));
            }
            one
        }
        None => config.profiles.iter().collect(),
    };
    if wanted.is_empty() {
        anyhow::bail!(tr!("cli_import.no_profiles", path = config_path.display()));
    }
    let mut outcomes = Vec::new();
    for (name, profile) in wanted {
        let mut outcome = Outcome {
            profile: name.clone(),
            ..Outcome::default()
        };
        let result = match profile {
            Ok(profile) => import_profile(ctx, &home, profile, &mut outcome),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = result {
            outcome.error = Some(e);
        } else if args.scrub && outcome.verified {
            let done = [
                (config_path.clone(), scrub_config(&config_path, name)),
                (home.cache_path(name), scrub_cache(&home.cache_path(name))),
            ];
            for (path, result) in done {
                match result {
                    Ok(s) => outcome.scrubbed.push((path.display().to_string(), s)),
                    Err(e) => outcome.error = Some(e.to_string()),
                }
            }
        }
        outcomes.push(outcome);
    }
    if args.json {
        print_json(ctx, &outcomes, args.scrub);
    } else {
        for outcome in &outcomes {
            print_outcome(ctx, outcome, args.scrub);
        }
    }
    Ok(if outcomes.iter().any(|o| o.error.is_some()) {
        super::exit::FAILURE
    } else {
        super::exit::OK
    })
}

/// The account a profile stands for: its `www`/`api` overrides, else the public deployment.
fn account_of(profile: &Profile) -> Account {
    let trim = |s: &str| s.trim().trim_end_matches('/').to_owned();
    let base_url = trim(profile.base_override("www").unwrap_or(PUBLIC_BASE_URL));
    let auth_url = trim(profile.base_override("api").unwrap_or(PUBLIC_AUTH_URL));
    Account {
        base_url,
        auth_url,
        ..Account::with_access_key(&profile.user, &profile.access_key, "")
    }
}

fn import_profile(
    ctx: &Context,
    home: &ScnetHome,
    profile: &Profile,
    outcome: &mut Outcome,
) -> Result<(), String> {
    let fail = |e: anyhow::Error| format!("{e:#}");
    // The cache is read first: a file of the wrong shape stops the profile before anything.
    let cache_path = home.cache_path(&profile.name);
    let cached = read_cache(&cache_path).map_err(|e| e.to_string())?;
    let account = account_of(profile);
    crate::api::check_base_url(&account.base_url).map_err(|e| e.to_string())?;
    crate::api::check_base_url(&account.auth_url).map_err(|e| e.to_string())?;
    outcome.user = profile.user.clone();
    outcome.account = account.id();
    let store = ctx.store().map_err(fail)?;
    let keys = ctx.account_keys().map_err(fail)?;
    let id = account.id();
    let now = ctx.clock.now();

    if profile.has_secret_key() {
        let credential = Credential::SecretKey(profile.secret_key.clone());
        let what = tr!(
            "finish.logging_in",
            user = super::streams::shown_value(&profile.user)
        );
        let client = ctx.client().map_err(fail)?;
        let login = runtime().block_on(despite_signals(
            &ctx.io,
            &what,
            login_and_store(&store, &client, &account, &credential, now),
        ));
        match login {
            Ok(report) => {
                outcome.via = "login";
                outcome.stored = report.stored.iter().map(|s| s.name.clone()).collect();
                remember_key(&keys, &id, &profile.secret_key, outcome).map_err(fail)?;
                return Ok(());
            }
            Err(e) => {
                let refused = e.is_refusal();
                outcome.login_failed = Some(e.to_string());
                // A key the platform refused is not worth keeping; one that could not be
                // tried (offline) is, so renewals log in by themselves later.
                if !refused {
                    remember_key(&keys, &id, &profile.secret_key, outcome).map_err(fail)?;
                }
            }
        }
    } else if cached.as_ref().is_none_or(|c| c.is_empty()) {
        // Already imported and scrubbed: the secret is in the keyring, if anywhere.
        outcome.via = "nothing";
        outcome.key_remembered = keys.get(&id).map_err(|e| e.to_string())?.is_some();
        outcome.verified = true;
        return Ok(());
    }

    // The offline path: the cache's tokens, still alive, under the names a login gives.
    let cached = cached.unwrap_or_default();
    let alive: Vec<RegionToken> = cached
        .iter()
        .filter(|c| c.expire_ms.is_none_or(|ms| ms > now.as_millisecond()))
        .filter_map(|c| {
            let (token, _) = Token::parse(c.token.expose_secret()).ok()?;
            Some(RegionToken {
                cluster_id: Some(c.cluster_id.clone()),
                cluster_name: Some(c.cluster_name.clone()).filter(|n| !n.is_empty()),
                token: Some(token),
                problem: None,
            })
        })
        .collect();
    if alive.is_empty() {
        return Err(tr!(
            "cli_import.nothing_usable",
            why = outcome.login_failed.clone().unwrap_or_default(),
            path = cache_path.display()
        ));
    }
    let remembered = Account {
        last_login: None,
        ..account.clone()
    };
    let report: LoginReport = runtime()
        .block_on(store.door().run(move |store| {
            let report = store_regions(store, &remembered, alive, now).map_err(|n| n.source)?;
            if !report.stored.is_empty() {
                Accounts::load(store.paths())?.remember(remembered)?;
            }
            Ok(report)
        }))
        .map_err(|e| e.to_string())?;
    outcome.via = "cache";
    outcome.stored = report.stored.iter().map(|s| s.name.clone()).collect();
    if outcome.stored.is_empty() {
        outcome.verified = false;
        return Err(tr!(
            "cli_import.nothing_usable",
            why = outcome.login_failed.clone().unwrap_or_default(),
            path = cache_path.display()
        ));
    }
    // Verified: tokens stored, and the secret (if the file had one) read back.
    outcome.verified = outcome.key_remembered || !profile.has_secret_key();
    Ok(())
}

/// Keeps `key` under `id` and reads it back: only a key that reads back counts as kept.
fn remember_key(
    keys: &crate::store::AccountKeys,
    id: &str,
    key: &SecretString,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    keys.set(id, key)?;
    let back = keys.get(id)?;
    outcome.key_remembered = back.is_some_and(|b| b.expose_secret() == key.expose_secret());
    outcome.verified = outcome.key_remembered;
    Ok(())
}

fn print_outcome(ctx: &Context, o: &Outcome, scrub: bool) {
    if let Some(error) = &o.error {
        errln!(
            ctx.io,
            "{}",
            tr!("cli_import.failed", profile = o.profile, error = error)
        );
        if scrub {
            errln!(
                ctx.io,
                "{}",
                tr!("cli_import.not_scrubbed", profile = o.profile)
            );
        }
        return;
    }
    let names = o.stored.join(", ");
    let line = match o.via {
        "login" => tr!(
            "cli_import.logged_in",
            profile = o.profile,
            account = o.account,
            count = o.stored.len(),
            names = names
        ),
        "cache" => tr!(
            "cli_import.from_cache",
            profile = o.profile,
            account = o.account,
            count = o.stored.len(),
            names = names,
            why = o.login_failed.clone().unwrap_or_default()
        ),
        _ => tr!(
            "cli_import.already",
            profile = o.profile,
            account = o.account
        ),
    };
    outln!(ctx.io, "{line}");
    if o.key_remembered && o.via != "nothing" {
        outln!(
            ctx.io,
            "{}",
            tr!("cli_import.key_kept", account = o.account)
        );
    }
    if scrub && !o.verified {
        outln!(
            ctx.io,
            "{}",
            tr!("cli_import.not_scrubbed", profile = o.profile)
        );
    }
    for (path, s) in &o.scrubbed {
        let mut did = Vec::new();
        if s.secret_blanked {
            did.push(tr!("cli_import.did_secret"));
        }
        if s.tokens_removed > 0 {
            did.push(tr!("cli_import.did_tokens", count = s.tokens_removed));
        }
        if let Some(mode) = s.mode_was {
            did.push(tr!("cli_import.did_mode", mode = format!("{mode:04o}")));
        }
        let line = if did.is_empty() {
            tr!("cli_import.scrub_nothing", path = path)
        } else {
            tr!("cli_import.scrubbed", path = path, what = did.join(", "))
        };
        outln!(ctx.io, "{line}");
    }
}

fn print_json(ctx: &Context, outcomes: &[Outcome], scrub: bool) {
    let profiles: Vec<_> = outcomes
        .iter()
        .map(|o| {
            json!({
                "profile": o.profile,
                "user": o.user,
                "account": o.account,
                "ok": o.error.is_none(),
                "via": if o.error.is_some() { None } else { Some(o.via) },
                "login_error": o.login_failed,
                "stored": o.stored,
                "secret_key_remembered": o.key_remembered,
                "verified": o.verified,
                "error": o.error,
                "scrubbed": if scrub {
                    Some(o.scrubbed.iter().map(|(path, s)| json!({
                        "path": path,
                        "secret_blanked": s.secret_blanked,
                        "tokens_removed": s.tokens_removed,
                        "mode_was": s.mode_was.map(|m| format!("{m:04o}")),
                    })).collect::<Vec<_>>())
                } else { None },
            })
        })
        .collect();
    outln!(ctx.io, "{}", json!({ "profiles": profiles }));
}
