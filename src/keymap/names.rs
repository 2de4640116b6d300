//! The stable names of commands in the `[keys]` table of `config.toml` (documented in the
//! README; renaming one breaks users' configs), and the context each command belongs to.

use super::{Command, Context};

use Command as C;

/// Every command with its config name, in the help screen's order.
pub(crate) const NAMES: &[(Command, &str)] = &[
    (C::Up, "up"),
    (C::Down, "down"),
    (C::Top, "top"),
    (C::Bottom, "bottom"),
    (C::PageUp, "page-up"),
    (C::PageDown, "page-down"),
    (C::Renew, "renew"),
    (C::RenewDue, "renew-due"),
    (C::Copy, "copy"),
    (C::ToggleDetails, "details"),
    (C::StartFilter, "filter"),
    (C::StartAdd, "add"),
    (C::Delete, "delete"),
    (C::CycleSort, "sort"),
    (C::ToggleAutoRenew, "auto-renew"),
    (C::Login, "login"),
    (C::ToggleAgent, "agent-panel"),
    (C::ShowApproval, "approval"),
    (C::Help, "help"),
    (C::Back, "back"),
    (C::Quit, "quit"),
    (C::Suspend, "suspend"),
    (C::FilterKeep, "filter-keep"),
    (C::FilterClear, "filter-clear"),
    (C::FilterErase, "filter-erase"),
    (C::FormNext, "form-next"),
    (C::FormPrev, "form-prev"),
    (C::FormSubmit, "form-submit"),
    (C::FormCancel, "form-cancel"),
    (C::FormErase, "form-erase"),
    (C::FormClearField, "form-clear-field"),
    (C::SecretSubmit, "secret-submit"),
    (C::SecretCancel, "secret-cancel"),
    (C::SecretErase, "secret-erase"),
    (C::ConfirmYes, "confirm-yes"),
    (C::ConfirmNo, "confirm-no"),
    (C::ApproveOnce, "approve-once"),
    (C::ApproveFor30Min, "approve-30-min"),
    (C::ApproveDeny, "approve-deny"),
    (C::ApproveLater, "approve-later"),
    (C::HelpDown, "help-down"),
    (C::HelpUp, "help-up"),
    (C::CloseHelp, "help-close"),
];

impl Command {
    /// The command's name in the `[keys]` table.
    pub(crate) fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("?", |(_, n)| n)
    }

    pub(crate) fn from_name(name: &str) -> Option<Command> {
        NAMES.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
    }

    /// Where the command applies: keys conflict only within one context.
    pub(crate) fn context(self) -> Context {
        match self {
            C::FilterKeep | C::FilterClear | C::FilterErase => Context::Filter,
            C::FormNext
            | C::FormPrev
            | C::FormSubmit
            | C::FormCancel
            | C::FormErase
            | C::FormClearField => Context::AddForm,
            C::SecretSubmit | C::SecretCancel | C::SecretErase => Context::Secret,
            C::ConfirmYes | C::ConfirmNo => Context::Confirm,
            C::ApproveOnce | C::ApproveFor30Min | C::ApproveDeny | C::ApproveLater => {
                Context::Approval
            }
            C::HelpDown | C::HelpUp | C::CloseHelp => Context::Help,
            _ => Context::Normal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::BINDINGS;

    #[test]
    fn every_command_has_one_name_and_its_defaults_context() {
        for b in BINDINGS {
            assert_eq!(b.command.context(), b.context, "{:?}", b.command);
            assert_eq!(Command::from_name(b.command.name()), Some(b.command));
        }
        assert_eq!(NAMES.len(), BINDINGS.len());
    }
}
