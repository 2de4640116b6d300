//! Headless tests of `update`: keys, mouse, timer and network results, no terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use jiff::Timestamp;

use super::fixtures::{app_with, at, demo_set, many, now, select, token};
use super::*;
use crate::clipboard::{ClearOutcome, ClipboardKind, TmuxCopy};

const URGENCY_ORDER: [&str; 8] = [
    "kunshan-old",
    "hefei",
    "wuxi-gpu",
    "xian-legacy",
    "broken-paste",
    "orphan",
    "kunshan",
    "zhengzhou",
];

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    key_at(app, code, now())
}

fn key_at(app: &mut App, code: KeyCode, t: Timestamp) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)), t)
}

fn ch(app: &mut App, c: char) -> Vec<Effect> {
    key(app, KeyCode::Char(c))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(ch(app, c).is_empty());
    }
}

fn order(app: &App) -> Vec<&str> {
    app.view.iter().map(|&i| app.rows[i].name()).collect()
}

fn selected(app: &App) -> &str {
    app.selected_row().unwrap().name()
}

fn toast_text(app: &App) -> &str {
    &app.toast.as_ref().expect("a toast").text
}

#[test]
fn default_sort_puts_the_most_urgent_action_first() {
    let app = app_with(demo_set());
    assert_eq!(order(&app), URGENCY_ORDER);
    assert_eq!(selected(&app), "kunshan-old");
}

#[test]
fn s_cycles_name_cluster_urgency_and_keeps_the_selection() {
    let mut app = app_with(demo_set());
    select(&mut app, "wuxi-gpu");
    ch(&mut app, 's');
    assert_eq!(app.sort, SortMode::Name);
    assert_eq!(order(&app)[..3], ["broken-paste", "hefei", "kunshan"]);
    assert_eq!(selected(&app), "wuxi-gpu");
    ch(&mut app, 's');
    assert_eq!(app.sort, SortMode::Cluster);
    // 10086 < 11112 < 11126 < 11250 (two) < 11301, then the rows without a cluster.
    assert_eq!(
        order(&app),
        [
            "xian-legacy",
            "hefei",
            "wuxi-gpu",
            "kunshan",
            "kunshan-old",
            "zhengzhou",
            "broken-paste",
            "orphan"
        ]
    );
    ch(&mut app, 's');
    assert_eq!(app.sort, SortMode::Urgency);
    assert_eq!(order(&app), URGENCY_ORDER);
}

#[test]
fn urgency_order_follows_the_clock() {
    let mut app = app_with(demo_set());
    // Two minutes later "hefei" has expired: it is now renewable, racing its cutoff
    // (cutoff ~24h) behind kunshan-old (cutoff ~21h).
    update(&mut app, Action::Tick, at(120));
    assert_eq!(order(&app)[..3], ["kunshan-old", "hefei", "wuxi-gpu"]);
    assert_eq!(
        app.row("hefei")
            .unwrap()
            .urgency(at(120), app.settings.timing),
        Urgency::Renewable
    );
}

#[test]
fn navigation_keys_move_and_clamp() {
    let mut app = app_with(many(100));
    assert_eq!(app.selected, 0);
    ch(&mut app, 'j');
    key(&mut app, KeyCode::Down);
    assert_eq!(app.selected, 2);
    ch(&mut app, 'k');
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.selected, 0);
    ch(&mut app, 'G');
    assert_eq!(app.selected, 99);
    // The window follows the selection: 24 lines minus header, table header, message, status.
    let page = 20;
    assert_eq!(app.offset, 100 - page);
    ch(&mut app, 'g');
    assert_eq!((app.selected, app.offset), (0, 0));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.selected, page);
    assert_eq!(app.offset, 1);
    key(&mut app, KeyCode::PageUp);
    assert_eq!(app.selected, 0);
}

