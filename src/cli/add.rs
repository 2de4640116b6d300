//! `actoken add NAME`: validate a token from stdin/prompt, then store it.

use super::advising::{Advising, condition_of, remembered_logins};
use super::context::Context;
use super::input;
use crate::advice::Condition;
use crate::inert::inert;
use crate::shell_quote::shell_word;
use crate::store::{self, EntryMeta};
use crate::timefmt;
use crate::token::Token;
use crate::tr;
use clap::Args;

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name for the token (letters, digits, '.', '_', '-', '/')
    pub name: String,
    /// The region's API base URL, e.g. https://api01.example.com:65102 (default: config base-url)
    #[arg(long)]
    pub base_url: Option<String>,
    /// A free-text note shown in the dashboard
    #[arg(long)]
    pub note: Option<String>,
    /// Replace an existing token of the same name
    #[arg(long)]
    pub force: bool,
}

/// The same `add` with the token on stdin, for `--no-input` to name.
fn piped_add(args: &AddArgs) -> String {
    let mut command = format!("actoken add {}", shell_word(&args.name));
    if let Some(url) = &args.base_url {
        command.push_str(&format!(" --base-url {}", shell_word(url)));
    }
    if let Some(note) = &args.note {
        command.push_str(&format!(" --note {}", shell_word(note)));
    }
    if args.force {
        command.push_str(" --force");
    }
    format!("`{command} < TOKEN_FILE`")
}

pub(crate) fn run(ctx: &Context, args: AddArgs) -> anyhow::Result<()> {
    // Everything that can be checked without the secret is checked before asking for it.
    store::validate_name(&args.name)?;
    let base_url = ctx.base_url(args.base_url.clone())?;
    let store = ctx.store()?;
    if !args.force && store.meta(&args.name).is_ok() {
        return Err(store::StoreError::Exists(args.name).into());
    }

    let prompt = format!("Token for {}", args.name);
    let raw = input::read_secret(&ctx.io, &prompt, || piped_add(&args))?;
    let (token, decoded) = Token::parse(&raw)?;
    let now = ctx.clock.now();
    if decoded.claims.expire_time_suspect_seconds {
        errln!(ctx.io, "{}", tr!("add_cli.seconds_warning"));
    }
    let meta = EntryMeta {
        note: args.note,
        ..EntryMeta::new(&args.name, base_url, now)
    };
    store.add(meta.clone(), &token, args.force)?;

    let grace = ctx.config.renew_grace;
    let claims = &decoded.claims;
    let life = decoded.lifetime(grace).expect("parse guarantees an expiry");
    let state = match condition_of(decoded.phase(now, grace)) {
        Condition::Calm => tr!(
            "add_cli.expires",
            when = timefmt::relative(life.to_expiry(now))
        ),
        // Already expired: the same advice `show` gives.
        condition => Advising {
            meta: &meta,
            decoded: Some(&decoded),
            accounts: &remembered_logins(&store),
            now,
            grace,
        }
        .clause(condition),
    };
    // One line: the claims quoted in it come from the token.
    let stored = tr!(
        "add_cli.stored",
        name = args.name,
        user = claims.user.as_deref().unwrap_or("?"),
        cluster = claims.cluster_id.as_deref().unwrap_or("?"),
        state = state
    );
    errln!(ctx.io, "{}", inert(&stored));
    Ok(())
}
