//! A probe for the whole-process benchmark (`scripts/bench.sh`), only in builds with the
//! `testing` feature: the `actoken-bench` binary hands it to the dashboard as its observer.
//! with `ACTOKEN_BENCH_EXIT_AFTER_LOAD=1` the dashboard quits right after drawing the first
//! frame that holds every loaded row, and prints one line to stderr:
//!
//! `actoken-bench rows=N main_unix_us=T first_frame_ms=A full_table_ms=B`
//!
//! `main_unix_us` is the wall clock when `main` began (the script subtracts its own launch time
//! to add exec and dynamic-loading cost); `first_frame_ms` and `full_table_ms` count from there.
//! The line holds counts and times only, never a token.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::dashboard::tui::{Observer, Unobserved};

pub(crate) const ENV: &str = "ACTOKEN_BENCH_EXIT_AFTER_LOAD";

static MAIN_START: OnceLock<(Instant, SystemTime)> = OnceLock::new();

/// Records when the process reached `main`; call it first thing. Later calls do nothing.
pub fn mark_main_start() {
    MAIN_START.get_or_init(|| (Instant::now(), SystemTime::now()));
}

/// Timestamps of one benchmarked dashboard run.
#[derive(Debug)]
pub struct Probe {
    start: Instant,
    start_wall: SystemTime,
    first_frame: Option<Duration>,
}

impl Probe {
    /// A probe when the knob is set to `1`, else `None` (the dashboard runs normally).
    pub(crate) fn from_env() -> Option<Probe> {
        if std::env::var_os(ENV).is_none_or(|v| v != "1") {
            return None;
        }
        let &(start, start_wall) = MAIN_START.get_or_init(|| (Instant::now(), SystemTime::now()));
        Some(Probe {
            start,
            start_wall,
            first_frame: None,
        })
    }

    /// The first frame (drawn before the keyring is read) is on screen.
    pub(crate) fn first_frame(&mut self) {
        self.first_frame.get_or_insert_with(|| self.start.elapsed());
    }

    /// The dashboard's observer for this run: the probe when the knob is set, else none.
    pub fn observer_from_env() -> Box<dyn Observer> {
        match Probe::from_env() {
            Some(probe) => Box::new(Observing {
                probe,
                report: None,
            }),
            None => Box::new(Unobserved),
        }
    }

    /// The full table is on screen: the line the bench script parses.
    pub(crate) fn report(&self, rows: usize) -> String {
        let full = self.start.elapsed();
        let first = self.first_frame.unwrap_or(full);
        let unix_us = self
            .start_wall
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros();
        format!(
            "actoken-bench rows={rows} main_unix_us={unix_us} first_frame_ms={:.3} full_table_ms={:.3}",
            ms(first),
            ms(full)
        )
    }
}

/// The probe at work: it ends the dashboard at the full table, and prints its line once the
/// terminal is restored.
struct Observing {
    probe: Probe,
    report: Option<String>,
}

impl Observer for Observing {
    fn first_frame(&mut self) {
        self.probe.first_frame();
    }
    fn loaded(&mut self, rows: usize) -> bool {
        self.report = Some(self.probe.report(rows));
        true
    }
    fn ended(&mut self) {
        if let Some(line) = self.report.take() {
            eprintln!("{line}");
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_orders_the_instants_and_names_the_rows() {
        let mut probe = Probe {
            start: Instant::now(),
            start_wall: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            first_frame: None,
        };
        probe.first_frame();
        std::thread::sleep(Duration::from_millis(2));
        let line = probe.report(42);
        let field = |key: &str| -> f64 {
            let tail = line.split(&format!("{key}=")).nth(1).expect(key);
            tail.split(' ').next().unwrap().parse().unwrap()
        };
        assert!(line.starts_with("actoken-bench rows=42 main_unix_us=1700000000000000 "));
        assert!(
            field("full_table_ms") >= field("first_frame_ms") + 1.0,
            "{line}"
        );
    }
}
