//! What the CLI says to do next about a stored token (`check`, `info`, `token`, `add`,
//! `renew`, `show`), from the one advice table, so their messages agree.

use super::context::Context;
use crate::advice::words::{self, Details, Surface};
use crate::advice::{Advice, Condition, Owner, Situation, advise};
use crate::store::{Accounts, EntryMeta, SecretState, Store, StoredToken};
use crate::timefmt;
use crate::token::Token;
use crate::token::{Decoded, Phase};
use jiff::{SignedDuration, Timestamp};

/// The advice's condition for a decoded token's phase (the CLI has no renew-ahead window:
/// a valid token is fine).
pub(crate) fn condition_of(phase: Phase) -> Condition {
    match phase {
        Phase::Valid => Condition::Calm,
        Phase::Renewable => Condition::Renewable,
        Phase::Dead => Condition::Dead,
        Phase::Invalid => Condition::NoExpiry,
    }
}

/// An entry as the advice sees it: the token decoded (when it is one), its condition, and
/// the decoder's or the store's error.
pub(crate) struct Reading {
    pub decoded: Option<Decoded>,
    pub condition: Condition,
    error: String,
}

impl Reading {
    pub fn of(stored: &StoredToken, now: Timestamp, grace: SignedDuration) -> Reading {
        let (decoded, condition, error) = match (stored.decoded(), &stored.secret) {
            (Some(Ok(d)), _) => {
                let condition = condition_of(d.phase(now, grace));
                (Some(d), condition, String::new())
            }
            (Some(Err(e)), _) => (None, Condition::Malformed, e),
            (None, SecretState::Unreadable(why)) => (None, Condition::Unreadable, why.clone()),
            (None, SecretState::InOtherStore(kind)) => {
                (None, Condition::OtherStore(*kind), String::new())
            }
            (None, _) => (None, Condition::Missing, String::new()),
        };
        Reading {
            decoded,
            condition,
            error,
        }
    }

    /// The `user` claim: whose login can replace the token.
    pub(crate) fn user(&self) -> Option<&str> {
        self.decoded.as_ref().and_then(|d| d.claims.user.as_deref())
    }

    /// "what is wrong: what to do" when the token cannot be used as it is, naming commands.
    /// `login`: the command that gets the account's tokens again ([`login_for`]).
    pub(crate) fn problem(
        &self,
        meta: &EntryMeta,
        owner: Owner,
        login: &str,
        now: Timestamp,
        grace: SignedDuration,
    ) -> Option<String> {
        (!self.condition.usable()).then(|| {
            let advice = advise(&Situation::at_rest(self.condition, owner));
            let details = cli_details(self.decoded.as_ref(), now, grace, self.error.clone());
            words::clause(&advice, &details, cli_surface(meta, login))
        })
    }
}

/// The remembered logins, to tell whether a dead token comes back by itself. A broken
/// `accounts.toml` only costs that hint here (`actoken doctor` reports it).
pub(crate) fn remembered_logins(store: &Store) -> Accounts {
    Accounts::load(store.paths()).unwrap_or_else(|e| {
        tracing::debug!(error = %e, "cannot read the remembered logins");
        Accounts::empty(store.paths())
    })
}

fn cli_surface<'a>(meta: &'a EntryMeta, login: &'a str) -> Surface<'a> {
    Surface::Cli {
        name: &meta.name,
        login,
    }
}

/// The `actoken login …` that gets the tokens of `user`'s account at `base_url` again: the
/// remembered login's method and addresses when there is one (as the renewer's errors say).
pub(crate) fn login_for(accounts: Option<&Accounts>, user: Option<&str>, base_url: &str) -> String {
    let account = accounts.and_then(|a| a.owner(user, base_url));
    crate::login::login_command(account, user.unwrap_or("YOUR_USER"), base_url)
}

