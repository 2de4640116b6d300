//! [`Advice`] in words, in the interface language. The same step reads "press r" on the
//! dashboard (the key comes from the key table, so a rebinding changes the words) and
//! "`actoken renew 'NAME'`" in the CLI (quoted for a shell). The wording lives in the
//! catalogs under `advice.*`.

use super::{Advice, Condition, Step};
use crate::keymap::{Command, Context, Keymap};
use crate::shell_quote::shell_word;
use crate::tr;

/// Where the advice is read: it decides whether a step names a key or a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface<'a> {
    /// The dashboard, about the row `name`, naming the keys `keys` binds.
    Dashboard { name: &'a str, keys: &'a Keymap },
    /// The CLI, about the token `name`; `login` is the `actoken login …` that gets its
    /// account's tokens again (`login::login_command`, which the renewer's errors use too).
    Cli { name: &'a str, login: &'a str },
}

impl Surface<'_> {
    fn name(&self) -> &str {
        match self {
            Surface::Dashboard { name, .. } | Surface::Cli { name, .. } => name,
        }
    }
}

/// The facts a long problem text quotes, already in words ("in 3h 12m", the keyring's error).
/// A text uses the ones it needs; the others may stay empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Details {
    /// When it expires or expired ("in 3h 12m", "3h 05m ago").
    pub when: String,
    /// How long it stays renewable.
    pub left: String,
    /// The renew-ahead window.
    pub window: String,
    /// Why it is malformed or unreadable.
    pub error: String,
}

/// What is wrong, in a few words (the dashboard's table column); "ok" when nothing is.
pub(crate) fn problem_short(condition: Condition) -> String {
    match condition {
        Condition::Calm => tr!("advice.ok"),
        Condition::Due => tr!("advice.problem.due"),
        Condition::Renewable => tr!("advice.problem.renewable"),
        Condition::Dead => tr!("advice.problem.dead"),
        Condition::Rejected => tr!("advice.problem.rejected"),
        Condition::NoExpiry => tr!("advice.problem.no_expiry"),
        Condition::Malformed => tr!("advice.problem.malformed"),
        Condition::Missing => tr!("advice.problem.missing"),
        Condition::Unreadable => tr!("advice.problem.unreadable"),
        Condition::OtherStore(kind) => tr!("advice.problem.other_store", store = kind.as_str()),
    }
}

/// What is wrong, in a clause with its facts (status line, toasts, the CLI).
pub(crate) fn problem_long(condition: Condition, d: &Details) -> String {
    match condition {
        Condition::Calm => tr!("advice.long.valid", when = d.when),
        Condition::Due => tr!("advice.long.due", when = d.when, window = d.window),
        Condition::Renewable => tr!("advice.long.renewable", when = d.when, left = d.left),
        Condition::Dead => tr!("advice.long.dead"),
        Condition::Rejected => tr!("advice.long.rejected"),
        Condition::NoExpiry => tr!("advice.long.no_expiry"),
        Condition::Malformed => tr!("advice.long.malformed", error = d.error),
        Condition::Missing => tr!("advice.long.missing"),
        Condition::Unreadable => tr!("advice.long.unreadable", error = d.error),
        Condition::OtherStore(kind) => tr!("advice.long.other_store", store = kind.as_str()),
    }
}

/// The step in a few words with its key (the dashboard's table column); empty for none.
pub(crate) fn step_short(step: Step, keys: &Keymap) -> String {
    let key = |command| keys.label(Context::Normal, command);
    match step {
        Step::Nothing | Step::Wait => String::new(),
        Step::Renew { urgent: false } => tr!("advice.short.renew", key = key(Command::Renew)),
        Step::Renew { urgent: true } => tr!("advice.short.renew_now", key = key(Command::Renew)),
        Step::Retry => tr!("advice.short.retry", key = key(Command::Renew)),
        Step::Relogin { .. } => tr!("advice.short.relogin", key = key(Command::Renew)),
        Step::Login { .. } => tr!("advice.short.login", key = key(Command::Login)),
        Step::GetNewToken => tr!("advice.short.new_token"),
        Step::AddAgain => tr!(
            "advice.short.add_again",
            delete = key(Command::Delete),
            add = key(Command::StartAdd)
        ),
        Step::Unlock => tr!("advice.short.unlock"),
        Step::Move { .. } => tr!("advice.short.move"),
    }
}

