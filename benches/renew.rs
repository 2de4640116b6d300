//! `renew_many` of 50 tokens against the loopback mock with 100 ms added latency per request.
//! Target: within 1.3x of (50 / concurrency) x 100 ms; the sequential `curl` baseline is timed
//! by `scripts/bench.sh`. Run with `cargo bench --bench renew`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use actoken::api::{AcClient, ClientOptions};
use actoken::config::{Config, Paths};
use actoken::mock::{MintSpec, MockServer, mint};
use actoken::renew::{Renewer, When};
use actoken::store::{EntryMeta, MemoryBackend, Store};

const TOKENS: usize = 50;
const DELAY: Duration = Duration::from_millis(100);

fn main() {
    divan::main();
}

/// One `renew --all` of 50 tokens; the argument is the configured concurrency (default 16).
#[divan::bench(args = [4, 8, 10, 16, 25, 50], sample_count = 5, sample_size = 1)]
fn renew_50_tokens_100ms_latency(bencher: divan::Bencher, concurrency: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (server, renewer, names) = rt.block_on(async {
        let server = MockServer::on_loopback().await.unwrap();
        server.faults().set_delay(DELAY);
        let store = Store::open(&Paths::under(dir.path()), Arc::new(MemoryBackend::new())).unwrap();
        let now = Timestamp::now();
        let mut names = Vec::new();
        for i in 0..TOKENS {
            let name = format!("region/user{i:02}");
            let spec = MintSpec::new(
                &format!("user{i:02}"),
                "11250",
                now + SignedDuration::from_hours(2),
            );
            let meta = EntryMeta::new(name.clone(), server.base_url(), now);
            store.add(meta, &mint(&spec), false).unwrap();
            names.push(name);
        }
        let config = Config {
            concurrency,
            ..Config::default()
        };
        let client = AcClient::new(&ClientOptions::from_config(&config)).unwrap();
        (server, Renewer::new(store, client, &config), names)
    });
    bencher.bench_local(|| {
        let results =
            rt.block_on(renewer.renew_many(names.clone(), When::Always, Timestamp::now()));
        assert!(results.iter().all(|(_, r)| r.is_ok()), "a renewal failed");
        results.len()
    });
    let expected = (TOKENS as f64 / concurrency as f64) * DELAY.as_secs_f64() * 1000.0;
    eprintln!(
        "renew concurrency={concurrency}: target ≤ {:.0} ms (1.3 x {expected:.0} ms), {} renewals served",
        expected * 1.3,
        server.renew_count()
    );
    drop(server);
}
