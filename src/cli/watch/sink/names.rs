//! File names in a sink directory: a token's name, readable, made safe for a file name and
//! reversible. `%`, `/`, control characters and a leading `.` are percent-encoded (their
//! UTF-8 bytes as `%XX`, upper-case hex); every other character, Chinese included, is kept.
//! So `alice/华东一区【昆山】` is `alice%2F华东一区【昆山】.token`, no two names share a file,
//! no name makes a hidden file (or `.`/`..`), and the name comes back by percent-decoding.

/// The token itself.
pub(crate) const TOKEN_SUFFIX: &str = ".token";
/// The facts beside it (JSON).
pub(crate) const SIDECAR_SUFFIX: &str = ".json";

/// The longest encoded name that still leaves room, within a file system's 255 bytes, for a
/// suffix and `write_atomic`'s temp name (`.NAME.token.PID.tmp`).
const MAX_STEM_BYTES: usize = 255 - 32;

/// The file-name stem of token `name`; `None` when it would be too long for a file name
/// (64 characters of four UTF-8 bytes each; no region name comes close).
pub(crate) fn stem(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    for (i, c) in name.chars().enumerate() {
        let escape = c == '%' || c == '/' || c.is_control() || (i == 0 && c == '.');
        if escape {
            let mut bytes = [0; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    (!out.is_empty() && out.len() <= MAX_STEM_BYTES).then_some(out)
}

/// The token name whose stem is `stem`: `None` unless `stem` is exactly what [`stem`] makes
/// of some name (so a file someone else named is never taken for a token's).
pub(crate) fn name_of(stem_text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(stem_text.len());
    let mut rest = stem_text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = tail.get(..2)?;
            let hex = std::str::from_utf8(hex).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    let name = String::from_utf8(bytes).ok()?;
    (stem(&name).as_deref() == Some(stem_text)).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_readable_and_come_back() {
        for (name, want) in [
            ("华东一区【昆山】", "华东一区【昆山】"),
            ("alice/华东一区【昆山】", "alice%2F华东一区【昆山】"),
            ("hpc-east.v2", "hpc-east.v2"),
            (".hidden", "%2Ehidden"),
            ("..", "%2E."),
            ("50%/x", "50%25%2Fx"),
            ("a\nb\u{85}", "a%0Ab%C2%85"),
        ] {
            assert_eq!(stem(name).as_deref(), Some(want), "{name:?}");
            assert_eq!(name_of(want).as_deref(), Some(name), "{want:?}");
        }
    }

    #[test]
    fn distinct_names_never_share_a_file() {
        let names = [
            "a/b", "a%2Fb", "a%b", "a%25b", ".a", "%2Ea", "a", "a.token", "a.json",
        ];
        let mut files: Vec<String> = Vec::new();
        for name in names {
            let stem = stem(name).unwrap();
            files.push(format!("{stem}{TOKEN_SUFFIX}"));
            files.push(format!("{stem}{SIDECAR_SUFFIX}"));
        }
        let mut unique = files.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), files.len(), "{files:?}");
    }

    #[test]
    fn only_canonical_stems_are_taken_for_names() {
        // Not what `stem` makes of any name: someone else's files.
        for foreign in [
            "a%2fb", "%41", "a%", "a%2", "a%zz", ".profile", "a/b", "%FF", "",
        ] {
            assert_eq!(name_of(foreign), None, "{foreign:?}");
        }
        // Too long for a file name: no stem (the caller says so).
        assert_eq!(stem(&"𠀀".repeat(64)), None);
        assert!(stem(&"华".repeat(64)).is_some());
    }
}
