//! The agent panel and the approval dialog, drawn into ratatui's TestBackend at a fixed
//! instant and compared with insta snapshots.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use jiff::Timestamp;

use super::tests::render;
use crate::dashboard::app::fixtures::{
    agent_says, app_with, at, chinese_set, now, pending, served,
};
use crate::dashboard::app::{Action, App, Mode, update};

const KUNSHAN: &str = "华东一区【昆山】";

fn screen(app: &mut App, w: u16, h: u16, t: Timestamp) -> String {
    render(app, w, h, t).backend().to_string()
}

/// An agent that served three requests (one over a forward) and holds a forwarded request
/// for 华东一区【昆山】 from `ssh` (pid 4242) for 60 s.
fn busy_agent() -> App {
    let mut app = app_with(chinese_set());
    agent_says(
        &mut app,
        vec![
            served(-300, "list", None, 3100, "/usr/bin/actoken", false, "ok"),
            served(
                -120,
                "token",
                Some("alice/华东一区"),
                3177,
                "/usr/bin/python3",
                false,
                "ok",
            ),
            served(
                -30,
                "token",
                Some(KUNSHAN),
                4242,
                "/usr/bin/ssh",
                true,
                "allowed once",
            ),
            pending(7, KUNSHAN, 4242, "/usr/bin/ssh", true, 60),
        ],
    );
    app
}

fn esc(app: &mut App) {
    let key = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
    update(app, Action::Key(key), now());
}

#[test]
fn approval_dialog_over_the_agent_panel_80x24() {
    let mut app = busy_agent();
    assert!(matches!(app.mode, Mode::Approval(_)));
    let s = screen(&mut app, 80, 24, at(18));
    for words in [
        KUNSHAN,
        "4242 /usr/bin/ssh",
        "another machine, over an SSH forward",
        "Answer within 42s",
        "y allow once",
        "a allow for 30 min",
        "n deny",
        "Esc later",
    ] {
        assert!(s.contains(words), "{words:?} missing:\n{s}");
    }
    assert_snapshot!(s);
}

/// Closed with Esc: the request waits in the panel (first, with its time left), the status
/// bar names the key that opens it again, and the served requests follow, newest first.
#[test]
fn agent_panel_with_a_request_waiting_120x30() {
    let mut app = busy_agent();
    esc(&mut app);
    let s = screen(&mut app, 120, 30, at(18));
    assert!(s.contains("! answer the agent (1 waiting)"), "{s}");
    let panel: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.contains("agent: last requests"))
        .collect();
    assert!(panel[1].contains("answer within 42s"), "{s}");
    assert!(
        panel[2].contains("forwarded") && panel[2].contains("11:59:30"),
        "{s}"
    );
    assert!(
        panel[4].contains("11:55:00") && panel[4].contains("list"),
        "{s}"
    );
    assert_snapshot!(s);
}

#[test]
fn zh_approval_dialog_and_panel_120x30() {
    use crate::i18n::{Lang, with_lang};
    with_lang(Lang::ZhCn, || {
        let mut app = busy_agent();
        let s = screen(&mut app, 120, 30, at(18));
        assert!(s.contains("另一台机器，经 SSH 转发"), "{s}");
        assert!(s.contains(KUNSHAN), "{s}");
        assert_snapshot!(s);
    });
}

/// A name, an executable and an answer holding escape sequences (OSC 52, a screen clear, a
/// bidi override) reach the screen inert, in the panel and in the dialog.
#[test]
fn hostile_names_and_executables_from_the_agent_are_shown_inert() {
    let evil_name = "evil\u{1b}]52;c;SGk=\u{7}";
    let evil_exe = "/tmp/\u{1b}[2J\u{202e}hss";
    let mut app = app_with(chinese_set());
    agent_says(
        &mut app,
        vec![
            served(
                -1,
                "token\u{1b}[1m",
                Some(evil_name),
                66,
                evil_exe,
                false,
                "ok\u{1b}[31m",
            ),
            pending(1, evil_name, 66, evil_exe, false, 60),
        ],
    );
    for (w, h) in [(80, 24), (200, 60)] {
        let s = screen(&mut app, w, h, now());
        assert!(matches!(app.mode, Mode::Approval(_)));
        for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!s.contains(bad), "{bad:?} reached the screen:\n{s:?}");
        }
        assert!(s.contains("evil�]52;c;SGk=�"), "{s}");
        assert!(s.contains("/tmp/�[2J�hss"), "{s}");
    }
}

#[test]
fn tiny_terminals_with_the_agent_do_not_panic() {
    let mut app = busy_agent();
    for (w, h) in [(1, 1), (20, 5), (40, 10), (60, 12)] {
        render(&mut app, w, h, at(18));
    }
    esc(&mut app);
    for (w, h) in [(1, 1), (20, 5), (40, 10), (60, 12)] {
        render(&mut app, w, h, at(18));
    }
}
