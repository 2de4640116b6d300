//! `actoken agent --install`: the agent as a user service (the unit `watch --install` writes,
//! see [`super::super::unit`]), with the flags it was given and its socket named in full, and
//! the line that points this machine's clients at that socket.

use super::super::context::Context;
use super::super::streams::Io;
use super::super::unit::{self, Daemon};
use super::{AgentArgs, DEFAULT_INTERVAL};
use crate::shell_quote::shell_word;
use jiff::SignedDuration;
use std::path::Path;

pub(super) fn install(ctx: &Context, args: &AgentArgs, socket: &Path) -> anyhow::Result<u8> {
    // The unit does not run where this command does: the socket as an absolute path, here
    // and in the `export` line (the service's own environment may differ from this shell's).
    let socket = std::path::absolute(socket)?;
    let mut words = vec!["--socket".to_owned(), socket.to_string_lossy().into_owned()];
    if args.allow_root {
        words.push("--allow-root".to_owned());
    }
    let default = super::super::durations::parse_positive_duration(DEFAULT_INTERVAL)
        .expect("the default interval parses");
    if args.interval != default {
        words.extend(["--interval".to_owned(), duration_word(args.interval)]);
    }
    let export = shell_word(&socket.to_string_lossy());
    let point_clients = |io: &Io| {
        outln!(
            io,
            "{}\n  export ACTOKEN_AGENT_SOCK={export}",
            crate::tr!("agent.point_clients")
        );
    };
    unit::install(ctx, Daemon::Agent, &words, args.force, &point_clients)
}

/// `d` in the largest unit that says it exactly (`2h`, `90m`, `45s`), as `--interval` reads it.
fn duration_word(d: SignedDuration) -> String {
    let secs = d.as_secs();
    if secs % 3600 == 0 {
        format!("{}h", secs / 3600)
    } else if secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_is_written_as_interval_reads_it() {
        for (secs, word) in [(7200, "2h"), (5400, "90m"), (45, "45s"), (61, "61s")] {
            let d = SignedDuration::from_secs(secs);
            assert_eq!(duration_word(d), word);
            assert_eq!(
                super::super::super::durations::parse_positive_duration(word).unwrap(),
                d
            );
        }
    }
}
