//! Drawing the dashboard: a full `ui::draw` of a large table, and the once-a-second tick.
//! Run with `cargo bench --bench dashboard`. Target: a 1000-row draw into 200x60 ≤ 1 ms.

mod common;

use jiff::SignedDuration;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use actoken::dashboard::app::{self, Action};
use actoken::dashboard::ui;

fn main() {
    divan::main();
}

/// `ui::draw` alone into a cleared 200x60 frame (no diffing, no terminal output).
#[divan::bench(args = [10, 100, 1000, 10_000])]
fn draw(bencher: divan::Bencher, rows: usize) {
    let app = common::app(rows, 200, 60);
    let now = common::now();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    bencher.bench_local(|| {
        let mut frame = terminal.get_frame();
        frame.buffer_mut().reset();
        ui::draw(&mut frame, &app, now);
    });
}

/// What the runtime does each second when nothing but the clock moved: `update(Tick)`, then a
/// `Terminal::draw`, which diffs against the previous frame and writes only changed cells.
#[divan::bench(args = [100, 1000])]
fn tick(bencher: divan::Bencher, rows: usize) {
    let mut app = common::app(rows, 200, 60);
    let mut now = common::now();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    terminal.draw(|f| ui::draw(f, &app, now)).unwrap();
    bencher.bench_local(|| {
        now += SignedDuration::from_secs(1);
        app::update(&mut app, Action::Tick, now);
        terminal.draw(|f| ui::draw(f, &app, now)).unwrap();
    });
}

/// How many cells one tick changes on screen (printed once, for the README): only countdowns.
#[divan::bench(args = [1000], sample_count = 1, sample_size = 1)]
fn tick_changed_cells(rows: usize) -> usize {
    let mut app = common::app(rows, 200, 60);
    let now = common::now();
    let area = Rect::new(0, 0, 200, 60);
    let render = |app: &actoken::dashboard::app::App, now| {
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        terminal.draw(|f| ui::draw(f, app, now)).unwrap();
        terminal.backend().buffer().clone()
    };
    let before: Buffer = render(&app, now);
    let later = now + SignedDuration::from_secs(1);
    app::update(&mut app, Action::Tick, later);
    let after = render(&app, later);
    let changed = before.diff(&after).len();
    let same_instant = before.diff(&render(&app, now)).len();
    eprintln!(
        "tick_changed_cells: {changed} of {} cells change after one second; {same_instant} with no time passing",
        area.area()
    );
    changed
}
