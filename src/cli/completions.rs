//! `actoken completions SHELL`: a shell completion script for the command line it is given.

use clap::Args;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

pub(crate) fn run(args: CompletionsArgs, cli: clap::Command) -> anyhow::Result<()> {
    clap_complete::generate(
        args.shell,
        &mut cli.clone(),
        "actoken",
        &mut std::io::stdout(),
    );
    Ok(())
}
