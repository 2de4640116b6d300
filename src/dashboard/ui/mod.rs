//! `draw`: renders the App at instant `now`. Pure: no I/O, no clock reads; widgets live one per
//! file and read the App only.

mod add;
mod agent;
#[cfg(test)]
mod agent_tests;
mod approval;
mod confirm;
mod details;
mod dialog;
mod filter;
mod header;
mod help;
mod help_text;
pub mod layout;
pub mod palette;
#[cfg(test)]
mod picture;
mod secret;
mod status;
mod table;
#[cfg(test)]
mod tests;
pub mod text;

use jiff::Timestamp;
use ratatui::Frame;

use crate::dashboard::app::{App, Mode};
pub use palette::Palette;

pub fn draw(frame: &mut Frame, app: &App, now: Timestamp) {
    let p = Palette::new(app.color);
    let area = frame.area();
    let a = layout::areas(area, app);
    header::render(frame, a.header, app, &p);
    table::render(frame, a.table, app, now, &p);
    if let Some(d) = a.details {
        details::render(frame, d, app, now, &p);
    }
    if let Some(panel) = a.agent {
        agent::render(frame, panel, app, now, &p);
    }
    if matches!(app.mode, Mode::Filter) {
        filter::render(frame, a.message, app, &p);
    } else {
        status::render_message(frame, a.message, app, now, &p);
    }
    status::render_bar(frame, a.status, app, now, &p);
    match &app.mode {
        Mode::Help { scroll } => help::render(frame, area, app, *scroll, &p),
        Mode::Add(form) => add::render(frame, area, form, &app.keymap, &p),
        Mode::Confirm(c) => confirm::render(frame, area, c, &app.keymap, &p),
        Mode::Secret(prompt) => secret::render(frame, area, prompt, &app.keymap, &p),
        Mode::Approval(approval) => approval::render(frame, area, app, approval, now, &p),
        Mode::Normal | Mode::Filter => {}
    }
}
