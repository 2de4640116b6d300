//! Test fixtures: unsigned JWTs and a realistic set of stored tokens at a fixed instant.

use base64::Engine;
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde_json::json;

use super::{Action, App, update};
use crate::config::Config;
use crate::store::{EntryMeta, SecretState, StoredToken};
use crate::token::Token;

/// The fixed "now" of every dashboard test: 2026-11-25 12:00:00 UTC.
pub(crate) fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

pub(crate) fn at(offset_secs: i64) -> Timestamp {
    now() + SignedDuration::from_secs(offset_secs)
}

/// header.payload.sig with base64url parts; the signature is junk (nothing here verifies it).
pub(crate) fn jwt(payload: &serde_json::Value) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        e.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        e.encode(payload.to_string()),
        e.encode("not-a-real-signature-0123456789")
    )
}

/// A platform-shaped token for `user`/`compute` on `cluster`, expiring at `expires`.
pub(crate) fn token(
    user: &str,
    compute: &str,
    cluster: &str,
    status: &str,
    expires: Timestamp,
) -> Token {
    Token::from_raw(&jwt(&json!({
        "computeUser": compute,
        "accountStatus": status,
        "creator": "ac",
        "role": "1",
        "expireTime": expires.as_millisecond().to_string(),
        "clusterId": cluster,
        "invoker": "6048ce7ba15c2af2e8cec12991ec13cf",
        "user": user,
        "userId": "11655048541",
    })))
}

pub fn meta(name: &str, base_url: &str) -> EntryMeta {
    EntryMeta::new(name, base_url, at(-30 * 86_400))
}

pub(crate) fn stored(name: &str, token: Token) -> StoredToken {
    StoredToken {
        meta: meta(name, "https://ks.hpccube.com:65102"),
        secret: SecretState::Present(token),
    }
}

const H: i64 = 3600;

/// Every state a user can meet: fresh, inside the renew-ahead window, expiring within a
/// minute, expired-but-renewable, dead, malformed, missing from the keyring, unknown claims.
pub(crate) fn demo_set() -> Vec<StoredToken> {
    let mut fresh = stored(
        "kunshan",
        token("alice", "alice", "11250", "Normal", at(20 * H + 14 * 60)),
    );
    fresh.meta.renewed_at = Some(at(-3 * H - 46 * 60));
    fresh.meta.note = Some("main CPU allocation".into());

    let mut due = stored(
        "wuxi-gpu",
        token("alice", "sc_alice01", "11126", "Normal", at(H + 12 * 60)),
    );
    due.meta.base_url = "https://wuxi.hpccube.com:65102".into();

    let minute = stored("hefei", token("bob", "bob", "11112", "Trial", at(42)));
    let renewable = stored(
        "kunshan-old",
        token("carol", "carol", "11250", "Owe", at(-3 * H - 5 * 60)),
    );
    let dead = stored(
        "xian-legacy",
        token(
            "dave",
            "dave_hpc",
            "10086",
            "Normal",
            at(-2 * 86_400 - 4 * H),
        ),
    );
    let malformed = StoredToken {
        meta: meta("broken-paste", "https://ks.hpccube.com:65102"),
        secret: SecretState::Present(Token::from_raw("this-is-not-a-token")),
    };
    let missing = StoredToken {
        meta: meta("orphan", "https://ks.hpccube.com:65102"),
        secret: SecretState::Missing,
    };
    let extra_claims = StoredToken {
        meta: meta("zhengzhou", "https://zz.hpccube.com:65102"),
        secret: SecretState::Present(Token::from_raw(&jwt(&json!({
            "computeUser": "erin",
            "accountStatus": "Normal",
            "expireTime": at(2 * 86_400 + 5 * H).as_millisecond().to_string(),
            "clusterId": "11301",
            "user": "erin",
            "quota": {"cpuHours": 5000},
            "region": "华中一区",
        })))),
    };
    vec![
        fresh,
        due,
        minute,
        renewable,
        dead,
        malformed,
        missing,
        extra_claims,
    ]
}

