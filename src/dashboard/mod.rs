//! The dashboard, in three layers with one direction of flow: terminal, timer and network
//! events become [`app::Action`]s, [`app::update`] (pure) turns them into state and
//! [`app::Effect`]s, [`ui::draw`] (pure) renders the state, and [`tui`] is the runtime that
//! owns the terminal, the clock and the tasks that carry effects out.

pub mod app;
pub mod tui;
pub mod ui;
