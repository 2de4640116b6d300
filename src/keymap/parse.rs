//! Keys as written in the `[keys]` table: `"r"`, `"R"`, `"?"`, `"ctrl-c"`, `"alt-x"`,
//! `"enter"`, `"esc"`, `"tab"`, `"shift-tab"`, `"backspace"`, `"delete"`, `"insert"`,
//! `"space"`, `"up"`, `"down"`, `"left"`, `"right"`, `"home"`, `"end"`, `"pageup"`,
//! `"pagedown"`, `"f1"`…`"f12"`. A single character is itself (case matters: `"R"` is
//! Shift-r); names and modifiers are case-insensitive.

use crossterm::event::{KeyCode, KeyModifiers};

use super::Key;

/// Reads one key, or says why it cannot.
pub(crate) fn key(text: &str) -> Result<Key, String> {
    if text.is_empty() {
        return Err("an empty key".into());
    }
    let mut mods = KeyModifiers::NONE;
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
            mods |= KeyModifiers::CONTROL;
            rest = &rest[5..];
        } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
            mods |= KeyModifiers::ALT;
            rest = &rest[4..];
        } else {
            break;
        }
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (None, _) => return Err("no key after the modifier".into()),
        // Ctrl-C arrives as 'c' with CONTROL: a capital would never match.
        (Some(c), None) if !mods.is_empty() => KeyCode::Char(c.to_ascii_lowercase()),
        (Some(c), None) if !c.is_control() => KeyCode::Char(c),
        _ => {
            named(&rest.to_ascii_lowercase()).ok_or_else(|| format!("unknown key name {rest:?}"))?
        }
    };
    Ok(Key { code, mods })
}

fn named(name: &str) -> Option<KeyCode> {
    Some(match name {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "shift-tab" | "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        _ => {
            let n: u8 = name.strip_prefix('f')?.parse().ok()?;
            return (1..=12).contains(&n).then_some(KeyCode::F(n));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_characters_names_and_modifiers() {
        assert_eq!(key("R").unwrap().label(), "R");
        assert_eq!(key("?").unwrap().label(), "?");
        assert_eq!(key("ctrl-c").unwrap().label(), "Ctrl-c");
        assert_eq!(key("Ctrl-C").unwrap().label(), "Ctrl-c");
        assert_eq!(key("alt-x").unwrap().label(), "Alt-x");
        assert_eq!(key("PageDown").unwrap().label(), "PgDn");
        assert_eq!(key("shift-tab").unwrap().label(), "Shift-Tab");
        assert_eq!(key("space").unwrap().label(), "Space");
        assert_eq!(key("f5").unwrap().label(), "F5");
        assert_eq!(key("-").unwrap().label(), "-");
        assert_eq!(key("续").unwrap().label(), "续");
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(key("").is_err());
        assert!(key("ctrl-").is_err());
        assert!(key("hyper-x").unwrap_err().contains("hyper-x"));
        assert!(key("f13").is_err());
    }
}
