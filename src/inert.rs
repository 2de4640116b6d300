//! Text that did not come from actoken itself (claims, names, server replies, file contents,
//! arguments) made inert before it is shown: the one rule for every human output, the
//! dashboard's and the CLI's.
//!
//! A terminal obeys what it is sent: `ESC ] 52 ; c ; …` in a `user` claim sets the clipboard
//! (through tmux too), CSI moves the cursor or rewrites the title, a newline forges a row of a
//! table, and a bidi override (U+202E) makes text read as something it is not. Each such
//! character becomes [`REPLACEMENT`], which shows that something was there. `--json` is
//! exact instead: JSON escapes control characters itself.

use std::borrow::Cow;

/// What an unsafe character becomes: visible, and never part of a sequence.
pub(crate) const REPLACEMENT: char = '\u{fffd}';

/// Whether `c` may not reach a terminal as it is: a control character (C0 with `\n`, `\r`
/// and `\t`, DEL, C1 with U+009B CSI and U+009D OSC), Unicode's own line and paragraph
/// separators (U+2028, U+2029), or a bidi embedding, override or isolate (U+202A–U+202E,
/// U+2066–U+2069), which let text lie about its order.
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` as one line with every unsafe character (newlines included) replaced: for a value
/// shown inside actoken's own words (a claim, a name, a server's reply, a table cell).
pub(crate) fn inert(text: &str) -> Cow<'_, str> {
    replace(text, is_unsafe)
}

/// `text` with every unsafe character replaced but its line breaks and tabs: for whole
/// messages actoken composed, which may span lines of their own (the last line of defence
/// for each write to stdout and stderr; the values inside were made [`inert`] already).
pub(crate) fn inert_lines(text: &str) -> Cow<'_, str> {
    replace(text, |c| is_unsafe(c) && !matches!(c, '\n' | '\t'))
}

fn replace(text: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if unsafe_char(c) { REPLACEMENT } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ESC ] 52 ; c ; <base64> BEL`: sets the clipboard of the terminal (and tmux's buffer).
    const OSC52: &str = "\u{1b}]52;c;ZXZpbA==\u{7}";

    #[test]
    fn every_control_and_bidi_character_is_replaced_and_the_rest_kept() {
        let hostile = format!("bob{OSC52}\nx\r\t\u{7f}\u{9b}31m\u{9d}\u{202e}txt.exe\u{2066}");
        let shown = inert(&hostile);
        assert!(!shown.chars().any(is_unsafe), "{shown:?}");
        assert_eq!(
            shown,
            "bob\u{fffd}]52;c;ZXZpbA==\u{fffd}\u{fffd}x\u{fffd}\u{fffd}\u{fffd}\u{fffd}31m\
             \u{fffd}\u{fffd}txt.exe\u{fffd}"
        );
        for c in [
            '\u{0}', '\u{1f}', '\u{80}', '\u{9f}', '\u{202a}', '\u{2069}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        // Han, the CJK brackets, emoji, accents and the zero-width joiner stay.
        let plain = "alice/华东一区【昆山】 Zürich 👩‍💻 (11250)";
        assert!(matches!(inert(plain), Cow::Borrowed(p) if p == plain));
    }

    #[test]
    fn whole_messages_keep_their_lines_and_tabs() {
        let message = format!("line one {OSC52}\n\tline two\r");
        assert_eq!(
            inert_lines(&message),
            "line one \u{fffd}]52;c;ZXZpbA==\u{fffd}\n\tline two\u{fffd}"
        );
    }
}
