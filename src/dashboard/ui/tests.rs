//! `draw` rendered into ratatui's TestBackend at a fixed instant, compared with insta snapshots.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

use super::draw;
use crate::dashboard::app::fixtures::{app_with, at, chinese_set, demo_set, many, now, select};
use crate::dashboard::app::{Action, App, update};

/// `draw` into a TestBackend of `w` x `h` at instant `t` (also the README pictures' source).
pub(super) fn render(app: &mut App, w: u16, h: u16, t: Timestamp) -> Terminal<TestBackend> {
    update(
        app,
        Action::Resize {
            width: w,
            height: h,
        },
        t,
    );
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| draw(f, app, t)).unwrap();
    term
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    render(app, w, h, now()).backend().to_string()
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        update(
            app,
            Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            now(),
        );
    }
}

fn press(app: &mut App, code: KeyCode) {
    update(
        app,
        Action::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        now(),
    );
}

/// Opens the add form, fills name and base URL, and pastes `token` into the token field.
fn fill_add_form(app: &mut App, token: &str) {
    keys(app, "asuzhou");
    press(app, KeyCode::Tab);
    keys(app, "https://sz.hpccube.com:65102");
    press(app, KeyCode::Tab);
    press(app, KeyCode::Tab);
    update(app, Action::Paste(token.into()), now());
}

#[test]
fn empty_state() {
    let mut app = app_with(Vec::new());
    assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn loading_state() {
    let mut app = App::new(
        &crate::config::Config::default(),
        jiff::tz::TimeZone::UTC,
        false,
        true,
    );
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("Loading tokens"), "{s}");
}

