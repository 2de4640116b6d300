//! `actoken completions SHELL`: a shell completion script for the command line it is given.

use super::streams::Io;
use clap::Args;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

/// Rendered first, then written: clap_complete panics when its writer fails, and `actoken
/// completions bash | head -1` is not an error.
pub(crate) fn run(io: &Io, args: CompletionsArgs, mut cli: clap::Command) -> anyhow::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "actoken", &mut script);
    match io.write_out(&script) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
