//! `actoken doctor`: the real binary against the mock AC server (with its clock set off), a
//! closed port, a plain python http.server (a server we did not write), and a Secret Service
//! that answers but is locked.

use std::process::{Command as Process, Stdio};

use actoken::mock::MockOptions;
use jiff::SignedDuration;
use serde_json::Value;

use crate::support::{self, Env, Mock, closed_port_url, have, kernel_keyring_available};

macro_rules! need_kernel_keyring {
    () => {
        if !kernel_keyring_available(module_path!()) {
            return;
        }
    };
}

/// `doctor --json` with the kernel keyring as the store; returns the exit code and report.
fn doctor(env: &Env) -> (i32, Value) {
    let out = env
        .cmd()
        .args(["--store", "keyutils", "doctor", "--json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

fn findings<'a>(report: &'a Value, area: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["area"] == area)
        .collect()
}

fn skewed_mock(skew: SignedDuration) -> Mock {
    Mock::start_with(MockOptions {
        clock_skew: skew,
        ..MockOptions::default()
    })
}

#[test]
fn a_server_in_step_passes_and_text_output_says_so() {
    need_kernel_keyring!();
    let (env, mock) = (Env::new(), skewed_mock(SignedDuration::ZERO));
    env.write_config(&format!("base-url = \"{}\"\n", mock.url()));
    let (code, report) = doctor(&env);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["store"]["in_use"], "keyutils");
    assert_eq!(report["store"]["keyutils"]["usable"], true);
    assert_eq!(report["config"]["exists"], true);
    let server = &report["servers"][0];
    assert_eq!(server["reachable"], true);
    assert_eq!(server["used_by"][0], "config base-url");
    assert!(
        server["clock_offset_seconds"].as_i64().unwrap().abs() <= 2,
        "{server}"
    );
    assert_eq!(report["setup"]["watch_unit"], "absent");

    let out = env
        .cmd()
        .args(["--store", "keyutils", "doctor"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("secrets are kept in the kernel keyring"),
        "{text}"
    );
    assert!(text.contains("cleared at reboot"), "{text}");
    assert!(text.contains("Everything actoken needs works"), "{text}");
}

#[test]
fn a_skewed_server_clock_fails_beyond_the_login_window_and_warns_within() {
    need_kernel_keyring!();
    let env = Env::new();
    let far = skewed_mock(SignedDuration::from_mins(10));
    env.write_config(&format!("base-url = \"{}\"\n", far.url()));
    let (code, report) = doctor(&env);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["ok"], false);
    let offset = report["servers"][0]["clock_offset_seconds"]
        .as_i64()
        .unwrap();
    assert!((598..=602).contains(&offset), "{offset}");
    let clock = findings(&report, "clock");
    assert_eq!(clock[0]["status"], "fail", "{clock:?}");
    let message = clock[0]["message"].as_str().unwrap();
    assert!(message.contains("behind"), "{message}");
    assert!(clock[0]["fix"].as_str().unwrap().contains("timedatectl"));

    let near = skewed_mock(SignedDuration::from_secs(-90));
    env.write_config(&format!("base-url = \"{}\"\n", near.url()));
    let (code, report) = doctor(&env);
    assert_eq!(code, 0, "a warning is not a failure: {report:#}");
    let clock = findings(&report, "clock");
    assert_eq!(clock[0]["status"], "warn", "{clock:?}");
    assert!(clock[0]["message"].as_str().unwrap().contains("ahead of"));
}

