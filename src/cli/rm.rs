//! `actoken rm NAME`: remove a token from the keyring and the index.

use super::context::Context;
use crate::tr;
use clap::Args;

#[derive(Debug, Args)]
pub struct RmArgs {
    pub name: String,
}

pub(crate) fn run(ctx: &Context, args: RmArgs) -> anyhow::Result<()> {
    ctx.store()?.remove(&args.name)?;
    errln!(ctx.io, "{}", tr!("misc.removed", name = args.name));
    Ok(())
}
