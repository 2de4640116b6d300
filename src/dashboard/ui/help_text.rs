//! The help screen's words in the interface language. One arm per context and per command:
//! the matches are exhaustive, so a new binding does not compile until it has its text (in
//! both catalogs: `tests/it/catalogs.rs` checks that). Keys named in the words come from the
//! App's key table.

use crate::keymap::{Command, Context, Keymap};
use crate::tr;

/// A context's heading; a modal's names the key that opens it, e.g. "Filter (/)".
pub(crate) fn title(ctx: Context, keys: &Keymap) -> String {
    let key = |cmd| keys.label(Context::Normal, cmd);
    match ctx {
        Context::Normal => tr!("keys.title_normal"),
        Context::Filter => tr!("keys.title_filter", key = key(Command::StartFilter)),
        Context::AddForm => tr!("keys.title_add", key = key(Command::StartAdd)),
        Context::Confirm => tr!("keys.title_confirm"),
        Context::Secret => tr!("keys.title_secret", key = key(Command::Login)),
        Context::Approval => tr!("keys.title_approval", key = key(Command::ShowApproval)),
        Context::Help => tr!("keys.title_help"),
    }
}

/// What a command does, for the help line; `renew_ahead` fills the renew-ahead window.
pub(crate) fn help(cmd: Command, renew_ahead: &str, keys: &Keymap) -> String {
    use Command as C;
    match cmd {
        C::Up => tr!("keys.up"),
        C::Down => tr!("keys.down"),
        C::Top => tr!("keys.top"),
        C::Bottom => tr!("keys.bottom"),
        C::PageUp => tr!("keys.page_up"),
        C::PageDown => tr!("keys.page_down"),
        C::Renew => tr!("keys.renew", login = keys.label(Context::Normal, C::Login)),
        C::RenewDue => tr!("keys.renew_due", renew_ahead = renew_ahead),
        C::Copy => tr!("keys.copy"),
        C::ToggleDetails => tr!("keys.details"),
        C::StartFilter => tr!("keys.filter"),
        C::StartAdd => tr!("keys.add"),
        C::Delete => tr!("keys.delete"),
        C::CycleSort => tr!("keys.sort"),
        C::ToggleAutoRenew => tr!("keys.auto_renew"),
        C::Login => tr!("keys.login"),
        C::ToggleAgent => tr!("keys.agent_panel"),
        C::ShowApproval => tr!("keys.approval"),
        C::Help => tr!("keys.help"),
        C::Back => tr!("keys.back"),
        C::Quit => tr!("keys.quit"),
        C::Suspend => tr!("keys.suspend"),
        C::FilterKeep => tr!("keys.filter_keep"),
        C::FilterClear => tr!("keys.filter_clear"),
        C::FilterErase | C::FormErase | C::SecretErase => tr!("keys.erase"),
        C::FormNext => tr!("keys.form_next"),
        C::FormPrev => tr!("keys.form_prev"),
        C::FormSubmit => tr!("keys.form_submit"),
        C::FormCancel | C::SecretCancel => tr!("keys.cancel"),
        C::FormClearField => tr!("keys.form_clear"),
        C::SecretSubmit => tr!("keys.secret_submit"),
        C::ConfirmYes => tr!("keys.yes"),
        C::ConfirmNo => tr!("keys.no"),
        C::ApproveOnce => tr!("keys.approve_once"),
        C::ApproveFor30Min => tr!("keys.approve_30_min"),
        C::ApproveDeny => tr!("keys.approve_deny"),
        C::ApproveLater => tr!("keys.approve_later"),
        C::HelpDown => tr!("keys.help_down"),
        C::HelpUp => tr!("keys.help_up"),
        C::CloseHelp => tr!("keys.close"),
    }
}
