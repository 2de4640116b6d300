//! Text measured in terminal columns, not chars: a Han character or a fullwidth bracket
//! (`华东一区【昆山】`) takes two columns. Every aligned or cut text goes through here, so a
//! table never shifts after a Chinese name and a cut never splits a character.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

const ELLIPSIS: char = '…';

/// Columns `s` takes in a terminal.
pub(crate) fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `s` followed by spaces up to `columns` (unchanged when already as wide).
pub(crate) fn pad(s: &str, columns: usize) -> String {
    let w = width(s);
    let mut out = String::with_capacity(s.len() + columns.saturating_sub(w));
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', columns.saturating_sub(w)));
    out
}

/// The longest prefix of `s` that fits in `columns`, and its width.
fn head(s: &str, columns: usize) -> (&str, usize) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = char_width(c);
        if used + w > columns {
            return (&s[..i], used);
        }
        used += w;
    }
    (s, used)
}

/// The longest suffix of `s` that fits in `columns`, and its width.
fn tail(s: &str, columns: usize) -> (&str, usize) {
    let mut used = 0;
    for (i, c) in s.char_indices().rev() {
        let w = char_width(c);
        if used + w > columns {
            return (&s[i + c.len_utf8()..], used);
        }
        used += w;
    }
    (s, used)
}

/// `s` cut to at most `columns`, ending in '…' when cut (free text: messages, values).
pub(crate) fn truncate(s: &str, columns: usize) -> String {
    if width(s) <= columns {
        return s.to_owned();
    }
    if columns == 0 {
        return String::new();
    }
    let (kept, _) = head(s, columns - 1);
    format!("{kept}{ELLIPSIS}")
}

/// `s` cut to at most `columns` with '…' in the middle (names): the tail is where region
/// names differ (`alice/华东一区【昆山】` vs `alice/华东一区`), so it is kept whole when it
/// fits in half the room: `alice/华东…【昆山】`.
pub(crate) fn truncate_middle(s: &str, columns: usize) -> String {
    if width(s) <= columns {
        return s.to_owned();
    }
    if columns < 3 {
        return truncate(s, columns);
    }
    let room = columns - 1;
    let (end, end_w) = tail(s, room.div_ceil(2));
    // Columns the tail could not use (a wide char did not fit) go to the head.
    let (start, _) = head(s, room - end_w);
    format!("{start}{ELLIPSIS}{end}")
}

/// `s` cut to `columns` (middle ellipsis) and padded to exactly `columns` (tests).
#[cfg(test)]
pub(crate) fn fit_middle(s: &str, columns: usize) -> String {
    pad(&truncate_middle(s, columns), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUNSHAN: &str = "alice/华东一区【昆山】";

    #[test]
    fn han_and_fullwidth_brackets_take_two_columns() {
        assert_eq!(width("华东一区【昆山】"), 16);
        assert_eq!(width(KUNSHAN), 22);
        assert_eq!(width("test中心"), 8);
        assert_eq!(width("华中一区【A区】"), 15);
    }

    #[test]
    fn pad_counts_columns() {
        assert_eq!(pad("西北一区", 10), "西北一区  ");
        assert_eq!(width(&pad("西北一区", 10)), 10);
        assert_eq!(pad("西北一区", 4), "西北一区");
    }

    #[test]
    fn truncate_never_splits_a_character_nor_overflows() {
        for columns in 0..=24 {
            let cut = truncate(KUNSHAN, columns);
            assert!(width(&cut) <= columns, "{cut:?} > {columns}");
            assert!(KUNSHAN.starts_with(cut.trim_end_matches('…')));
        }
        assert_eq!(truncate("西北一区", 5), "西北…");
        assert_eq!(truncate("西北一区", 8), "西北一区");
    }

    #[test]
    fn middle_cut_keeps_the_tail_that_tells_regions_apart() {
        assert_eq!(truncate_middle(KUNSHAN, 19), "alice/华东…【昆山】");
        for columns in 0..=24 {
            let cut = truncate_middle(KUNSHAN, columns);
            assert!(width(&cut) <= columns, "{cut:?} > {columns}");
        }
        // The two logins' names stay different at every width the table can give them.
        for columns in 5..=24 {
            assert_ne!(
                truncate_middle(KUNSHAN, columns),
                truncate_middle("alice/华东一区", columns),
                "at {columns}"
            );
        }
    }

    #[test]
    fn fit_middle_is_exactly_as_wide_as_asked() {
        for columns in 0..=24 {
            assert_eq!(width(&fit_middle(KUNSHAN, columns)), columns);
        }
    }
}
