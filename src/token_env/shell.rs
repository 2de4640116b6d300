//! Printing variables so that a shell (or a program) reads back exactly the values, whatever
//! they hold: spaces, quotes, `$`, backticks, newlines. Service addresses come from the server,
//! so a value is never trusted to be harmless; every format quotes every value.

use super::Vars;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EnvFormat {
    /// POSIX sh, bash, zsh: `export NAME='value'`
    Sh,
    /// fish: `set -gx NAME 'value'`
    Fish,
    /// PowerShell: `$env:NAME = 'value'`
    Powershell,
    /// A .env file: `NAME='value'` (single quotes: no interpolation in python-dotenv and others)
    Dotenv,
    /// One JSON object {"NAME": "value", ...}, for programs
    Json,
}

/// The whole text for `format`, one assignment per line (JSON: one object).
pub(crate) fn render(vars: &Vars, format: EnvFormat) -> String {
    if format == EnvFormat::Json {
        let map: serde_json::Map<String, serde_json::Value> = vars
            .iter()
            .map(|(n, v)| (n.to_owned(), serde_json::Value::String(v.to_owned())))
            .collect();
        let mut text = serde_json::to_string_pretty(&map).expect("strings serialise");
        text.push('\n');
        return text;
    }
    let mut out = String::new();
    for (name, value) in vars.iter() {
        let line = match format {
            EnvFormat::Sh => format!("export {name}={}", sh_quote(value)),
            EnvFormat::Fish => format!("set -gx {name} {}", fish_quote(value)),
            EnvFormat::Powershell => format!("$env:{name} = {}", powershell_quote(value)),
            EnvFormat::Dotenv => format!("{name}={}", fish_quote(value)),
            EnvFormat::Json => unreachable!("handled above"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Single quotes, where sh interprets nothing; a `'` closes, is escaped, and reopens.
pub(crate) fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// fish's (and dotenv's) single quotes: only `\\` and `\'` are escapes inside them.
pub fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

/// PowerShell's single quotes: a quote is doubled. PowerShell also takes the typographic
/// single quotes (U+2018..U+201B) as quotes, so those are doubled too.
pub fn powershell_quote(value: &str) -> String {
    let mut out = String::from("'");
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a careless quoting would trip over.
    pub(crate) const NASTY: &str =
        "a b 'c' \"d\" $HOME `id` $(id) \\n\\ back\\slash\nsecond line ‘curly’ 华东";

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.push("AC_HPC_URL", NASTY);
        v.push("AC_USER", "alice");
        v
    }

    #[test]
    fn sh_round_trips_through_a_real_shell() {
        let script = format!(
            "{}printf '%s' \"$AC_HPC_URL\"",
            render(&vars(), EnvFormat::Sh)
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), NASTY);
    }

    #[test]
    fn fish_and_powershell_round_trip_where_installed() {
        // Neither shell is in CI's image; where one is installed, it reads the value back.
        for (shell, format, args, print) in [
            (
                "fish",
                EnvFormat::Fish,
                ["-c"],
                "printf '%s' \"$AC_HPC_URL\"",
            ),
            (
                "pwsh",
                EnvFormat::Powershell,
                ["-Command"],
                "[Console]::Out.Write($env:AC_HPC_URL)",
            ),
        ] {
            let script = format!("{}{print}", render(&vars(), format));
            match std::process::Command::new(shell)
                .args(args)
                .arg(&script)
                .output()
            {
                Ok(out) => assert_eq!(String::from_utf8_lossy(&out.stdout), NASTY, "{shell}"),
                Err(_) => eprintln!("{shell} not installed: round trip not tried"),
            }
        }
    }

    #[test]
    fn every_format_quotes_exactly() {
        let mut v = Vars::default();
        v.push("X", "it's $a `b`\\\nz ’");
        assert_eq!(
            render(&v, EnvFormat::Sh),
            "export X='it'\\''s $a `b`\\\nz ’'\n"
        );
        assert_eq!(
            render(&v, EnvFormat::Fish),
            "set -gx X 'it\\'s $a `b`\\\\\nz ’'\n"
        );
        assert_eq!(
            render(&v, EnvFormat::Powershell),
            "$env:X = 'it''s $a `b`\\\nz ’’'\n"
        );
        assert_eq!(
            render(&v, EnvFormat::Dotenv),
            "X='it\\'s $a `b`\\\\\nz ’'\n"
        );
        let json: serde_json::Value = serde_json::from_str(&render(&v, EnvFormat::Json)).unwrap();
        assert_eq!(json["X"], "it's $a `b`\\\nz ’");
    }

    /// The inverse of fish's single-quote rules, to check [`fish_quote`] on any input.
    fn fish_unquote(q: &str) -> String {
        let inner = &q[1..q.len() - 1];
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some(n @ ('\\' | '\'')) => out.push(n),
                    Some(n) => {
                        out.push('\\');
                        out.push(n);
                    }
                    None => out.push('\\'),
                }
            } else {
                assert_ne!(c, '\'', "unescaped quote inside {q}");
                out.push(c);
            }
        }
        out
    }

    fn powershell_unquote(q: &str) -> String {
        let inner = &q[1..q.len() - 1];
        let mut out = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
                assert_eq!(chars.next(), Some(c), "lone quote inside {q}");
            }
            out.push(c);
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn quoting_is_reversible(s in "\\PC*|[' \"$`\\\\\n‘’]*") {
            proptest::prop_assert_eq!(fish_unquote(&fish_quote(&s)), s.clone());
            proptest::prop_assert_eq!(powershell_unquote(&powershell_quote(&s)), s.clone());
            let sh = sh_quote(&s);
            proptest::prop_assert_eq!(sh[1..sh.len() - 1].replace(r"'\''", "'"), s);
        }
    }
}
