//! `actoken check NAME` (does the server still accept the token? tokens/state) and
//! `actoken info NAME` (the region's service addresses and home path, center).

use crate::api::ServiceUrl;
use crate::tr;
use crate::width::pad;

use super::args::{CheckArgs, InfoArgs};
use super::context::{Context, runtime};
use super::exit;

/// Exit 0 when accepted, 3 when rejected; network errors propagate (exit 4).
pub fn check(ctx: &Context, args: CheckArgs) -> anyhow::Result<u8> {
    let (meta, token) = ctx.store()?.get(&args.name)?;
    let client = ctx.client()?;
    let state = runtime().block_on(client.token_state(&meta.base_url, &token))?;
    if state.is_accepted() {
        println!("{}: {}", args.name, state.describe());
        Ok(exit::OK)
    } else {
        println!("{}: {}", args.name, state.describe());
        eprintln!("{}", tr!("check.unusable", name = args.name));
        Ok(exit::NEEDS_NEW_TOKEN)
    }
}

pub fn info(ctx: &Context, args: InfoArgs) -> anyhow::Result<()> {
    let (meta, token) = ctx.store()?.get(&args.name)?;
    let client = ctx.client()?;
    let center = runtime().block_on(client.center(&meta.base_url, &token))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&center)?);
        return Ok(());
    }
    let unknown = || tr!("info.unknown");
    println!(
        "{}",
        tr!(
            "info.title",
            name = args.name,
            region = center.id.clone().unwrap_or_else(unknown),
            user = center.user_name.clone().unwrap_or_else(unknown)
        )
    );
    println!(
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
            println!("  {}  {}", pad(label, 9), tr!("info.none_listed"));
        }
        for url in urls {
            println!("  {}  {}", pad(label, 9), describe(url));
        }
    }
    Ok(())
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