/// The step in a sentence, naming the key (dashboard) or the command (CLI); empty for none.
pub(crate) fn step_long(step: Step, surface: Surface) -> String {
    match surface {
        Surface::Dashboard { name, keys } => step_with_key(step, name, keys),
        Surface::Cli { name, login } => step_with_command(step, name, login),
    }
}

fn step_with_key(step: Step, name: &str, keys: &Keymap) -> String {
    let key = |command| keys.label(Context::Normal, command);
    let renew = || key(Command::Renew);
    match step {
        Step::Nothing | Step::Wait => String::new(),
        Step::Renew { urgent: false } => tr!("advice.key.renew", key = renew()),
        Step::Renew { urgent: true } => tr!("advice.key.renew_now", key = renew()),
        Step::Retry => tr!("advice.key.retry", key = renew()),
        Step::Relogin { account } => tr!("advice.key.relogin", key = renew(), user = account),
        Step::Login { account } => tr!(
            "advice.key.login",
            key = key(Command::Login),
            user = account
        ),
        Step::GetNewToken => tr!("advice.key.new_token", key = key(Command::StartAdd)),
        Step::AddAgain => tr!(
            "advice.key.add_again",
            delete = key(Command::Delete),
            add = key(Command::StartAdd)
        ),
        Step::Unlock => tr!("advice.key.unlock"),
        Step::Move { .. } => move_step(step, name),
    }
}

fn step_with_command(step: Step, name: &str, login: &str) -> String {
    let quoted = shell_word(name);
    let renew = || format!("actoken renew {quoted}");
    let add = || format!("actoken add {quoted} --force");
    match step {
        Step::Nothing | Step::Wait => String::new(),
        Step::Renew { .. } => tr!("advice.cmd.renew", cmd = renew()),
        Step::Retry => tr!("advice.cmd.retry", cmd = renew()),
        Step::Relogin { account } => tr!("advice.cmd.relogin", cmd = renew(), user = account),
        Step::Login { account } => tr!("advice.cmd.login", cmd = login, user = account),
        Step::GetNewToken => tr!("advice.cmd.new_token", cmd = add()),
        Step::AddAgain => tr!("advice.cmd.add_again", cmd = add()),
        Step::Unlock => tr!("advice.cmd.unlock"),
        Step::Move { .. } => move_step(step, name),
    }
}

/// Moving names a command on every surface: no key moves a token.
fn move_step(step: Step, name: &str) -> String {
    let Step::Move { from, to } = step else {
        return String::new();
    };
    tr!(
        "advice.step.move",
        store = from.as_str(),
        cmd = format!("actoken move {} --to {}", shell_word(name), to.as_str())
    )
}

/// "what is wrong: what to do" with its facts (JSON `problem`, `show`).
pub(crate) fn clause(advice: &Advice, details: &Details, surface: Surface) -> String {
    pair(
        problem_long(advice.condition, details),
        step_long(advice.step, surface),
    )
}

/// "NAME: what is wrong: what to do" (the status line, toasts, CLI messages). The dashboard
/// draws it through `ui::text::clean` (names and errors come from files).
pub(crate) fn sentence(advice: &Advice, details: &Details, surface: Surface) -> String {
    named(surface.name(), &clause(advice, details, surface))
}

/// "NAME: problem: step" for a problem the advice does not know (a renewal's error).
pub(crate) fn join(name: &str, problem: String, step: String) -> String {
    named(name, &pair(problem, step))
}

/// "NAME: text".
pub(crate) fn named(name: &str, text: &str) -> String {
    tr!("advice.sentence", name = name, advice = text)
}

fn pair(problem: String, step: String) -> String {
    if step.is_empty() {
        problem
    } else {
        tr!("advice.pair", problem = problem, step = step)
    }
}