#[test]
fn an_unreachable_server_fails_and_names_who_uses_it() {
    need_kernel_keyring!();
    let env = Env::new();
    let url = closed_port_url();
    env.cmd()
        .args(["--store", "keyutils", "add", "test中心", "--base-url", &url])
        .write_stdin(support::token("alice", SignedDuration::from_hours(2)).expose())
        .assert()
        .success();
    let (code, report) = doctor(&env);
    assert_eq!(code, 1, "{report:#}");
    let server = &report["servers"][0];
    assert_eq!(server["reachable"], false);
    assert_eq!(server["used_by"][0], "token test中心");
    assert!(
        server["problem"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{server}"
    );
    let found = findings(&report, "servers");
    assert_eq!(found[0]["status"], "fail");
    assert!(found[0]["message"].as_str().unwrap().contains("test中心"));
    assert_eq!(report["index"]["entries"], 1);
    assert_eq!(report["index"]["in_keyutils"], 1);

    // https to a server that speaks plain HTTP: a TLS failure, reported as such.
    let mock = Mock::start();
    let tls_url = mock.url().replace("http://", "https://");
    env.write_config(&format!("base-url = \"{tls_url}\"\n"));
    let (_, report) = doctor(&env);
    let tls = report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["base_url"] == tls_url.as_str())
        .unwrap();
    assert_eq!(tls["reachable"], false, "{tls}");
    assert_eq!(tls["tls"], true, "{tls}");
    assert!(
        tls["problem"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("tls"),
        "{tls}"
    );
}

#[test]
fn findings_speak_chinese_under_zh_cn_and_json_stays_english() {
    need_kernel_keyring!();
    let env = Env::new();
    let url = closed_port_url();
    let name = "alice/华东一区【昆山】";
    env.cmd()
        .args(["--store", "keyutils", "add", name, "--base-url", &url])
        .write_stdin(support::token("alice", SignedDuration::from_hours(2)).expose())
        .assert()
        .success();

    let out = env
        .cmd()
        .args(["--lang", "zh-CN", "--store", "keyutils", "doctor"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for wanted in [
        "密钥存储\n",
        "服务器\n",
        "密钥保存在内核密钥环中（--store 或 ACTOKEN_STORE 指定了 keyutils）",
        "内核密钥环在重启时会被清空",
        &format!("{url} 无法连接："),
        &format!("— 访问凭证 {name}"),
        "→ 请检查地址、网络",
        "[FAIL]",
        "上面有 1 个问题需要解决。",
    ] {
        assert!(text.contains(wanted), "{wanted:?} missing:\n{text}");
    }
    assert!(!text.contains("cannot be reached"), "{text}");
    assert!(!text.contains("secrets are kept"), "{text}");

    // --json is for scripts: English whatever the language (flag or ACTOKEN_LANG).
    let out = env
        .cmd()
        .env("ACTOKEN_LANG", "zh-CN")
        .args(["--store", "keyutils", "doctor", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["store"]["reason"],
        "--store or ACTOKEN_STORE asks for keyutils"
    );
    let server = findings(&report, "servers");
    let message = server[0]["message"].as_str().unwrap();
    assert!(message.contains("cannot be reached"), "{message}");
    assert!(message.ends_with(&format!("— token {name}")), "{message}");
    assert!(
        server[0]["fix"]
            .as_str()
            .unwrap()
            .starts_with("check the URL")
    );
    assert_eq!(report["servers"][0]["used_by"][0], format!("token {name}"));
    let store = findings(&report, "secret store");
    assert!(
        store[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("secrets are kept in the kernel keyring"),
        "{store:?}"
    );
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(
        !json.contains("访问凭证") && !json.contains("密钥"),
        "{json}"
    );
}

#[test]
fn the_config_language_applies_to_the_config_finding_too() {
    need_kernel_keyring!();
    let env = Env::new();
    env.write_config(&format!(
        "language = \"zh-CN\"\nbase-url = \"{}\"\n",
        closed_port_url()
    ));
    let out = env
        .cmd()
        .env_remove("ACTOKEN_LANG")
        .args(["--store", "keyutils", "doctor"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("配置\n  [ok  ] "), "{text}");
    assert!(text.contains("config.toml 有效"), "{text}");
    assert!(text.contains("— 配置中的 base-url"), "{text}");
}

#[test]
fn a_plain_http_server_we_did_not_write_is_reachable_with_its_date() {
    need_kernel_keyring!();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let Ok(mut server) = Process::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        eprintln!("SKIPPED: no python3");
        return;
    };
    let env = Env::new();
    env.write_config(&format!("base-url = \"http://127.0.0.1:{port}\"\n"));
    let mut report = Value::Null;
    for _ in 0..50 {
        report = doctor(&env).1;
        if report["servers"][0]["reachable"] == true {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = server.kill();
    let _ = server.wait();
    let s = &report["servers"][0];
    assert_eq!(s["reachable"], true, "{report:#}");
    assert_eq!(s["status"], 200);
    assert!(
        s["clock_offset_seconds"].as_i64().unwrap().abs() <= 2,
        "{s}"
    );
}

#[test]
fn a_broken_config_is_reported_not_fatal() {
    need_kernel_keyring!();
    let env = Env::new();
    env.write_config("renew-gracee = \"2h\"\n");
    let (code, report) = doctor(&env);
    assert_eq!(code, 1);
    let problem = report["config"]["problem"].as_str().unwrap();
    assert!(problem.contains("renew-gracee"), "{problem}");
    // The other checks still ran.
    assert_eq!(report["store"]["in_use"], "keyutils");
}

#[test]
fn a_bad_keys_table_is_reported_with_its_line() {
    need_kernel_keyring!();
    let env = Env::new();
    env.write_config("[keys]\nsort = \"o\"\nhelp = \"q\"\n");
    let (code, report) = doctor(&env);
    assert_eq!(code, 1);
    let problem = report["config"]["problem"].as_str().unwrap();
    assert!(
        problem.contains("line 4: key \"q\" is bound to both help and quit"),
        "{problem}"
    );
}

#[test]
fn a_locked_secret_service_is_reported_and_auto_uses_the_kernel_keyring() {
    need_kernel_keyring!();
    if !["dbus-run-session", "gnome-keyring-daemon", "dbus-send"]
        .iter()
        .all(|p| have(p))
    {
        assert!(
            std::env::var("ACTOKEN_REQUIRE_KEYRING").as_deref() != Ok("1"),
            "ACTOKEN_REQUIRE_KEYRING=1 but dbus-run-session, gnome-keyring-daemon or dbus-send is missing"
        );
        eprintln!("SKIPPED: needs dbus-run-session, gnome-keyring-daemon and dbus-send");
        return;
    }
    let env = Env::new();
    let home = env.dir.path().join("home");
    let runtime = home.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let bin = assert_cmd::cargo::cargo_bin("actoken");
    // A private session bus with gnome-keyring, its login keyring unlocked and then locked
    // again over D-Bus (as a screen lock does); doctor runs twice: auto, then secret-service.
    let script = format!(
        "printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
        for _ in $(seq 50); do [ -S \"$XDG_RUNTIME_DIR/keyring/control\" ] && break; sleep 0.1; done
        dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
            org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
        '{bin}' doctor --json > \"$HOME/auto.json\"; echo $? > \"$HOME/auto.code\"
        '{bin}' --store secret-service doctor --json > \"$HOME/ss.json\"; echo $? > \"$HOME/ss.code\"",
        bin = bin.display()
    );
    let status = Process::new("dbus-run-session")
        .args(["--", "sh", "-c", &script])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("ACTOKEN_STORE")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("XDG_CONFIG_HOME", env.dir.path().join("config"))
        .env("XDG_STATE_HOME", env.dir.path().join("state"))
        .env("ACTOKEN_KEYRING_SERVICE", &env.service)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let read = |name: &str| std::fs::read_to_string(home.join(name)).unwrap();
    let auto: Value = serde_json::from_str(&read("auto.json")).unwrap();
    assert_eq!(read("auto.code").trim(), "0", "{auto:#}");
    assert_eq!(auto["store"]["secret_service"]["usable"], false, "{auto:#}");
    assert_eq!(auto["store"]["secret_service"]["locked"], true, "{auto:#}");
    assert_eq!(auto["store"]["in_use"], "keyutils");
    let warn = findings(&auto, "secret store")
        .into_iter()
        .find(|f| f["message"].as_str().unwrap().contains("locked"))
        .cloned()
        .unwrap_or_else(|| panic!("{auto:#}"));
    assert_eq!(warn["status"], "warn");
    assert!(warn["fix"].as_str().unwrap().contains("unlock"), "{warn}");

    let ss: Value = serde_json::from_str(&read("ss.json")).unwrap();
    assert_eq!(read("ss.code").trim(), "1", "{ss:#}");
    assert_eq!(ss["ok"], false);
    assert_eq!(ss["store"]["in_use"], Value::Null);
}

/// Issue 24 item 1: scnet-cli's plaintext (files shaped as scnet-cli writes them, in the
/// directory `SCNET_HOME` names) is named with the fix, never shown; once scrubbed, silence.
#[test]
fn scnet_cli_plaintext_is_named_with_the_fix_and_never_shown() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let home = env.dir.path().join("home/.scnet");
    let (config, cache) = (home.join("config.json"), home.join("cache/default.json"));
    std::fs::create_dir_all(home.join("cache")).unwrap();
    let secret = "SK-plaintext-9f2c";
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnLXBsYWludGV4dA";
    let write = |secret: &str, token: Option<&str>, mode: u32| {
        let profile = serde_json::json!({"current": "default", "profiles": {"default": {
            "name": "default", "user": "alice", "access_key": "AK-alice",
            "secret_key": secret, "default_cluster_id": "", "llm_api_key": "",
            "base_overrides": {"api": "", "www": "", "hpc": "", "efile": "", "ai": ""},
        }}});
        let tokens = match token {
            Some(t) => serde_json::json!({
                "0": {"clusterId": "0", "clusterName": "", "token": t, "expireMs": 4102444800000_i64},
                "11": {"clusterId": "11", "clusterName": "华东一区【昆山】", "token": t, "expireMs": 4102444800000_i64},
            }),
            None => serde_json::json!({}),
        };
        let cached = serde_json::json!({"tokens": tokens, "centers": {}, "clustersByRegion": {}, "lastGoodBases": {}});
        for (path, value) in [(&config, profile), (&cache, cached)] {
            std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    };
    let run = |json: bool| {
        let mut cmd = env.cmd();
        cmd.env("SCNET_HOME", &home)
            .args(["--store", "keyutils", "doctor"]);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains(secret) && !text.contains(token), "{text}");
        (out.status.code().unwrap(), text)
    };

    write(secret, Some(token), 0o644);
    let (code, text) = run(true);
    let report: Value = serde_json::from_str(&text).unwrap();
    let found = findings(&report, "scnet-cli");
    let about = |path: &std::path::Path, what: &str| {
        found
            .iter()
            .find(|f| {
                let m = f["message"].as_str().unwrap();
                m.contains(&path.display().to_string()) && m.contains(what)
            })
            .unwrap_or_else(|| panic!("no finding on {} ({what}): {report:#}", path.display()))
    };
    let scrub = "actoken import scnet-cli --profile default --scrub";
    let secret_finding = about(&config, "secret key");
    assert_eq!(secret_finding["status"], "warn", "{report:#}");
    assert_eq!(secret_finding["fix"], scrub, "{report:#}");
    let token_finding = about(&cache, "2 token(s)");
    assert_eq!(token_finding["status"], "warn", "{report:#}");
    assert_eq!(token_finding["fix"], scrub, "{report:#}");
    // Readable by every user of the login node while holding secrets: a failure.
    for path in [&config, &cache] {
        let open = about(path, "644");
        assert_eq!(open["status"], "fail", "{report:#}");
        assert!(
            open["fix"].as_str().unwrap().contains("--scrub"),
            "{report:#}"
        );
    }
    assert_eq!(found.len(), 4, "one finding each: {report:#}");
    assert_eq!(code, 1, "{report:#}");
    let (_, text) = run(false);
    assert!(text.contains("scnet-cli\n"), "{text}");
    assert!(text.contains(&format!("→ {scrub}")), "{text}");

    // Scrubbed as `import --scrub` leaves it: nothing to say about scnet-cli.
    write("", None, 0o600);
    let (_, text) = run(true);
    let report: Value = serde_json::from_str(&text).unwrap();
    assert!(findings(&report, "scnet-cli").is_empty(), "{report:#}");

    // SCNET_HOME is what counts: pointing elsewhere, ~/.scnet is not looked at (one info
    // line: no scnet-cli directory there); unset, ~/.scnet is.
    write(secret, Some(token), 0o644);
    let scnet_findings = |scnet_home: Option<&str>| {
        let mut cmd = env.cmd();
        match scnet_home {
            Some(dir) => cmd.env("SCNET_HOME", env.dir.path().join(dir)),
            None => cmd.env_remove("SCNET_HOME"),
        };
        let out = cmd
            .env("HOME", env.dir.path().join("home"))
            .args(["--store", "keyutils", "doctor", "--json"])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        findings(&report, "scnet-cli")
            .into_iter()
            .map(|f| f["status"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(scnet_findings(Some("nowhere")), ["info"]);
    assert_eq!(scnet_findings(None).len(), 4);
}
