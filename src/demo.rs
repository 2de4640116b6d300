//! `actoken demo`: the mock AC server on loopback and an in-memory store seeded with one token
//! in every state, so a newcomer sees the whole dashboard and can renew for real. Nothing here
//! touches the user's keyring or config.

use std::path::PathBuf;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::api::RegionToken;
use crate::config::Paths;
use crate::login::naming::entry_name;
use crate::mock::{ALICE, BOB, DemoRegion, MintSpec, MockOptions, MockServer, mint};
use crate::store::{Account, AccountKeys, Accounts, EntryMeta, MemoryBackend, Store};
use crate::token::Token;

/// A running demo world; dropping it stops the server and removes its files.
pub struct Demo {
    pub server: MockServer,
    pub store: Store,
    /// Remembered secret keys (in memory): bob's is there, alice's is not.
    pub keys: AccountKeys,
    root: PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// One seeded token: name, user, compute user, cluster, account status, expiry from now.
struct Seed {
    name: String,
    user: &'static str,
    compute_user: &'static str,
    cluster: &'static str,
    status: &'static str,
    expires_in: SignedDuration,
    note: Option<&'static str>,
}

fn seeds() -> Vec<Seed> {
    let (h, m, s) = (
        SignedDuration::from_hours,
        SignedDuration::from_mins,
        SignedDuration::from_secs,
    );
    vec![
        Seed {
            name: "kunshan/alice".into(),
            user: "alice",
            compute_user: "alice",
            cluster: "11250",
            status: "Normal",
            expires_in: h(20),
            note: Some("fresh; L logs in again as alice (her secret key: SKDEMOALICE)"),
        },
        Seed {
            name: "wuxi/alice".into(),
            user: "alice",
            compute_user: "ac_alice01",
            cluster: "11112",
            status: "Normal",
            expires_in: h(1) + m(25),
            note: Some("inside the renew-ahead window"),
        },
        Seed {
            name: "hefei/bob".into(),
            user: "bob",
            compute_user: "slurm_bob",
            cluster: "11126",
            status: "Trial",
            expires_in: s(50),
            note: Some("expires within a minute"),
        },
        Seed {
            name: "xian/carol".into(),
            user: "carol",
            compute_user: "carol",
            cluster: "11300",
            status: "Owe",
            expires_in: -(h(3) + m(10)),
            note: Some("expired, still renewable"),
        },
        Seed {
            // Named as `actoken login` names bob's region, so logging in again replaces it.
            name: entry_name(BOB.user, &region(BOB.regions[0])),
            user: "bob",
            compute_user: "bob_ks",
            cluster: BOB.regions[0].cluster_id,
            status: "Normal",
            expires_in: -(h(30)),
            note: Some("past the renew cutoff; bob's key is remembered: press L (or r)"),
        },
    ]
}

fn region(demo: DemoRegion) -> RegionToken {
    RegionToken {
        cluster_id: Some(demo.cluster_id.to_owned()),
        cluster_name: Some(demo.cluster_name.to_owned()),
        token: None,
        problem: None,
    }
}

/// Two remembered logins on the mock: bob with his secret key kept, alice without (so `L`
/// on her rows asks for it).
fn remember_accounts(paths: &Paths, base_url: &str, keys: &AccountKeys) -> anyhow::Result<()> {
    let mut accounts = Accounts::load(paths)?;
    for (demo, keep_key) in [(&BOB, true), (&ALICE, false)] {
        let account = Account::with_access_key(demo.user, demo.access_key, base_url);
        if keep_key {
            keys.set(&account.id(), &demo.secret_key.to_owned().into())?;
        }
        accounts.remember(account)?;
    }
    Ok(())
}

/// Starts the mock server on 127.0.0.1 (a free port) and seeds the store.
pub async fn start(now: Timestamp) -> anyhow::Result<Demo> {
    let server = MockServer::start(([127, 0, 0, 1], 0).into(), MockOptions::default()).await?;
    let root = std::env::temp_dir().join(format!("actoken-demo-{}", std::process::id()));
    let paths = Paths::under(&root);
    let store = Store::open(&paths, Arc::new(MemoryBackend::new()))?;
    let keys = AccountKeys::new(Arc::new(MemoryBackend::new()));
    remember_accounts(&paths, &server.base_url(), &keys)?;
    for seed in seeds() {
        let token = mint(&MintSpec {
            user: seed.user.into(),
            compute_user: seed.compute_user.into(),
            cluster_id: seed.cluster.into(),
            account_status: seed.status.into(),
            expire_at: now + seed.expires_in,
        });
        add(
            &store,
            &seed.name,
            &server.base_url(),
            seed.note,
            &token,
            now,
        )?;
    }
    // A token that was pasted wrong: shows how actoken reports what it cannot decode.
    add(
        &store,
        "lab/broken",
        &server.base_url(),
        Some("malformed: not a JWT"),
        &Token::from_raw("not-a-jwt"),
        now,
    )?;
    Ok(Demo {
        server,
        store,
        keys,
        root,
    })
}

fn add(
    store: &Store,
    name: &str,
    base_url: &str,
    note: Option<&str>,
    token: &Token,
    now: Timestamp,
) -> anyhow::Result<()> {
    let meta = EntryMeta {
        note: note.map(str::to_owned),
        ..EntryMeta::new(name, base_url, now - SignedDuration::from_hours(48))
    };
    store.add(meta, token, true)?;
    Ok(())
}
