//! Dashboard state and its one entry point, [`update`]: pure, no I/O, no clock reads (the
//! instant is passed in), so every behaviour is testable headlessly.

mod action;
mod advice;
pub mod agent;
#[cfg(test)]
mod agent_tests;
pub mod approval;
pub mod autorenew;
mod confirm;
pub mod failure;
mod filter;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod form;
mod help;
pub mod layout;
mod modal;
pub mod quit;
pub mod row;
pub mod secret;
#[cfg(test)]
mod tests;
mod update;
pub mod view;

pub use action::{Action, Effect, RenewedInfo};
pub use agent::{AgentNews, AgentView};
pub use approval::Approval;
pub use confirm::Confirm;
pub use failure::{FailureKind, TaskError};
pub use form::{AddForm, Field};
pub use row::{Row, RowKind, RowStatus, ServerInfo, ServerView, Timing, Urgency};
pub use secret::{LoginSecret, SecretPrompt};
pub use update::update;
pub use view::SortMode;

use jiff::{SignedDuration, Timestamp, tz::TimeZone};

use crate::config::Config;
use crate::keymap::Keymap;

/// Which screen has the keyboard.
#[derive(Debug)]
pub enum Mode {
    Normal,
    Help {
        scroll: u16,
    },
    Filter,
    Add(AddForm),
    Confirm(Confirm),
    /// "Log in again" asks for the account's secret key or password.
    Secret(SecretPrompt),
    /// The agent beside the dashboard holds a token request for an answer.
    Approval(Approval),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A message on the status line that goes away by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub level: Level,
    pub text: String,
    pub until: Timestamp,
}

/// The settings the dashboard uses, taken from the config once.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub timing: Timing,
    /// How long a copied token stays on the clipboard; zero or less: never cleared.
    pub clipboard_clear: SignedDuration,
    pub default_base_url: Option<String>,
}

impl Settings {
    pub fn from_config(c: &Config) -> Settings {
        Settings {
            timing: Timing {
                renew_grace: c.renew_grace,
                renew_ahead: c.renew_ahead,
            },
            clipboard_clear: c.clipboard_clear,
            default_base_url: c.base_url.clone(),
        }
    }
}

/// The whole dashboard state. `ui::draw` reads it; only `update` changes it.
#[derive(Debug)]
pub struct App {
    pub settings: Settings,
    /// Local time zone for absolute times (UTC in tests, so snapshots are stable).
    pub tz: TimeZone,
    /// Demo mode: mock server and in-memory store (shown in the title).
    pub demo: bool,
    /// False when NO_COLOR is set: styles then use only bold/dim/reverse.
    pub color: bool,
    pub rows: Vec<Row>,
    /// False until the first `Loaded`: shows "loading" instead of the empty state.
    pub loaded: bool,
    /// Indices into `rows`, filtered and sorted.
    pub view: Vec<usize>,
    /// Index into `view`.
    pub selected: usize,
    /// First visible index into `view` (kept by `update`; `draw` re-checks it).
    pub offset: usize,
    pub sort: SortMode,
    pub filter: String,
    pub mode: Mode,
    pub toast: Option<Toast>,
    pub auto_renew: bool,
    pub show_details: bool,
    /// Terminal size, for mouse hit-testing and paging.
    pub size: (u16, u16),
    /// When the copied token is to be cleared from the clipboard, and which one it was.
    pub clipboard: Option<(String, Timestamp)>,
    /// The user asked to quit while renewals or logins were in flight: quit when they end.
    pub quitting: bool,
    /// Renewals and logins a second quit left unfinished (said after the terminal is back).
    pub abandoned: Vec<String>,
    /// "Log in again" prompts that arrived while another dialog was open: shown in turn, so
    /// nothing the user is typing is thrown away.
    pub pending_prompts: std::collections::VecDeque<SecretPrompt>,
    /// The agent running beside the dashboard, if one answers: its last requests and the
    /// approvals it waits for.
    pub agent: AgentView,
    /// The key table from the config: key dispatch, the help screen and every hint read it.
    pub keymap: Keymap,
}

impl App {
    pub fn new(config: &Config, tz: TimeZone, demo: bool, color: bool) -> App {
        App {
            settings: Settings::from_config(config),
            tz,
            demo,
            color,
            rows: Vec::new(),
            loaded: false,
            view: Vec::new(),
            selected: 0,
            offset: 0,
            sort: SortMode::default(),
            filter: String::new(),
            mode: Mode::Normal,
            toast: None,
            auto_renew: config.auto_renew,
            show_details: false,
            size: (80, 24),
            clipboard: None,
            quitting: false,
            abandoned: Vec::new(),
            pending_prompts: Default::default(),
            agent: AgentView::default(),
            keymap: config.keymap.clone(),
        }
    }

    /// The selected row, if the view is not empty.
    pub(crate) fn selected_row(&self) -> Option<&Row> {
        self.view.get(self.selected).map(|&i| &self.rows[i])
    }

    #[cfg(test)]
    pub(crate) fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.name() == name)
    }

    pub(crate) fn row_mut(&mut self, name: &str) -> Option<&mut Row> {
        self.rows.iter_mut().find(|r| r.name() == name)
    }

    /// How many rows need the user now (anything but calm).
    pub(crate) fn needing_action(&self, now: Timestamp) -> usize {
        self.rows
            .iter()
            .filter(|r| r.urgency(now, self.settings.timing) != Urgency::Calm)
            .count()
    }

    pub(crate) fn renewing_count(&self) -> usize {
        self.rows.iter().filter(|r| r.is_renewing()).count()
    }
}
