//! Issue 23, "Fidelity II": what a second, independent client of the platform (scnet-cli) and
//! the platform's own doc samples taught, end to end against the mock: in-process on memory
//! stores, and on the binary for what only a process shows (the mock server's banner, where a
//! login goes on the network).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use actoken::api::{AcClient, ClientOptions};
use actoken::mock::{ALICE, Fault, MintSpec, mint};
use actoken::token::Token;
use jiff::{SignedDuration, Timestamp};
use predicates::prelude::*;
use serde_json::{Value, json};

use crate::support::in_process::InProcess;
use crate::support::mock_process::MockProcess;
use crate::support::{Env, Mock};

const KUNSHAN: &str = "alice/华东一区【昆山】";
const ZHENGZHOU: &str = "alice/华中一区【郑州】";

/// A user in-process on memory stores, and the mock.
struct World {
    env: InProcess,
    mock: Mock,
}

impl World {
    fn new() -> World {
        World {
            env: InProcess::new(),
            mock: Mock::start(),
        }
    }

    fn login_alice(&self) -> assert_cmd::assert::Assert {
        let url = self.mock.url();
        self.env
            .cmd()
            .args(["login", "--user", "alice", "--access-key", ALICE.access_key])
            .args(["--secret-key-stdin", "--base-url", &url])
            .write_stdin(format!("{}\n", ALICE.secret_key))
            .assert()
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.env.cmd().args(args).output().unwrap();
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (
            out.status.code().unwrap(),
            text(out.stdout),
            text(out.stderr),
        )
    }

    fn env_of(&self, name: &str) -> String {
        let (code, out, err) = self.run(&["env", name]);
        assert_eq!(code, 0, "{out}{err}");
        out
    }
}

/// GET `path` of the mock with a `token` header: the reply's JSON.
fn get(mock: &Mock, path: &str, token: &str) -> Value {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let reply = reqwest::Client::new()
            .get(format!("{}/{path}", mock.url()))
            .header("token", token)
            .timeout(Duration::from_secs(20))
            .send()
            .await
            .unwrap();
        serde_json::from_str(&reply.text().await.unwrap()).unwrap()
    })
}

// 1. The platform token has no region.

