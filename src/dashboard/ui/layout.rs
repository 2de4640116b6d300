//! Popups, and (re-exported) where each part of the screen goes ([`crate::dashboard::app::layout`]).

use ratatui::layout::Rect;

pub use crate::dashboard::app::layout::{areas, body_of};

/// A centered popup of at most `width` x `height`, inside `area`.
pub(crate) fn popup(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
