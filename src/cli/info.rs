//! `actoken info NAME`: the region's service addresses and home path (center).

use super::advising::condition_of;
use super::advising::refused_advice;
use super::context::{Context, runtime};
use crate::api::ServiceUrl;
use crate::inert::inert;
use crate::token::Token;
use crate::tr;
use crate::width::pad;
use clap::Args;
use jiff::Timestamp;

#[derive(Debug, Args)]
pub struct InfoArgs {
    pub name: String,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(ctx: &Context, args: InfoArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let (meta, token) = store.get(&args.name)?;
    if meta.platform {
        // `center` answers only a region's token: asking would only earn a 10001.
        anyhow::bail!(tr!("info.platform_token", name = args.name));
    }
    let client = ctx.client()?;
    let asked_at = ctx.clock.now();
    let center = match runtime().block_on(client.center(&meta.base_url, &token)) {
        Ok(center) => center,
        Err(e) if e.token_rejected() && expired(&token, asked_at) => {
            // Not "get a new token" (exit 3): every endpoint refuses an expired token.
            let (_, advice) = refused_advice(ctx, &store, &meta, &token, asked_at, condition_of);
            anyhow::bail!(tr!(
                "info.expired_refused",
                advice = inert(&advice),
                code = e.platform_code().unwrap_or("?")
            ));
        }
        Err(e) => return Err(e.into()),
    };
    super::fresh::note_refused(&ctx.io, &args.name, &center);
    if args.json {
        exactln!(ctx.io, "{}", serde_json::to_string_pretty(&center)?);
        return Ok(());
    }
    // What the server said, one line per value.
    let said = |value: &Option<String>| {
        value
            .as_deref()
            .map_or_else(|| tr!("info.unknown"), |v| inert(v).into_owned())
    };
    let id = said(&center.id);
    let region = match &center.name {
        Some(region_name) => {
            let region_name = inert(region_name);
            tr!("info.region_named", region_name = region_name, id = id)
        }
        None => id,
    };
    outln!(
        ctx.io,
        "{}",
        tr!(
            "info.title",
            name = args.name,
            region = region,
            user = said(&center.user_name)
        )
    );
    outln!(
        ctx.io,
        "  {}  {}",
        pad(&tr!("info.home"), 9),
        said(&center.home_path)
    );
    for (label, urls) in [
        ("hpc", &center.hpc_urls),
        ("ai", &center.ai_urls),
        ("efile", &center.efile_urls),
        ("eshell", &center.eshell_urls),
    ] {
        if urls.is_empty() {
            outln!(ctx.io, "  {}  {}", pad(label, 9), tr!("info.none_listed"));
        }
        for url in urls {
            outln!(ctx.io, "  {}  {}", pad(label, 9), inert(&describe(url)));
        }
    }
    // Listed by some deployments only: shown when present.
    for (label, urls) in [
        ("ingress", &center.ingress_urls),
        ("ssh", &center.eshell_ssh_hosts),
    ] {
        for url in urls {
            outln!(ctx.io, "  {}  {}", pad(label, 9), describe(url));
        }
    }
    Ok(())
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
