//! `actoken ssh`'s arguments, split as ssh itself splits them: its options, HOST, COMMAND.
//!
//! ssh parses with getopt and a fixed table of letters that take a value (`-p 2222`, `-p2222`,
//! `-lalice`); the first word that is not an option is HOST. Like ssh, options may follow HOST
//! too (`ssh host -v ls`): parsing resumes after HOST until the next non-option, where COMMAND
//! begins; `--` ends the options wherever it stands.

use std::ffi::{OsStr, OsString};
#[cfg(unix)]
use std::os::unix::ffi::OsStrExt;

/// The letters whose option takes a value (OpenSSH 9.x's getopt string; `-P tag` since 9.4).
const TAKES_VALUE: &[u8] = b"bceilmopBDEFIJLOPQRSWw";
/// Letters that mean no remote command runs (`-N`), a stdio forward (`-W`), a subsystem
/// instead of a command (`-s`) or a control request to a master (`-O`): nothing can set up
/// the agent's variable in those sessions.
const NO_COMMAND: &[u8] = b"NWsO";

/// ssh's command line, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SshLine {
    /// Every option word, with the values of those that take one, in their order.
    pub options: Vec<OsString>,
    pub host: OsString,
    /// The remote command's words (empty: a login shell).
    pub command: Vec<OsString>,
    /// `-t` or `-T` was given: the user chose whether a terminal is allocated.
    pub chose_tty: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SplitError {
    NoHost,
    /// An option that takes a value came last, without one.
    MissingValue(char),
    /// An option that runs no remote command ([`NO_COMMAND`]).
    NoCommand(char),
}

/// Splits `args` (what follows `actoken ssh`) as ssh would.
pub(super) fn split(args: &[OsString]) -> Result<SshLine, SplitError> {
    let mut line = SshLine {
        options: Vec::new(),
        host: OsString::new(),
        command: Vec::new(),
        chose_tty: false,
    };
    let mut i = 0;
    let mut host = None;
    loop {
        let mut terminated = false;
        while let Some(word) = args.get(i) {
            let bytes = bytes(word);
            if bytes == b"--" {
                i += 1;
                terminated = true;
                break;
            }
            if bytes.len() < 2 || bytes[0] != b'-' {
                break;
            }
            line.options.push(word.clone());
            i += 1;
            for (at, &letter) in bytes.iter().enumerate().skip(1) {
                if NO_COMMAND.contains(&letter) {
                    return Err(SplitError::NoCommand(char::from(letter)));
                }
                if letter == b't' || letter == b'T' {
                    line.chose_tty = true;
                }
                if TAKES_VALUE.contains(&letter) {
                    // The rest of the word is the value; else the next word is.
                    if at + 1 == bytes.len() {
                        let value = args
                            .get(i)
                            .ok_or(SplitError::MissingValue(char::from(letter)))?;
                        line.options.push(value.clone());
                        i += 1;
                    }
                    break;
                }
            }
        }
        if host.is_some() {
            break;
        }
        let word = args.get(i).ok_or(SplitError::NoHost)?;
        host = Some(word.clone());
        i += 1;
        // ssh resumes option parsing after HOST unless `--` came before it.
        if terminated || i >= args.len() {
            break;
        }
    }
    line.host = host.expect("set above");
    line.command = args[i..].to_vec();
    Ok(line)
}

#[cfg(unix)]
fn bytes(word: &OsStr) -> &[u8] {
    word.as_bytes()
}

#[cfg(not(unix))]
fn bytes(word: &OsStr) -> &[u8] {
    word.as_encoded_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn parts(line: &str) -> (Vec<String>, String, Vec<String>) {
        let got = split(&words(line)).unwrap();
        let text = |w: &[OsString]| -> Vec<String> {
            w.iter().map(|w| w.to_string_lossy().into_owned()).collect()
        };
        (
            text(&got.options),
            got.host.to_string_lossy().into_owned(),
            text(&got.command),
        )
    }

    #[test]
    fn options_with_values_are_told_from_the_host() {
        assert_eq!(
            parts("-p 2222 -F cfg host ls -l"),
            (
                vec!["-p".into(), "2222".into(), "-F".into(), "cfg".into()],
                "host".into(),
                vec!["ls".into(), "-l".into()]
            )
        );
        // A value glued to its letter, flags in a cluster ending in a letter with a value.
        assert_eq!(
            parts("-p2222 -4Avl alice login1"),
            (
                vec!["-p2222".into(), "-4Avl".into(), "alice".into()],
                "login1".into(),
                vec![]
            )
        );
        // Every letter of ssh's table that takes a value, each swallowing the next word.
        for letter in "bceilmopBDEFIJLOPQRSWw"
            .chars()
            .filter(|c| !"WO".contains(*c))
        {
            let (options, host, command) = parts(&format!("-{letter} value host cmd"));
            assert_eq!(options, vec![format!("-{letter}"), "value".into()]);
            assert_eq!((host.as_str(), command), ("host", vec!["cmd".to_owned()]));
        }
        // Flags that take none leave the next word to be the host.
        for letter in "1246afgknqsvxACGKMTVXYy".chars().filter(|c| *c != 's') {
            let (options, host, _) = parts(&format!("-{letter} host"));
            assert_eq!(
                (options, host.as_str()),
                (vec![format!("-{letter}")], "host")
            );
        }
    }

    #[test]
    fn options_after_the_host_are_options_until_the_command_begins() {
        assert_eq!(
            parts("host -v -p 22 ls -v"),
            (
                vec!["-v".into(), "-p".into(), "22".into()],
                "host".into(),
                vec!["ls".into(), "-v".into()]
            )
        );
        // `--` after the host: what follows is the command, dashes and all.
        assert_eq!(
            parts("host -- -weird --x"),
            (vec![], "host".into(), vec!["-weird".into(), "--x".into()])
        );
        // `--` before the host: no options after it.
        assert_eq!(
            parts("-v -- host -p 22"),
            (
                vec!["-v".into()],
                "host".into(),
                vec!["-p".into(), "22".into()]
            )
        );
        // A lone "-" is a word, not an option.
        assert_eq!(
            parts("host - x"),
            (vec![], "host".into(), vec!["-".into(), "x".into()])
        );
    }

    #[test]
    fn a_missing_host_or_value_and_sessions_without_a_command_are_refused() {
        assert_eq!(split(&words("-v -p 22")), Err(SplitError::NoHost));
        assert_eq!(split(&[]), Err(SplitError::NoHost));
        assert_eq!(split(&words("-p")), Err(SplitError::MissingValue('p')));
        assert_eq!(split(&words("host -l")), Err(SplitError::MissingValue('l')));
        for letter in ['N', 'W', 's', 'O'] {
            assert_eq!(
                split(&words(&format!("-{letter} x host"))),
                Err(SplitError::NoCommand(letter))
            );
        }
        assert_eq!(split(&words("host -fN")), Err(SplitError::NoCommand('N')));
    }

    #[test]
    fn a_chosen_terminal_is_noticed() {
        assert!(!split(&words("-v host")).unwrap().chose_tty);
        assert!(split(&words("-tt host")).unwrap().chose_tty);
        assert!(split(&words("host -T ls")).unwrap().chose_tty);
        // A `t` inside a value is not the flag.
        assert!(!split(&words("-ltom host")).unwrap().chose_tty);
    }
}