/// "what is wrong: what to do" in a few words (the dashboard's table column).
pub(crate) fn short(advice: &Advice, keys: &Keymap) -> String {
    pair(
        problem_short(advice.condition),
        step_short(advice.step, keys),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Owner, Situation, advise};
    use super::*;
    use crate::i18n::{Lang, with_lang};
    use crate::store::StoreKind;

    const NAME: &str = "alice/华东一区【昆山】";
    static DEFAULT_KEYS: std::sync::LazyLock<Keymap> = std::sync::LazyLock::new(Keymap::default);

    /// The dashboard with the default keys.
    fn dash() -> Surface<'static> {
        Surface::Dashboard {
            name: NAME,
            keys: &DEFAULT_KEYS,
        }
    }
    const CLI: Surface = Surface::Cli {
        name: NAME,
        login: "actoken login --user alice --access-key YOUR_KEY --base-url https://ac.example.com:65102",
    };

    fn say(condition: Condition, owner: Owner, surface: Surface) -> String {
        let advice = advise(&Situation::at_rest(condition, owner));
        let details = Details {
            when: "3h 05m ago".into(),
            left: "20h 55m".into(),
            window: "2h 00m".into(),
            error: "locked".into(),
        };
        sentence(&advice, &details, surface)
    }

    #[test]
    fn the_dashboard_names_keys_from_the_key_table() {
        with_lang(Lang::En, || {
            let renew = say(Condition::Renewable, Owner::Unknown, dash());
            assert_eq!(
                renew,
                "alice/华东一区【昆山】: EXPIRED 3h 05m ago; still renewable for 20h 55m: press r now"
            );
            let dead = say(Condition::Dead, Owner::User("alice"), dash());
            assert_eq!(
                dead,
                "alice/华东一区【昆山】: expired beyond renewal: press L to log in again as alice"
            );
            let missing = say(Condition::Missing, Owner::Unknown, dash());
            assert!(
                missing.ends_with("delete it (d) and add it again (a)"),
                "{missing}"
            );
            let unreadable = say(Condition::Unreadable, Owner::Unknown, dash());
            assert!(unreadable.contains("(locked)"), "{unreadable}");
            assert!(unreadable.contains("restart"), "{unreadable}");
        });
        with_lang(Lang::ZhCn, || {
            let dead = say(Condition::Dead, Owner::User("alice"), dash());
            assert_eq!(
                dead,
                "alice/华东一区【昆山】：已超过续约期限：按 L 以 alice 重新登录"
            );
            let renew = say(Condition::Due, Owner::Unknown, dash());
            assert!(renew.ends_with("按 r 续约"), "{renew}");
        });
    }

    #[test]
    fn the_cli_names_commands_with_the_name_quoted() {
        with_lang(Lang::En, || {
            let renew = say(Condition::Renewable, Owner::Unknown, CLI);
            assert!(
                renew.ends_with("renew it with `actoken renew 'alice/华东一区【昆山】'`"),
                "{renew}"
            );
            let relogin = say(Condition::Dead, Owner::Remembered("alice"), CLI);
            assert!(
                relogin.contains("`actoken renew 'alice/华东一区【昆山】'` logs in again as alice"),
                "{relogin}"
            );
            let login = say(Condition::Rejected, Owner::User("alice"), CLI);
            assert!(
                login.contains(
                    "`actoken login --user alice --access-key YOUR_KEY --base-url https://ac.example.com:65102`"
                ),
                "{login}"
            );
            let missing = say(Condition::Missing, Owner::Unknown, CLI);
            assert!(
                missing.ends_with("`actoken add 'alice/华东一区【昆山】' --force`"),
                "{missing}"
            );
            let moved = say(
                Condition::OtherStore(StoreKind::Keyutils),
                Owner::Unknown,
                CLI,
            );
            assert!(
                moved.contains("`actoken move 'alice/华东一区【昆山】' --to secret-service`"),
                "{moved}"
            );
            assert!(moved.contains("`--store keyutils`"), "{moved}");
        });
        with_lang(Lang::ZhCn, || {
            let renew = say(Condition::Renewable, Owner::Unknown, CLI);
            assert!(
                renew.ends_with("用 `actoken renew 'alice/华东一区【昆山】'` 续约"),
                "{renew}"
            );
            let missing = say(Condition::Missing, Owner::Unknown, CLI);
            assert!(
                missing.contains("`actoken add 'alice/华东一区【昆山】' --force`"),
                "{missing}"
            );
        });
    }

    /// Every condition × owner × surface × language says something, and never leaves a
    /// placeholder or a key name unreplaced.
    #[test]
    fn every_advice_renders_in_both_languages() {
        for lang in [Lang::En, Lang::ZhCn] {
            with_lang(lang, || {
                for condition in Condition::ALL {
                    for owner in [
                        Owner::Unknown,
                        Owner::User("alice"),
                        Owner::Remembered("alice"),
                    ] {
                        for surface in [dash(), CLI] {
                            let text = say(condition, owner, surface);
                            assert!(!text.contains("%{"), "{lang:?}: {text}");
                            assert!(!text.contains("advice."), "{lang:?}: {text}");
                            let advice = advise(&Situation::at_rest(condition, owner));
                            let short = short(&advice, &DEFAULT_KEYS);
                            assert!(!short.is_empty() && !short.contains("advice."), "{short}");
                        }
                    }
                }
            });
        }
    }
}
