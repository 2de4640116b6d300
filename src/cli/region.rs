//! `actoken check NAME` (does the server still accept the token? tokens/state) and
//! `actoken info NAME` (the region's service addresses and home path, center).

use jiff::Timestamp;

use crate::api::ServiceUrl;
use crate::token::Phase;
use crate::tr;
use crate::width::pad;

use super::args::{CheckArgs, InfoArgs};
use super::context::{Context, runtime};
use super::exit;
use super::view::{Advising, condition_of, remembered_logins};
use crate::advice::Condition;
use crate::store::{EntryMeta, Store};
use crate::token::Token;

/// Exit 0 when accepted, 3 when rejected (or dead); network errors propagate (exit 4). The
/// server refuses every expired token, so for one the phase decides: renewable exits 1 with
/// `actoken renew`, never 3.
pub fn check(ctx: &Context, args: CheckArgs) -> anyhow::Result<u8> {
    let store = ctx.store()?;
    let (meta, token) = store.get(&args.name)?;
    let client = ctx.client()?;
    let asked_at = ctx.clock.now();
    let state = runtime().block_on(client.token_state(&meta.base_url, &token))?;
    outln!("{}: {}", args.name, state.describe());
    if state.is_accepted() {
        return Ok(exit::OK);
    }
    let (phase, advice) = refused_advice(ctx, &store, &meta, &token, asked_at, |phase| {
        if state.rejects(phase != Phase::Valid) {
            Condition::Rejected
        } else {
            condition_of(phase)
        }
    });
    if phase == Phase::Renewable {
        eprintln!("{}", tr!("check.expired_renewable", advice = advice));
        return Ok(exit::FAILURE);
    }
    eprintln!("{advice}");
    Ok(exit::NEEDS_NEW_TOKEN)
}

pub fn info(ctx: &Context, args: InfoArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let (meta, token) = store.get(&args.name)?;
    let client = ctx.client()?;
    let asked_at = ctx.clock.now();
    let center = match runtime().block_on(client.center(&meta.base_url, &token)) {
        Ok(center) => center,
        Err(e) if e.token_rejected() && expired(&token, asked_at) => {
            // Not "get a new token" (exit 3): every endpoint refuses an expired token.
            let (_, advice) = refused_advice(ctx, &store, &meta, &token, asked_at, condition_of);
            anyhow::bail!(tr!(
                "info.expired_refused",
                advice = advice,
                code = e.platform_code().unwrap_or("?")
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&center)?);
        return Ok(());
    }
    let unknown = || tr!("info.unknown");
    outln!(
        "{}",
        tr!(
            "info.title",
            name = args.name,
            region = center.id.clone().unwrap_or_else(unknown),
            user = center.user_name.clone().unwrap_or_else(unknown)
        )
    );
    outln!(
        "  {}  {}",
        pad(&tr!("info.home"), 9),
        center.home_path.clone().unwrap_or_else(unknown)
    );
    for (label, urls) in [
        ("hpc", &center.hpc_urls),
        ("ai", &center.ai_urls),
        ("efile", &center.efile_urls),
        ("eshell", &center.eshell_urls),
    ] {
        if urls.is_empty() {
            outln!("  {}  {}", pad(label, 9), tr!("info.none_listed"));
        }
        for url in urls {
            outln!("  {}  {}", pad(label, 9), describe(url));
        }
    }
    Ok(())
}

/// The token's phase at `at`, and the advice for the condition `condition` makes of it: what
/// to say after the server refused the token.
fn refused_advice(
    ctx: &Context,
    store: &Store,
    meta: &EntryMeta,
    token: &Token,
    at: Timestamp,
    condition: impl Fn(Phase) -> Condition,
) -> (Phase, String) {
    let grace = ctx.config.renew_grace;
    let decoded = token.decode().ok();
    let phase = decoded
        .as_ref()
        .map_or(Phase::Invalid, |d| d.phase(at, grace));
    let advising = Advising {
        meta,
        decoded: decoded.as_ref(),
        accounts: &remembered_logins(store),
        now: at,
        grace,
    };
    (phase, advising.sentence(condition(phase)))
}

fn expired(token: &Token, at: Timestamp) -> bool {
    token
        .decode()
        .ok()
        .and_then(|d| d.claims.expire_time)
        .is_none_or(|expiry| at >= expiry)
}

/// "https://... (v2.3)", "unknown (the server left a placeholder)", "... (disabled)".
fn describe(url: &ServiceUrl) -> String {
    let address = url.url.clone().unwrap_or_else(|| tr!("info.no_address"));
    let version = url
        .version
        .as_deref()
        .map(|v| format!(" v{v}"))
        .unwrap_or_default();
    let state = if url.enabled {
        String::new()
    } else {
        tr!("info.disabled")
    };
    format!("{address}{version}{state}")
}
