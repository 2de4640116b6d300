//! What is wrong with a token and what to do next, decided in ONE place and returned as data.
//! Every surface renders the same [`Advice`] ([`words`]): the dashboard names the key that
//! takes the step, the CLI the command to run. Nothing else in the program picks a next step,
//! so the status line, the details pane, the toasts, `list --json` and `check` cannot disagree.

pub mod words;

use crate::store::{Accounts, StoreKind};

/// What the store, the clock and the server say about a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Condition {
    /// Valid and outside the renew-ahead window.
    Calm,
    /// Valid, inside the renew-ahead window.
    Due,
    /// Expired, still renewable (before the renew cutoff).
    Renewable,
    /// Past the renew cutoff.
    Dead,
    /// The server refused it while it had not expired.
    Rejected,
    /// A region token without an `expireTime`.
    NoExpiry,
    /// The secret is not a region token.
    Malformed,
    /// The index names it; the keyring has no secret.
    Missing,
    /// The keyring failed to read it.
    Unreadable,
    /// Kept in the store not in use (the one named).
    OtherStore(StoreKind),
}

impl Condition {
    /// Every condition, for tests that go over all of them.
    #[cfg(test)]
    pub(crate) const ALL: [Condition; 11] = [
        Condition::Calm,
        Condition::Due,
        Condition::Renewable,
        Condition::Dead,
        Condition::Rejected,
        Condition::NoExpiry,
        Condition::Malformed,
        Condition::Missing,
        Condition::Unreadable,
        Condition::OtherStore(StoreKind::SecretService),
        Condition::OtherStore(StoreKind::Keyutils),
    ];

    /// Whether the server takes the token as it is (an expired one it refuses).
    pub fn usable(self) -> bool {
        matches!(self, Condition::Calm | Condition::Due)
    }

    /// Whether there is a secret at all (something to copy or renew).
    pub(crate) fn has_secret(self) -> bool {
        !matches!(
            self,
            Condition::Missing | Condition::Unreadable | Condition::OtherStore(_)
        )
    }
}