/// An App (UTC, colour on) already loaded with `set`, at `now()`, sized 80x24.
pub(crate) fn app_with(set: Vec<StoredToken>) -> App {
    let mut app = App::new(&Config::default(), TimeZone::UTC, false, true);
    update(
        &mut app,
        Action::Resize {
            width: 80,
            height: 24,
        },
        now(),
    );
    update(&mut app, Action::Loaded(set), now());
    app
}

/// `n` calm tokens named tok-000.. on a few clusters.
pub(crate) fn many(n: usize) -> Vec<StoredToken> {
    (0..n)
        .map(|i| {
            stored(
                &format!("tok-{i:03}"),
                token(
                    &format!("user{}", i % 7),
                    &format!("user{}", i % 7),
                    &format!("{}", 11100 + i % 5),
                    "Normal",
                    at(10 * H + i as i64 * 60),
                ),
            )
        })
        .collect()
}

/// Moves the selection to `name` with the keyboard (panics if it is not in the view).
pub fn select(app: &mut App, name: &str) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |app: &mut App, c| {
        let ev = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        update(app, Action::Key(ev), now());
    };
    key(app, 'g');
    while app.selected_row().map(|r| r.name()) != Some(name) {
        let before = app.selected;
        key(app, 'j');
        assert_ne!(before, app.selected, "{name} not in view");
    }
}

/// The platform's own region names, as `actoken login` stores them: two logins of alice (an
/// access key one naming `华东一区【昆山】`, a password one naming plain `华东一区`), so two
/// names share a long prefix and differ only in the tail.
pub(crate) fn chinese_set() -> Vec<StoredToken> {
    let region = |name: &str, user: &str, cluster: &str, expires: Timestamp| {
        let mut s = stored(name, token(user, user, cluster, "Normal", expires));
        s.meta.base_url = "https://ks.hpccube.com:65102".into();
        s
    };
    vec![
        region(
            "alice/华东一区【昆山】",
            "alice",
            "11250",
            at(20 * H + 14 * 60),
        ),
        region("alice/华东一区", "alice", "11251", at(19 * H)),
        region("alice/华中一区【A区】", "alice", "11112", at(H + 12 * 60)),
        region("alice/西北一区", "alice", "10086", at(-3 * H - 5 * 60)),
        region("alice/test中心", "alice", "11301", at(2 * 86_400 + 5 * H)),
    ]
}

/// The agent's `served` event for a request at `at_offset` seconds from `now()`.
pub(crate) fn served(
    at_offset: i64,
    request: &str,
    name: Option<&str>,
    pid: i32,
    exe: &str,
    forwarded: bool,
    answer: &str,
) -> crate::agent::protocol::Event {
    crate::agent::protocol::Event::Served {
        at: at(at_offset).to_string(),
        request: request.into(),
        name: name.map(str::to_owned),
        pid: Some(pid),
        exe: Some(exe.into()),
        forwarded,
        answer: answer.into(),
    }
}

/// The agent's `pending` event: `name` asked for by `pid`/`exe`, denied at `deadline_in`
/// seconds from `now()` unless answered.
pub(crate) fn pending(
    id: u64,
    name: &str,
    pid: i32,
    exe: &str,
    forwarded: bool,
    deadline_in: i64,
) -> crate::agent::protocol::Event {
    crate::agent::protocol::Event::Pending {
        id,
        name: name.into(),
        pid: Some(pid),
        exe: Some(exe.into()),
        forwarded,
        deadline: at(deadline_in).to_string(),
    }
}

/// `app` after the agent beside it connected and sent `events`, at `now()`.
pub(crate) fn agent_says(app: &mut App, events: Vec<crate::agent::protocol::Event>) {
    use super::AgentNews;
    update(app, Action::Agent(AgentNews::Connected), now());
    for event in events {
        update(app, Action::Agent(AgentNews::Event(event)), now());
    }
}
