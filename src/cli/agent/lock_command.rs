//! `actoken agent lock` / `actoken agent unlock`: clients of a running agent (the one `--agent`
//! or ACTOKEN_AGENT_SOCK names, else `agent --socket`, else the default socket) that stop and
//! resume its handing out of tokens. The passphrase is read at a hidden prompt (twice for
//! `lock`), or from stdin when that is not a terminal (its first line); never from argv. The
//! agent keeps only a salted hash of it, and takes neither request over an SSH forward.

use super::super::context::Context;
use super::super::exit::{Coded, UsageError};
use super::super::input;
use super::super::via_agent;
use crate::agent::client::AgentError;
use crate::agent::protocol::{Reply, Request, Secret};
use crate::tr;
use std::path::Path;
use zeroize::Zeroizing;

/// The longest passphrase read from stdin.
const MAX_PASSPHRASE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Lock,
    Unlock,
}

impl Action {
    fn command(self) -> &'static str {
        match self {
            Action::Lock => "lock",
            Action::Unlock => "unlock",
        }
    }
}

pub(crate) fn run(ctx: &Context, agent: &Path, action: Action) -> anyhow::Result<()> {
    let passphrase = passphrase(ctx, action)?;
    let passphrase = Secret(passphrase);
    let request = match action {
        Action::Lock => Request::Lock { passphrase },
        Action::Unlock => Request::Unlock { passphrase },
    };
    let mut client = via_agent::connect(agent)?;
    match client.ask(request).map_err(Coded::from)? {
        Reply::Done => {}
        _ => {
            let garbled = AgentError::Garbled {
                path: agent.to_owned(),
                why: format!("not `done` in answer to {}", action.command()),
            };
            return Err(Coded::from(garbled).into());
        }
    }
    let path = agent.display().to_string();
    let done = match action {
        Action::Lock => tr!("agent.locked_now", path = path),
        Action::Unlock => tr!("agent.unlocked_now", path = path),
    };
    errln!(ctx.io, "{done}");
    Ok(())
}

/// At a hidden prompt (`lock` asks twice: a typo would lock the agent for good), else the
/// first line of stdin.
fn passphrase(ctx: &Context, action: Action) -> anyhow::Result<Zeroizing<String>> {
    let command = action.command();
    let instead = || format!("`actoken agent {command} < PASSPHRASE_FILE`");
    let passphrase = if input::may_prompt(&ctx.io, instead)? {
        let typed = input::prompt_hidden(&tr!("agent.passphrase_prompt"))?;
        if action == Action::Lock {
            let again = input::prompt_hidden(&tr!("agent.passphrase_again"))?;
            if again != typed {
                return Err(UsageError(tr!("agent.passphrase_mismatch")).into());
            }
        }
        typed
    } else {
        first_line(input::read_piped(&ctx.io, MAX_PASSPHRASE)?)
    };
    if passphrase.is_empty() {
        return Err(UsageError(tr!("agent.passphrase_empty")).into());
    }
    Ok(passphrase)
}

/// The text up to the first line break (`echo` and files end with one).
fn first_line(text: Zeroizing<String>) -> Zeroizing<String> {
    let line = text.split(['\n', '\r']).next().unwrap_or_default();
    Zeroizing::new(line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_piped_passphrase_is_its_first_line() {
        let line = |s: &str| first_line(Zeroizing::new(s.to_owned())).to_string();
        assert_eq!(line("华东 horse\n"), "华东 horse");
        assert_eq!(line("a b\r\nrest\n"), "a b");
        assert_eq!(line("no newline"), "no newline");
        assert_eq!(line("\n"), "");
    }
}