#[test]
fn mouse_click_selects_the_row_under_it_and_wheel_scrolls() {
    let mut app = app_with(demo_set());
    // Line 0 is the title, line 1 the table header; line 4 is the third token.
    let click = |row| {
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 5,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut app, click(4), now());
    assert_eq!(selected(&app), URGENCY_ORDER[2]);
    // Clicking the header or below the last row changes nothing.
    update(&mut app, click(1), now());
    update(&mut app, click(20), now());
    assert_eq!(selected(&app), URGENCY_ORDER[2]);
    let wheel = |kind| {
        Action::Mouse(MouseEvent {
            kind,
            column: 5,
            row: 5,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut app, wheel(MouseEventKind::ScrollDown), now());
    assert_eq!(selected(&app), URGENCY_ORDER[5]);
    update(&mut app, wheel(MouseEventKind::ScrollUp), now());
    assert_eq!(selected(&app), URGENCY_ORDER[2]);
}

#[test]
fn filter_matches_name_user_and_cluster() {
    let mut app = app_with(demo_set());
    ch(&mut app, '/');
    assert!(matches!(app.mode, Mode::Filter));
    typed(&mut app, "alice");
    assert_eq!(order(&app), ["wuxi-gpu", "kunshan"]);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "CE");
    assert_eq!(order(&app), ["wuxi-gpu", "kunshan"]);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.filter, "aliCE");
    assert_eq!(order(&app), ["wuxi-gpu", "kunshan"]);
    // Esc in the dashboard clears the filter instead of quitting.
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.view.len(), 8);
    // By cluster, and by compute user.
    ch(&mut app, '/');
    typed(&mut app, "11250");
    assert_eq!(order(&app), ["kunshan-old", "kunshan"]);
    key(&mut app, KeyCode::Esc);
    assert!(app.filter.is_empty());
    ch(&mut app, '/');
    typed(&mut app, "sc_alice");
    assert_eq!(order(&app), ["wuxi-gpu"]);
}

#[test]
fn q_and_ctrl_c_quit_esc_quits_only_at_the_top() {
    let mut app = app_with(demo_set());
    assert_eq!(ch(&mut app, 'q'), [Effect::Quit]);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(update(&mut app, Action::Key(ctrl_c), now()), [Effect::Quit]);
    key(&mut app, KeyCode::Enter);
    assert!(app.show_details);
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(!app.show_details);
    assert_eq!(key(&mut app, KeyCode::Esc), [Effect::Quit]);
}

#[test]
fn r_renews_the_selected_token_once() {
    let mut app = app_with(demo_set());
    select(&mut app, "wuxi-gpu");
    assert_eq!(ch(&mut app, 'r'), [Effect::Renew(vec!["wuxi-gpu".into()])]);
    assert!(app.row("wuxi-gpu").unwrap().is_renewing());
    assert_eq!(app.renewing_count(), 1);
    // A second press while in flight does nothing but say so.
    assert!(ch(&mut app, 'r').is_empty());
    assert!(toast_text(&app).contains("already being renewed"));
    // The result updates the row in place.
    let new = token("alice", "sc_alice01", "11126", "Normal", at(24 * 3600));
    let fx = update(
        &mut app,
        Action::Renewed {
            name: "wuxi-gpu".into(),
            result: Ok(RenewedInfo {
                token: new,
                renewed_at: at(3),
            }),
        },
        at(3),
    );
    assert!(fx.is_empty());
    let row = app.row("wuxi-gpu").unwrap();
    assert!(!row.is_renewing());
    assert_eq!(row.meta.renewed_at, Some(at(3)));
    assert_eq!(row.urgency(at(3), app.settings.timing), Urgency::Calm);
    assert_eq!(toast_text(&app), "renewed wuxi-gpu: now expires in 23h 59m");
    // Still selected although it moved down the urgency order.
    assert_eq!(selected(&app), "wuxi-gpu");
}

#[test]
fn r_on_a_dead_token_logs_in_again_and_on_broken_ones_explains() {
    let mut app = app_with(demo_set());
    select(&mut app, "xian-legacy");
    // Renewing cannot help a dead token: r does what L does.
    assert_eq!(
        ch(&mut app, 'r'),
        [Effect::Login {
            name: "xian-legacy".into(),
            secret: None
        }]
    );
    assert!(toast_text(&app).contains("logging in again as dave"));
    select(&mut app, "broken-paste");
    assert!(ch(&mut app, 'r').is_empty());
    assert!(toast_text(&app).contains("not a region token"));
    select(&mut app, "orphan");
    assert!(ch(&mut app, 'r').is_empty());
    assert!(toast_text(&app).contains("the keyring has no secret for it"));
}

