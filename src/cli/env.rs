//! `actoken env NAME [--format F]`: the token's variables, quoted for `eval` (or as JSON).

use super::context::Context;
use super::fresh::{FreshArgs, token_vars};
use crate::token_env::shell;
use clap::Args;

#[derive(Debug, Args)]
pub struct EnvArgs {
    pub name: String,
    #[command(flatten)]
    pub fresh: FreshArgs,
    /// How to print the variables
    #[arg(long, value_enum, default_value = "sh")]
    pub format: crate::token_env::EnvFormat,
}

pub(crate) fn run(ctx: &Context, args: EnvArgs) -> anyhow::Result<()> {
    let vars = token_vars(ctx, &args.name, &args.fresh.also, args.fresh.min_valid)?;
    // All or nothing: a refused .env value leaves stdout empty (no half-written file).
    let text = shell::render(&vars, args.format)?;
    ctx.io.write_out(text.as_bytes())?;
    Ok(())
}
