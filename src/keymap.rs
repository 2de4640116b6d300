//! Every key binding of the dashboard, as data. The key handler (`app::update`) and the help
//! screen (`ui::help`) both read [`BINDINGS`], so the help can never drift from what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Where a binding applies: the dashboard itself or one of its modal screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Normal,
    Filter,
    AddForm,
    Confirm,
    Secret,
    Help,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Normal => "Dashboard",
            Context::Filter => "Filter (/)",
            Context::AddForm => "Add a token (a)",
            Context::Confirm => "Confirmations",
            Context::Secret => "Log in again (L)",
            Context::Help => "This help",
        }
    }
}

/// What a key asks for. Text typed into the filter or the add form is not a command: keys
/// without a binding there are taken as input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Renew,
    RenewDue,
    Copy,
    ToggleDetails,
    StartFilter,
    StartAdd,
    Delete,
    CycleSort,
    ToggleAutoRenew,
    Login,
    Help,
    /// Esc at the top level: clears the filter or closes details first, quits otherwise.
    Back,
    Quit,
    Suspend,
    // Filter
    FilterKeep,
    FilterClear,
    FilterErase,
    // Add form
    FormNext,
    FormPrev,
    FormSubmit,
    FormCancel,
    FormErase,
    FormClearField,
    // Secret prompt
    SecretSubmit,
    SecretCancel,
    SecretErase,
    // Confirm
    ConfirmYes,
    ConfirmNo,
    // Help
    HelpDown,
    HelpUp,
    CloseHelp,
}

/// One key: a code plus the modifiers that must be held. For characters, Shift is ignored
/// (terminals disagree on whether `R` arrives with SHIFT set); the character says it all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn plain(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    plain(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

impl Key {
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let mods = match ev.code {
            KeyCode::Char(_) => ev.modifiers - KeyModifiers::SHIFT,
            // Shift-Tab arrives as BackTab, with or without SHIFT.
            KeyCode::BackTab => ev.modifiers - KeyModifiers::SHIFT,
            _ => ev.modifiers,
        };
        self.code == ev.code && self.mods == mods
    }

    /// How the key is written in the help screen.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "Shift-Tab".to_owned(),
            KeyCode::Backspace => "Backspace".to_owned(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// A binding: the keys that trigger a command in a context, and its line in the help screen.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub command: Command,
    /// Help text. `{renew_ahead}` is replaced by the configured renew-ahead window.
    pub help: &'static str,
}

const fn bind(
    context: Context,
    keys: &'static [Key],
    command: Command,
    help: &'static str,
) -> Binding {
    Binding {
        context,
        keys,
        command,
        help,
    }
}

use Command as C;
use Context::{AddForm, Confirm, Filter, Help, Normal, Secret};

