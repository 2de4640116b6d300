//! Values as shell words, for every layer: `env`'s output ([`sh_quote`]) and the commands
//! actoken suggests for a user to paste ([`shell_word`]). A value may come from a server or a
//! token's claims, so no value is trusted to be harmless.

/// Single quotes, where sh interprets nothing; a `'` closes, is escaped, and reopens. For text
/// a shell reads back (`eval "$(actoken env …)"`): any value comes back exactly.
pub(crate) fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `s` as one word of a command actoken suggests (a user, a name, a URL, a path), which a
/// user reads on a terminal and pastes into a shell: as it is when plain, else in single
/// quotes (`'华东一区【昆山】'`, `'bob$(id)'`). A value holding a character the terminal would
/// act on or hide ([`unseen`]: ESC, a newline, a bidi override) cannot be shown raw, so it
/// is written in `$'…'` form with each such character as an escape (`$'bob\033]52…'`): inert
/// on screen and, pasted into bash, zsh or ksh, the exact value (dash and fish lack `$'…'`).
/// A NUL cannot be in an argument at all; it is shown as `\000` (the shell stops there).
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c));
    if plain {
        s.to_owned()
    } else if s.chars().any(unseen) {
        dollar_quote(s)
    } else {
        sh_quote(s)
    }
}

/// A character a terminal acts on or does not show: the C0 and C1 controls and DEL, and the
/// invisible format characters (zero-width, bidi embeddings, overrides and isolates, line and
/// paragraph separators, the byte-order mark) that would make a command read differently
/// from what it does.
pub(crate) fn unseen(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// bash's `$'…'`: `\\` and `\'` for themselves, `\n` `\t` `\r`, and every byte of another
/// [`unseen`] character as a three-digit octal escape (POSIX fixes octal at three digits; a
/// `\x` escape may swallow a hex digit that follows it in some shells).
fn dollar_quote(s: &str) -> String {
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if unseen(c) => {
                let mut bytes = [0; 4];
                for b in c.encode_utf8(&mut bytes).bytes() {
                    out.push_str(&format!("\\{b:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The arguments `sh -c 'set -- WORDS; printf …'` makes of pasted `words` (a word, or a
    /// whole command without redirections).
    pub(crate) fn pasted(shell: &str, word: &str) -> Vec<String> {
        let script = format!("set -- {word}; for a in \"$@\"; do printf '%s\\0' \"$a\"; done");
        nul_fields(shell, &script)
    }

    /// What `shell -c script` prints, split at the NULs `script` ends each value with.
    pub(crate) fn nul_fields(shell: &str, script: &str) -> Vec<String> {
        let out = std::process::Command::new(shell)
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell} -c {script:?}: {out:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn plain_words_stay_as_they_are_others_are_single_quoted() {
        assert_eq!(shell_word("kunshan-old"), "kunshan-old");
        assert_eq!(
            shell_word("https://ac.example.com:65102/x"),
            "https://ac.example.com:65102/x"
        );
        assert_eq!(
            shell_word("alice/华东一区【昆山】"),
            "'alice/华东一区【昆山】'"
        );
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("we\"ird user"), "'we\"ird user'");
        assert_eq!(shell_word(""), "''");
    }

    /// A claim that runs a command when pasted unquoted comes back as one argument, and
    /// nothing runs, in sh (dash on Debian) and bash.
    #[test]
    fn a_pasted_word_is_the_value_and_runs_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path().join("ran");
        let hostile = format!(
            "bob$(touch {})`touch {}`;touch {}",
            canary.display(),
            canary.display(),
            canary.display()
        );
        for value in [
            hostile.as_str(),
            "华东一区【昆山】",
            "we\"ird user",
            "it's $HOME ~ * ? [a] {a,b} \\ !x #c & | < > ( )",
            "-rf",
        ] {
            for shell in ["sh", "bash"] {
                assert_eq!(
                    pasted(shell, &shell_word(value)),
                    [value],
                    "{shell}: {value:?}"
                );
            }
        }
        assert!(!canary.exists(), "a pasted word ran a command");
    }

    /// A character the terminal acts on (ESC, a newline) or hides (a bidi override) is never
    /// printed: the word is in `$'…'` form with that character as an escape, all printable
    /// ASCII or visible text, and bash reads back the exact value.
    #[test]
    fn control_characters_are_escaped_and_still_paste_as_the_value() {
        for value in [
            "bob\u{1b}]52;c;aWQ=\u{7}",
            "line\nforged row",
            "tab\there\r",
            "bell\u{7}\u{7f}\u{9b}31m",
            "right-to-left \u{202e}gnp.exe",
            "zero\u{200b}width\u{feff}",
            "it's \\ $x 华东\u{1b}[2J",
        ] {
            let word = shell_word(value);
            assert!(word.starts_with("$'") && word.ends_with('\''), "{word}");
            assert!(
                word.chars()
                    .all(|c| (' '..='~').contains(&c) || (!c.is_ascii() && c.is_alphanumeric())),
                "{value:?} shown as {word:?}"
            );
            assert_eq!(pasted("bash", &word), [value], "{word}");
        }
        assert_eq!(shell_word("a\u{1b}b'c\\"), r"$'a\033b\'c\\'");
        assert_eq!(shell_word("a\nb\tc"), r"$'a\nb\tc'");
    }

    proptest::proptest! {
        #[test]
        fn every_word_is_one_inert_argument(s in "\\PC*|[' \"$`\\\\\n\u{1b}\u{202e}华a-]*") {
            let word = shell_word(&s);
            proptest::prop_assert!(!word.chars().any(char::is_control), "{:?}", word);
            if let Some(inner) = word.strip_prefix('\'').and_then(|w| w.strip_suffix('\'')) {
                proptest::prop_assert_eq!(inner.replace(r"'\''", "'"), s.clone());
            } else if !word.starts_with("$'") {
                proptest::prop_assert_eq!(word, s.clone());
            }
        }
    }
}
