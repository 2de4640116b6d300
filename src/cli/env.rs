//! `actoken env NAME [--format F]`: the token's variables, quoted for `eval` (or as JSON).

use std::io::Write;

use crate::token_env::shell;

use super::args::EnvArgs;
use super::context::Context;
use super::fresh::token_vars;

pub fn run(ctx: &Context, args: EnvArgs) -> anyhow::Result<()> {
    let vars = token_vars(ctx, &args.name, &args.fresh.also, args.fresh.min_valid)?;
    let text = zeroize::Zeroizing::new(shell::render(&vars, args.format));
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}