/// The whole key table, in the order the help screen shows it.
pub const BINDINGS: &[Binding] = &[
    bind(Normal, &[ch('k'), plain(KeyCode::Up)], C::Up, "move up"),
    bind(
        Normal,
        &[ch('j'), plain(KeyCode::Down)],
        C::Down,
        "move down",
    ),
    bind(
        Normal,
        &[ch('g'), plain(KeyCode::Home)],
        C::Top,
        "first token",
    ),
    bind(
        Normal,
        &[ch('G'), plain(KeyCode::End)],
        C::Bottom,
        "last token",
    ),
    bind(Normal, &[plain(KeyCode::PageUp)], C::PageUp, "page up"),
    bind(
        Normal,
        &[plain(KeyCode::PageDown)],
        C::PageDown,
        "page down",
    ),
    bind(
        Normal,
        &[ch('r')],
        C::Renew,
        "renew the selected token (a dead one: log in again, as L)",
    ),
    bind(
        Normal,
        &[ch('R')],
        C::RenewDue,
        "renew all expired-but-renewable or expiring within {renew_ahead}",
    ),
    bind(
        Normal,
        &[ch('c'), ch('y')],
        C::Copy,
        "copy the selected token to the clipboard",
    ),
    bind(
        Normal,
        &[plain(KeyCode::Enter)],
        C::ToggleDetails,
        "show/hide details (all claims, times, base URL)",
    ),
    bind(
        Normal,
        &[ch('/')],
        C::StartFilter,
        "filter by name, user or cluster",
    ),
    bind(Normal, &[ch('a')], C::StartAdd, "add a token (paste it)"),
    bind(
        Normal,
        &[ch('d')],
        C::Delete,
        "delete the selected token (asks first)",
    ),
    bind(
        Normal,
        &[ch('s')],
        C::CycleSort,
        "sort by urgency, name, cluster",
    ),
    bind(
        Normal,
        &[ch('A')],
        C::ToggleAutoRenew,
        "auto-renew on/off while the dashboard is open",
    ),
    bind(
        Normal,
        &[ch('L')],
        C::Login,
        "log in again for the selected token's account (dead or rejected tokens)",
    ),
    bind(Normal, &[ch('?')], C::Help, "this help"),
    bind(
        Normal,
        &[plain(KeyCode::Esc)],
        C::Back,
        "clear filter / close details; quit when nothing is open",
    ),
    bind(Normal, &[ch('q'), ctrl('c')], C::Quit, "quit"),
    bind(
        Normal,
        &[ctrl('z')],
        C::Suspend,
        "suspend to the shell (`fg` brings it back)",
    ),
    bind(
        Filter,
        &[plain(KeyCode::Enter)],
        C::FilterKeep,
        "keep the filter",
    ),
    bind(
        Filter,
        &[plain(KeyCode::Esc)],
        C::FilterClear,
        "clear the filter",
    ),
    bind(
        Filter,
        &[plain(KeyCode::Backspace)],
        C::FilterErase,
        "erase a character",
    ),
    bind(
        AddForm,
        &[plain(KeyCode::Tab), plain(KeyCode::Down)],
        C::FormNext,
        "next field",
    ),
    bind(
        AddForm,
        &[plain(KeyCode::BackTab), plain(KeyCode::Up)],
        C::FormPrev,
        "previous field",
    ),
    bind(
        AddForm,
        &[plain(KeyCode::Enter)],
        C::FormSubmit,
        "check and save the token",
    ),
    bind(
        AddForm,
        &[plain(KeyCode::Esc), ctrl('c')],
        C::FormCancel,
        "cancel",
    ),
    bind(
        AddForm,
        &[plain(KeyCode::Backspace)],
        C::FormErase,
        "erase a character",
    ),
    bind(AddForm, &[ctrl('u')], C::FormClearField, "clear the field"),
    bind(
        Secret,
        &[plain(KeyCode::Enter)],
        C::SecretSubmit,
        "log in (the secret key is then remembered in the keyring)",
    ),
    bind(
        Secret,
        &[plain(KeyCode::Esc), ctrl('c')],
        C::SecretCancel,
        "cancel",
    ),
    bind(
        Secret,
        &[plain(KeyCode::Backspace)],
        C::SecretErase,
        "erase a character",
    ),
    bind(
        Confirm,
        &[ch('y'), plain(KeyCode::Enter)],
        C::ConfirmYes,
        "yes, go ahead",
    ),
    bind(
        Confirm,
        &[ch('n'), plain(KeyCode::Esc), ctrl('c')],
        C::ConfirmNo,
        "no, cancel",
    ),
    bind(
        Help,
        &[ch('j'), plain(KeyCode::Down)],
        C::HelpDown,
        "scroll down",
    ),
    bind(Help, &[ch('k'), plain(KeyCode::Up)], C::HelpUp, "scroll up"),
    bind(
        Help,
        &[ch('?'), ch('q'), plain(KeyCode::Esc), ctrl('c')],
        C::CloseHelp,
        "close",
    ),
];

/// The command a key press means in `context`, if any. Key releases are ignored.
pub fn lookup(context: Context, ev: &KeyEvent) -> Option<Command> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.command)
}

/// The bindings of one context, for the help screen.
pub fn bindings_for(context: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.context == context)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn vim_keys_and_arrows_move() {
        let k = key(KeyCode::Char('k'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Normal, &k), Some(Command::Up));
        let up = key(KeyCode::Up, KeyModifiers::NONE);
        assert_eq!(lookup(Context::Normal, &up), Some(Command::Up));
        let g = key(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(Context::Normal, &g), Some(Command::Bottom));
    }

    #[test]
    fn ctrl_c_quits_and_is_not_copy() {
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(Context::Normal, &ctrl_c), Some(Command::Quit));
        let c = key(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Normal, &c), Some(Command::Copy));
    }

    #[test]
    fn capital_r_is_renew_due_with_or_without_shift_flag() {
        for mods in [KeyModifiers::NONE, KeyModifiers::SHIFT] {
            let ev = key(KeyCode::Char('R'), mods);
            assert_eq!(lookup(Context::Normal, &ev), Some(Command::RenewDue));
        }
        let r = key(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Normal, &r), Some(Command::Renew));
    }

    #[test]
    fn letters_are_text_in_the_filter() {
        let j = key(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Filter, &j), None);
        assert_eq!(lookup(Context::AddForm, &j), None);
    }

    #[test]
    fn releases_are_ignored() {
        let mut ev = key(KeyCode::Char('q'), KeyModifiers::NONE);
        ev.kind = KeyEventKind::Release;
        assert_eq!(lookup(Context::Normal, &ev), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_a_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.context != b.context {
                    continue;
                }
                for ka in a.keys {
                    assert!(
                        !b.keys.contains(ka),
                        "{} bound to both {:?} and {:?}",
                        ka.label(),
                        a.command,
                        b.command
                    );
                }
            }
        }
    }

    #[test]
    fn labels_read_like_keys() {
        assert_eq!(ctrl('c').label(), "Ctrl-c");
        assert_eq!(plain(KeyCode::PageDown).label(), "PgDn");
        assert_eq!(ch('?').label(), "?");
    }
}
