//! Every key binding of the dashboard, as data. [`BINDINGS`] are the defaults; a [`Keymap`]
//! built from them and the `[keys]` table of `config.toml` is what the App holds. The key
//! handler (`app::update`), the help screen, the status bar and every hint in a message read
//! that one Keymap, so no word on screen can drift from what the keys do.

mod names;
mod parse;
mod rebind;

pub use rebind::{KeySpec, KeysTable};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Where a binding applies: the dashboard itself or one of its modal screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Normal,
    Filter,
    AddForm,
    Confirm,
    Secret,
    /// The agent asks whether to hand out a token (`agent --confirm`).
    Approval,
    Help,
}

impl Context {
    pub(crate) const ALL: [Context; 7] = [
        Context::Normal,
        Context::Filter,
        Context::AddForm,
        Context::Confirm,
        Context::Secret,
        Context::Approval,
        Context::Help,
    ];
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
    /// Show or hide the panel of the agent's last requests.
    ToggleAgent,
    /// Open the approval dialog again for a request the agent is still holding.
    ShowApproval,
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
    // Approval (the agent holds a token request for a person's answer)
    ApproveOnce,
    ApproveFor30Min,
    ApproveDeny,
    /// Close the dialog without answering: the request stays pending until its deadline.
    ApproveLater,
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
    pub(crate) fn matches(&self, ev: &KeyEvent) -> bool {
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
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        let alt = if self.mods.contains(KeyModifiers::ALT) {
            "Alt-"
        } else {
            ""
        };
        let ctrl = if self.mods.contains(KeyModifiers::CONTROL) {
            "Ctrl-"
        } else {
            ""
        };
        format!("{ctrl}{alt}{base}")
    }
}

/// A default binding: the keys that trigger a command in a context.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub command: Command,
}

const fn bind(context: Context, keys: &'static [Key], command: Command) -> Binding {
    Binding {
        context,
        keys,
        command,
    }
}

use Command as C;
use Context::{AddForm, Approval, Confirm, Filter, Help, Normal, Secret};

/// The default key table, in the order the help screen shows it. The first key of each
/// binding is the one hints name ("press r"), so it is the most memorable one.
pub(crate) const BINDINGS: &[Binding] = &[
    bind(Normal, &[ch('k'), plain(KeyCode::Up)], C::Up),
    bind(Normal, &[ch('j'), plain(KeyCode::Down)], C::Down),
    bind(Normal, &[ch('g'), plain(KeyCode::Home)], C::Top),
    bind(Normal, &[ch('G'), plain(KeyCode::End)], C::Bottom),
    bind(Normal, &[plain(KeyCode::PageUp)], C::PageUp),
    bind(Normal, &[plain(KeyCode::PageDown)], C::PageDown),
    bind(Normal, &[ch('r')], C::Renew),
    bind(Normal, &[ch('R')], C::RenewDue),
    bind(Normal, &[ch('c'), ch('y')], C::Copy),
    bind(Normal, &[plain(KeyCode::Enter)], C::ToggleDetails),
    bind(Normal, &[ch('/')], C::StartFilter),
    bind(Normal, &[ch('a')], C::StartAdd),
    bind(Normal, &[ch('d')], C::Delete),
    bind(Normal, &[ch('s')], C::CycleSort),
    bind(Normal, &[ch('A')], C::ToggleAutoRenew),
    bind(Normal, &[ch('L')], C::Login),
    bind(Normal, &[ch('p')], C::ToggleAgent),
    bind(Normal, &[ch('!')], C::ShowApproval),
    bind(Normal, &[ch('?')], C::Help),
    bind(Normal, &[plain(KeyCode::Esc)], C::Back),
    bind(Normal, &[ch('q'), ctrl('c')], C::Quit),
    bind(Normal, &[ctrl('z')], C::Suspend),
    bind(Filter, &[plain(KeyCode::Enter)], C::FilterKeep),
    bind(Filter, &[plain(KeyCode::Esc)], C::FilterClear),
    bind(Filter, &[plain(KeyCode::Backspace)], C::FilterErase),
    bind(
        AddForm,
        &[plain(KeyCode::Tab), plain(KeyCode::Down)],
        C::FormNext,
    ),
    bind(
        AddForm,
        &[plain(KeyCode::BackTab), plain(KeyCode::Up)],
        C::FormPrev,
    ),
    bind(AddForm, &[plain(KeyCode::Enter)], C::FormSubmit),
    bind(AddForm, &[plain(KeyCode::Esc), ctrl('c')], C::FormCancel),
    bind(AddForm, &[plain(KeyCode::Backspace)], C::FormErase),
    bind(AddForm, &[ctrl('u')], C::FormClearField),
    bind(Secret, &[plain(KeyCode::Enter)], C::SecretSubmit),
    bind(Secret, &[plain(KeyCode::Esc), ctrl('c')], C::SecretCancel),
    bind(Secret, &[plain(KeyCode::Backspace)], C::SecretErase),
    bind(Confirm, &[ch('y'), plain(KeyCode::Enter)], C::ConfirmYes),
    bind(
        Confirm,
        &[ch('n'), plain(KeyCode::Esc), ctrl('c')],
        C::ConfirmNo,
    ),
    bind(Approval, &[ch('y')], C::ApproveOnce),
    bind(Approval, &[ch('a')], C::ApproveFor30Min),
    bind(Approval, &[ch('n')], C::ApproveDeny),
    bind(Approval, &[plain(KeyCode::Esc), ctrl('c')], C::ApproveLater),
    bind(Help, &[ch('j'), plain(KeyCode::Down)], C::HelpDown),
    bind(Help, &[ch('k'), plain(KeyCode::Up)], C::HelpUp),
    bind(
        Help,
        &[plain(KeyCode::Esc), ch('?'), ch('q'), ctrl('c')],
        C::CloseHelp,
    ),
];

