//! Where "now" comes from. Everything that decides by the time of day (the dashboard's loop
//! and tasks, watch's passes, the commands) asks a `Clock` it was handed, never the wall clock
//! directly, so that a test can put the whole program at a fixture's instant.
//!
//! The product runs on [`Clock::system`]. Tests use [`Clock::starting_at`]: it starts at the
//! fixture's instant and then moves with tokio's clock, so a test on tokio's paused clock
//! (`start_paused = true`) sees an hour pass in milliseconds and stays on the fixture's
//! timeline, whatever today's date is.

use jiff::{SignedDuration, Timestamp};

#[derive(Clone, Copy, Debug)]
pub struct Clock(Source);

#[derive(Clone, Copy, Debug)]
enum Source {
    System,
    /// `start` at `origin`, then as much later as tokio's clock has moved since.
    Following {
        start: Timestamp,
        origin: tokio::time::Instant,
    },
}

impl Clock {
    /// The wall clock: the product's clock.
    pub(crate) fn system() -> Clock {
        Clock(Source::System)
    }

    /// A clock that reads `start` now and then advances with tokio's clock (paused or not).
    pub fn starting_at(start: Timestamp) -> Clock {
        Clock(Source::Following {
            start,
            origin: tokio::time::Instant::now(),
        })
    }

    pub(crate) fn now(&self) -> Timestamp {
        match self.0 {
            Source::System => Timestamp::now(),
            Source::Following { start, origin } => {
                let moved =
                    SignedDuration::try_from(origin.elapsed()).unwrap_or(SignedDuration::MAX);
                start.checked_add(moved).unwrap_or(Timestamp::MAX)
            }
        }
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_following_clock_moves_with_tokios_paused_time_from_its_start() {
        let _watchdog = crate::watchdog::arm();
        let start: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
        let clock = Clock::starting_at(start);
        assert_eq!(clock.now(), start);
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(clock.now(), start + SignedDuration::from_hours(1));
    }

    #[test]
    fn the_system_clock_is_the_wall_clock() {
        let before = Timestamp::now();
        let read = Clock::system().now();
        assert!(before <= read && read <= Timestamp::now());
    }
}
