//! Quitting while renewals or logins are in flight: a token the server issued must be stored
//! (or rescued) before the process exits, so the first quit waits for them to end (each is
//! bounded by the request timeout) and a second quit abandons them, naming which.

use jiff::{SignedDuration, Timestamp};

use super::action::Effect;
use super::{App, Level, Toast};
use crate::keymap::{Command, Context};
use crate::tr;

/// The "finishing…" line stays up as long as the wait lasts.
const WAITING_TOAST: SignedDuration = SignedDuration::from_hours(1);

/// What is still in flight: `(name, is_login)` for every row with a renewal or login running.
fn in_flight(app: &App) -> Vec<(&str, bool)> {
    app.rows
        .iter()
        .filter(|r| r.is_renewing())
        .map(|r| (r.name(), r.status.logging_in))
        .collect()
}

/// "finishing 2 renewals and 1 login… (q again to abandon)"; `quit_key` names the key.
pub(crate) fn waiting_text(renewals: usize, logins: usize, quit_key: &str) -> String {
    let renewals_text = || match renewals {
        1 => tr!("quit.renewals_one"),
        n => tr!("quit.renewals_many", n = n),
    };
    let logins_text = || match logins {
        1 => tr!("quit.logins_one"),
        n => tr!("quit.logins_many", n = n),
    };
    let what = match (renewals, logins) {
        (_, 0) => renewals_text(),
        (0, _) => logins_text(),
        _ => tr!(
            "quit.both",
            renewals = renewals_text(),
            logins = logins_text()
        ),
    };
    tr!("quit.finishing", what = what, quit = quit_key)
}

/// q, Esc at the top, Ctrl-C, SIGTERM, SIGHUP.
pub(crate) fn request(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    let busy: Vec<String> = in_flight(app)
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    if busy.is_empty() {
        return quit_now(app, fx);
    }
    if app.quitting {
        app.abandoned = busy;
        return quit_now(app, fx);
    }
    app.quitting = true;
    fx.push(Effect::StopQueued);
    show_waiting(app, now);
}

/// After every action: once nothing is in flight any more, a pending quit goes ahead.
pub(crate) fn continue_pending(app: &mut App, now: Timestamp, fx: &mut Vec<Effect>) {
    if !app.quitting || fx.contains(&Effect::Quit) {
        return;
    }
    if in_flight(app).is_empty() {
        quit_now(app, fx);
    } else {
        show_waiting(app, now);
    }
}

fn show_waiting(app: &mut App, now: Timestamp) {
    let flying = in_flight(app);
    let logins = flying.iter().filter(|(_, login)| *login).count();
    app.toast = Some(Toast {
        level: Level::Warn,
        text: waiting_text(
            flying.len() - logins,
            logins,
            &app.keymap.label(Context::Normal, Command::Quit),
        ),
        until: now.saturating_add(WAITING_TOAST).unwrap_or(now),
    });
}

fn quit_now(app: &mut App, fx: &mut Vec<Effect>) {
    // Never leave a copied token behind on the clipboard.
    if app.clipboard.take().is_some() {
        fx.push(Effect::ClearClipboard);
    }
    fx.push(Effect::Quit);
}