#[test]
fn renewal_failure_stays_on_the_row() {
    let mut app = app_with(demo_set());
    select(&mut app, "hefei");
    ch(&mut app, 'r');
    let msg = "the server refused the token (10004: invalid parameters): get a new token";
    update(
        &mut app,
        Action::Renewed {
            name: "hefei".into(),
            result: Err(msg.into()),
        },
        at(2),
    );
    let row = app.row("hefei").unwrap();
    assert!(!row.is_renewing());
    assert_eq!(row.status.last_error.as_deref(), Some(msg));
    assert_eq!(row.status.failures, 1);
    assert_eq!(app.toast.as_ref().unwrap().level, Level::Error);
    assert!(toast_text(&app).contains("10004"));
}

#[test]
fn capital_r_renews_every_due_or_renewable_token() {
    let mut app = app_with(demo_set());
    let fx = ch(&mut app, 'R');
    let [Effect::Renew(names)] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    let mut names = names.clone();
    names.sort();
    assert_eq!(names, ["hefei", "kunshan-old", "wuxi-gpu"]);
    // All three are in flight now: a second R has nothing to do.
    assert!(ch(&mut app, 'R').is_empty());
    assert!(toast_text(&app).starts_with("nothing to renew"));
    assert!(toast_text(&app).contains("2h 00m"));
}

#[test]
fn auto_renew_picks_due_tokens_and_backs_off_after_failures() {
    let mut app = app_with(demo_set());
    // Off by default: a tick renews nothing.
    assert!(update(&mut app, Action::Tick, now()).is_empty());
    let fx = ch(&mut app, 'A');
    assert!(app.auto_renew);
    let [Effect::Renew(names)] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    let mut names = names.clone();
    names.sort();
    // The dead one gets a single try: the renewer logs in again if its key is remembered.
    assert_eq!(names, ["hefei", "kunshan-old", "wuxi-gpu", "xian-legacy"]);
    // In flight: the next tick does not start them again.
    assert!(update(&mut app, Action::Tick, at(1)).is_empty());
    let no_key =
        "xian-legacy: no secret key is remembered for dave: log in with `actoken login ...`";
    update(
        &mut app,
        Action::Renewed {
            name: "xian-legacy".into(),
            result: Err(no_key.into()),
        },
        at(1),
    );
    // ... and no more: without a key, retrying would only repeat the error.
    assert!(
        !autorenew::due(&app.rows, at(5000), app.settings.timing)
            .contains(&"xian-legacy".to_string())
    );

    let fail = |app: &mut App, t| {
        update(
            app,
            Action::Renewed {
                name: "hefei".into(),
                result: Err(TaskError::new(
                    FailureKind::Retry,
                    "connection refused: check the base URL",
                )),
            },
            t,
        )
    };
    fail(&mut app, at(2));
    assert!(toast_text(&app).contains("retries in 30s"));
    // 30 s back-off after the first failure.
    assert!(update(&mut app, Action::Tick, at(31)).is_empty());
    assert_eq!(
        update(&mut app, Action::Tick, at(32)),
        [Effect::Renew(vec!["hefei".into()])]
    );
    // 60 s after the second.
    fail(&mut app, at(33));
    assert!(update(&mut app, Action::Tick, at(92)).is_empty());
    assert_eq!(
        update(&mut app, Action::Tick, at(93)),
        [Effect::Renew(vec!["hefei".into()])]
    );
    // The pure decision function agrees, and manual r ignores the back-off.
    fail(&mut app, at(94));
    assert!(autorenew::due(&app.rows, at(100), app.settings.timing).is_empty());
    select(&mut app, "hefei");
    assert_eq!(ch(&mut app, 'r'), [Effect::Renew(vec!["hefei".into()])]);
}

/// Typed task errors: "dead, log in" and "network, retry later" lead to different next steps,
/// whatever the words say.
#[test]
fn the_failure_kind_decides_retry_or_log_in() {
    let mut app = app_with(demo_set());
    app.auto_renew = true;
    let same_words = "the server said no";
    for (name, kind) in [
        ("kunshan-old", FailureKind::NeedsNewToken),
        ("hefei", FailureKind::Retry),
    ] {
        let result = Err(TaskError::new(kind, same_words));
        update(
            &mut app,
            Action::Renewed {
                name: name.into(),
                result,
            },
            now(),
        );
        let text = toast_text(&app).to_owned();
        let hold = app.row(name).unwrap().status.auto_hold_until.unwrap();
        match kind {
            FailureKind::NeedsNewToken => {
                assert!(text.contains("press L to log in again"), "{text}");
                assert!(!text.contains("retries"), "{text}");
                assert_eq!(hold, now() + autorenew::BACKOFF_MAX);
            }
            _ => {
                assert!(text.contains("auto-renew retries in 30s"), "{text}");
                assert!(!text.contains("press L"), "{text}");
                assert_eq!(hold, now() + autorenew::BACKOFF_FIRST);
            }
        }
    }
}