/// Who can get a new token for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner<'a> {
    /// The token names no account (no `user` claim).
    Unknown,
    /// The account (the `user` claim); no access key is remembered for it, so getting a new
    /// token needs its secret.
    User(&'a str),
    /// An access key is remembered for the account: a renewal of a dead token logs in again
    /// by itself.
    Remembered(&'a str),
}

impl<'a> Owner<'a> {
    /// The owner of a token of `user` (its claim) at `base_url`, as the remembered logins know it.
    pub fn of(accounts: &Accounts, user: Option<&'a str>, base_url: &str) -> Owner<'a> {
        let Some(user) = user else {
            return Owner::Unknown;
        };
        match accounts.owner(Some(user), base_url) {
            Some(account) if account.access_key.is_some() => Owner::Remembered(user),
            _ => Owner::User(user),
        }
    }
}

/// A token's state, as far as the advice depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Situation<'a> {
    pub condition: Condition,
    pub owner: Owner<'a>,
    /// A renewal or login runs for it now.
    pub renewing: bool,
    /// The last renewal failed, and none succeeded since.
    pub failed: bool,
}

impl<'a> Situation<'a> {
    /// A token nothing runs for and nothing failed on.
    pub(crate) fn at_rest(condition: Condition, owner: Owner<'a>) -> Situation<'a> {
        Situation {
            condition,
            owner,
            renewing: false,
            failed: false,
        }
    }
}

/// The one next step for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// All is well.
    Nothing,
    /// A renewal or login is under way: wait for it.
    Wait,
    /// Renew it; `urgent` when it has expired and the cutoff approaches.
    Renew { urgent: bool },
    /// The last renewal failed but renewing can still work: try again.
    Retry,
    /// Renew it: the remembered access key logs `account` in again by itself.
    Relogin { account: &'a str },
    /// Log in again as `account` (its secret is needed).
    Login { account: &'a str },
    /// No account is known: get a new token by hand (a login, or paste one).
    GetNewToken,
    /// Store the secret again (replacing what is stored).
    AddAgain,
    /// Unlock the keyring, then read the token again.
    Unlock,
    /// Use the token where it is kept, or move it over to the store in use.
    Move { from: StoreKind, to: StoreKind },
}

impl Step<'_> {
    /// Whether renewing is the step (`r` goes ahead instead of explaining itself).
    pub(crate) fn is_renewal(self) -> bool {
        matches!(self, Step::Nothing | Step::Renew { .. } | Step::Retry)
    }
}

/// What is wrong and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Advice<'a> {
    pub condition: Condition,
    pub step: Step<'a>,
}

/// The advice for a token in `situation`: the only place that decides a next step.
pub(crate) fn advise<'a>(situation: &Situation<'a>) -> Advice<'a> {
    let condition = situation.condition;
    let step = if situation.renewing {
        Step::Wait
    } else {
        match condition {
            Condition::Calm => Step::Nothing,
            Condition::Due | Condition::Renewable if situation.failed => Step::Retry,
            Condition::Due => Step::Renew { urgent: false },
            Condition::Renewable => Step::Renew { urgent: true },
            // The renewer logs in again for dead and rejected tokens when it can; a token
            // without an expiry it refuses outright, so that one needs a new token by hand.
            Condition::Dead | Condition::Rejected => match situation.owner {
                Owner::Remembered(account) => Step::Relogin { account },
                Owner::User(account) => Step::Login { account },
                Owner::Unknown => Step::GetNewToken,
            },
            Condition::NoExpiry => Step::GetNewToken,
            Condition::Malformed | Condition::Missing => Step::AddAgain,
            Condition::Unreadable => Step::Unlock,
            Condition::OtherStore(kind) => Step::Move {
                from: kind,
                to: kind.other(),
            },
        }
    };
    Advice { condition, step }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "alice";

    /// The step for every condition × owner, at rest. A row here is the contract every
    /// surface renders.
    fn expected(condition: Condition, owner: Owner<'static>) -> Step<'static> {
        use Condition as C;
        match (condition, owner) {
            (C::Calm, _) => Step::Nothing,
            (C::Due, _) => Step::Renew { urgent: false },
            (C::Renewable, _) => Step::Renew { urgent: true },
            (C::Dead | C::Rejected, Owner::Remembered(_)) => Step::Relogin { account: USER },
            (C::Dead | C::Rejected, Owner::User(_)) => Step::Login { account: USER },
            (C::Dead | C::Rejected, Owner::Unknown) => Step::GetNewToken,
            (C::NoExpiry, _) => Step::GetNewToken,
            (C::Malformed | C::Missing, _) => Step::AddAgain,
            (C::Unreadable, _) => Step::Unlock,
            (C::OtherStore(StoreKind::Keyutils), _) => Step::Move {
                from: StoreKind::Keyutils,
                to: StoreKind::SecretService,
            },
            (C::OtherStore(StoreKind::SecretService), _) => Step::Move {
                from: StoreKind::SecretService,
                to: StoreKind::Keyutils,
            },
        }
    }

    const OWNERS: [Owner<'static>; 3] =
        [Owner::Unknown, Owner::User(USER), Owner::Remembered(USER)];

    /// Checks `want` against the advice for every condition × owner, `renewing` and `failed`
    /// as given.
    fn check_all(
        renewing: bool,
        failed: bool,
        want: impl Fn(Condition, Owner<'static>) -> Step<'static>,
    ) {
        for condition in Condition::ALL {
            for owner in OWNERS {
                let s = Situation {
                    renewing,
                    failed,
                    ..Situation::at_rest(condition, owner)
                };
                let got = advise(&s);
                assert_eq!(got.condition, condition);
                assert_eq!(got.step, want(condition, owner), "{s:?}");
            }
        }
    }

    #[test]
    fn every_state_and_owner_gets_its_step() {
        check_all(false, false, expected);
    }

    #[test]
    fn a_running_renewal_means_wait_whatever_the_state() {
        check_all(true, true, |_, _| Step::Wait);
    }

    #[test]
    fn a_failed_renewal_is_retried_only_while_renewing_can_work() {
        check_all(false, true, |condition, owner| match condition {
            Condition::Due | Condition::Renewable => Step::Retry,
            _ => expected(condition, owner),
        });
    }

    #[test]
    fn the_owner_is_remembered_only_with_an_access_key() {
        use crate::api::LoginMethod;
        use crate::store::Account;
        let dir = tempfile::tempdir().unwrap();
        let paths = crate::config::Paths::under(dir.path());
        let mut accounts = Accounts::empty(&paths);
        let base = "https://ac.example.com";
        let account = |user: &str, key: Option<&str>| Account {
            user: user.to_owned(),
            method: LoginMethod::AccessKey,
            access_key: key.map(str::to_owned),
            base_url: base.to_owned(),
            auth_url: base.to_owned(),
            org_id: None,
            last_login: None,
        };
        accounts.remember(account("alice", Some("AK1"))).unwrap();
        accounts.remember(account("bob", None)).unwrap();
        assert_eq!(
            Owner::of(&accounts, Some("alice"), base),
            Owner::Remembered("alice")
        );
        assert_eq!(Owner::of(&accounts, Some("bob"), base), Owner::User("bob"));
        assert_eq!(
            Owner::of(&accounts, Some("carol"), base),
            Owner::User("carol")
        );
        assert_eq!(
            Owner::of(&accounts, Some("alice"), "https://other.example.com"),
            Owner::User("alice")
        );
        assert_eq!(Owner::of(&accounts, None, base), Owner::Unknown);
    }
}