#[test]
fn demo_set_80x24() {
    let mut app = app_with(demo_set());
    app.demo = true;
    assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn demo_set_200x60() {
    let mut app = app_with(demo_set());
    app.demo = true;
    assert_snapshot!(screen(&mut app, 200, 60));
}

#[test]
fn details_below_the_table_80x24() {
    let mut app = app_with(demo_set());
    select(&mut app, "wuxi-gpu");
    press(&mut app, KeyCode::Enter);
    assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn details_beside_the_table_200x60() {
    let mut app = app_with(demo_set());
    select(&mut app, "zhengzhou");
    press(&mut app, KeyCode::Enter);
    let s = screen(&mut app, 200, 60);
    // Unknown claims are shown, not dropped.
    assert!(s.contains("quota") && s.contains("华中一区"), "{s}");
    assert!(s.contains("signature not verified"), "{s}");
    assert_snapshot!(s);
}

#[test]
fn help_80x24() {
    let mut app = app_with(demo_set());
    keys(&mut app, "?");
    assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn help_200x60_lists_every_binding() {
    let mut app = app_with(demo_set());
    keys(&mut app, "?");
    let s = screen(&mut app, 200, 60);
    for b in crate::keymap::BINDINGS {
        let text = super::help_text::help(b.command, "2h 00m", &app.keymap);
        assert!(s.contains(&text), "help lacks {text:?}\n{s}");
    }
    assert_snapshot!(s);
}

/// A `[keys]` table rebinding keys: the new key does the work, the old one does nothing, and
/// every word on screen (status bar, help, its titles and footer) names the new key.
#[test]
fn rebound_keys_act_and_show_everywhere() {
    let config = crate::config::Config::parse(
        "[keys]\nhelp = \"h\"\nsort = \"o\"\nauto-renew = \"ctrl-a\"\nlogin = \"I\"\n\
         filter = \"f\"\nhelp-close = [\"x\", \"esc\"]\nhelp-down = \"J\"\n",
    )
    .unwrap();
    let mut app = app_with(demo_set());
    app.keymap = config.keymap;
    let s = screen(&mut app, 200, 60);
    // The advice in the NEXT STEP column names the rebound key too.
    assert!(
        s.contains("log in again (I)") && !s.contains("log in again (L)"),
        "{s}"
    );
    let bar = s.lines().last().unwrap();
    assert!(bar.contains(" h help  o sort:"), "{bar}");
    assert!(bar.contains("Ctrl-a auto-renew:"), "{bar}");
    assert!(
        !bar.contains(" ? help") && !bar.contains(" s sort"),
        "{bar}"
    );
    // The old key is gone, the new one opens the help.
    keys(&mut app, "?");
    assert!(matches!(app.mode, crate::dashboard::app::Mode::Normal));
    keys(&mut app, "h");
    assert!(matches!(app.mode, crate::dashboard::app::Mode::Help { .. }));
    let s = screen(&mut app, 200, 60);
    assert!(
        s.contains("Filter (f)") && s.contains("Log in again (I)"),
        "{s}"
    );
    assert!(s.contains("log in again, as I)"), "{s}");
    assert!(s.contains("J/k scroll · x closes"), "{s}");
    keys(&mut app, "x");
    assert!(matches!(app.mode, crate::dashboard::app::Mode::Normal));
}

#[test]
fn rebound_keys_in_chinese() {
    crate::i18n::with_lang(crate::i18n::Lang::ZhCn, || {
        let config = crate::config::Config::parse("[keys]\nadd = \"n\"\nhelp = \"F1\"\n").unwrap();
        let mut app = app_with(Vec::new());
        app.keymap = config.keymap;
        let s = screen(&mut app, 80, 24);
        assert!(
            s.contains("按 n 添加") && s.contains("按 F1 查看所有按键"),
            "{s}"
        );
    });
}

#[test]
fn filter_typing() {
    let mut app = app_with(demo_set());
    keys(&mut app, "/alice");
    assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn add_dialog() {
    let mut app = app_with(demo_set());
    fill_add_form(&mut app, crate::samples::SAMPLE_REQUEST);
    let s = screen(&mut app, 80, 24);
    assert!(
        !s.contains("eyJhbGciOiJI"),
        "the token must stay masked\n{s}"
    );
    assert_snapshot!(s);
}

#[test]
fn add_dialog_refusing_a_malformed_token() {
    let mut app = app_with(demo_set());
    fill_add_form(&mut app, "hello world");
    press(&mut app, KeyCode::Enter);
    assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn delete_confirmation() {
    let mut app = app_with(demo_set());
    select(&mut app, "kunshan");
    keys(&mut app, "d");
    assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn renewals_in_flight() {
    let mut app = app_with(demo_set());
    keys(&mut app, "R");
    // Three seconds later, still waiting for the server.
    let t = at(3);
    update(&mut app, Action::Tick, t);
    let s = render(&mut app, 80, 24, t).backend().to_string();
    // Table rows only: the toast line ("• renewing 3 token(s)…") says it too.
    let rows = s
        .lines()
        .filter(|l| l.contains(" renewing ") && !l.contains('•'))
        .count();
    assert_eq!(rows, 3, "{s}");
    assert_snapshot!(s);
}

#[test]
fn error_toast_and_failed_row_200x60() {
    let mut app = app_with(demo_set());
    select(&mut app, "hefei");
    keys(&mut app, "r");
    update(
        &mut app,
        Action::Renewed {
            name: "hefei".into(),
            result: Err("the platform answered 10004 (invalid parameters, 参数无效): the token was refused; get a new token".into()),
        },
        at(2),
    );
    let s = render(&mut app, 200, 60, at(2)).backend().to_string();
    assert_snapshot!(s);
    let s80 = render(&mut app, 80, 24, at(2)).backend().to_string();
    assert!(s80.contains("✗ renewing hefei failed"), "{s80}");
    assert_snapshot!("error_toast_80x24", s80);
}

#[test]
fn hundreds_of_tokens_scroll_and_draw_only_what_fits() {
    let mut app = app_with(many(500));
    for _ in 0..3 {
        press(&mut app, KeyCode::PageDown);
    }
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("tok-060"), "{s}");
    assert!(!s.contains("tok-000"), "{s}");
    assert_snapshot!(s);
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut app = app_with(demo_set());
    for (w, h) in [(20, 5), (1, 1), (0, 0), (5, 2), (80, 3)] {
        render(&mut app, w, h, now());
        keys(&mut app, "?");
        render(&mut app, w, h, now());
        keys(&mut app, "q");
        press(&mut app, KeyCode::Enter);
        render(&mut app, w, h, now());
        keys(&mut app, "a");
        render(&mut app, w, h, now());
        press(&mut app, KeyCode::Esc);
        keys(&mut app, "d");
        render(&mut app, w, h, now());
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Enter);
    }
    let mut app = app_with(demo_set());
    assert_snapshot!(screen(&mut app, 20, 5));
}

#[test]
fn dead_rows_are_struck_and_no_color_has_no_colours() {
    let mut app = app_with(demo_set());
    app.color = false;
    let term = render(&mut app, 80, 24, now());
    let buf = term.backend().buffer();
    let line = (0..24)
        .find(|&y| {
            (0..80)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect::<String>()
                .starts_with("xian-legacy")
        })
        .expect("dead row drawn");
    assert!(buf[(0, line)].modifier.contains(Modifier::CROSSED_OUT));
    for y in 0..24 {
        for x in 0..80 {
            let cell = &buf[(x, y)];
            assert_eq!(cell.fg, ratatui::style::Color::Reset, "({x},{y})");
            assert_eq!(cell.bg, ratatui::style::Color::Reset, "({x},{y})");
        }
    }
    // With colour, the renewable row's cutoff is in the alarm style.
    app.color = true;
    let term = render(&mut app, 80, 24, now());
    let buf = term.backend().buffer();
    assert_eq!(buf[(0, 2)].fg, ratatui::style::Color::Red);
}

#[test]
fn control_characters_in_claims_never_reach_the_terminal() {
    use crate::dashboard::app::fixtures::{jwt, stored};
    use crate::token::Token;
    let evil = Token::from_raw(&jwt(&serde_json::json!({
        "user": "mallory\u{1b}]52;c;SGk=\u{7}",
        "expireTime": at(86_400).as_millisecond().to_string(),
    })));
    let mut app = app_with(vec![stored("evil\u{1b}[2J", evil)]);
    press(&mut app, KeyCode::Enter);
    let s = screen(&mut app, 200, 60);
    assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{s:?}");
    assert!(s.contains("mallory"));
}

#[test]
fn details_say_what_to_do_for_dead_and_malformed_tokens() {
    let mut app = app_with(demo_set());
    press(&mut app, KeyCode::Enter);
    select(&mut app, "xian-legacy");
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("expired beyond renewal"), "{s}");
    assert!(s.contains("press L to log in again as dave"), "{s}");
    select(&mut app, "broken-paste");
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("Not a region token: not a JWT"), "{s}");
    assert!(
        !s.contains("this-is-not-a-token"),
        "a malformed secret is masked too\n{s}"
    );
}

#[test]
fn status_bar_counts_down_to_the_clipboard_clear() {
    let mut app = app_with(demo_set());
    update(
        &mut app,
        Action::Copied {
            name: "kunshan".into(),
            result: Ok(crate::clipboard::ClipboardKind::System),
        },
        now(),
    );
    let s = render(&mut app, 100, 24, at(12)).backend().to_string();
    assert!(s.contains("clipboard (kunshan) clears in 18s"), "{s}");
    assert!(
        s.contains("copied kunshan to the system clipboard; it will be cleared in 30s"),
        "{s}"
    );
}

#[test]
fn details_show_the_servers_answer_and_a_rejected_token() {
    use crate::api::{CenterInfo, ServiceUrl, TokenState};
    use crate::dashboard::app::ServerInfo;
    let mut app = app_with(demo_set());
    select(&mut app, "zhengzhou");
    press(&mut app, KeyCode::Enter);
    let url = |u: Option<&str>, enabled| ServiceUrl {
        url: u.map(str::to_owned),
        enabled,
        version: None,
    };
    let info = ServerInfo {
        center: Ok(CenterInfo {
            id: Some("11301".into()),
            user_name: Some("erin_c".into()),
            home_path: Some("/public/home/erin_c".into()),
            hpc_urls: vec![url(Some("https://hpc.zz.example.com:65051"), true)],
            ai_urls: vec![url(None, true)],
            efile_urls: vec![url(Some("https://efile.zz.example.com"), false)],
            ..CenterInfo::default()
        }),
        state: Ok(TokenState::Rejected {
            code: "10004".into(),
            msg: "token失效".into(),
        }),
        asked_at: now(),
        account: Some(Ok(crate::api::UserInfo {
            account_status: Some("Owe".into()),
            account_balance: Some("-3.20".into()),
            ..Default::default()
        })),
    };
    update(
        &mut app,
        Action::Inspected {
            name: "zhengzhou".into(),
            info: Box::new(info),
        },
        now(),
    );
    let s = screen(&mut app, 200, 60);
    assert!(s.contains("rejected by the server with code 10004"), "{s}");
    assert!(s.contains("/public/home/erin_c"), "{s}");
    assert!(s.contains("https://efile.zz.example.com (disabled)"), "{s}");
    assert!(s.contains("(address not published)"), "{s}");
    assert!(
        s.contains("rejected "),
        "the table badge says rejected:\n{s}"
    );
    assert_snapshot!(s);
}

/// Issue 22: an address `center` sent that is not handed on is not listed as a service, and
/// the pane says it was left out, escaped.
#[test]
fn details_say_which_addresses_were_left_out() {
    use crate::dashboard::app::ServerInfo;
    let body = serde_json::json!({"code": "0", "data": {
        "hpcUrls": [{"url": "https://hpc.zz.example.com:65051", "enable": "true"}],
        "efileUrls": [{"url": "x';touch /tmp/p;#", "enable": "true"}],
    }});
    let center = crate::api::parse_center(body.to_string().as_bytes(), None, "tok").unwrap();
    let mut app = app_with(demo_set());
    select(&mut app, "zhengzhou");
    press(&mut app, KeyCode::Enter);
    let info = ServerInfo {
        center: Ok(center),
        state: Err("not asked".into()),
        asked_at: now(),
        account: None,
    };
    update(
        &mut app,
        Action::Inspected {
            name: "zhengzhou".into(),
            info: Box::new(info),
        },
        now(),
    );
    let s = screen(&mut app, 200, 60);
    assert!(s.contains("https://hpc.zz.example.com:65051"), "{s}");
    assert!(
        s.contains(r#"left out "x';touch /tmp/p;#" (efileUrls)"#),
        "{s}"
    );
}

#[test]
fn log_in_again_prompt_masks_the_secret() {
    let mut app = app_with(demo_set());
    select(&mut app, "xian-legacy");
    keys(&mut app, "L");
    update(
        &mut app,
        Action::LoginNeedsSecret {
            name: "xian-legacy".into(),
            prompt: "secret key of dave (access key AKDAVE)".into(),
        },
        now(),
    );
    keys(&mut app, "SKSECRET");
    let s = screen(&mut app, 80, 24);
    assert!(!s.contains("SKSECRET"), "{s}");
    assert!(
        s.contains("(8 chars)") && s.contains("access key AKDAVE"),
        "{s}"
    );
    assert_snapshot!(s);
}

/// The text of one drawn line, wide characters once (TestBackend keeps a blank after each).
fn line_at(term: &Terminal<TestBackend>, y: u16) -> String {
    let buf = term.backend().buffer();
    let mut out = String::new();
    let mut x = 0;
    while x < buf.area.width {
        let sym = buf[(x, y)].symbol();
        out.push_str(sym);
        x += u16::try_from(crate::width::width(sym).max(1)).unwrap();
    }
    out
}

#[test]
fn chinese_names_stay_distinct_and_cut_with_an_ellipsis_at_80() {
    let mut app = app_with(chinese_set());
    let term = render(&mut app, 80, 24, now());
    let names: Vec<String> = (2..7)
        .map(|y| line_at(&term, y).split(' ').next().unwrap().to_owned())
        .collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        names.len(),
        "two rows look the same: {names:?}"
    );
    for name in &names {
        assert!(
            chinese_set().iter().any(|s| s.meta.name == *name) || name.contains('…'),
            "{name:?} was cut without an ellipsis"
        );
    }
}

#[test]
fn long_names_are_cut_in_the_middle_and_stay_distinct_at_80() {
    let mut set = chinese_set();
    set[0].meta.name = "alice-research-group/华东一区【昆山】".into();
    set[1].meta.name = "alice-research-group/华东一区".into();
    let mut app = app_with(set);
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("alice-research-gr…p/华东一区【昆山】"), "{s}");
    assert!(s.contains("alice-research-group/华东一区"), "{s}");
}

/// Both languages, the platform's region names, at 120 and 80 columns: every name whole.
#[test]
fn chinese_names_show_whole_at_120_and_80_in_both_languages() {
    use crate::i18n::{Lang, with_lang};
    for (lang, prefix, words) in [
        (Lang::En, "", ["RENEW CUTOFF", "EXPIRED"]),
        (Lang::ZhCn, "zh_", ["续约截止", "已过期"]),
    ] {
        with_lang(lang, || {
            for (w, h) in [(120, 30), (80, 24)] {
                let mut app = app_with(chinese_set());
                let s = screen(&mut app, w, h);
                for stored in chinese_set() {
                    let name = &stored.meta.name;
                    assert!(s.contains(name), "{name} cut at {w}:\n{s}");
                }
                assert!(words.iter().all(|word| s.contains(word)), "{s}");
                assert_snapshot!(format!("{prefix}chinese_names_{w}x{h}"), s);
            }
        });
    }
}

/// Quitting while a renewal runs: the dashboard says, in Chinese, what it is finishing.
#[test]
fn chinese_quit_while_renewing_says_what_it_finishes() {
    use crate::i18n::{Lang, with_lang};
    with_lang(Lang::ZhCn, || {
        let mut app = app_with(chinese_set());
        select(&mut app, "alice/华东一区【昆山】");
        keys(&mut app, "rq");
        let s = screen(&mut app, 120, 30);
        assert!(s.contains("正在完成 1 个续约…（再按 q 放弃）"), "{s}");
        assert_snapshot!("zh_quit_while_renewing_120x30", s);
    });
}

#[test]
fn chinese_interface_details_and_help() {
    use crate::i18n::{Lang, with_lang};
    with_lang(Lang::ZhCn, || {
        let mut app = app_with(chinese_set());
        select(&mut app, "alice/华东一区【昆山】");
        press(&mut app, KeyCode::Enter);
        assert_snapshot!("zh_details_120x30", screen(&mut app, 120, 30));
        let mut app = app_with(demo_set());
        keys(&mut app, "?");
        assert_snapshot!("zh_help_120x40", screen(&mut app, 120, 40));
    });
}
