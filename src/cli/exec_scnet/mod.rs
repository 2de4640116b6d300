//! `actoken exec --scnet-cli USER [--min-valid D] -- COMMAND…`: scnet-cli (or a script that
//! calls it) runs on actoken's fresh tokens, with no secret of USER's in a plain file that
//! outlives it.
//!
//! USER's tokens are renewed first (as `exec` does, per `--min-valid`) and written into a
//! private, temporary `SCNET_HOME` ([`home`]) whose profile has no secret key: scnet-cli can
//! use and renew them, never log in. COMMAND runs as a child ([`child`]); when it ends, any
//! token scnet-cli renewed is stored back ([`store_back`]) and the directory removed. The
//! exit status is COMMAND's.

mod home;
mod store_back;

use std::ffi::OsString;

use jiff::SignedDuration;

use super::context::{Context, runtime};
use super::fresh::fresh_tokens;
use crate::store::{Accounts, EntryMeta};
use crate::tr;
use home::{CachedToken, PLATFORM_ID, Profile, ScnetHome};
use store_back::Outcome;

/// One token handed to scnet-cli: the entry it came from and the cache key it went under.
struct Handed {
    name: String,
    cluster_id: String,
    cluster_name: String,
    expire_ms: i64,
    token: crate::token::Token,
}

/// Runs `command` with `SCNET_HOME` set to a temporary home holding `user`'s tokens.
pub(crate) fn run(
    ctx: &Context,
    user: &str,
    min_valid: Option<SignedDuration>,
    command: &[OsString],
) -> anyhow::Result<u8> {
    let (program, rest) = command.split_first().expect("clap requires a command");
    let renewer = ctx.renewer()?;
    let store = renewer.store().clone();
    let account = crate::login::remembered_account(&Accounts::load(&ctx.paths)?, user, None)
        .map_err(|e| anyhow::Error::from(*e))?;
    let mut entries = crate::login::owned_entries(&store, &account);
    if entries.is_empty() {
        let login = crate::login::login_command(Some(&account), user, &account.base_url);
        anyhow::bail!(tr!("exec_scnet.no_tokens", user = user, command = login));
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();

    let now = ctx.clock.now();
    let window = min_valid.unwrap_or(ctx.config.renew_ahead);
    let rt = runtime();
    let fresh = fresh_tokens(&ctx.io, &rt, &renewer, &names, window, now)?;

    let mut handed = Vec::new();
    for (renewed, meta) in fresh.into_iter().zip(&entries) {
        let Some(cluster_id) = cache_key(meta, &renewed.token) else {
            errln!(
                ctx.io,
                "{}",
                tr!("exec_scnet.no_region_id", name = meta.name)
            );
            continue;
        };
        handed.push(Handed {
            name: renewed.name,
            cluster_id,
            cluster_name: cluster_name(meta),
            expire_ms: renewed.new_expiry.as_millisecond(),
            token: renewed.token,
        });
    }
    let tokens: Vec<CachedToken> = handed
        .iter()
        .map(|h| CachedToken {
            cluster_id: &h.cluster_id,
            cluster_name: &h.cluster_name,
            token: &h.token,
            expire_ms: h.expire_ms,
        })
        .collect();
    let profile = Profile {
        user: &account.user,
        access_key: account.access_key.as_deref().unwrap_or(""),
        auth_url: &account.auth_url,
        base_url: &account.base_url,
    };
    let parent = home::parent_dir();
    let home = ScnetHome::create(&parent, &profile, &tokens).map_err(|e| {
        let dir = parent.display().to_string();
        anyhow::anyhow!(tr!("exec_scnet.cannot_make_home", dir = dir, error = e))
    })?;

    let mut child = std::process::Command::new(program);
    child.args(rest).env("SCNET_HOME", home.path());
    let code = rt.block_on(super::exec::child::run_forwarding(&mut child));

    // Whatever became of COMMAND, what scnet-cli renewed is kept.
    let left = home.tokens_now();
    let now = ctx.clock.now();
    for h in &handed {
        let Some((_, token)) = left.iter().find(|(id, _)| *id == h.cluster_id) else {
            continue;
        };
        if token.expose() == h.token.expose() {
            continue;
        }
        let name = &h.name;
        match store_back::store_back(&store, name, &h.token, token, now) {
            Outcome::Stored(expires) => {
                let expires = crate::timefmt::relative(expires.duration_since(now));
                errln!(
                    ctx.io,
                    "{}",
                    tr!("exec_scnet.stored_back", name = name, expires = expires)
                );
            }
            Outcome::Refused(why) => {
                errln!(
                    ctx.io,
                    "{}",
                    tr!("exec_scnet.not_stored", name = name, why = why)
                );
            }
        }
    }
    drop(home);
    match code {
        Ok(code) => Ok(code),
        Err(error) => Ok(super::exec::cannot_start(&ctx.io, program, &error)),
    }
}

/// The key scnet-cli looks a token up by: "0" for the platform token, else the login list's
/// `clusterId` (for a token added by hand, its `clusterId` claim).
fn cache_key(meta: &EntryMeta, token: &crate::token::Token) -> Option<String> {
    if meta.platform {
        return Some(PLATFORM_ID.to_owned());
    }
    let claim = token.decode().ok().and_then(|d| d.claims.cluster_id);
    meta.cluster_id_or(claim.as_deref()).map(str::to_owned)
}

/// The region's name as the login list gave it; "ac" for the platform token, as scnet-cli
/// also recognises it by.
fn cluster_name(meta: &EntryMeta) -> String {
    match (&meta.cluster_name, meta.platform) {
        (Some(name), _) => name.clone(),
        (None, true) => "ac".to_owned(),
        (None, false) => String::new(),
    }
}
