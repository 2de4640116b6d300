//! `actoken demo`: the mock AC server on loopback and an in-memory store seeded with one token
//! in every state, so a newcomer sees the whole dashboard and can renew for real. Nothing here
//! touches the user's keyring or config.

use std::path::PathBuf;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::config::Paths;
use crate::mock::{MintSpec, MockOptions, MockServer, mint};
use crate::store::{EntryMeta, MemoryBackend, Store};
use crate::token::Token;

/// A running demo world; dropping it stops the server and removes its files.
pub struct Demo {
    pub server: MockServer,
    pub store: Store,
    root: PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// One seeded token: name, user, compute user, cluster, account status, expiry from now.
struct Seed {
    name: &'static str,
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
            name: "kunshan/alice",
            user: "alice",
            compute_user: "alice",
            cluster: "11250",
            status: "Normal",
            expires_in: h(20),
            note: Some("fresh: nothing to do"),
        },
        Seed {
            name: "wuxi/alice",
            user: "alice",
            compute_user: "ac_alice01",
            cluster: "11112",
            status: "Normal",
            expires_in: h(1) + m(25),
            note: Some("inside the renew-ahead window"),
        },
        Seed {
            name: "hefei/bob",
            user: "bob",
            compute_user: "slurm_bob",
            cluster: "11126",
            status: "Trial",
            expires_in: s(50),
            note: Some("expires within a minute"),
        },
        Seed {
            name: "xian/carol",
            user: "carol",
            compute_user: "carol",
            cluster: "11300",
            status: "Owe",
            expires_in: -(h(3) + m(10)),
            note: Some("expired, still renewable"),
        },
        Seed {
            name: "kunming/dave",
            user: "dave",
            compute_user: "dave",
            cluster: "11412",
            status: "Normal",
            expires_in: -(h(30)),
            note: Some("past the renew cutoff"),
        },
    ]
}

/// Starts the mock server on 127.0.0.1 (a free port) and seeds the store.
pub async fn start(now: Timestamp) -> anyhow::Result<Demo> {
    let server = MockServer::start(([127, 0, 0, 1], 0).into(), MockOptions::default()).await?;
    let root = std::env::temp_dir().join(format!("actoken-demo-{}", std::process::id()));
    let paths = Paths::under(&root);
    let store = Store::open(&paths, Arc::new(MemoryBackend::new()))?;
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
            seed.name,
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
        name: name.to_owned(),
        base_url: base_url.to_owned(),
        note: note.map(str::to_owned),
        added_at: now - SignedDuration::from_hours(48),
        renewed_at: None,
        account: None,
        platform: false,
    };
    store.add(meta, token, true)?;
    Ok(())
}
