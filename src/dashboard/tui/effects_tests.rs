//! The executor against the loopback mock and an in-memory keyring: what reaches the channel,
//! and what the mock saw.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use tokio::sync::mpsc;

use super::Services;
use super::effects::Executor;
use crate::api::{AcClient, ClientOptions};
use crate::clipboard::Clipboard;
use crate::config::{Config, Paths};
use crate::dashboard::app::{Action, Effect};
use crate::login::Relogin;
use crate::mock::{ALICE, MintSpec, MockServer, mint};
use crate::renew::Renewer;
use crate::store::{
    Account, AccountKeys, Accounts, Calls, EntryMeta, MemoryBackend, SecretState, Store,
};
use crate::token::Token;

struct World {
    _dir: tempfile::TempDir,
    mock: MockServer,
    /// The tokens' keyring and the remembered keys' keyring, for counting calls.
    backend: MemoryBackend,
    key_backend: MemoryBackend,
    services: Services,
    account: Account,
}

async fn world(concurrency: usize) -> World {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let backend = MemoryBackend::new();
    let store = Store::open(&paths, Arc::new(backend.clone())).unwrap();
    let mock = MockServer::on_loopback().await.unwrap();
    let client = AcClient::new(&ClientOptions::default()).unwrap();
    let key_backend = MemoryBackend::new();
    let keys = AccountKeys::new(Arc::new(key_backend.clone()));
    let config = Config {
        concurrency,
        ..Config::default()
    };
    let relogin = Relogin::new(keys.clone());
    let renewer =
        Renewer::new(store.clone(), client.clone(), &config).with_relogin(relogin.clone());
    let account = Account::with_access_key(ALICE.user, ALICE.access_key, &mock.base_url());
    World {
        _dir: dir,
        services: Services {
            store,
            renewer,
            client,
            keys,
            relogin,
            clock: crate::clock::Clock::system(),
            agent: None,
        },
        mock,
        backend,
        key_backend,
        account,
    }
}

impl World {
    fn add(&self, name: &str, cluster: &str, expires_in: SignedDuration) -> Token {
        let token = mint(&MintSpec::new(
            "alice",
            cluster,
            Timestamp::now() + expires_in,
        ));
        let meta = EntryMeta::new(name, self.mock.base_url(), Timestamp::now());
        self.services.store.add(meta, &token, true).unwrap();
        token
    }

    fn executor(&self) -> (Executor, mpsc::UnboundedReceiver<Action>) {
        executor_for(self.services.clone())
    }
}

fn executor_for(services: Services) -> (Executor, mpsc::UnboundedReceiver<Action>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let clipboard = Clipboard::osc52(false, Box::new(std::io::sink()));
    (Executor::new(services, tx, clipboard), rx)
}

/// Regression guard for the dashboard's start: the whole table comes from the index, so the
/// first load and the keyring check read no secret, write nothing and search the keyring
/// once, however many tokens there are (per-entry keyring calls made 1000 rows take 1.6 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_table_reads_no_secret_and_searches_the_keyring_once() {
    let _watchdog = crate::watchdog::arm();
    let w = world(4).await;
    let names: Vec<String> = (0..40)
        .map(|n| format!("alice/华东一区【昆山】{n:02}"))
        .collect();
    for (n, name) in names.iter().enumerate() {
        let hours = i64::try_from(n % 12).unwrap() - 2; // some expired, some due, most valid
        w.add(name, "11112", SignedDuration::from_hours(hours));
    }
    // A new dashboard process: the store opened afresh on the same index and keyring.
    let store = Store::open(w.services.store.paths(), Arc::new(w.backend.clone())).unwrap();
    let services = Services {
        store,
        ..w.services.clone()
    };
    let before = (w.backend.calls(), w.key_backend.calls());
    let (executor, mut rx) = executor_for(services);
    executor.first_load();
    let reconciled = executor.reconcile();
    match rx.recv().await.unwrap() {
        Action::Loaded(rows) => {
            let got: Vec<&str> = rows.iter().map(|r| r.meta.name.as_str()).collect();
            assert_eq!(got, names);
            for row in &rows {
                assert!(matches!(row.secret, SecretState::Indexed), "{row:?}");
                assert!(row.decoded().is_some(), "{}: no claims", row.meta.name);
            }
        }
        other => panic!("expected Loaded, got {other:?}"),
    }
    reconciled.await.unwrap();
    let after = (w.backend.calls(), w.key_backend.calls());
    let tokens = Calls {
        searches: before.0.searches + 1,
        ..before.0
    };
    assert_eq!(after.0, tokens, "token keyring calls at start");
    assert_eq!(after.1, before.1, "remembered-key keyring calls at start");
    assert!(rx.try_recv().is_err(), "nothing else to report");
}