#[test]
fn auto_renew_does_not_loop_on_a_short_lived_renewal() {
    let mut app = app_with(demo_set());
    app.auto_renew = true;
    update(&mut app, Action::Tick, now());
    // The server hands back a token that is still inside the renew-ahead window.
    let short = token("alice", "sc_alice01", "11126", "Normal", at(3600));
    update(
        &mut app,
        Action::Renewed {
            name: "wuxi-gpu".into(),
            result: Ok(RenewedInfo {
                token: short,
                renewed_at: at(1),
            }),
        },
        at(1),
    );
    let renews = |fx: Vec<Effect>| {
        fx.iter()
            .any(|e| matches!(e, Effect::Renew(n) if n.contains(&"wuxi-gpu".to_string())))
    };
    assert!(!renews(update(&mut app, Action::Tick, at(2))));
    assert!(!renews(update(&mut app, Action::Tick, at(300))));
    assert!(renews(update(&mut app, Action::Tick, at(301))));
}

#[test]
fn auto_renew_from_config_starts_on_load() {
    let config = crate::config::Config {
        auto_renew: true,
        ..Default::default()
    };
    let mut app = App::new(&config, jiff::tz::TimeZone::UTC, false, true);
    let fx = update(&mut app, Action::Loaded(demo_set()), now());
    assert!(
        matches!(fx.as_slice(), [Effect::Renew(n)] if n.len() == 4),
        "{fx:?}"
    );
}

#[test]
fn reload_keeps_row_status() {
    let mut app = app_with(demo_set());
    select(&mut app, "wuxi-gpu");
    ch(&mut app, 'r');
    update(&mut app, Action::Loaded(demo_set()), at(1));
    assert!(app.row("wuxi-gpu").unwrap().is_renewing());
    assert_eq!(selected(&app), "wuxi-gpu");
}

#[test]
fn copy_then_clear_after_the_configured_time() {
    let mut app = app_with(demo_set());
    select(&mut app, "kunshan");
    assert_eq!(
        ch(&mut app, 'c'),
        [Effect::Copy {
            name: "kunshan".into()
        }]
    );
    assert_eq!(
        ch(&mut app, 'y'),
        [Effect::Copy {
            name: "kunshan".into()
        }]
    );
    update(
        &mut app,
        Action::Copied {
            name: "kunshan".into(),
            result: Ok(ClipboardKind::Osc52 { tmux: false }),
        },
        at(1),
    );
    assert_eq!(
        toast_text(&app),
        "copied kunshan to your terminal's clipboard (OSC 52); it will be cleared in 30s"
    );
    assert_eq!(app.clipboard, Some(("kunshan".into(), at(31))));
    assert!(update(&mut app, Action::Tick, at(30)).is_empty());
    assert_eq!(
        update(&mut app, Action::Tick, at(31)),
        [Effect::ClearClipboard]
    );
    assert_eq!(app.clipboard, None);
    assert!(update(&mut app, Action::Tick, at(32)).is_empty());
    update(
        &mut app,
        Action::ClipboardCleared(Ok(ClearOutcome::LeftAlone)),
        at(32),
    );
    assert!(toast_text(&app).contains("no longer holds the token"));
}

