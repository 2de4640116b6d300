//! The agent beside the dashboard, headless: its events open and close the approval dialog,
//! the dialog's keys answer the right request, and nothing is shown without an agent.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::{SignedDuration, Timestamp};

use super::agent::{Asked, GRACE, KEEP};
use super::approval::ARMING;
use super::fixtures::{agent_says, app_with, at, chinese_set, now, pending, served};
use super::*;
use crate::agent::protocol::{Decision, Event};

const KUNSHAN: &str = "华东一区【昆山】";

fn key_at(app: &mut App, code: KeyCode, t: Timestamp) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)), t)
}

fn ch_at(app: &mut App, c: char, t: Timestamp) -> Vec<Effect> {
    key_at(app, KeyCode::Char(c), t)
}

/// An instant at which a dialog opened at `now()` answers keys.
fn armed() -> Timestamp {
    now() + ARMING
}

fn event(app: &mut App, event: Event, t: Timestamp) -> Vec<Effect> {
    update(app, Action::Agent(AgentNews::Event(event)), t)
}

fn dialog_id(app: &App) -> Option<u64> {
    match &app.mode {
        Mode::Approval(approval) => Some(approval.id),
        _ => None,
    }
}

fn toast_text(app: &App) -> &str {
    &app.toast.as_ref().expect("a toast").text
}

/// A forwarded request for 华东一区【昆山】, held 60 s.
fn forwarded_request(id: u64) -> Event {
    pending(id, KUNSHAN, 4242, "/usr/bin/ssh", true, 60)
}

#[test]
fn without_an_agent_nothing_is_shown_and_p_says_so() {
    let mut app = app_with(chinese_set());
    assert!(!app.agent.panel_visible());
    assert!(
        layout::areas(ratatui::layout::Rect::new(0, 0, 80, 24), &app)
            .agent
            .is_none()
    );
    ch_at(&mut app, 'p', now());
    assert!(
        toast_text(&app).contains("no agent is running"),
        "{:?}",
        app.toast
    );
}

#[test]
fn a_pending_event_opens_the_dialog_for_that_request() {
    let mut app = app_with(chinese_set());
    agent_says(
        &mut app,
        vec![served(
            -5,
            "list",
            None,
            100,
            "/usr/bin/actoken",
            false,
            "ok",
        )],
    );
    assert!(app.agent.panel_visible());
    assert_eq!(dialog_id(&app), None);
    event(&mut app, forwarded_request(7), now());
    assert_eq!(dialog_id(&app), Some(7));
    let asked = app.agent.pending(7).unwrap();
    assert_eq!(asked.name, KUNSHAN);
    assert!(asked.forwarded);
    assert_eq!(asked.left(at(18)), Some(SignedDuration::from_secs(42)));
}

#[test]
fn each_key_sends_decide_with_the_requests_id_and_its_decision() {
    for (key, decision, words) in [
        ('y', Decision::Once, "allowed once"),
        ('a', Decision::For30Min, "allowed for 30 min"),
        ('n', Decision::Deny, "denied"),
    ] {
        let mut app = app_with(chinese_set());
        agent_says(
            &mut app,
            vec![pending(3, "other", 1, "/bin/true", false, 60)],
        );
        event(&mut app, forwarded_request(9), now());
        // The oldest request is asked first; answering it moves on to the next.
        assert_eq!(dialog_id(&app), Some(3));
        assert_eq!(
            ch_at(&mut app, 'n', armed()),
            vec![Effect::Decide {
                id: 3,
                decision: Decision::Deny
            }]
        );
        assert_eq!(dialog_id(&app), Some(9));
        let t = armed() + SignedDuration::from_secs(1);
        assert_eq!(
            ch_at(&mut app, key, t),
            vec![Effect::Decide { id: 9, decision }],
            "{key}"
        );
        assert!(matches!(app.mode, Mode::Normal));
        assert_eq!(app.agent.pending(9).unwrap().asked, Asked::Sent(decision));
        assert_eq!(
            toast_text(&app),
            format!("answered the agent's request for {KUNSHAN}: {words}")
        );
    }
}

