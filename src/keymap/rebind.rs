//! The `[keys]` table of `config.toml`: `command = "key"` or `command = ["key", "key"]`
//! replaces the command's default keys. Unknown commands, unreadable keys and two commands of
//! one context sharing a key are errors that name the line, never silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Command, Key, Keymap, parse};

/// One rebinding's value: a key or a list of keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum KeySpec {
    One(String),
    Many(Vec<String>),
}

/// The raw `[keys]` table, with where each entry sits in the file.
pub type KeysTable = BTreeMap<Spanned<String>, Spanned<KeySpec>>;

impl Keymap {
    /// The defaults with `table` applied. `text` is the config file the spans point into,
    /// for the line numbers in errors ("line 12: key \"r\" is bound to both copy and renew").
    pub(crate) fn from_table(table: &KeysTable, text: &str) -> Result<Keymap, String> {
        let line = |span: std::ops::Range<usize>| {
            let upto = text.get(..span.start).unwrap_or(text);
            upto.matches('\n').count() + 1
        };
        let mut entries: Vec<_> = table.iter().collect();
        entries.sort_by_key(|(name, _)| name.span().start);
        let mut keymap = Keymap::default();
        // Which line rebound each command, to blame the right one for a conflict.
        let mut rebound: Vec<(Command, usize)> = Vec::new();
        for (name, spec) in entries {
            let at = line(name.span());
            let command = Command::from_name(name.get_ref()).ok_or_else(|| {
                let known: Vec<&str> = super::names::NAMES.iter().map(|(_, n)| *n).collect();
                format!(
                    "line {at}: [keys] has no command {:?}; commands are: {}",
                    name.get_ref(),
                    known.join(", ")
                )
            })?;
            let texts = match spec.get_ref() {
                KeySpec::One(one) => std::slice::from_ref(one),
                KeySpec::Many(many) => many.as_slice(),
            };
            if texts.is_empty() {
                return Err(format!(
                    "line {at}: {} needs at least one key",
                    command.name()
                ));
            }
            let mut keys: Vec<Key> = Vec::new();
            for text in texts {
                let key = parse::key(text).map_err(|why| {
                    format!(
                        "line {at}: cannot read key {text:?} for {}: {why}",
                        command.name()
                    )
                })?;
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            keymap.rebind(command, keys);
            rebound.push((command, at));
        }
        if let Some((key, a, b)) = keymap.conflict() {
            let line_of = |c: Command| rebound.iter().find(|(r, _)| *r == c).map(|(_, l)| *l);
            let at = line_of(a).max(line_of(b)).unwrap_or(0);
            return Err(format!(
                "line {at}: key {:?} is bound to both {} and {} (rebind one of them too)",
                key.label(),
                a.name(),
                b.name()
            ));
        }
        Ok(keymap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::{BINDINGS, Context};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn keymap(text: &str) -> Result<Keymap, String> {
        #[derive(Deserialize)]
        struct File {
            keys: KeysTable,
        }
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        Keymap::from_table(&file.keys, text)
    }

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn defaults_have_no_conflict() {
        assert_eq!(Keymap::default().conflict(), None);
        assert_eq!(keymap("[keys]\n").unwrap(), Keymap::default());
        assert_eq!(BINDINGS.len(), Keymap::default().bindings.len());
    }

    #[test]
    fn a_rebinding_replaces_the_default_keys() {
        let map = keymap("[keys]\nrenew = \"n\"\ncopy = [\"x\", \"ctrl-y\"]\n").unwrap();
        assert_eq!(
            map.lookup(Context::Normal, &press('n')),
            Some(Command::Renew)
        );
        assert_eq!(map.lookup(Context::Normal, &press('r')), None);
        assert_eq!(map.lookup(Context::Normal, &press('c')), None);
        assert_eq!(map.label(Context::Normal, Command::Copy), "x");
        assert_eq!(map.labels(Context::Normal, Command::Copy, 2), "x/Ctrl-y");
        // Other contexts keep their keys: n still answers "no" in a confirmation.
        assert_eq!(
            map.lookup(Context::Confirm, &press('n')),
            Some(Command::ConfirmNo)
        );
    }

    #[test]
    fn a_conflict_names_the_line_and_both_commands() {
        let text = "# my keys\n[keys]\nsort = \"o\"\n\ncopy = \"r\"\n";
        let err = keymap(text).unwrap_err();
        assert_eq!(
            err,
            "line 5: key \"r\" is bound to both renew and copy (rebind one of them too)"
        );
        // Moving renew away as well resolves it.
        assert!(keymap("[keys]\ncopy = \"r\"\nrenew = \"n\"\n").is_ok());
    }

    #[test]
    fn unknown_commands_and_keys_name_the_line() {
        let err = keymap("[keys]\nrenew = \"r\"\nrefresh = \"f5\"\n").unwrap_err();
        assert!(
            err.starts_with("line 3: [keys] has no command \"refresh\""),
            "{err}"
        );
        assert!(err.contains("renew-due"), "{err}");
        let err = keymap("[keys]\n\ncopy = [\"c\", \"hyper-c\"]\n").unwrap_err();
        assert!(
            err.starts_with("line 3: cannot read key \"hyper-c\" for copy"),
            "{err}"
        );
        let err = keymap("[keys]\ncopy = []\n").unwrap_err();
        assert!(err.contains("line 2: copy needs at least one key"), "{err}");
    }
}
