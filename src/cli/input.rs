//! Reading a secret: from stdin when it is piped, else from a prompt that does not echo.
//! Never from argv. With `--no-input` there is no prompt, terminal or not: the command that
//! needs none is named instead (exit 3).

use std::io::Read;

use zeroize::Zeroizing;

use crate::token::MAX_TOKEN_LEN;

use super::exit::{NoInput, UsageError};
use super::streams::Io;

/// Whether a person may be asked: stdin is a terminal. Under `--no-input` a terminal is no
/// reason to wait (a job started from tmux has one): the error names `instead`, a command
/// that needs no prompt.
pub(crate) fn may_prompt(io: &Io, instead: impl FnOnce() -> String) -> anyhow::Result<bool> {
    if !io.stdin_is_terminal() {
        return Ok(false);
    }
    if io.no_input() {
        let command = instead();
        return Err(NoInput(crate::tr!("input.no_input", command = command)).into());
    }
    Ok(true)
}

/// Reads one secret: at a hidden prompt (see [`may_prompt`]), else from stdin. Piped input is
/// bounded (a runaway `cat` fails fast instead of filling memory) and must be UTF-8.
pub(crate) fn read_secret(
    io: &Io,
    prompt: &str,
    instead: impl FnOnce() -> String,
) -> anyhow::Result<Zeroizing<String>> {
    if may_prompt(io, instead)? {
        return prompt_hidden(prompt);
    }
    read_piped(io, MAX_TOKEN_LEN + 1024)
}

/// Asks at the terminal without echo; only once [`may_prompt`] said yes.
pub(crate) fn prompt_hidden(prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    // The prompt goes to the terminal itself, past `io`: it quotes a name or a user.
    let prompt = super::streams::shown_value(prompt);
    let typed = rpassword::prompt_password(format!("{prompt} (input hidden): "))?;
    Ok(Zeroizing::new(typed))
}

/// [`read_bounded`] of the command's stdin.
pub(crate) fn read_piped(io: &Io, limit: usize) -> anyhow::Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new(Vec::new());
    io.read_stdin(limit, &mut bytes)?;
    read_bounded(&bytes[..], limit)
}

pub(crate) fn read_bounded(input: impl Read, limit: usize) -> anyhow::Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new(Vec::new());
    input.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(UsageError(crate::tr!("usage.stdin_too_large", limit = limit)).into());
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(UsageError(crate::tr!("usage.stdin_not_utf8")).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_read_refuses_oversized_and_binary_input() {
        assert_eq!(read_bounded(&b"abc\n"[..], 10).unwrap().as_str(), "abc\n");
        let big = [b'a'; 11];
        let err = read_bounded(&big[..], 10).unwrap_err().to_string();
        assert!(err.contains("larger than 10 bytes"), "{err}");
        let err = read_bounded(&[0xff, 0xfe][..], 10).unwrap_err().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
    }

    #[test]
    fn the_refusals_speak_the_interface_language() {
        use crate::i18n::{Lang, with_lang};
        let big = [b'a'; 11];
        let zh = with_lang(Lang::ZhCn, || {
            read_bounded(&big[..], 10).unwrap_err().to_string()
        });
        assert!(zh.contains("标准输入超过 10 字节"), "{zh}");
        let zh = with_lang(Lang::ZhCn, || {
            read_bounded(&[0xff][..], 10).unwrap_err().to_string()
        });
        assert!(zh.contains("UTF-8") && zh.contains("访问凭证"), "{zh}");
    }
}
