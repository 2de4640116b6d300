//! A row's state as [`crate::advice`] sees it, and the advice in the dashboard's words (keys
//! from the key table). The status line, the details pane, the table's last column and the
//! toasts all come through here.

use jiff::Timestamp;

use super::row::{Row, RowKind, Timing, Urgency};
use crate::advice::words::{self, Details, Surface};
use crate::advice::{Advice, Condition, Owner, Situation, advise};
use crate::keymap::Keymap;
use crate::timefmt;
use crate::tr;

impl Row {
    /// The row's condition, owner and activity. The dashboard does not look up whether a key
    /// is remembered: `L` logs in with one when there is, and asks for the secret otherwise,
    /// so the account (the `user` claim) is all the advice needs.
    pub(crate) fn situation(&self, now: Timestamp, timing: Timing) -> Situation<'_> {
        let condition = match &self.kind {
            RowKind::Missing => Condition::Missing,
            RowKind::Unreadable(_) => Condition::Unreadable,
            RowKind::InOtherStore(kind) => Condition::OtherStore(*kind),
            RowKind::Malformed { .. } => Condition::Malformed,
            RowKind::Token { .. } => match self.urgency(now, timing) {
                Urgency::Calm => Condition::Calm,
                Urgency::Due => Condition::Due,
                Urgency::Renewable => Condition::Renewable,
                Urgency::Dead if self.rejected() => Condition::Rejected,
                Urgency::Dead => Condition::Dead,
                Urgency::Broken => Condition::NoExpiry,
            },
        };
        Situation {
            condition,
            owner: self.user().map_or(Owner::Unknown, Owner::User),
            renewing: self.is_renewing(),
            failed: self.status.last_error.is_some(),
        }
    }

    pub(crate) fn advice(&self, now: Timestamp, timing: Timing) -> Advice<'_> {
        advise(&self.situation(now, timing))
    }

    /// The facts the long texts quote: times from the token, the store's error.
    pub(crate) fn advice_details(&self, now: Timestamp, timing: Timing) -> Details {
        let mut details = Details {
            window: timefmt::compact(timing.renew_ahead),
            ..Details::default()
        };
        if let Some(life) = self.lifetime(timing.renew_grace) {
            details.when = timefmt::relative(life.to_expiry(now));
            details.left = timefmt::compact(life.to_cutoff(now));
        }
        match &self.kind {
            RowKind::Malformed { error, .. } => details.error = error.clone(),
            RowKind::Unreadable(why) => details.error = why.clone(),
            _ => {}
        }
        details
    }

    /// "NAME: what is wrong: what to do", naming keys (not cleaned of control characters:
    /// the caller draws it through `ui::text::clean`). A failed renewal shows its error in
    /// place of the state, still with the step.
    pub(crate) fn advice_text(&self, now: Timestamp, timing: Timing, keys: &Keymap) -> String {
        let advice = self.advice(now, timing);
        let surface = Surface::Dashboard {
            name: self.name(),
            keys,
        };
        match &self.status.last_error {
            Some(error) if !self.is_renewing() => words::join(
                self.name(),
                tr!("step.renewal_failed", error = error),
                words::step_long(advice.step, surface),
            ),
            _ => words::sentence(&advice, &self.advice_details(now, timing), surface),
        }
    }
}