fn cli_details(
    decoded: Option<&Decoded>,
    now: Timestamp,
    grace: SignedDuration,
    error: String,
) -> Details {
    let life = decoded.and_then(|d| d.lifetime(grace));
    Details {
        when: life
            .map(|l| timefmt::relative(l.to_expiry(now)))
            .unwrap_or_default(),
        left: life
            .map(|l| timefmt::compact(l.to_cutoff(now)))
            .unwrap_or_default(),
        window: String::new(),
        error,
    }
}

/// A stored token the CLI advises about (`check`, `info`, `token`, `add`), so that their
/// messages say what `show` and `list --json` say.
pub(crate) struct Advising<'a> {
    pub meta: &'a EntryMeta,
    pub decoded: Option<&'a Decoded>,
    pub accounts: &'a Accounts,
    pub now: Timestamp,
    pub grace: SignedDuration,
}

impl Advising<'_> {
    /// "what is wrong: what to do" in `condition`, naming commands.
    pub(crate) fn clause(&self, condition: Condition) -> String {
        let advice = cli_advice(self.meta, self.decoded, condition, self.accounts, true);
        let details = cli_details(self.decoded, self.now, self.grace, String::new());
        words::clause(&advice, &details, cli_surface(self.meta, &self.login()))
    }

    /// "NAME: what is wrong (cause): what to do", for a failure the advice explains that has
    /// a cause of its own to quote (the server's answer, the decoder's error). `needs_login`:
    /// the renewer's own `actoken login` command when it found no remembered secret key that
    /// could help, so the step names that command, never a renewal that "logs in again by
    /// itself".
    pub(crate) fn failure(
        &self,
        condition: Condition,
        cause: &str,
        needs_login: Option<&str>,
    ) -> String {
        let key_usable = needs_login.is_none();
        let advice = cli_advice(
            self.meta,
            self.decoded,
            condition,
            self.accounts,
            key_usable,
        );
        let details = cli_details(self.decoded, self.now, self.grace, cause.to_owned());
        let problem = words::problem_long(condition, &details);
        // The malformed text quotes the error itself; the others get it in brackets.
        let problem = if condition == Condition::Malformed || cause.is_empty() {
            problem
        } else {
            crate::tr!("advice.with_cause", problem = problem, cause = cause)
        };
        let login = needs_login.map_or_else(|| self.login(), str::to_owned);
        let step = words::step_long(advice.step, cli_surface(self.meta, &login));
        words::join(&self.meta.name, problem, step)
    }

    fn login(&self) -> String {
        let user = self.decoded.and_then(|d| d.claims.user.as_deref());
        login_for(Some(self.accounts), user, &self.meta.base_url)
    }

    /// "NAME: what is wrong: what to do".
    pub(crate) fn sentence(&self, condition: Condition) -> String {
        words::named(&self.meta.name, &self.clause(condition))
    }
}

/// `key_usable`: false when the renewer found the remembered login's secret key missing or
/// refused, so the account is advised as one without a remembered key.
fn cli_advice<'a>(
    meta: &EntryMeta,
    decoded: Option<&'a Decoded>,
    condition: Condition,
    accounts: &Accounts,
    key_usable: bool,
) -> Advice<'a> {
    let user = decoded.and_then(|d| d.claims.user.as_deref());
    let owner = match Owner::of(accounts, user, &meta.base_url) {
        Owner::Remembered(user) if !key_usable => Owner::User(user),
        owner => owner,
    };
    advise(&Situation::at_rest(condition, owner))
}

/// The token's phase at `at`, and the advice for the condition `condition` makes of it: what
/// to say after the server refused the token.
pub(crate) fn refused_advice(
    ctx: &Context,
    store: &Store,
    meta: &EntryMeta,
    token: &Token,
    at: Timestamp,
    condition: impl Fn(Phase) -> Condition,
) -> (Phase, String) {
    let grace = ctx.config.renew_grace;
    let decoded = token.decode().ok();
    let phase = decoded
        .as_ref()
        .map_or(Phase::Invalid, |d| d.phase(at, grace));
    let advising = Advising {
        meta,
        decoded: decoded.as_ref(),
        accounts: &remembered_logins(store),
        now: at,
        grace,
    };
    (phase, advising.sentence(condition(phase)))
}