/// Inside tmux, the clear says plainly what became of tmux's own copy (a paste buffer), in
/// both languages: deleted, not there, or perhaps still there and how to look.
#[test]
fn the_clear_says_what_became_of_tmuxs_copy() {
    use crate::i18n::{Lang, with_lang};
    let cleared = |outcome: ClearOutcome, lang: Lang| {
        let mut app = app_with(demo_set());
        with_lang(lang, || {
            update(&mut app, Action::ClipboardCleared(Ok(outcome)), now());
            (
                toast_text(&app).to_owned(),
                app.toast.as_ref().map(|t| t.level),
            )
        })
    };
    let (text, _) = cleared(
        ClearOutcome::ClearSent(Some(TmuxCopy::Deleted(1))),
        Lang::En,
    );
    assert!(text.contains("deleted tmux's paste buffer"), "{text}");
    let (text, _) = cleared(ClearOutcome::ClearSent(Some(TmuxCopy::NotThere)), Lang::En);
    assert!(
        text.contains("no tmux paste buffer holds the token"),
        "{text}"
    );
    let unknown = || ClearOutcome::ClearSent(Some(TmuxCopy::Unknown("no server".into())));
    let (text, level) = cleared(unknown(), Lang::En);
    assert!(
        text.contains("a tmux paste buffer may still hold the token (no server)")
            && text.contains("tmux delete-buffer"),
        "{text}"
    );
    assert_eq!(level, Some(Level::Warn));
    let (text, _) = cleared(unknown(), Lang::ZhCn);
    assert!(
        text.contains("tmux 粘贴缓冲区可能仍保存着该访问凭证"),
        "{text}"
    );
    let (text, _) = cleared(ClearOutcome::ClearSent(None), Lang::En);
    assert_eq!(text, "asked the terminal to clear its clipboard");
}

#[test]
fn quitting_clears_a_pending_copy_first() {
    let mut app = app_with(demo_set());
    update(
        &mut app,
        Action::Copied {
            name: "kunshan".into(),
            result: Ok(ClipboardKind::System),
        },
        now(),
    );
    assert_eq!(ch(&mut app, 'q'), [Effect::ClearClipboard, Effect::Quit]);
}

#[test]
fn copying_a_dead_token_asks_first() {
    let mut app = app_with(demo_set());
    select(&mut app, "xian-legacy");
    assert!(ch(&mut app, 'c').is_empty());
    let Mode::Confirm(Confirm::CopyUnusable { name, why, instead }) = &app.mode else {
        panic!("{:?}", app.mode);
    };
    assert_eq!(name, "xian-legacy");
    assert!(why.contains("expired beyond renewal"), "{why}");
    // The row's advice, not a generic one: dave is known, so logging in again is the way.
    assert_eq!(instead, "press L to log in again as dave");
    assert!(ch(&mut app, 'n').is_empty());
    assert!(matches!(app.mode, Mode::Normal));
    ch(&mut app, 'c');
    assert_eq!(
        ch(&mut app, 'y'),
        [Effect::Copy {
            name: "xian-legacy".into()
        }]
    );
    select(&mut app, "orphan");
    assert!(ch(&mut app, 'c').is_empty());
    assert!(matches!(app.mode, Mode::Normal));
    assert!(toast_text(&app).starts_with("nothing to copy: orphan: "));
    assert!(toast_text(&app).ends_with("delete it (d) and add it again (a)"));
}

#[test]
fn delete_asks_for_confirmation() {
    let mut app = app_with(demo_set());
    select(&mut app, "orphan");
    assert!(ch(&mut app, 'd').is_empty());
    assert!(matches!(&app.mode, Mode::Confirm(Confirm::Delete { name }) if name == "orphan"));
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.rows.len(), 8);
    ch(&mut app, 'd');
    assert_eq!(ch(&mut app, 'y'), [Effect::Delete("orphan".into())]);
    update(
        &mut app,
        Action::Deleted {
            name: "orphan".into(),
            result: Ok(()),
        },
        now(),
    );
    assert!(app.row("orphan").is_none());
    assert_eq!(app.view.len(), 7);
    assert_eq!(toast_text(&app), "deleted orphan");
}

fn open_form(app: &mut App, name: &str, url: &str) {
    ch(app, 'a');
    assert!(matches!(app.mode, Mode::Add(_)));
    typed(app, name);
    key(app, KeyCode::Tab);
    key(app, KeyCode::Char('u'));
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    update(app, Action::Key(ctrl_u), now());
    typed(app, url);
    key(app, KeyCode::Tab);
    typed(app, "gpu queue");
    key(app, KeyCode::Tab);
}

fn form(app: &App) -> &AddForm {
    match &app.mode {
        Mode::Add(f) => f,
        other => panic!("{other:?}"),
    }
}