/// What to print once the terminal is restored, when a second quit abandoned something.
pub(crate) fn abandoned_note(abandoned: &[String]) -> Option<String> {
    if abandoned.is_empty() {
        return None;
    }
    Some(tr!("quit.abandoned", names = abandoned.join(", ")))
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::dashboard::app::fixtures::{app_with, at, demo_set, now, select, token};
    use crate::dashboard::app::{Action, Mode, RenewedInfo, update};

    fn press(app: &mut App, c: char) -> Vec<Effect> {
        update(app, Action::Key(KeyEvent::from(KeyCode::Char(c))), now())
    }

    fn renewed(app: &mut App, name: &str) -> Vec<Effect> {
        let fresh = token("alice", "alice", "11250", "Normal", at(86_400));
        let result = Ok(RenewedInfo {
            token: fresh,
            renewed_at: now(),
        });
        let name = name.to_owned();
        update(app, Action::Renewed { name, result }, now())
    }

    #[test]
    fn quit_waits_for_renewals_in_flight_then_goes() {
        let mut app = app_with(demo_set());
        select(&mut app, "wuxi-gpu");
        press(&mut app, 'r');
        select(&mut app, "hefei");
        press(&mut app, 'r');
        assert_eq!(
            press(&mut app, 'q'),
            [Effect::StopQueued],
            "q must not quit yet"
        );
        let toast = app.toast.as_ref().unwrap();
        assert_eq!(toast.text, "finishing 2 renewals… (q again to abandon)");
        // Long after the usual toast life, the wait is still on screen.
        update(&mut app, Action::Tick, at(60));
        assert!(app.toast.as_ref().unwrap().text.starts_with("finishing"));
        assert!(renewed(&mut app, "wuxi-gpu").is_empty());
        assert_eq!(
            app.toast.as_ref().unwrap().text,
            "finishing 1 renewal… (q again to abandon)"
        );
        assert_eq!(renewed(&mut app, "hefei"), [Effect::Quit]);
        assert!(app.abandoned.is_empty());
    }

    #[test]
    fn a_second_quit_abandons_and_names_what() {
        let mut app = app_with(demo_set());
        select(&mut app, "wuxi-gpu");
        press(&mut app, 'r');
        // SIGTERM first, then Ctrl-C.
        assert_eq!(
            update(&mut app, Action::QuitRequested, now()),
            [Effect::StopQueued]
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(update(&mut app, Action::Key(ctrl_c), now()), [Effect::Quit]);
        assert_eq!(app.abandoned, ["wuxi-gpu"]);
        let note = abandoned_note(&app.abandoned).unwrap();
        assert!(
            note.contains("wuxi-gpu") && note.contains("actoken list"),
            "{note}"
        );
    }

    #[test]
    fn logins_count_and_quitting_starts_nothing_new() {
        let mut app = app_with(demo_set());
        app.auto_renew = true;
        select(&mut app, "xian-legacy");
        press(&mut app, 'L');
        // Auto-renew has due rows, but it starts nothing once the user asked to quit.
        let renewing = app.renewing_count();
        assert_eq!(press(&mut app, 'q'), [Effect::StopQueued]);
        assert!(app.toast.as_ref().unwrap().text.contains("login"));
        assert!(update(&mut app, Action::Tick, at(1)).is_empty());
        assert_eq!(app.renewing_count(), renewing);
    }

    #[test]
    fn nothing_in_flight_quits_at_once() {
        let mut app = app_with(demo_set());
        assert_eq!(press(&mut app, 'q'), [Effect::Quit]);
        assert_eq!(
            waiting_text(1, 1, "q"),
            "finishing 1 renewal and 1 login… (q again to abandon)"
        );
    }

    #[test]
    fn the_quit_texts_come_from_the_catalog() {
        use crate::i18n::{Lang, with_lang};
        with_lang(Lang::ZhCn, || {
            assert_eq!(
                waiting_text(2, 1, "q"),
                "正在完成 2 个续约和 1 个登录…（再按 q 放弃）"
            );
            assert_eq!(waiting_text(0, 1, "q"), "正在完成 1 个登录…（再按 q 放弃）");
            let note = abandoned_note(&["西北一区".to_owned()]).unwrap();
            assert!(note.starts_with("进行中时被放弃：西北一区。"), "{note}");
        });
        assert_eq!(
            waiting_text(3, 0, "q"),
            "finishing 3 renewals… (q again to abandon)"
        );
    }

    /// A late "needs secret" reply must not replace the Add form holding a pasted token.
    #[test]
    fn a_late_secret_prompt_waits_for_the_open_dialog() {
        let mut app = app_with(demo_set());
        press(&mut app, 'a');
        update(&mut app, Action::Paste("typed-by-the-user".into()), now());
        let prompt = "secret key of dave (access key AKDAVE)".to_owned();
        let name = "xian-legacy".to_owned();
        update(&mut app, Action::LoginNeedsSecret { name, prompt }, now());
        let Mode::Add(form) = &app.mode else {
            panic!("the add form was replaced: {:?}", app.mode);
        };
        assert_eq!(form.name, "typed-by-the-user");
        update(&mut app, Action::Key(KeyEvent::from(KeyCode::Esc)), now());
        assert!(matches!(&app.mode, Mode::Secret(p) if p.name == "xian-legacy"));
    }
}
