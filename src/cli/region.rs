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

/// Exit 0 when accepted, 3 when rejected (or dead); network errors propagate (exit 4). The
/// server refuses every expired token, so for one the phase decides: renewable exits 1 with
/// `actoken renew`, never 3.
pub fn check(ctx: &Context, args: CheckArgs) -> anyhow::Result<u8> {
    let (meta, token) = ctx.store()?.get(&args.name)?;
    let client = ctx.client()?;
    let asked_at = Timestamp::now();
    let state = runtime().block_on(client.token_state(&meta.base_url, &token))?;
    outln!("{}: {}", args.name, state.describe());
    if state.is_accepted() {
        return Ok(exit::OK);
    }
    let name = &args.name;
    let phase = token.decode().map_or(Phase::Invalid, |d| {
        d.phase(asked_at, ctx.config.renew_grace)
    });
    if state.rejects(phase != Phase::Valid) {
        eprintln!("{}", tr!("check.rejected", name = name));
        return Ok(exit::NEEDS_NEW_TOKEN);
    }
    if phase == Phase::Renewable {
        eprintln!("{}", tr!("check.expired_renewable", name = name));
        return Ok(exit::FAILURE);
    }
    eprintln!("{}", tr!("check.expired_dead", name = name));
    Ok(exit::NEEDS_NEW_TOKEN)
}

pub fn info(ctx: &Context, args: InfoArgs) -> anyhow::Result<()> {
    let (meta, token) = ctx.store()?.get(&args.name)?;
    let client = ctx.client()?;
    let asked_at = Timestamp::now();
    let center = match runtime().block_on(client.center(&meta.base_url, &token)) {
        Ok(center) => center,
        Err(e) if e.token_rejected() && expired(&token, asked_at) => {
            // Not "get a new token" (exit 3): every endpoint refuses an expired token.
            anyhow::bail!(tr!(
                "info.expired_refused",
                name = args.name,
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

fn expired(token: &crate::token::Token, at: Timestamp) -> bool {
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
