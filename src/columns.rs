//! Column widths for the token tables (the dashboard's and the CLI's), sized to what the
//! visible rows hold: NAME grows to the longest name (up to a share of the width), and when
//! room runs short the other columns give way first: optional ones drop, then the rest shrink
//! towards their floor, and NAME shrinks last. A name is the one thing that tells two rows
//! apart.

/// NAME never takes more than this share of the width (percent), nor less than NAME_FLOOR.
const NAME_SHARE: usize = 45;
pub(crate) const NAME_FLOOR: usize = 10;
/// Columns are separated by one space.
const SPACING: usize = 1;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    /// Widest cell or header, in terminal columns.
    pub wanted: usize,
    /// Narrowest it may become before the name is cut.
    pub floor: usize,
    /// Optional columns drop before anything shrinks; the lowest rank drops first.
    pub drop_rank: Option<u8>,
    /// Takes what is left over (at most one column).
    pub fill: bool,
}

impl Spec {
    pub fn new(wanted: usize, floor: usize) -> Spec {
        Spec {
            wanted,
            floor: floor.min(wanted),
            drop_rank: None,
            fill: false,
        }
    }

    pub(crate) fn optional(self, rank: u8) -> Spec {
        Spec {
            drop_rank: Some(rank),
            ..self
        }
    }

    pub(crate) fn fill(self) -> Spec {
        Spec { fill: true, ..self }
    }
}

fn used(widths: &[Option<usize>]) -> usize {
    let shown: Vec<usize> = widths.iter().flatten().copied().collect();
    shown.iter().sum::<usize>() + SPACING * shown.len().saturating_sub(1)
}

/// Widths for `specs` (the first is NAME) in `total` columns; `None` marks a dropped column.
pub(crate) fn plan(total: usize, specs: &[Spec]) -> Vec<Option<usize>> {
    let name_cap = (total * NAME_SHARE / 100).max(NAME_FLOOR);
    let mut widths: Vec<Option<usize>> = specs.iter().map(|s| Some(s.wanted)).collect();
    if let Some(Some(name)) = widths.first_mut() {
        *name = (*name).min(name_cap);
    }

    let mut optional: Vec<(u8, usize)> = specs
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.drop_rank.map(|r| (r, i)))
        .collect();
    optional.sort();
    for (_, i) in optional {
        if used(&widths) <= total {
            break;
        }
        widths[i] = None;
    }

    // Shrink the other columns one column at a time, the one with most room to give first.
    while used(&widths) > total {
        let giver = (1..specs.len())
            .filter_map(|i| widths[i].map(|w| (w - specs[i].floor, i)))
            .filter(|&(room, _)| room > 0)
            .max();
        match giver {
            Some((_, i)) => widths[i] = widths[i].map(|w| w - 1),
            None => break,
        }
    }
    let over = used(&widths).saturating_sub(total);
    if let Some(Some(name)) = widths.first_mut() {
        *name = name.saturating_sub(over).max(specs[0].floor);
    }

    let spare = total.saturating_sub(used(&widths));
    let taker = specs
        .iter()
        .position(|s| s.fill)
        .filter(|&i| widths[i].is_some())
        .or_else(|| widths.iter().rposition(Option::is_some));
    if let Some(i) = taker {
        widths[i] = widths[i].map(|w| w + spare);
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(name: usize) -> Vec<Spec> {
        vec![
            Spec::new(name, 4),                   // NAME
            Spec::new(16, 4),                     // USER
            Spec::new(7, 5),                      // CLUSTER
            Spec::new(7, 7).optional(2),          // ACCOUNT
            Spec::new(11, 7),                     // STATE
            Spec::new(12, 8),                     // EXPIRES
            Spec::new(17, 8),                     // RENEW CUTOFF
            Spec::new(10, 8).optional(1),         // RENEWED
            Spec::new(16, 16).optional(0).fill(), // NEXT STEP
        ]
    }

    #[test]
    fn every_plan_fits_the_width() {
        for total in 20..=220 {
            for name in [4, 13, 22, 40, 64] {
                let w = plan(total, &specs(name));
                // Below the floors' sum (41 here) the table is clipped at the right edge.
                if total >= 41 {
                    assert_eq!(used(&w), total, "{total} {name}: {w:?}");
                }
            }
        }
    }

    #[test]
    fn a_22_column_name_shows_whole_at_80_and_120() {
        for total in [80, 120] {
            assert_eq!(plan(total, &specs(22))[0], Some(22), "at {total}");
        }
    }

    #[test]
    fn other_columns_give_way_before_the_name() {
        let w = plan(80, &specs(30));
        assert_eq!(w[0], Some(30), "{w:?}");
        assert!(w[1].unwrap() < 16, "USER gave way: {w:?}");
        assert_eq!(w[3], None, "optional columns drop first: {w:?}");
    }

    #[test]
    fn the_name_is_capped_at_its_share() {
        let w = plan(120, &specs(64));
        assert_eq!(w[0], Some(120 * NAME_SHARE / 100), "{w:?}");
    }

    #[test]
    fn optional_columns_appear_when_there_is_room() {
        let w = plan(200, &specs(22));
        assert!(w.iter().all(Option::is_some), "{w:?}");
        assert!(w[8].unwrap() > 16, "NEXT STEP takes the rest: {w:?}");
    }
}
