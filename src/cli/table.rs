//! Plain-text tables for the CLI, in terminal columns (a Han character takes two).

use crate::columns::{self, NAME_FLOOR, Spec};
use crate::inert::inert;
use crate::width::{pad, truncate, truncate_middle, width};

/// Left-aligned columns sized to their widest cell, in terminal columns (a Han character
/// takes two), so the columns after `华东一区【昆山】` line up.
pub(crate) fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    render_table_within(header, rows, None)
}

/// The width of the terminal stdout goes to; None when it is a pipe or a file.
pub(crate) fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    crossterm::terminal::size()
        .ok()
        .map(|(w, _)| usize::from(w))
}

const SEPARATOR: &str = "  ";

/// `render_table`, cut to `max_width` columns when given: the other columns give way first
/// (as in the dashboard), then the first (names) is cut in the middle, keeping its tail.
pub(crate) fn render_table_within(
    header: &[&str],
    rows: &[Vec<String>],
    max_width: Option<usize>,
) -> String {
    // A cell is one line: a newline in a claim must not forge a row.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| inert(c).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let gaps = SEPARATOR.len() * widths.len().saturating_sub(1);
    let natural = widths.iter().sum::<usize>() + gaps;
    if let Some(max) = max_width.filter(|&m| m < natural) {
        let specs: Vec<Spec> = widths
            .iter()
            .zip(header)
            .enumerate()
            .map(|(i, (&w, h))| {
                let floor = if i == 0 { NAME_FLOOR } else { width(h).min(8) };
                Spec::new(w, floor)
            })
            .collect();
        // The plan separates columns by one space; the table uses two.
        let spare = widths.len().saturating_sub(1);
        let plan = columns::plan(max.saturating_sub(gaps - spare), &specs);
        widths = plan
            .iter()
            .zip(&widths)
            .map(|(p, &w)| p.unwrap_or(w))
            .collect();
    }
    let cut = |i: usize, c: &str, w: usize| {
        if i == 0 {
            truncate_middle(c, w)
        } else {
            truncate(c, w)
        }
    };
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| pad(&cut(i, c, *w), *w))
            .collect();
        padded.join(SEPARATOR).trim_end().to_owned()
    };
    let mut out = line(header.to_vec());
    for row in &rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_after_chinese_names_line_up_in_terminal_columns() {
        let rows: Vec<Vec<String>> = ["alice/华东一区【昆山】", "alice/西北一区", "kunshan"]
            .iter()
            .map(|n| vec![(*n).to_owned(), "alice".to_owned(), "valid".to_owned()])
            .collect();
        let out = render_table(&["NAME", "USER", "PHASE"], &rows);
        let starts: Vec<usize> = out
            .lines()
            .map(|line| width(&line[..line.find("alice ").or(line.find("USER")).unwrap()]))
            .collect();
        assert!(starts.iter().all(|&s| s == starts[0]), "{out}");
        assert_eq!(starts[0], width("alice/华东一区【昆山】") + 2, "{out}");
    }
}
