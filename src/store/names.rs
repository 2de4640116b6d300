//! Which token names are allowed.
//!
//! A name is typed on command lines, shown in a table, used as the keyring's `username`
//! attribute and (hashed) in a lock file name, so it must be short, printable and unambiguous.

use super::StoreError;

/// Longest name, in characters (not bytes).
pub const MAX_NAME_CHARS: usize = 64;

/// CJK brackets seen in the platform's region names, e.g. `华东一区【昆山】`.
const CJK_BRACKETS: &[char] = &['【', '】', '（', '）'];

/// ASCII punctuation allowed inside a name, but not as its first or last character.
const INNER_PUNCT: &[char] = &['.', '_', '-', '/'];

/// Checks a token name. Allowed:
///
/// - 1 to 64 characters;
/// - ASCII letters and digits;
/// - `.` `_` `-` `/` inside the name: not first or last (a leading `-` would read as a
///   command-line flag), and no `//`;
/// - non-ASCII letters and digits (region names such as `华东一区`, `Zürich`), and the CJK
///   brackets `【】（）` used in the platform's region names.
///
/// Refused: spaces, control characters, any other punctuation or symbol. The error names the
/// first refused character and its position.
pub fn validate_name(name: &str) -> Result<(), StoreError> {
    let refuse = |reason: String| {
        Err(StoreError::InvalidName {
            name: name.to_owned(),
            reason,
        })
    };
    let count = name.chars().count();
    if count == 0 {
        return refuse("a name cannot be empty".into());
    }
    if count > MAX_NAME_CHARS {
        return refuse(format!(
            "it is {count} characters long; the limit is {MAX_NAME_CHARS}"
        ));
    }
    for (i, c) in name.chars().enumerate() {
        let allowed = c.is_ascii_alphanumeric()
            || INNER_PUNCT.contains(&c)
            || (!c.is_ascii() && c.is_alphanumeric())
            || CJK_BRACKETS.contains(&c);
        if !allowed {
            let what = if c.is_whitespace() {
                "a space".to_owned()
            } else if c.is_control() {
                "a control character".to_owned()
            } else {
                format!("the character {c:?}")
            };
            return refuse(format!(
                "{what} at position {} is not allowed; use letters, digits, and . _ - / inside",
                i + 1
            ));
        }
    }
    let first = name.chars().next().unwrap_or_default();
    let last = name.chars().next_back().unwrap_or_default();
    for (c, end) in [(first, "start"), (last, "end")] {
        if INNER_PUNCT.contains(&c) {
            return refuse(format!(
                "it cannot {end} with {c:?}; start and end with a letter or digit"
            ));
        }
    }
    if name.contains("//") {
        return refuse("it cannot contain \"//\"".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(name: &str) -> String {
        match validate_name(name) {
            Err(StoreError::InvalidName { name: n, reason }) => {
                assert_eq!(n, name);
                reason
            }
            other => panic!("{name:?} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn accepts_typical_names() {
        for ok in [
            "a",
            "hpc01",
            "kunshan.prod",
            "team/kunshan",
            "a-b_c.d/e",
            "华东一区",
            "华东一区【昆山】",
            "Zürich-2",
            "（测试）",
            &"x".repeat(64),
            &"区".repeat(64),
        ] {
            assert!(validate_name(ok).is_ok(), "{ok:?} should be accepted");
        }
    }

    #[test]
    fn refuses_with_a_reason_that_names_the_problem() {
        assert!(reason("").contains("empty"));
        assert!(reason(&"x".repeat(65)).contains("65 characters"));
        assert!(reason(&"区".repeat(65)).contains("65 characters"));
        assert!(reason("my token").contains("a space at position 3"));
        assert!(reason("a\tb").contains("a space"));
        assert!(reason("a\u{1b}b").contains("control character at position 2"));
        assert!(reason("a:b").contains("':'"));
        assert!(reason("a$b").contains("'$'"));
        assert!(reason("-flag").contains("start with '-'"));
        assert!(reason(".hidden").contains("start with '.'"));
        assert!(reason("dir/").contains("end with '/'"));
        assert!(reason("a//b").contains("//"));
        assert!(reason("a\u{3000}b").contains("a space")); // ideographic space
    }

    #[test]
    fn error_message_escapes_the_name() {
        let err = validate_name("a\u{1b}[31mb").unwrap_err().to_string();
        assert!(!err.contains('\u{1b}'), "{err}");
    }
}