#[test]
fn add_form_refuses_a_malformed_token_before_any_effect() {
    let mut app = app_with(demo_set());
    open_form(&mut app, "suzhou", "https://sz.hpccube.com:65102");
    assert_eq!(form(&app).focus, Field::Token);
    update(&mut app, Action::Paste("eyJhbGciOi.nope\n".into()), now());
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let f = form(&app);
    assert_eq!(f.focus, Field::Token);
    assert!(
        f.error
            .as_deref()
            .unwrap()
            .contains("paste the whole region token")
    );
    assert!(!f.saving);
    // A JWT without expireTime is refused too.
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    update(&mut app, Action::Key(ctrl_u), now());
    let no_exp = super::fixtures::jwt(&serde_json::json!({"user": "x"}));
    update(&mut app, Action::Paste(no_exp), now());
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(form(&app).error.as_deref().unwrap().contains("expireTime"));
}

#[test]
fn add_form_checks_name_and_url_then_saves() {
    let mut app = app_with(demo_set());
    // A taken name.
    open_form(&mut app, "kunshan", "https://ks.hpccube.com:65102");
    let good = token("frank", "frank", "11400", "Normal", at(86_400));
    update(&mut app, Action::Paste(good.expose().to_owned()), now());
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(form(&app).focus, Field::Name);
    assert!(
        form(&app)
            .error
            .as_deref()
            .unwrap()
            .contains("already exists")
    );
    // Rename; then an insecure URL.
    for _ in 0.."kunshan".len() {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "suzhou");
    key(&mut app, KeyCode::Tab);
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    update(&mut app, Action::Key(ctrl_u), now());
    typed(&mut app, "http://sz.example.com");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(form(&app).focus, Field::BaseUrl);
    assert!(form(&app).error.as_deref().unwrap().contains("unencrypted"));
    update(&mut app, Action::Key(ctrl_u), now());
    typed(&mut app, "https://sz.hpccube.com:65102/");
    let fx = key(&mut app, KeyCode::Enter);
    assert_eq!(
        fx,
        [Effect::Add {
            name: "suzhou".into(),
            base_url: "https://sz.hpccube.com:65102".into(),
            note: Some("gpu queue".into()),
            token: good,
        }]
    );
    assert!(form(&app).saving);
    // The store refuses: the form stays open with the reason.
    update(
        &mut app,
        Action::Added {
            name: "suzhou".into(),
            result: Err("the keyring is locked: unlock it and try again".into()),
        },
        now(),
    );
    assert!(form(&app).error.as_deref().unwrap().contains("locked"));
    assert!(!form(&app).saving);
    // Second try succeeds: form closes and the store is re-read.
    key(&mut app, KeyCode::Enter);
    let fx = update(
        &mut app,
        Action::Added {
            name: "suzhou".into(),
            result: Ok(()),
        },
        now(),
    );
    assert_eq!(fx, [Effect::Reload]);
    assert!(matches!(app.mode, Mode::Normal));
}

#[test]
fn help_opens_and_closes_and_blocks_other_keys() {
    let mut app = app_with(demo_set());
    ch(&mut app, '?');
    assert!(matches!(app.mode, Mode::Help { scroll: 0 }));
    assert!(ch(&mut app, 'r').is_empty());
    ch(&mut app, 'j');
    assert!(matches!(app.mode, Mode::Help { scroll: 1 }));
    assert!(ch(&mut app, 'q').is_empty(), "q closes help, not the app");
    assert!(matches!(app.mode, Mode::Normal));
}

#[test]
fn toasts_expire() {
    let mut app = app_with(demo_set());
    ch(&mut app, 's');
    assert!(app.toast.is_some());
    update(&mut app, Action::Tick, at(4));
    assert!(app.toast.is_some());
    update(&mut app, Action::Tick, at(5));
    assert!(app.toast.is_none());
}

#[test]
fn empty_store_is_safe_for_every_key() {
    let mut app = app_with(Vec::new());
    for c in ['j', 'k', 'g', 'G', 'r', 'R', 'c', 'y', 'd', 's', 'A'] {
        ch(&mut app, c);
        assert!(matches!(app.mode, Mode::Normal), "{c}");
    }
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::Enter);
    assert!(app.selected_row().is_none());
}

fn server_says(state: Result<crate::api::TokenState, String>) -> ServerInfo {
    ServerInfo {
        center: Ok(crate::api::CenterInfo {
            home_path: Some("/public/home/alice".into()),
            ..Default::default()
        }),
        state,
        asked_at: now(),
        account: None,
    }
}

