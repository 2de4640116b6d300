//! The visible list: rows filtered by the filter text and sorted by the sort mode, and the
//! window of it that fits on screen.

use jiff::Timestamp;

use super::row::{Row, Timing};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortMode {
    /// Most urgent action first: renewable (by cutoff), due (by expiry), dead, broken, calm.
    #[default]
    Urgency,
    Name,
    /// By cluster id, then name.
    Cluster,
}

impl SortMode {
    pub(crate) fn next(self) -> SortMode {
        match self {
            SortMode::Urgency => SortMode::Name,
            SortMode::Name => SortMode::Cluster,
            SortMode::Cluster => SortMode::Urgency,
        }
    }

    pub fn label(self) -> String {
        match self {
            SortMode::Urgency => crate::tr!("sort.urgency"),
            SortMode::Name => crate::tr!("sort.name"),
            SortMode::Cluster => crate::tr!("sort.cluster"),
        }
    }
}

/// Indices into `rows` of the rows to show, in display order.
pub(crate) fn build(
    rows: &[Row],
    filter: &str,
    sort: SortMode,
    now: Timestamp,
    timing: Timing,
) -> Vec<usize> {
    let needle = filter.trim().to_lowercase();
    let mut view: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].matches(&needle))
        .collect();
    match sort {
        SortMode::Urgency => view.sort_by_cached_key(|&i| {
            let row = &rows[i];
            (
                row.urgency(now, timing),
                row.deadline(now, timing),
                row.name().to_owned(),
            )
        }),
        SortMode::Name => view.sort_by(|&a, &b| rows[a].name().cmp(rows[b].name())),
        SortMode::Cluster => view.sort_by(|&a, &b| {
            // Rows without a cluster go last.
            let key = |r: &Row| (r.cluster().is_none(), r.cluster().map(str::to_owned));
            key(&rows[a])
                .cmp(&key(&rows[b]))
                .then_with(|| rows[a].name().cmp(rows[b].name()))
        }),
    }
    view
}

/// The first visible index so that `selected` is on screen, moving `offset` as little as
/// possible. `height` is the number of rows that fit.
pub(crate) fn window_start(selected: usize, offset: usize, height: usize, len: usize) -> usize {
    if height == 0 || len == 0 {
        return 0;
    }
    let max_start = len.saturating_sub(height);
    let start = if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    };
    start.min(max_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_follows_the_selection() {
        assert_eq!(window_start(0, 0, 10, 100), 0);
        assert_eq!(window_start(9, 0, 10, 100), 0);
        assert_eq!(window_start(10, 0, 10, 100), 1);
        assert_eq!(window_start(50, 45, 10, 100), 45);
        assert_eq!(window_start(3, 45, 10, 100), 3);
        assert_eq!(window_start(99, 0, 10, 100), 90);
        // A stale offset past the end is pulled back.
        assert_eq!(window_start(5, 95, 10, 8), 0);
        assert_eq!(window_start(0, 0, 0, 10), 0);
    }
}
