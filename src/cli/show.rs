//! `actoken show NAME`: every claim of a token, its expiry and its renew cutoff (from the
//! agent when one is in use).

use super::advising::remembered_logins;
use super::context::Context;
use super::list::phase_text;
use super::token_view::TokenView;
use crate::inert::inert;
use crate::shell_quote::shell_word;
use crate::timefmt;
use crate::tr;
use crate::width::pad;
use clap::Args;
use jiff::{Timestamp, tz::TimeZone};

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub name: String,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(ctx: &Context, args: ShowArgs) -> anyhow::Result<()> {
    if let Some(path) = &ctx.agent {
        return from_agent(ctx, path, args);
    }
    let store = ctx.store()?;
    let now = ctx.clock.now();
    let stored = store.load_entry(&args.name)?;
    let view = TokenView::new(
        &stored,
        now,
        ctx.config.renew_grace,
        &remembered_logins(&store),
    );
    if args.json {
        exactln!(
            ctx.io,
            "{}",
            serde_json::to_string_pretty(&view.show_json()?)?
        );
        return Ok(());
    }
    print(ctx, &view, stored.hint());
    Ok(())
}

/// The agent's `show`: `--json` prints its object as it came (the document `show --json` gives
/// on its machine), the text is drawn from it as from this machine's own.
fn from_agent(ctx: &Context, path: &std::path::Path, args: ShowArgs) -> anyhow::Result<()> {
    let shown = super::via_agent::connect(path)?
        .show(&args.name)
        .map_err(super::exit::Coded::from)?;
    if args.json {
        exactln!(ctx.io, "{}", serde_json::to_string_pretty(&shown.token)?);
        return Ok(());
    }
    let view = super::via_agent::view(path, shown.token)?;
    print(ctx, &view, shown.hint);
    Ok(())
}

/// The text: one labelled line per fact, then the claims. `hint` is the stored token's masked
/// fingerprint. Every value is shown inert: it came from the token, the index, the server or
/// an agent.
fn print(ctx: &Context, view: &TokenView, hint: Option<String>) {
    let tz = TimeZone::system();
    let absolute = |rfc: &str| match rfc.parse::<Timestamp>() {
        Ok(ts) => timefmt::absolute(ts, &tz),
        // Only an agent's text can be no time: shown as it came.
        Err(_) => rfc.to_owned(),
    };
    let when = |at: &Option<String>, rel: String| match at {
        Some(rfc) => format!("{} ({rel})", absolute(rfc)),
        None => "-".to_owned(),
    };
    let region = match (&view.cluster_name, &view.cluster_id) {
        (Some(name), Some(id)) => Some(tr!("show.region_value", name = name, id = id)),
        (name, id) => name.clone().or_else(|| id.clone()),
    };
    let mut lines = vec![
        (tr!("show.name"), view.name.clone()),
        (tr!("show.base_url"), view.base_url.clone()),
        (tr!("show.region"), region.unwrap_or_else(|| "-".to_owned())),
        (tr!("list.phase"), phase_text(&view.phase)),
        (
            tr!("show.expires"),
            when(&view.expires_at, view.expires_relative()),
        ),
        (
            tr!("show.cutoff"),
            when(&view.renew_cutoff_at, view.cutoff_relative()),
        ),
    ];
    if let Some(note) = &view.note {
        lines.push((tr!("show.note"), note.clone()));
    }
    if let Some(advice) = &view.advice {
        lines.push((tr!("show.problem"), advice.clone()));
    }
    if let Some(hint) = hint {
        lines.push((
            tr!("show.token"),
            tr!(
                "show.token_value",
                masked = hint,
                name = shell_word(&view.name)
            ),
        ));
    }
    if let Some(d) = &view.decoded {
        lines.push((
            tr!("show.algorithm"),
            tr!("show.algorithm_value", alg = d.alg),
        ));
    }
    lines.push((tr!("show.added"), absolute(&view.added_at)));
    if let Some(at) = &view.renewed_at {
        lines.push((tr!("show.renewed"), absolute(at)));
    }
    let label_width = lines
        .iter()
        .map(|(k, _)| crate::width::width(k) + 1)
        .max()
        .unwrap_or(0)
        .max(13);
    for (key, value) in lines {
        let value = inert(&value);
        outln!(ctx.io, "{} {value}", pad(&format!("{key}:"), label_width));
    }
    if let Some(d) = &view.decoded {
        outln!(ctx.io, "{}:", tr!("show.claims"));
        let claims: Vec<(String, String)> = d
            .claims
            .texts()
            .map(|(key, text)| (format!("{}:", inert(key)), inert(&text).into_owned()))
            .collect();
        let width = claims.iter().map(|(k, _)| crate::width::width(k)).max();
        for (key, text) in claims {
            outln!(ctx.io, "  {} {text}", pad(&key, width.unwrap_or(0)));
        }
    }
}