/// Dashboard renewals honour `concurrency` as `renew --all` does: with 2 at once, the slow
/// server never has more than 2 requests it has not answered yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewals_run_at_most_concurrency_at_once() {
    let _watchdog = crate::watchdog::arm();
    let w = world(2).await;
    let names: Vec<String> = (1..=5)
        .map(|n| format!("alice/华中一区【{n}区】"))
        .collect();
    for name in &names {
        w.add(name, "11126", SignedDuration::from_hours(1));
    }
    w.mock.faults().set_delay(Duration::from_millis(300));
    let (mut executor, mut rx) = w.executor();
    assert!(executor.run(Effect::Renew(names.clone())));
    let (mut finished, mut most) = (0, 0);
    while finished < names.len() {
        // Arrivals first: whatever was served by then, was served by the later read too.
        let arrived = w.mock.arrived_count();
        let unanswered = arrived - w.mock.renew_count().min(arrived);
        assert!(unanswered <= 2, "{unanswered} requests in flight at once");
        most = most.max(unanswered);
        match rx.try_recv() {
            Ok(Action::Renewed { result, .. }) => {
                result.unwrap();
                finished += 1;
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
    assert_eq!(most, 2, "the two slots were used together");
    assert_eq!(w.mock.renew_count(), 5);
}

/// A corrupt index reaches the status line instead of being dropped.
#[tokio::test]
async fn a_store_that_cannot_be_read_again_says_why() {
    let _watchdog = crate::watchdog::arm();
    let w = world(4).await;
    w.add("alice/test中心", "11112", SignedDuration::from_hours(5));
    std::fs::write(w.services.store.paths().index_file(), "version = [oops").unwrap();
    let (executor, mut rx) = w.executor();
    executor.reload();
    match rx.recv().await.unwrap() {
        Action::StoreProblem(e) => assert!(e.message.contains("index"), "{e:?}"),
        other => panic!("expected StoreProblem, got {other:?}"),
    }
    assert!(matches!(rx.recv().await.unwrap(), Action::Loaded(rows) if rows.len() == 1));
}

/// `L` and auto-renew's re-login of dead tokens of one account: one login, not two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l_and_auto_renew_log_in_once_per_account() {
    let _watchdog = crate::watchdog::arm();
    let w = world(4).await;
    Accounts::load(w.services.store.paths())
        .unwrap()
        .remember(w.account.clone())
        .unwrap();
    w.services
        .keys
        .set(
            &w.account.id(),
            &SecretString::from(ALICE.secret_key.to_owned()),
        )
        .unwrap();
    const KUNSHAN: &str = "alice/华东一区【昆山】";
    const XIAN: &str = "alice/西北一区【西安】";
    w.add(KUNSHAN, "11250", SignedDuration::from_hours(-30));
    w.add(XIAN, "11276", SignedDuration::from_hours(-30));
    w.mock.faults().set_delay(Duration::from_millis(200));
    let (mut executor, mut rx) = w.executor();
    executor.run(Effect::Login {
        name: KUNSHAN.into(),
        secret: None,
    });
    executor.run(Effect::Renew(vec![XIAN.into()]));
    let (mut logged_in, mut renewed) = (false, false);
    while !(logged_in && renewed) {
        match rx.recv().await.unwrap() {
            Action::LoggedIn { result, .. } => {
                result.unwrap();
                logged_in = true;
            }
            Action::Renewed { result, .. } => {
                result.unwrap();
                renewed = true;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(w.mock.login_count(), 1);
}

/// A keyring that takes its time to answer (a locked one asking for a password, a busy D-Bus).
struct SlowKeyring(MemoryBackend);

impl crate::store::SecretBackend for SlowKeyring {
    fn get(&self, name: &str) -> Result<Option<Token>, crate::store::StoreError> {
        std::thread::sleep(Duration::from_millis(800));
        self.0.get(name)
    }
    fn set(&self, name: &str, token: &Token) -> Result<(), crate::store::StoreError> {
        self.0.set(name, token)
    }
    fn delete(&self, name: &str) -> Result<(), crate::store::StoreError> {
        self.0.delete(name)
    }
    fn names(&self) -> Result<Vec<String>, crate::store::StoreError> {
        self.0.names()
    }
    fn describe(&self) -> String {
        "slow".into()
    }
}

/// Copy used to read the keyring on the loop thread (`block_in_place`): a slow keyring froze
/// the screen. Now `run` returns at once and the answer comes later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_never_waits_on_the_loop_thread() {
    let _watchdog = crate::watchdog::arm();
    let mut w = world(4).await;
    let token = w.add("alice/test中心", "11112", SignedDuration::from_hours(5));
    let backend = MemoryBackend::new();
    crate::store::SecretBackend::set(&backend, "alice/test中心", &token).unwrap();
    w.services.store =
        Store::open(w.services.store.paths(), Arc::new(SlowKeyring(backend))).unwrap();
    let (mut executor, mut rx) = w.executor();
    let started = Instant::now();
    executor.run(Effect::Copy {
        name: "alice/test中心".into(),
    });
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    match rx.recv().await.unwrap() {
        Action::Copied { result, .. } => {
            result.unwrap();
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(800));
}

/// Quitting does not start renewals still waiting for a slot: with 1 at a time and 3 queued
/// behind a 500 ms server, only the one already talking to the server runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_starts_no_queued_renewal() {
    let _watchdog = crate::watchdog::arm();
    let w = world(1).await;
    let names: Vec<String> = (1..=4).map(|n| format!("alice/西北一区{n}")).collect();
    for name in &names {
        w.add(name, "11276", SignedDuration::from_hours(1));
    }
    w.mock.faults().set_delay(Duration::from_millis(500));
    let (mut executor, mut rx) = w.executor();
    executor.run(Effect::Renew(names.clone()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    executor.run(Effect::StopQueued);
    let (mut ok, mut not_started) = (0, 0);
    for _ in 0..names.len() {
        match rx.recv().await.unwrap() {
            Action::Renewed { result: Ok(_), .. } => ok += 1,
            Action::Renewed { result: Err(e), .. } => {
                assert!(e.message.contains("not started"), "{e:?}");
                not_started += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, not_started), (1, 3));
    assert_eq!(w.mock.renew_count(), 1);
}

/// Keyring down and rescue file unwritable: the dashboard cannot show a token on its
/// alternate screen (wiped on exit), so it keeps it to print once closed, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_no_store_takes_is_printed_when_the_dashboard_closes() {
    let _watchdog = crate::watchdog::arm();
    let w = world(1).await;
    let name = "alice/华东一区【昆山】";
    let old = w.add(name, "11250", SignedDuration::from_hours(1));
    w.backend.fail_all_sets(true);
    let rescue = w.services.store.paths().rescue_dir();
    std::fs::create_dir_all(rescue.parent().unwrap()).unwrap();
    std::fs::write(&rescue, "not a directory").unwrap();
    let (mut executor, mut rx) = w.executor();
    executor.run(Effect::Renew(vec![name.into()]));
    let message = match rx.recv().await.unwrap() {
        Action::Renewed { result: Err(e), .. } => e.message,
        other => panic!("unexpected {other:?}"),
    };
    assert!(
        message.contains("the token will be printed on the terminal when you quit actoken"),
        "{message}"
    );
    let printed = executor.at_exit().text();
    let tokens: Vec<Token> = printed
        .lines()
        .filter(|l| l.starts_with("eyJ"))
        .map(Token::from_raw)
        .collect();
    assert_eq!(tokens.len(), 1, "{printed}");
    assert_ne!(tokens[0], old);
    assert!(
        printed.contains(&format!("the new token of {name}")),
        "{printed}"
    );
    assert!(!message.contains(tokens[0].expose()));
}

/// `d` and `a` on a row whose renewal is out (held at the mock): neither waits for the server,
/// and when the renewal comes back it leaves the token the user added in place, keeps the
/// renewed one in a rescue file and says where, on the row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_and_add_during_a_renewal_stand_and_the_renewed_token_is_rescued() {
    let _watchdog = crate::watchdog::arm();
    const KUNSHAN: &str = "alice/华东一区【昆山】";
    let w = world(2).await;
    let old = w.add(KUNSHAN, "11250", SignedDuration::from_hours(1));
    let (mut executor, mut rx) = w.executor();
    w.mock.faults().hold();
    executor.run(Effect::Renew(vec![KUNSHAN.into()]));
    let deadline = Instant::now() + Duration::from_secs(20);
    while w.mock.arrived_count() == 0 {
        assert!(
            Instant::now() < deadline,
            "the renewal never reached the mock"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let answer = async |rx: &mut mpsc::UnboundedReceiver<Action>| {
        tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("no answer (waiting for the held renewal?)")
            .unwrap()
    };

    executor.run(Effect::Delete(KUNSHAN.into()));
    match answer(&mut rx).await {
        Action::Deleted { result, .. } => result.unwrap(),
        other => panic!("expected Deleted, got {other:?}"),
    }
    let mine = mint(&MintSpec::new(
        "alice",
        "11250",
        Timestamp::now() + SignedDuration::from_hours(7),
    ));
    executor.run(Effect::Add {
        name: KUNSHAN.into(),
        base_url: w.mock.base_url(),
        note: None,
        token: mine.clone(),
    });
    match answer(&mut rx).await {
        Action::Added { result, .. } => result.unwrap(),
        other => panic!("expected Added, got {other:?}"),
    }

    w.mock.faults().release();
    let error = match answer(&mut rx).await {
        Action::Renewed { result, .. } => result.expect_err("the renewal must not count as saved"),
        other => panic!("expected Renewed, got {other:?}"),
    };
    assert!(
        crate::store::SecretBackend::get(&w.backend, KUNSHAN).unwrap() == Some(mine.clone()),
        "the renewal overwrote the token added meanwhile"
    );
    let meta = w.services.store.meta(KUNSHAN).unwrap();
    assert!(meta.facts.unwrap().describes(&mine));
    let rescue_dir = w.services.store.paths().rescue_dir();
    let files: Vec<_> = std::fs::read_dir(&rescue_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let rescued = Token::from_raw(std::fs::read_to_string(&files[0]).unwrap().trim());
    assert!(rescued != old && rescued != mine, "not the renewed token");
    assert!(
        error.message.contains(&files[0].display().to_string()),
        "{error:?}"
    );
    assert_eq!(error.kind, crate::failure::FailureKind::NotSaved);
}

/// Issue 23: a server error (10001) in `tokens/state` is not a verdict on the token: the
/// details pane says the server could not be asked, the row is not "rejected", and auto-renew
/// does not log in again for it (it would if the row counted as rejected).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_in_the_details_is_not_a_rejection() {
    let _watchdog = crate::watchdog::arm();
    let w = world(4).await;
    const KUNSHAN: &str = "alice/华东一区【昆山】";
    w.add(KUNSHAN, "11250", SignedDuration::from_hours(10));
    w.mock
        .faults()
        .set(crate::mock::Fault::Code("10001".into()));
    let (mut executor, mut rx) = w.executor();
    executor.run(Effect::Inspect(KUNSHAN.into()));
    let Some(Action::Inspected { info, .. }) = rx.recv().await else {
        panic!("no answer")
    };
    let error = info.state.expect_err("10001 is no answer about the token");
    assert!(
        error.contains("10001") && error.contains("try again later"),
        "{error}"
    );
    let mut row = crate::dashboard::app::Row::from_stored(&w.services.store.load_index()[0]);
    row.status.server =
        crate::dashboard::app::ServerView::Ready(Box::new(crate::dashboard::app::ServerInfo {
            state: Err(error),
            ..*info
        }));
    assert!(!row.rejected());
    let timing = crate::dashboard::app::Timing {
        renew_grace: SignedDuration::from_hours(24),
        renew_ahead: SignedDuration::from_hours(2),
    };
    let due = crate::dashboard::app::autorenew::due(&[row], Timestamp::now(), timing);
    assert!(due.is_empty(), "{due:?}");
}

/// Issue 23: the details of the platform token do not ask `center` (it has no region; the
/// platform answers 10001) and say so instead of "unknown".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_token_s_details_ask_no_center() {
    let _watchdog = crate::watchdog::arm();
    let w = world(4).await;
    let token = mint(&MintSpec::new(
        "alice",
        "11125",
        Timestamp::now() + SignedDuration::from_hours(10),
    ));
    let meta = EntryMeta {
        platform: true,
        ..EntryMeta::new("alice/ac", w.mock.base_url(), Timestamp::now())
    };
    w.services.store.add(meta, &token, true).unwrap();
    let (mut executor, mut rx) = w.executor();
    executor.run(Effect::Inspect("alice/ac".into()));
    let Some(Action::Inspected { info, .. }) = rx.recv().await else {
        panic!("no answer")
    };
    let center = info.center.expect_err("no region");
    assert!(center.contains("no region"), "{center}");
    assert!(info.state.unwrap().is_accepted());
    // tokens/state only (the entry belongs to no remembered login: no `user` either).
    assert_eq!(w.mock.arrived_count(), 1);
}