#[test]
fn details_ask_the_server_once_per_token() {
    let mut app = app_with(demo_set());
    select(&mut app, "kunshan");
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::Inspect("kunshan".into())]
    );
    assert_eq!(
        app.row("kunshan").unwrap().status.server,
        ServerView::Loading
    );
    // Moving away and back, or any other event, does not ask again while the answer is pending.
    assert!(update(&mut app, Action::Tick, now()).is_empty());
    let info = server_says(Ok(crate::api::TokenState::Accepted));
    update(
        &mut app,
        Action::Inspected {
            name: "kunshan".into(),
            info: Box::new(info.clone()),
        },
        now(),
    );
    assert_eq!(
        app.row("kunshan").unwrap().status.server,
        ServerView::Ready(Box::new(info))
    );
    assert!(update(&mut app, Action::Tick, now()).is_empty());
    // Closed details: nothing is fetched for the rows the user walks over.
    key(&mut app, KeyCode::Enter);
    assert!(ch(&mut app, 'j').is_empty());
}

#[test]
fn details_never_ask_about_dead_or_broken_tokens() {
    let mut app = app_with(demo_set());
    select(&mut app, "xian-legacy");
    assert_eq!(
        app.selected_row()
            .unwrap()
            .urgency(now(), app.settings.timing),
        Urgency::Dead
    );
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    select(&mut app, "broken-paste");
    assert!(update(&mut app, Action::Tick, now()).is_empty());
}

/// Issue 10: the details of an expired-but-renewable token ask tokens/state, which refuses
/// every expired token (10008). That must not turn the row "rejected": `r` still renews.
#[test]
fn a_refusal_of_an_expired_token_leaves_it_renewable() {
    let mut app = app_with(demo_set());
    refused_in_details(&mut app, "kunshan-old", "10008");
    let row = app.row("kunshan-old").unwrap();
    assert!(!row.rejected());
    assert_eq!(row.urgency(now(), app.settings.timing), Urgency::Renewable);
    assert_ne!(
        crate::dashboard::ui::text::badge(row, &app, now()),
        "rejected"
    );
    // Auto-renew treats it as renewable too (not as a dead token to log in for).
    let timing = app.settings.timing;
    assert!(autorenew::due(&app.rows, now(), timing).contains(&"kunshan-old".to_owned()));
    assert!(autorenew::wants_renewal(
        app.row("kunshan-old").unwrap(),
        now(),
        timing
    ));
    assert_eq!(
        ch(&mut app, 'r'),
        vec![Effect::Renew(vec!["kunshan-old".into()])]
    );
}

/// Opens the details of `name` (which asks the server) and answers: refused with `code`.
fn refused_in_details(app: &mut App, name: &str, code: &str) {
    select(app, name);
    assert_eq!(key(app, KeyCode::Enter), vec![Effect::Inspect(name.into())]);
    let refused = crate::api::TokenState::Rejected {
        code: code.into(),
        msg: String::new(),
    };
    let info = server_says(Ok(refused));
    update(
        app,
        Action::Inspected {
            name: name.into(),
            info: Box::new(info),
        },
        now(),
    );
}

#[test]
fn a_token_the_server_rejects_shows_as_rejected_until_renewed() {
    let mut app = app_with(demo_set());
    refused_in_details(&mut app, "kunshan", "10004");
    let row = app.row("kunshan").unwrap();
    assert!(row.rejected());
    assert_eq!(row.urgency(now(), app.settings.timing), Urgency::Dead);
    assert_eq!(
        crate::dashboard::ui::text::badge(row, &app, now()),
        "rejected"
    );
    // Rejected rows need action, so they sort ahead of the calm ones.
    assert!(
        order(&app).iter().position(|&n| n == "kunshan")
            < order(&app).iter().position(|&n| n == "zhengzhou")
    );
    // A renewal brings a new token: the old verdict no longer applies.
    let fresh = token("alice", "alice", "11250", "Normal", at(86_400));
    update(
        &mut app,
        Action::Renewed {
            name: "kunshan".into(),
            result: Ok(RenewedInfo {
                token: fresh,
                renewed_at: now(),
            }),
        },
        now(),
    );
    assert!(!app.row("kunshan").unwrap().rejected());
}

