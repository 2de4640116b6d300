//! Issue 23, item 9: a second, independent client of the platform keeps the mock honest, and
//! actoken keeps to that client's rules.
//!
//! - scnet-cli (PyPI, pinned; see `support::scnet_cli`) logs in to `actoken mock-server`, renews
//!   the platform token, reads a region's `center` and the account: what it does against the
//!   public deployment, here against the mock. Its output is printed (`--nocapture` shows it).
//! - actoken against a stand-in that follows scnet-cli's rules: the access-key login on one host,
//!   everything else on another, `center` refused (10001) for the platform token.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use actoken::mock::{ALICE, MockOptions, Serves};
use serde_json::{Value, json};

use crate::support::Mock;
use crate::support::in_process::InProcess;
use crate::support::mock_process::MockProcess;
use crate::support::scnet_cli::{self, run_within};

const KUNSHAN: &str = "alice/华东一区【昆山】";

/// One scnet-cli command with the profile in `home`; (exit code, stdout + stderr).
fn scnet(python: &Path, home: &Path, args: &[&str]) -> (i32, String) {
    let out = run_within(
        Command::new(python)
            .args(["-m", "scnet"])
            .args(args)
            .env("SCNET_HOME", home)
            // Loopback, never a proxy.
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env_remove("SCNET_API_KEY")
            // rich's tables, readable in a log.
            .env("COLUMNS", "110")
            .env("PYTHONIOENCODING", "utf-8"),
        Duration::from_secs(60),
    )
    .unwrap_or_else(|| panic!("scnet {args:?} did not finish within 60 s"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "$ scnet {}\n{text}(exit {:?})\n",
        args.join(" "),
        out.status.code()
    );
    (out.status.code().unwrap_or(-1), text)
}

/// alice's access key and secret key, as the mock's banner lists them for any client.
fn alice_from_banner(banner: &str) -> (String, String) {
    let line = banner
        .lines()
        .find(|l| l.trim_start().starts_with("alice:"))
        .unwrap_or_else(|| panic!("no alice in the banner:\n{banner}"));
    let after = |label: &str| {
        let rest = &line[line.find(label).unwrap() + label.len()..];
        rest.split([',', ';']).next().unwrap().trim().to_owned()
    };
    (after("access key "), after("secret key "))
}

/// scnet-cli's four `auth` commands against `actoken mock-server`, as scnet-cli reaches the
/// public deployment: its profile's `api` (login) and `www` (everything else) hosts.
#[test]
fn scnet_cli_logs_in_renews_and_reads_center_and_user_from_the_mock() {
    let Some(python) = scnet_cli::python(module_path!()) else {
        return;
    };
    let mock = MockProcess::start();
    let (access_key, secret_key) = alice_from_banner(&mock.banner);
    assert_eq!(
        (access_key.as_str(), secret_key.as_str()),
        (ALICE.access_key, ALICE.secret_key)
    );
    let home = tempfile::tempdir().unwrap();
    // Exactly scnet-cli's profile keys: it refuses any other.
    let config = json!({
        "current": "default",
        "profiles": {"default": {
            "name": "default",
            "user": "alice",
            "access_key": access_key,
            "secret_key": secret_key,
            "default_cluster_id": "",
            "llm_api_key": "",
            "base_overrides": {"api": mock.url, "www": mock.url},
        }},
    });
    std::fs::write(home.path().join("config.json"), config.to_string()).unwrap();
    let cache = home.path().join("cache/default.json");
    let cached = || -> Value { serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap() };

    let (code, out) = scnet(&python, home.path(), &["auth", "login", "--force"]);
    assert_eq!(code, 0, "{out}");
    for seen in [
        "华东一区【昆山】",
        "11250",
        "西北一区【西安】",
        "华中一区【郑州】",
        "平台",
    ] {
        assert!(out.contains(seen), "{seen}: {out}");
    }
    // The region listed without a token is skipped, as the platform's null token asks.
    assert!(out.contains("东北一区【哈尔滨】(11301)"), "{out}");
    let platform_before = cached()["tokens"]["0"]["token"].clone();
    assert_eq!(cached()["tokens"]["0"]["clusterName"], "ac");

    // Without -c: the platform token, at the www host.
    let (code, out) = scnet(&python, home.path(), &["auth", "renew"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("续约成功"), "{out}");
    assert_ne!(cached()["tokens"]["0"]["token"], platform_before);

    // `-c` is scnet-cli's global option: `scnet -c ID auth regions`.
    let (code, out) = scnet(&python, home.path(), &["-c", "11250", "auth", "regions"]);
    assert_eq!(code, 0, "{out}");
    for seen in [
        "华东一区【昆山】(11250)",
        "alice_ks",
        "/public/home/alice_ks",
        "https://c11250.hpc.example.com:65101/hpc",
        "https://c11250.hpc.example.com:65102/ai",
        "ssh.c11250.hpc.example.com:65022",
    ] {
        assert!(out.contains(seen), "{seen}: {out}");
    }

    let (code, out) = scnet(&python, home.path(), &["auth", "whoami"]);
    assert_eq!(code, 0, "{out}");
    for seen in ["alice", "Trial", "0.00"] {
        assert!(out.contains(seen), "{seen}: {out}");
    }

    // The platform token has no region: the mock refuses it as the platform does.
    let (code, out) = scnet(&python, home.path(), &["-c", "0", "auth", "regions"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("internal_error"), "{out}");
}

/// actoken's login, renew, check, info and env against a deployment split as scnet-cli
/// knows the public one: the access-key login on one host, everything else on another.
#[test]
fn actoken_keeps_to_scnet_cli_s_rules_on_a_split_deployment() {
    let auth = Mock::start_with(MockOptions {
        serves: Serves::AuthHost,
        ..MockOptions::default()
    });
    let base = Mock::start_with(MockOptions {
        serves: Serves::BaseHost,
        ..MockOptions::default()
    });
    let env = InProcess::new();
    let run = |args: &[&str]| {
        let out = env.cmd().args(args).output().unwrap();
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (
            out.status.code().unwrap(),
            text(out.stdout),
            text(out.stderr),
        )
    };
    let login = |extra: &[&str]| {
        env.cmd()
            .args(["login", "--user", "alice", "--access-key", ALICE.access_key])
            .args(["--secret-key-stdin", "--base-url", &base.url()])
            .args(extra)
            .write_stdin(format!("{}\n", ALICE.secret_key))
            .output()
            .unwrap()
    };

    // The base host has no access-key login: the error says where it may be.
    let out = login(&[]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--auth-url"), "{err}");

    let out = login(&["--auth-url", &auth.url()]);
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(KUNSHAN) && said.contains("alice/ac"),
        "{said}"
    );
    assert_eq!(
        (auth.server.login_count(), base.server.login_count()),
        (1, 0)
    );

    for name in [KUNSHAN, "alice/ac"] {
        let (code, out, err) = run(&["renew", name]);
        assert_eq!(code, 0, "{name}: {out}{err}");
    }
    assert_eq!(base.server.renew_count(), 2);
    let (code, out, err) = run(&["check", KUNSHAN]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("accepted"), "{out}");

    let (code, out, err) = run(&["info", KUNSHAN]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("华东一区【昆山】 11250") && out.contains("alice_ks"),
        "{out}"
    );
    let asked = base.server.arrived_count();
    let (code, _, err) = run(&["info", "alice/ac"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no region"), "{err}");

    let (code, vars, err) = run(&["env", KUNSHAN]);
    assert_eq!(code, 0, "{err}");
    for line in [
        "export SCNET_CLUSTER_ID='11250'\n",
        "export AC_HPC_OPENAPI_URL='https://c11250.hpc.example.com:65101/hpc/openapi/v2'\n",
        "export SCNET_HOME_PATH='/public/home/alice_ks'\n",
    ] {
        assert!(vars.contains(line), "{line}: {vars}");
    }
    let (code, vars, err) = run(&["env", "alice/ac"]);
    assert_eq!((code, err.as_str()), (0, ""), "{vars}");
    assert!(vars.contains("export SCNET_CLUSTER_ID='0'\n"), "{vars}");
    // `info` and `env` of the platform token asked nothing; the KUNSHAN env did (center).
    assert_eq!(base.server.arrived_count(), asked + 1);
    // Only the login ever went to the login host.
    assert_eq!(auth.server.arrived_count(), 1);
}