#[test]
fn info_on_the_platform_token_says_it_has_no_region_without_asking() {
    let w = World::new();
    w.login_alice().success();
    let before = w.mock.server.arrived_count();
    let (code, out, err) = w.run(&["info", "alice/ac"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("account-level platform token"), "{err}");
    assert!(err.contains("no region"), "{err}");
    assert!(!err.contains("try again"), "{err}");
    assert_eq!(w.mock.server.arrived_count(), before, "center was asked");
}

#[test]
fn env_on_the_platform_token_asks_no_center_and_prints_no_note() {
    let w = World::new();
    w.login_alice().success();
    let before = w.mock.server.arrived_count();
    let (code, out, err) = w.run(&["env", "alice/ac"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(err, "", "no note");
    assert!(out.contains("export AC_TOKEN='"), "{out}");
    assert!(out.contains("export SCNET_CLUSTER_ID='0'\n"), "{out}");
    assert!(!out.contains("AC_HPC_URL"), "{out}");
    assert_eq!(w.mock.server.arrived_count(), before, "center was asked");
}

// 2. A server error is not a rejection.

#[test]
fn check_calls_a_server_error_a_server_error() {
    let w = World::new();
    w.login_alice().success();
    w.mock.server.faults().set(Fault::Code("10001".into()));
    let (code, out, err) = w.run(&["check", KUNSHAN]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains(&format!("{KUNSHAN}: ")), "{err}");
    assert!(
        err.contains("10001") && err.contains("try again later"),
        "{err}"
    );
    assert!(
        !format!("{out}{err}").contains("log in again"),
        "{out}{err}"
    );
    assert!(!out.contains("rejected"), "{out}");
    // A refusal still is one.
    w.mock.server.faults().set(Fault::Code("10004".into()));
    let (code, ..) = w.run(&["check", KUNSHAN]);
    assert_eq!(code, 3);
}

// 3. The login list's clusterId is the region's id.

#[test]
fn the_login_list_names_the_region_not_the_token_claims() {
    let w = World::new();
    // As in the platform's own samples: the list's ids differ from the tokens' claims.
    let expires = Timestamp::now() + SignedDuration::from_hours(24);
    let token = |compute_user: &str, claim: &str| {
        let spec = MintSpec {
            compute_user: compute_user.into(),
            ..MintSpec::new("alice", claim, expires)
        };
        mint(&spec).expose().to_owned()
    };
    let list = json!([
        {"clusterId": "11112", "clusterName": "华中一区【郑州】", "token": token("alice_zz", "11126")},
        {"clusterId": "0", "clusterName": "ac", "token": token("root", "11125")},
    ]);
    w.mock.server.faults().set(Fault::SuccessData(list));
    w.login_alice()
        .success()
        .stdout(predicate::str::contains("(cluster 11112)"));
    w.mock.server.faults().clear();

    let zz = w.env_of(ZHENGZHOU);
    for line in [
        "export AC_CLUSTER_ID='11112'\n",
        "export SCNET_CLUSTER_ID='11112'\n",
        "export SCNET_OPENAPI_REGION_ID='11112'\n",
        "export AC_CLUSTER_NAME='华中一区【郑州】'\n",
    ] {
        assert!(zz.contains(line), "{line}: {zz}");
    }
    assert!(
        w.env_of("alice/ac")
            .contains("export SCNET_CLUSTER_ID='0'\n")
    );

    let (_, listed, _) = w.run(&["list", "--json"]);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let entry = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(entry(ZHENGZHOU)["cluster_id"], "11112");
    assert_eq!(entry(ZHENGZHOU)["cluster_name"], "华中一区【郑州】");
    assert_eq!(entry("alice/ac")["cluster_id"], "0");
    let (_, table, _) = w.run(&["list"]);
    let row = table.lines().find(|l| l.contains(ZHENGZHOU)).unwrap();
    assert!(row.contains("11112") && !row.contains("11126"), "{row}");
    let (_, shown, _) = w.run(&["show", ZHENGZHOU]);
    assert!(shown.contains("华中一区【郑州】 (11112)"), "{shown}");
    let index = std::fs::read_to_string(w.env.index_file()).unwrap();
    assert!(index.contains("cluster-id = \"11112\""), "{index}");
}

// 5. Errors a user can act on.

#[test]
fn a_user_name_or_access_key_that_cannot_go_in_a_header_is_a_usage_error() {
    let w = World::new();
    let url = w.mock.url();
    for (user, ak) in [("张三", ALICE.access_key), ("alice", "AK\t1")] {
        let (code, out, err) = {
            let o = w
                .env
                .cmd()
                .args(["login", "--user", user, "--access-key", ak])
                .args(["--secret-key-stdin", "--base-url", &url])
                .write_stdin("SK1\n")
                .output()
                .unwrap();
            let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
            (o.status.code().unwrap(), text(o.stdout), text(o.stderr))
        };
        assert_eq!(code, 2, "{user:?} {ak:?}: {out}{err}");
        assert!(err.contains("HTTP header"), "{err}");
        assert!(!err.contains("later"), "{err}");
    }
    assert_eq!(w.mock.server.arrived_count(), 0);
}

#[test]
fn a_404_at_the_login_url_names_the_auth_url_and_the_public_hosts() {
    let w = World::new();
    w.mock.server.faults().set(Fault::Http(404));
    let out = w.login_alice().code(1).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("has no access-key login"), "{err}");
    assert!(err.contains("--auth-url"), "{err}");
    assert!(
        err.contains("https://api.scnet.cn") && err.contains("https://www.scnet.cn"),
        "{err}"
    );
}

// 6. Codes and states the docs list.

#[test]
fn a_frozen_user_is_not_sent_to_renew_or_log_in_again() {
    let w = World::new();
    w.login_alice().success();
    let logins = w.mock.server.login_count();
    w.mock.server.faults().set(Fault::Code("10007".into()));
    for args in [["check", KUNSHAN], ["renew", KUNSHAN]] {
        let (code, out, err) = w.run(&args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        let all = format!("{out}{err}");
        assert!(
            all.contains("frozen") && all.contains("用户已被冻结"),
            "{all}"
        );
        assert!(
            all.contains("cannot help") && all.contains("unfreeze"),
            "{all}"
        );
    }
    assert_eq!(w.mock.server.login_count(), logins, "no login was tried");
    let out = w.login_alice().code(1).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("frozen") && err.contains("cannot help"),
        "{err}"
    );
}

#[test]
fn a_failed_verification_at_the_access_key_login_says_what_to_check() {
    let w = World::new();
    w.mock.server.faults().set(Fault::Code("10009".into()));
    let out = w.login_alice().code(1).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("did not verify"), "{err}");
    assert!(err.contains("secret key") && err.contains("clock"), "{err}");
}

// 7. The public deployment by name; what `info` and `env` tell.

#[test]
fn info_shows_the_region_name_ingress_and_ssh_hosts() {
    let w = World::new();
    w.login_alice().success();
    let (code, out, err) = w.run(&["info", KUNSHAN]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("(region 华东一区【昆山】 11250, cluster user alice_ks)"),
        "{out}"
    );
    assert!(
        out.contains("ingress    https://c11250.hpc.example.com:65105"),
        "{out}"
    );
    assert!(
        out.contains("ssh        ssh.c11250.hpc.example.com:65022"),
        "{out}"
    );
}

#[test]
fn env_sets_the_service_bases_and_the_names_other_clients_read() {
    let w = World::new();
    w.login_alice().success();
    let out = w.env_of(KUNSHAN);
    let host = "https://c11250.hpc.example.com";
    for line in [
        format!("export AC_HPC_URL='{host}:65101/hpc'\n"),
        format!("export SCNET_HPC_URL='{host}:65101/hpc'\n"),
        format!("export AC_HPC_OPENAPI_URL='{host}:65101/hpc/openapi/v2'\n"),
        format!("export SCNET_EFILE_URL='{host}:65103/efile'\n"),
        format!("export AC_EFILE_OPENAPI_URL='{host}:65103/efile/openapi/v2'\n"),
        format!("export AC_AI_OPENAPI_URL='{host}:65102/ai/openapi/v2'\n"),
        "export AC_CLUSTER_USER='alice_ks'\n".to_owned(),
        "export AC_HOME_PATH='/public/home/alice_ks'\n".to_owned(),
        "export SCNET_HOME_PATH='/public/home/alice_ks'\n".to_owned(),
        "export SCNET_OPENAPI_REGION_ID='11250'\n".to_owned(),
    ] {
        assert!(out.contains(&line), "{line}: {out}");
    }
    assert!(!out.contains("SCNET_API_KEY"), "{out}");
}

/// A proxy that records the first request line it gets and hangs up: what `actoken login`
/// asked to connect to, without any network (HTTPS_PROXY sends every https request here).
/// Nobody coming within 30 s is "" (the test then fails, it does not hang).
fn recording_proxy() -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut conn = loop {
            match listener.accept() {
                Ok((conn, _)) => break conn,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(_) => return String::new(),
            }
        };
        conn.set_nonblocking(false).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 512];
        let n = conn.read(&mut buf).unwrap_or(0);
        let _ = conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        let first = String::from_utf8_lossy(&buf[..n]);
        first.lines().next().unwrap_or("").to_owned()
    });
    (url, seen)
}