/// A key pressed for the dashboard as the dialog appears (`y` copies, `a` adds) does not
/// answer it; Esc works at once.
#[test]
fn answering_keys_wait_until_the_dialog_is_armed() {
    let mut app = app_with(chinese_set());
    agent_says(&mut app, vec![forwarded_request(1)]);
    for c in ['y', 'a', 'n'] {
        assert!(ch_at(&mut app, c, now()).is_empty(), "{c}");
        assert_eq!(dialog_id(&app), Some(1));
    }
    let just_before = armed() - SignedDuration::from_millis(1);
    assert!(ch_at(&mut app, 'y', just_before).is_empty());
    assert!(key_at(&mut app, KeyCode::Esc, now()).is_empty());
    assert!(matches!(app.mode, Mode::Normal));
}

/// Esc closes the dialog without an answer: the request stays pending (the agent denies it at
/// its deadline), the status bar counts it, and `!` opens it again.
#[test]
fn esc_leaves_the_request_pending_and_bang_opens_it_again() {
    let mut app = app_with(chinese_set());
    agent_says(&mut app, vec![forwarded_request(5)]);
    assert!(key_at(&mut app, KeyCode::Esc, now()).is_empty());
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.agent.pending(5).unwrap().asked, Asked::Later);
    assert_eq!(app.agent.unanswered(), 1);
    // It does not come back by itself.
    update(&mut app, Action::Tick, at(1));
    assert!(matches!(app.mode, Mode::Normal));
    ch_at(&mut app, '!', at(2));
    assert_eq!(dialog_id(&app), Some(5));
    // Opened again at 2 s: armed a second later.
    assert!(ch_at(&mut app, 'y', at(2)).is_empty());
    assert_eq!(
        ch_at(&mut app, 'y', at(3)),
        vec![Effect::Decide {
            id: 5,
            decision: Decision::Once
        }]
    );
    assert_eq!(app.agent.unanswered(), 0);
    ch_at(&mut app, '!', at(4));
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(
        toast_text(&app),
        "no request of the agent is waiting for an answer"
    );
}

#[test]
fn settled_elsewhere_closes_the_dialog_and_says_how() {
    let mut app = app_with(chinese_set());
    agent_says(&mut app, vec![forwarded_request(2)]);
    assert_eq!(dialog_id(&app), Some(2));
    let settled = Event::Settled {
        id: 2,
        decision: Decision::For30Min,
    };
    assert!(event(&mut app, settled, at(10)).is_empty());
    assert!(matches!(app.mode, Mode::Normal));
    assert!(app.agent.pending.is_empty());
    assert_eq!(
        toast_text(&app),
        format!("the agent's request for {KUNSHAN} was answered elsewhere: allowed for 30 min")
    );

    // Nobody answered: at its deadline the agent denies it.
    event(&mut app, forwarded_request(3), at(10));
    assert_eq!(dialog_id(&app), Some(3));
    let denied = Event::Settled {
        id: 3,
        decision: Decision::Deny,
    };
    event(&mut app, denied, at(60));
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(
        toast_text(&app),
        format!("nobody answered the agent's request for {KUNSHAN} in time: denied")
    );
}

#[test]
fn settled_after_our_own_answer_adds_nothing() {
    let mut app = app_with(chinese_set());
    agent_says(&mut app, vec![forwarded_request(4)]);
    ch_at(&mut app, 'n', armed());
    let before = app.toast.clone();
    update(
        &mut app,
        Action::Decided {
            id: 4,
            decision: Decision::Deny,
            result: Ok(()),
        },
        armed(),
    );
    let settled = Event::Settled {
        id: 4,
        decision: Decision::Deny,
    };
    event(&mut app, settled, armed());
    assert_eq!(app.toast, before);
    assert!(app.agent.pending.is_empty());
}

