//! Printing variables so that a shell (or a program) reads back exactly the values, whatever
//! they hold: spaces, quotes, `$`, backticks, newlines. Claims come from a token and service
//! addresses from a server, so a value is never trusted to be harmless; every format quotes
//! every value, and a .env file, which two kinds of readers take differently, refuses a value
//! they would not both read back exactly.

use super::Vars;
use crate::shell_quote::sh_quote;
use zeroize::Zeroizing;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EnvFormat {
    /// POSIX sh, bash, zsh: `export NAME='value'`
    Sh,
    /// fish: `set -gx NAME 'value'`
    Fish,
    /// PowerShell: `$env:NAME = 'value'`
    Powershell,
    /// A .env file: `NAME='value'`, read alike by `set -a; . ./.env` and python-dotenv
    Dotenv,
    /// One JSON object {"NAME": "value", ...}, for programs
    Json,
}

/// A variable `--format dotenv` cannot write so that sh and python-dotenv read the same value:
/// nothing is printed.
#[derive(Debug)]
pub struct NotDotenv {
    pub var: String,
}

impl std::fmt::Display for NotDotenv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::tr!("env.dotenv_unsafe", var = self.var))
    }
}

impl std::error::Error for NotDotenv {}

/// The whole text for `format`, one assignment per line (JSON: one object); for a .env file,
/// all of it or, when one value cannot be written there, nothing.
pub(crate) fn render(vars: &Vars, format: EnvFormat) -> Result<Zeroizing<String>, NotDotenv> {
    if format == EnvFormat::Json {
        let map: serde_json::Map<String, serde_json::Value> = vars
            .iter()
            .map(|(n, v)| (n.to_owned(), serde_json::Value::String(v.to_owned())))
            .collect();
        let mut text = serde_json::to_string_pretty(&map).expect("strings serialise");
        text.push('\n');
        return Ok(Zeroizing::new(text));
    }
    let mut out = Zeroizing::new(String::new());
    for (name, value) in vars.iter() {
        let line = match format {
            EnvFormat::Sh => format!("export {name}={}", sh_quote(value)),
            EnvFormat::Fish => format!("set -gx {name} {}", fish_quote(value)),
            EnvFormat::Powershell => format!("$env:{name} = {}", powershell_quote(value)),
            EnvFormat::Dotenv => {
                let quoted = dotenv_quote(value).ok_or_else(|| NotDotenv {
                    var: name.to_owned(),
                })?;
                format!("{name}={quoted}")
            }
            EnvFormat::Json => unreachable!("handled above"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// `value` for a .env line that POSIX sh (`set -a; . ./.env`) and python-dotenv both read back
/// as `value`, or `None` when no quoting does:
///
/// - in single quotes when it holds no `'`: sh takes everything in them literally, and
///   python-dotenv too except `\\` and `\'`, so no `\` may stand before a `\` or last;
/// - else in double quotes when it holds none of `$` `` ` `` `\` `"`, the characters sh
///   interprets there (python-dotenv's escapes all start with `\`);
/// - never with `${` (python-dotenv expands `${VAR}` even in single quotes) or a carriage return
///   (Python reads the file with universal newlines: `\r` comes back as `\n`).
fn dotenv_quote(value: &str) -> Option<String> {
    if value.contains('\r') || value.contains("${") {
        return None;
    }
    if !value.contains('\'') && !value.contains(r"\\") && !value.ends_with('\\') {
        return Some(format!("'{value}'"));
    }
    if !value.contains(['$', '`', '\\', '"']) {
        return Some(format!("\"{value}\""));
    }
    None
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

    fn text(vars: &Vars, format: EnvFormat) -> String {
        render(vars, format).unwrap().to_string()
    }

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
            text(&vars(), EnvFormat::Sh)
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
            let script = format!("{}{print}", text(&vars(), format));
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
            text(&v, EnvFormat::Sh),
            "export X='it'\\''s $a `b`\\\nz ’'\n"
        );
        assert_eq!(
            text(&v, EnvFormat::Fish),
            "set -gx X 'it\\'s $a `b`\\\\\nz ’'\n"
        );
        assert_eq!(
            text(&v, EnvFormat::Powershell),
            "$env:X = 'it''s $a `b`\\\nz ’’'\n"
        );
        // A ' with $ and \: no .env quoting gives sh and python-dotenv the same value.
        assert_eq!(render(&v, EnvFormat::Dotenv).unwrap_err().var, "X");
        let json: serde_json::Value = serde_json::from_str(&text(&v, EnvFormat::Json)).unwrap();
        assert_eq!(json["X"], "it's $a `b`\\\nz ’");
    }

    /// Values a .env file can carry for both sh and python-dotenv (see `tests/it/dotenv.rs`
    /// for python-dotenv's half), among them a center address of the kind issue 22 found.
    pub(crate) fn dotenv_values(canary: &std::path::Path) -> Vec<String> {
        let c = canary.display();
        vec![
            format!("x';touch {c};#"),
            format!("bob$(touch {c})"),
            format!("`touch {c}`"),
            "it's 'single' #x;y".into(),
            "it's".into(),
            "a\\b \\n".into(),
            "line one\nline two\n".into(),
            "华东一区【昆山】 ցЁ〈".into(),
            "$HOME #not a comment".into(),
            "  spaced  ".into(),
            "\u{1b}]52;c;aWQ=\u{7}\t".into(),
            String::new(),
        ]
    }

    /// What `set -a; . FILE` gives `sh` (dash on Debian) for `names`, each followed by NUL.
    fn sourced(file: &std::path::Path, names: &[String]) -> Vec<String> {
        let print: String = names.iter().map(|n| format!(" \"${n}\"")).collect();
        let script = format!("set -a; . '{}'; printf '%s\\0'{print}", file.display());
        crate::shell_quote::tests::nul_fields("sh", &script)
    }

    /// Issue 22: `AC_EFILE_URL='x\';touch /tmp/p;#'` ran `touch` when sourced. Every value a
    /// .env file takes comes back exactly from `set -a; . ./.env`, and nothing runs.
    #[test]
    fn dotenv_sourced_by_sh_gives_the_exact_values_and_runs_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path().join("ran");
        let values = dotenv_values(&canary);
        let mut v = Vars::default();
        let names: Vec<String> = (0..values.len()).map(|i| format!("V{i}")).collect();
        for (name, value) in names.iter().zip(&values) {
            v.push(name.as_str(), value);
        }
        let file = dir.path().join(".env");
        std::fs::write(&file, text(&v, EnvFormat::Dotenv)).unwrap();
        assert_eq!(sourced(&file, &names), values);
        assert!(!canary.exists(), "sourcing the .env file ran a command");
    }

    /// A value no quoting gives sh and python-dotenv alike is refused, naming its variable, and
    /// nothing is printed.
    #[test]
    fn dotenv_refuses_what_sh_and_python_dotenv_would_read_differently() {
        for bad in [
            "a'b$c",
            "a'b`c`",
            "a'b\\c",
            "a'b\"c",
            "${HOME}",
            "x'${y}",
            "cr\r",
            "two\\\\back",
            "ends\\",
        ] {
            let mut v = Vars::default();
            v.push("AC_USER", "alice");
            v.push("AC_HPC_URL", bad);
            let err = render(&v, EnvFormat::Dotenv).unwrap_err();
            assert_eq!(err.var, "AC_HPC_URL", "{bad:?}");
            let said = crate::i18n::with_lang(crate::i18n::Lang::En, || err.to_string());
            assert!(
                said.contains("AC_HPC_URL") && said.contains("nothing was written"),
                "{said}"
            );
            // The other formats carry it.
            assert!(text(&v, EnvFormat::Sh).contains("AC_HPC_URL"));
        }
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