#[test]
fn l_on_a_dead_token_logs_in_again_with_the_remembered_key() {
    let mut app = app_with(demo_set());
    select(&mut app, "xian-legacy");
    let fx = ch(&mut app, 'L');
    assert_eq!(
        fx,
        vec![Effect::Login {
            name: "xian-legacy".into(),
            secret: None
        }]
    );
    assert!(
        app.row("xian-legacy").unwrap().is_renewing(),
        "the row spins meanwhile"
    );
    let fx = update(
        &mut app,
        Action::LoggedIn {
            name: "xian-legacy".into(),
            result: Ok("logged in again as dave: 2 tokens stored (0 new, 2 replaced)".into()),
        },
        now(),
    );
    assert_eq!(
        fx,
        vec![Effect::Reload],
        "the account's rows are replaced from the store"
    );
    assert!(!app.row("xian-legacy").unwrap().is_renewing());
    assert!(toast_text(&app).contains("logged in again as dave"));
}

#[test]
fn l_without_a_remembered_key_asks_for_the_secret_masked() {
    let mut app = app_with(demo_set());
    select(&mut app, "xian-legacy");
    ch(&mut app, 'L');
    update(
        &mut app,
        Action::LoginNeedsSecret {
            name: "xian-legacy".into(),
            prompt: "secret key of dave (access key AK1)".into(),
        },
        now(),
    );
    assert!(matches!(app.mode, Mode::Secret(_)));
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "nothing typed: nothing sent"
    );
    typed(&mut app, "SK1");
    update(&mut app, Action::Paste("23\n".into()), now());
    let fx = key(&mut app, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::Login {
            name: "xian-legacy".into(),
            secret: Some(LoginSecret::new("SK123")),
        }]
    );
    assert!(
        !format!("{fx:?} {:?}", app.mode).contains("SK123"),
        "the secret never shows in Debug"
    );
    // A refusal keeps the prompt open with the reason, ready for another try.
    update(
        &mut app,
        Action::LoggedIn {
            name: "xian-legacy".into(),
            result: Err("signature mismatch".into()),
        },
        now(),
    );
    let Mode::Secret(prompt) = &app.mode else {
        panic!("prompt closed on failure")
    };
    assert!(!prompt.busy);
    assert_eq!(prompt.error.as_deref(), Some("signature mismatch"));
    assert_eq!(key(&mut app, KeyCode::Esc), vec![]);
    assert!(matches!(app.mode, Mode::Normal));
}

#[test]
fn l_on_a_token_without_a_user_claim_says_why_and_does_nothing() {
    let mut app = app_with(demo_set());
    select(&mut app, "broken-paste");
    assert!(ch(&mut app, 'L').is_empty());
    assert!(toast_text(&app).contains("actoken login"));
}

#[test]
fn a_row_kept_in_the_other_store_says_how_to_move_it() {
    use crate::store::{SecretState, StoreKind, StoredToken};
    let mut set = demo_set();
    set.push(StoredToken {
        meta: super::fixtures::meta("华东一区【昆山】", "https://api01.example.com:65102"),
        secret: SecretState::InOtherStore(StoreKind::SecretService),
    });
    let mut app = app_with(set);
    select(&mut app, "华东一区【昆山】");
    assert!(ch(&mut app, 'r').is_empty(), "nothing to renew here");
    assert!(
        toast_text(&app).contains("actoken move '华东一区【昆山】' --to keyutils"),
        "{}",
        toast_text(&app)
    );
    assert!(ch(&mut app, 'c').is_empty(), "nothing to copy here");
    assert!(toast_text(&app).contains("--store secret-service"));
    let row = app.selected_row().unwrap();
    let now = now();
    assert_eq!(
        crate::dashboard::ui::text::badge(row, &app, now),
        "other store"
    );
    assert!(crate::dashboard::ui::text::next_step_short(row, &app, now).contains("actoken move"));
    assert!(crate::dashboard::ui::text::next_step_long(row, &app, now).contains("--to keyutils"));
}

#[test]
fn a_store_problem_reaches_the_status_line_and_keeps_the_rows() {
    let mut app = app_with(demo_set());
    let rows = app.rows.len();
    let problem = TaskError::new(FailureKind::Other, "index.toml: expected a value at line 1");
    update(&mut app, Action::StoreProblem(problem), now());
    let text = toast_text(&app);
    assert!(
        text.contains("could not read the store again") && text.contains("index.toml"),
        "{text}"
    );
    assert_eq!(app.toast.as_ref().unwrap().level, Level::Error);
    assert_eq!(app.rows.len(), rows);
}