/// The key table in use: the defaults with the user's `[keys]` rebindings applied. The App
/// holds one; key dispatch, the help screen and every hint read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// One entry per command, in the help screen's order.
    bindings: Vec<(Command, Vec<Key>)>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap {
            bindings: BINDINGS
                .iter()
                .map(|b| (b.command, b.keys.to_vec()))
                .collect(),
        }
    }
}

impl Keymap {
    /// The command a key press means in `context`, if any. Key releases are ignored.
    pub(crate) fn lookup(&self, context: Context, ev: &KeyEvent) -> Option<Command> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        self.bindings_for(context)
            .find(|(_, keys)| keys.iter().any(|k| k.matches(ev)))
            .map(|(cmd, _)| cmd)
    }

    /// The bindings of one context, in the help screen's order.
    pub(crate) fn bindings_for(&self, context: Context) -> impl Iterator<Item = (Command, &[Key])> {
        self.bindings
            .iter()
            .filter(move |(cmd, _)| cmd.context() == context)
            .map(|(cmd, keys)| (*cmd, keys.as_slice()))
    }

    /// The keys bound to `command` (in `context`); first the one hints name.
    pub(crate) fn keys(&self, context: Context, command: Command) -> &[Key] {
        self.bindings
            .iter()
            .find(|(cmd, _)| *cmd == command && cmd.context() == context)
            .map_or(&[], |(_, keys)| keys.as_slice())
    }

    /// How hints name `command`: the label of its first key, e.g. "r" or "Ctrl-c".
    pub fn label(&self, context: Context, command: Command) -> String {
        self.keys(context, command)
            .first()
            .map(Key::label)
            .unwrap_or_default()
    }

    /// The labels of the first `n` keys of `command`, joined by "/", e.g. "n/Esc".
    pub(crate) fn labels(&self, context: Context, command: Command, n: usize) -> String {
        let labels: Vec<String> = self
            .keys(context, command)
            .iter()
            .take(n)
            .map(Key::label)
            .collect();
        labels.join("/")
    }

    /// Binds `command` to exactly `keys` (a rebinding from the config).
    fn rebind(&mut self, command: Command, keys: Vec<Key>) {
        if let Some(entry) = self.bindings.iter_mut().find(|(c, _)| *c == command) {
            entry.1 = keys;
        }
    }

    /// Two commands of one context that share a key: (key, first command, second command).
    fn conflict(&self) -> Option<(Key, Command, Command)> {
        for (i, (a, keys_a)) in self.bindings.iter().enumerate() {
            for (b, keys_b) in &self.bindings[i + 1..] {
                if a.context() != b.context() {
                    continue;
                }
                if let Some(key) = keys_a.iter().find(|k| keys_b.contains(k)) {
                    return Some((*key, *a, *b));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    fn lookup(context: Context, ev: &KeyEvent) -> Option<Command> {
        Keymap::default().lookup(context, ev)
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
    fn labels_read_like_keys() {
        assert_eq!(ctrl('c').label(), "Ctrl-c");
        assert_eq!(plain(KeyCode::PageDown).label(), "PgDn");
        assert_eq!(ch('?').label(), "?");
    }
}