#[cfg(test)]
mod advice_tests {
    use super::*;
    use crate::cli::token_view::TokenView;
    use crate::config::Paths;
    use crate::dashboard::app::fixtures::{at, now, stored, token};
    use crate::i18n::{Lang, with_lang};
    use crate::store::Account;

    const BASE: &str = "https://ks.hpccube.com:65102";
    const NAME: &str = "alice/华东一区【昆山】";

    fn dead() -> StoredToken {
        let mut s = stored(
            NAME,
            token("alice", "alice", "11250", "Normal", at(-30 * 3600)),
        );
        s.meta.base_url = BASE.into();
        s
    }

    /// The advice `show` prints (interface language); `--json`'s `problem` is the English one.
    fn problem(accounts: &Accounts) -> String {
        let view = TokenView::new(&dead(), now(), SignedDuration::from_hours(24), accounts);
        assert_eq!(view.phase, "dead");
        let english = with_lang(Lang::En, || {
            TokenView::new(&dead(), now(), SignedDuration::from_hours(24), accounts).advice
        });
        assert_eq!(
            view.problem, english,
            "--json does not change with the language"
        );
        view.advice.expect("a dead token has a problem")
    }

    #[test]
    fn a_dead_tokens_problem_names_the_command_that_brings_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let mut accounts = Accounts::empty(&paths);
        with_lang(Lang::En, || {
            assert_eq!(
                problem(&accounts),
                format!(
                    "expired beyond renewal: log in again as alice with \
                     `actoken login --user alice --access-key YOUR_KEY --base-url {BASE}`"
                )
            );
        });
        with_lang(Lang::ZhCn, || {
            assert_eq!(
                problem(&accounts),
                format!(
                    "已超过续约期限：用 `actoken login --user alice --access-key YOUR_KEY --base-url {BASE}` 以 alice 重新登录"
                )
            );
        });
        accounts
            .remember(Account::with_access_key("alice", "AK1", BASE))
            .unwrap();
        with_lang(Lang::En, || {
            assert_eq!(
                problem(&accounts),
                "expired beyond renewal: `actoken renew 'alice/华东一区【昆山】'` logs in again as \
                 alice with the remembered secret key"
            );
        });
        with_lang(Lang::ZhCn, || {
            assert_eq!(
                problem(&accounts),
                "已超过续约期限：`actoken renew 'alice/华东一区【昆山】'` 会用已记住的 SecretKey 以 alice 重新登录"
            );
        });
    }

    #[test]
    fn a_missing_secret_says_how_to_add_it_again_and_a_valid_token_has_no_problem() {
        let accounts = Accounts::empty(&Paths::under(std::path::Path::new("/nowhere")));
        let mut missing = dead();
        missing.secret = SecretState::Missing;
        let view = TokenView::new(&missing, now(), SignedDuration::from_hours(24), &accounts);
        assert_eq!(view.phase, "missing");
        with_lang(Lang::En, || {
            let view = TokenView::new(&missing, now(), SignedDuration::from_hours(24), &accounts);
            assert_eq!(
                view.problem.as_deref(),
                Some(
                    "the keyring has no secret for it: add it again with \
                     `actoken add 'alice/华东一区【昆山】' --force`"
                )
            );
        });
        let mut valid = dead();
        valid.secret = SecretState::Present(token("alice", "alice", "11250", "Normal", at(3600)));
        let view = TokenView::new(&valid, now(), SignedDuration::from_hours(24), &accounts);
        assert_eq!((view.phase.as_str(), view.problem), ("valid", None));
    }
}
