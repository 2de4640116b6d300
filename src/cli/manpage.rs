//! `actoken manpage [--dir DIR]`: the man pages, from the same definitions as `--help`.

use super::streams::Io;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ManpageArgs {
    /// Write actoken.1 and a page per command (actoken-exec.1, ...) into DIR instead
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The man page from the same definitions as `--help` (clap_mangen).
pub(crate) fn run(io: &Io, args: ManpageArgs, cli: clap::Command) -> anyhow::Result<()> {
    use anyhow::Context as _;
    match args.dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cli).render(&mut page)?;
            match io.write_out(&page) {
                // `actoken manpage | head` is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            write_pages(cli.disable_help_subcommand(true), &dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            errln!(io, "Wrote the man pages into {}", dir.display());
        }
    }
    Ok(())
}

/// A page for `cmd` and each of its visible subcommands, as `clap_mangen::generate_to` names
/// them, each written atomically: a symlink planted in a shared directory is replaced, never
/// written through (clap_mangen's own writer follows it).
fn write_pages(mut cmd: clap::Command, dir: &std::path::Path) -> anyhow::Result<()> {
    fn write(cmd: &clap::Command, dir: &std::path::Path) -> anyhow::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            write(sub, dir)?;
        }
        let man = clap_mangen::Man::new(cmd.clone());
        let mut page = Vec::new();
        man.render(&mut page)?;
        crate::store::write_atomic(&dir.join(man.get_filename()), &page, 0o644)?;
        Ok(())
    }
    // Built once, as clap_mangen does: subcommands then carry their full names (actoken-exec).
    cmd.build();
    write(&cmd, dir)
}
