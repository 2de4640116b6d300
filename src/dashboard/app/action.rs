//! What can happen to the dashboard ([`Action`]) and what it asks the runtime to do
//! ([`Effect`]). Every key, tick and network result becomes an `Action`; `update` turns it into
//! state changes plus `Effect`s, which the runtime executes (in tasks) and answers with Actions.

use crossterm::event::{KeyEvent, MouseEvent};
use jiff::Timestamp;

use super::agent::AgentNews;
use super::failure::TaskError;
use super::row::ServerInfo;
use super::secret::LoginSecret;
use crate::agent::protocol::Decision;
use crate::clipboard::{ClearOutcome, ClipboardKind};
use crate::store::StoredToken;
use crate::token::Token;

/// A successful renewal, already saved by the runtime.
#[derive(Debug, Clone)]
pub struct RenewedInfo {
    /// The new token (the app decodes it once and keeps only claims and a mask).
    pub token: Token,
    pub renewed_at: Timestamp,
}

#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Bracketed paste (the add form's token field takes it whole).
    Paste(String),
    /// Once a second: countdowns, toasts, clipboard clearing, auto-renew.
    Tick,
    Resize {
        width: u16,
        height: u16,
    },
    /// Every stored token, from the store (the first load, and after `Effect::Reload`).
    Loaded(Vec<StoredToken>),
    /// A renewal finished. `Err` holds a user-facing message (what happened, what to do).
    Renewed {
        name: String,
        result: Result<RenewedInfo, TaskError>,
    },
    Copied {
        name: String,
        result: Result<ClipboardKind, TaskError>,
    },
    ClipboardCleared(Result<ClearOutcome, TaskError>),
    Added {
        name: String,
        result: Result<(), TaskError>,
    },
    Deleted {
        name: String,
        result: Result<(), TaskError>,
    },
    /// `L` found no remembered key for the row's account: ask the user (`prompt` says what).
    LoginNeedsSecret {
        name: String,
        prompt: String,
    },
    /// A "log in again" finished: `Ok` holds a summary ("3 tokens stored for alice").
    LoggedIn {
        name: String,
        result: Result<String, TaskError>,
    },
    /// The store found the keyring changed behind our back and corrected the index; the text
    /// says what happened. The rows are read again.
    IndexHealed(String),
    /// The store could not be read again (a corrupt or unreadable index): the rows stay as
    /// they were; the status line says why.
    StoreProblem(TaskError),
    /// SIGTERM or SIGHUP: quit as `q` does (waiting for renewals in flight first).
    QuitRequested,
    /// The region's server answered `center` and `tokens/state` for this token.
    Inspected {
        name: String,
        /// Boxed: large, and every `Action` is as large as its largest variant.
        info: Box<ServerInfo>,
    },
    /// The agent beside the dashboard: connected, an event, gone.
    Agent(AgentNews),
    /// The agent took (or refused) the answer to pending request `id`.
    Decided {
        id: u64,
        decision: Decision,
        result: Result<(), TaskError>,
    },
}

/// Work for the runtime. Nothing here blocks `update`; results come back as Actions.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Renew these tokens (each in its own task; answer each with `Action::Renewed`).
    Renew(Vec<String>),
    /// Copy this token (answer with `Action::Copied`).
    Copy { name: String },
    /// Clear the clipboard if it still holds the copied token (answer `ClipboardCleared`).
    ClearClipboard,
    /// Save a new token (answer `Action::Added`; then `Loaded` follows a `Reload`).
    Add {
        name: String,
        base_url: String,
        note: Option<String>,
        token: Token,
    },
    /// Remove a token from the store (answer `Action::Deleted`).
    Delete(String),
    /// Log in again for the account that owns this token: with the remembered key when
    /// `secret` is None (answer `LoginNeedsSecret` if there is none), else with `secret`.
    /// Answer `LoggedIn`.
    Login {
        name: String,
        secret: Option<LoginSecret>,
    },
    /// Ask the region's server about this token (`center`, `tokens/state`); answer with
    /// `Action::Inspected`.
    Inspect(String),
    /// Answer the agent's pending request `id` (answer with `Action::Decided`).
    Decide { id: u64, decision: Decision },
    /// Read every token again and answer with `Action::Loaded`.
    Reload,
    /// Restore the terminal and exit.
    Quit,
    /// Quitting: renewals still waiting for a `concurrency` slot are not started (each
    /// answers `Renewed` with an error); those already talking to the server finish.
    StopQueued,
    /// Ctrl-Z: restore the terminal and stop until `fg` (the loop does this itself).
    Suspend,
}
