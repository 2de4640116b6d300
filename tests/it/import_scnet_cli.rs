//! Issue 24, items 2 and 3: `actoken import scnet-cli [--scrub]` on files scnet-cli wrote itself
//! (its PyPI package, see `support::scnet_cli`), against `actoken mock-server`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use actoken::mock::ALICE;
use serde_json::{Value, json};

use crate::support::mock_process::MockProcess;
use crate::support::scnet_cli::{self, run_within};
use crate::support::{Env, closed_port_url, store_available};

const KUNSHAN: &str = "alice/华东一区【昆山】";

fn config(www: &str, api: &str, secret: &str) -> Value {
    json!({"current": "default", "profiles": {"default": {
        "name": "default", "user": "alice", "access_key": ALICE.access_key,
        "secret_key": secret, "default_cluster_id": "", "llm_api_key": "sk-llm",
        "base_overrides": {"api": api, "www": www},
    }}})
}

/// scnet-cli's own login, writing its config's cache with the default umask.
fn scnet_login(python: &Path, home: &Path) {
    let out = run_within(
        Command::new(python)
            .args(["-m", "scnet", "auth", "login", "--force"])
            .env("SCNET_HOME", home)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("SCNET_API_KEY"),
        Duration::from_secs(60),
    )
    .expect("scnet auth login within 60 s");
    assert!(out.status.success(), "{out:?}");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn import_logs_in_scrubs_keeping_every_key_and_a_second_run_does_nothing() {
    if !store_available(module_path!()) {
        return;
    }
    let Some(python) = scnet_cli::python(module_path!()) else {
        return;
    };
    let mock = MockProcess::start();
    let home = tempfile::tempdir().unwrap();
    let config_path = home.path().join("config.json");
    let before = config(&mock.url, &mock.url, ALICE.secret_key);
    std::fs::write(&config_path, before.to_string()).unwrap();
    std::fs::set_permissions(&config_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    scnet_login(&python, home.path());
    let cache = home.path().join("cache/default.json");
    assert!(!read(&cache)["tokens"].as_object().unwrap().is_empty());

    let env = Env::new();
    let out = env
        .cmd()
        .env("SCNET_HOME", home.path())
        .args(["import", "scnet-cli", "--scrub"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("logged in"), "{stdout}");
    assert!(stdout.contains(KUNSHAN), "{stdout}");
    assert!(stdout.contains("secret_key blanked"), "{stdout}");
    assert!(!stdout.contains(ALICE.secret_key), "{stdout}");
    // Every key kept, only the secret blank; the cache without tokens, its other content kept.
    let mut wanted = before.clone();
    wanted["profiles"]["default"]["secret_key"] = json!("");
    assert_eq!(read(&config_path), wanted);
    let after = read(&cache);
    assert_eq!(after["tokens"], json!({}));
    assert!(after.get("centers").is_some() || after.as_object().unwrap().len() == 1);
    assert_eq!((mode(&config_path), mode(&cache)), (0o600, 0o600));
    // The account is remembered with its key, the tokens stored.
    let accounts = env.cmd().arg("accounts").output().unwrap();
    assert!(String::from_utf8_lossy(&accounts.stdout).contains("alice"));
    assert!(env.stored(KUNSHAN).starts_with("ey"));

    let again = env
        .cmd()
        .env("SCNET_HOME", home.path())
        .args(["import", "scnet-cli", "--scrub", "--json"])
        .output()
        .unwrap();
    assert!(again.status.success());
    let report: Value = serde_json::from_slice(&again.stdout).unwrap();
    let profile = &report["profiles"][0];
    assert_eq!(profile["via"], "nothing");
    assert_eq!(profile["secret_key_remembered"], true);
    for file in profile["scrubbed"].as_array().unwrap() {
        assert_eq!(file["secret_blanked"], false);
        assert_eq!(file["tokens_removed"], 0);
        assert_eq!(file["mode_was"], Value::Null);
    }
}

#[test]
fn offline_import_takes_the_cached_tokens_and_says_why() {
    if !store_available(module_path!()) {
        return;
    }
    let Some(python) = scnet_cli::python(module_path!()) else {
        return;
    };
    let mock = MockProcess::start();
    let home = tempfile::tempdir().unwrap();
    let config_path = home.path().join("config.json");
    std::fs::write(
        &config_path,
        config(&mock.url, &mock.url, ALICE.secret_key).to_string(),
    )
    .unwrap();
    scnet_login(&python, home.path());
    // The platform is now out of reach: the login fails, the cache is what there is.
    let dead = closed_port_url();
    std::fs::write(
        &config_path,
        config(&dead, &dead, ALICE.secret_key).to_string(),
    )
    .unwrap();
    let env = Env::new();
    let out = env
        .cmd()
        .env("SCNET_HOME", home.path())
        .args(["import", "scnet-cli"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("the login failed"), "{stdout}");
    assert!(stdout.contains("cached token(s) were imported"), "{stdout}");
    assert!(env.stored(KUNSHAN).starts_with("ey"));
    // Without --scrub nothing of scnet-cli's changed.
    assert_eq!(
        read(&config_path)["profiles"]["default"]["secret_key"],
        ALICE.secret_key
    );
}

#[test]
fn bad_input_names_the_file_imports_and_scrubs_nothing() {
    let home = tempfile::tempdir().unwrap();
    let config_path = home.path().join("config.json");
    let env = Env::new();
    let run = |args: &[&str]| {
        env.cmd()
            .env("SCNET_HOME", home.path())
            .args(["import", "scnet-cli", "--scrub"])
            .args(args)
            .output()
            .unwrap()
    };
    let path = config_path.display().to_string();
    // Missing, truncated, not JSON.
    for text in [
        None,
        Some("{\"current\": \"default\", \"prof"),
        Some("user=alice"),
    ] {
        if let Some(text) = text {
            std::fs::write(&config_path, text).unwrap();
        }
        let out = run(&[]);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&path), "{stderr}");
        if let Some(text) = text {
            assert_eq!(std::fs::read_to_string(&config_path).unwrap(), text);
        }
    }
    // A profile without an access key: named, nothing scrubbed.
    let mut no_key = config("http://127.0.0.1:9", "http://127.0.0.1:9", "SK-secret");
    no_key["profiles"]["default"]["access_key"] = json!("");
    let text = no_key.to_string();
    std::fs::write(&config_path, &text).unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("profiles.default.access_key"), "{stderr}");
    assert!(stderr.contains("nothing scrubbed"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&config_path).unwrap(), text);
    // A cache of the wrong shape: named, the secret stays where it was.
    let good = config("http://127.0.0.1:9", "http://127.0.0.1:9", "SK-secret").to_string();
    std::fs::write(&config_path, &good).unwrap();
    std::fs::create_dir_all(home.path().join("cache")).unwrap();
    let cache = home.path().join("cache/default.json");
    std::fs::write(&cache, r#"{"tokens": ["华东一区【昆山】"]}"#).unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&cache.display().to_string()), "{stderr}");
    assert_eq!(std::fs::read_to_string(&config_path).unwrap(), good);
    // An unknown profile.
    std::fs::remove_file(&cache).unwrap();
    let out = run(&["--profile", "lab"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lab"));
}