/// The agent refused our answer (an older agent, a request settled meanwhile): the toast says
/// so, and the request can be answered again with `!`.
#[test]
fn a_refused_answer_is_said_and_can_be_given_again() {
    let mut app = app_with(chinese_set());
    agent_says(&mut app, vec![forwarded_request(6)]);
    ch_at(&mut app, 'y', armed());
    update(
        &mut app,
        Action::Decided {
            id: 6,
            decision: Decision::Once,
            result: Err("the agent at /run/a.sock answered: no such request".into()),
        },
        armed(),
    );
    assert!(
        toast_text(&app).contains("no such request"),
        "{:?}",
        app.toast
    );
    assert!(
        toast_text(&app).contains("! opens it again"),
        "{:?}",
        app.toast
    );
    assert_eq!(app.agent.pending(6).unwrap().asked, Asked::Later);
    assert!(matches!(app.mode, Mode::Normal));
    ch_at(&mut app, '!', armed());
    assert_eq!(dialog_id(&app), Some(6));
}

/// A request never pops over a field being typed in or a yes/no question (a key meant for them
/// would answer it): it waits, counted on the status bar, and opens when that closes.
#[test]
fn the_dialog_waits_while_the_user_types() {
    let mut app = app_with(chinese_set());
    agent_says(&mut app, Vec::new());
    ch_at(&mut app, 'a', now());
    assert!(matches!(app.mode, Mode::Add(_)));
    event(&mut app, forwarded_request(8), now());
    assert!(matches!(app.mode, Mode::Add(_)));
    ch_at(&mut app, 'y', at(5));
    assert!(matches!(&app.mode, Mode::Add(form) if form.name == "y"));
    key_at(&mut app, KeyCode::Esc, at(6));
    assert_eq!(dialog_id(&app), Some(8));
    // Armed from when it opened, not from when the request came.
    assert!(ch_at(&mut app, 'y', at(6)).is_empty());
}

#[test]
fn the_agent_going_away_closes_the_dialog_and_hides_the_panel() {
    let mut app = app_with(chinese_set());
    agent_says(&mut app, vec![forwarded_request(1)]);
    assert_eq!(dialog_id(&app), Some(1));
    update(&mut app, Action::Agent(AgentNews::Gone), at(3));
    assert!(matches!(app.mode, Mode::Normal));
    assert!(!app.agent.panel_visible());
    assert!(app.agent.pending.is_empty() && app.agent.served.is_empty());
    assert!(
        toast_text(&app).contains("the agent stopped"),
        "{:?}",
        app.toast
    );
    // It comes back: its history and pending requests arrive again, nothing twice.
    agent_says(
        &mut app,
        vec![
            served(
                -9,
                "token",
                Some(KUNSHAN),
                12,
                "/usr/bin/python3",
                false,
                "ok",
            ),
            forwarded_request(1),
        ],
    );
    assert_eq!(app.agent.served.len(), 1);
    assert_eq!(dialog_id(&app), Some(1));
}

/// A `settled` that never comes must not leave a dialog counting nothing forever.
#[test]
fn a_request_long_past_its_deadline_is_dropped() {
    let mut app = app_with(chinese_set());
    agent_says(&mut app, vec![forwarded_request(1)]);
    update(&mut app, Action::Tick, at(60));
    assert_eq!(dialog_id(&app), Some(1));
    update(&mut app, Action::Tick, at(60) + GRACE);
    assert!(matches!(app.mode, Mode::Normal));
    assert!(app.agent.pending.is_empty());
    assert!(
        toast_text(&app).contains("in time: denied"),
        "{:?}",
        app.toast
    );
}

#[test]
fn the_panel_keeps_the_last_requests_and_p_hides_it() {
    let mut app = app_with(chinese_set());
    let many = (0..KEEP + 7)
        .map(|i| {
            served(
                i as i64,
                "token",
                Some(KUNSHAN),
                10,
                "/usr/bin/curl",
                false,
                "ok",
            )
        })
        .collect();
    agent_says(&mut app, many);
    assert_eq!(app.agent.served.len(), KEEP);
    assert_eq!(app.agent.served.front().unwrap().at, Some(at(7)));
    let page = |app: &App| layout::table_body(app).height;
    let with_panel = page(&app);
    ch_at(&mut app, 'p', now());
    assert!(!app.agent.panel_visible());
    // The table gets the panel's lines back (paging and clicks follow the layout).
    assert_eq!(page(&app), with_panel + 6);
    ch_at(&mut app, 'p', now());
    assert!(app.agent.panel_visible());
}
