//! The store in use for this command, and the one-time notice when `auto` chose the kernel
//! keyring because the Secret Service could not be used.

use crate::store::{Selected, StoreKind, select};

use super::context::Context;

/// Marker (in the state dir) that the notice was shown: it is printed once, not per command.
const NOTICE_MARKER: &str = "auto-store-notice-shown";

/// The one-line notice (English; kept here for translation).
pub fn fallback_notice(why: &str) -> String {
    format!(
        "note: no usable Secret Service ({why}); actoken keeps secrets in the Linux kernel keyring, \
         which is cleared at reboot (set store = \"keyutils\" in config.toml to choose it \
         explicitly; `actoken doctor` tells more). This note is shown once."
    )
}

pub fn choose(ctx: &Context) -> anyhow::Result<Selected> {
    let selected = select(
        ctx.store_choice,
        ctx.store_choice_source,
        &ctx.service,
        ctx.keyring_timeout(),
    )?;
    if let (StoreKind::Keyutils, Some(why)) = (selected.kind, &selected.passed_over) {
        notice_once(ctx, why);
    }
    Ok(selected)
}

fn notice_once(ctx: &Context, why: &str) {
    let marker = ctx.paths.state_dir.join(NOTICE_MARKER);
    if marker.exists() {
        return;
    }
    eprintln!("{}", fallback_notice(first_sentence(why)));
    let written = std::fs::create_dir_all(&ctx.paths.state_dir)
        .and_then(|()| std::fs::write(&marker, "shown\n"));
    if let Err(e) = written {
        tracing::debug!(error = %e, path = %marker.display(), "cannot remember that the store notice was shown");
    }
}

/// A cause can be long (a D-Bus error chain): its first clause is enough for one line.
fn first_sentence(why: &str) -> &str {
    why.split(" (").next().unwrap_or(why)
}