#[test]
fn login_without_a_base_url_goes_to_the_public_deployment_and_says_so() {
    need_store!();
    let env = Env::new();
    env.write_config("connect-timeout = \"5s\"\nrequest-timeout = \"10s\"\n");
    let (proxy, seen) = recording_proxy();
    let out = env
        .cmd()
        .args([
            "login",
            "--user",
            "alice",
            "--access-key",
            "AK1",
            "--secret-key-stdin",
        ])
        .write_stdin("SK1\n")
        .env("HTTPS_PROXY", &proxy)
        .env("https_proxy", &proxy)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.matches("public deployment").count(),
        1,
        "said in one line: {err}"
    );
    assert!(
        err.contains(
            "access-key login at https://api.scnet.cn, everything else at https://www.scnet.cn"
        ),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(4), "{err}");
    // The signed login went (through the proxy) to the public login host, and nowhere else.
    assert_eq!(seen.join().unwrap(), "CONNECT api.scnet.cn:443 HTTP/1.1");
}

// 8. The mock behaves like the platform for another client.

#[test]
fn the_mock_refuses_center_for_the_platform_token_like_the_platform() {
    let w = World::new();
    w.login_alice().success();
    let platform = w.env.stored_raw("alice/ac");
    let reply = get(&w.mock, "ac/openapi/v2/center", &platform);
    assert_eq!(reply["code"], "10001", "{reply}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = AcClient::new(&ClientOptions::default()).unwrap();
    let err = rt
        .block_on(client.center(&w.mock.url(), &Token::from_raw(&platform)))
        .unwrap_err();
    assert_eq!(err.platform_code(), Some("10001"));
    assert!(!err.token_rejected());
}

#[test]
fn the_mock_center_carries_name_ingress_and_ssh_hosts_and_real_addresses() {
    let w = World::new();
    w.login_alice().success();
    let data = &get(&w.mock, "ac/openapi/v2/center", &w.env.stored_raw(KUNSHAN))["data"];
    assert_eq!(data["id"], "11250", "{data}");
    assert_eq!(data["name"], "华东一区【昆山】", "{data}");
    assert_eq!(
        data["ingressUrls"][0]["url"],
        "https://c11250.hpc.example.com:65105"
    );
    assert_eq!(
        data["eshellSshHosts"][0]["url"],
        "ssh.c11250.hpc.example.com:65022"
    );
    // By default every address is real: the unfilled template is a fault switch.
    assert_eq!(
        data["aiUrls"][0]["url"],
        "https://c11250.hpc.example.com:65102/ai"
    );
    // The region is the list's: 郑州's token says 11126 (as on the platform), center 11112.
    let zz = &get(
        &w.mock,
        "ac/openapi/v2/center",
        &w.env.stored_raw(ZHENGZHOU),
    )["data"];
    assert_eq!(zz["id"], "11112", "{zz}");
}

#[test]
fn mock_server_prints_every_login_it_accepts() {
    let mock = MockProcess::start();
    for account in actoken::mock::DEMO_ACCOUNTS {
        let line = mock
            .banner
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{}:", account.user)))
            .unwrap_or_else(|| panic!("no line for {}:\n{}", account.user, mock.banner));
        for fact in [
            account.access_key,
            account.secret_key,
            account.password,
            account.org_id,
        ] {
            assert!(line.contains(fact), "{fact}: {line}");
        }
    }
    assert!(
        mock.banner.contains(&format!(
            "actoken login --user alice --access-key {} --base-url {}",
            ALICE.access_key, mock.url
        )),
        "{}",
        mock.banner
    );
}
