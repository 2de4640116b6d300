//! Who watches the dashboard's milestones from outside. The product passes [`Unobserved`]; the
//! benchmark build (`actoken-bench`) passes its start-up probe, which also ends the dashboard
//! once the whole table is on screen. So the runtime itself has no testing switch.

pub trait Observer {
    /// The first frame (drawn before the index is read) is on screen.
    fn first_frame(&mut self) {}
    /// The table holding every loaded row (`rows`) is on screen; true ends the dashboard.
    fn loaded(&mut self, rows: usize) -> bool {
        let _ = rows;
        false
    }
    /// The dashboard has ended and the terminal is restored.
    fn ended(&mut self) {}
}

/// The product's observer: sees nothing, changes nothing.
pub struct Unobserved;

impl Observer for Unobserved {}
