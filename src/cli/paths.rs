//! `actoken paths`: where actoken keeps its files.

use super::context::Context;
use crate::tr;
use crate::width::pad;

pub(crate) fn run(ctx: &Context) -> anyhow::Result<()> {
    let lines = [
        (
            tr!("paths.config"),
            ctx.paths.config_file().display().to_string(),
        ),
        (
            tr!("paths.index"),
            ctx.paths.index_file().display().to_string(),
        ),
        (
            tr!("paths.state"),
            ctx.paths.state_dir.display().to_string(),
        ),
        (
            tr!("paths.keyring"),
            tr!("paths.keyring_value", service = ctx.service),
        ),
    ];
    for (label, value) in lines {
        let value = crate::inert::inert(&value);
        outln!(ctx.io, "{} {value}", pad(&format!("{label}:"), 13));
    }
    Ok(())
}
