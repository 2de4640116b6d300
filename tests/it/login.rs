//! `actoken login / accounts / logout / check / info` and dead tokens brought back by a
//! remembered secret key, against the mock AC server's demo accounts: in-process on memory
//! stores (`support::in_process`), and on the binary with a real Secret Service for what only a
//! real run shows (argv, trace logs, files).

use actoken::mock::{ALICE, BOB, MintSpec, mint};
use actoken::token::Token;
use jiff::{SignedDuration, Timestamp};
use predicates::prelude::*;

use crate::support::in_process::InProcess;
use crate::support::{self, Env, Mock};

const KUNSHAN: &str = "alice/华东一区【昆山】";

/// A user in-process on memory stores (tokens and remembered secret keys), and the mock.
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

    fn login_alice(&self, extra: &[&str]) -> assert_cmd::assert::Assert {
        let url = self.mock.url();
        let mut args = vec![
            "login",
            "--user",
            "alice",
            "--access-key",
            ALICE.access_key,
            "--secret-key-stdin",
            "--base-url",
            &url,
        ];
        args.extend_from_slice(extra);
        self.env
            .cmd()
            .args(&args)
            .write_stdin(format!("{}\n", ALICE.secret_key))
            .assert()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.env.cmd().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn names(&self) -> Vec<String> {
        self.json(&["list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    }

    fn remembered_keys(&self) -> Vec<String> {
        self.env.remembered_keys()
    }
}

fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

fn dead(user: &str, cluster: &str) -> Token {
    mint(&MintSpec::new(
        user,
        cluster,
        Timestamp::now() - SignedDuration::from_hours(30),
    ))
}

#[test]
fn access_key_login_stores_every_region_and_the_platform_token() {
    let w = World::new();
    w.login_alice(&[])
        .success()
        .stdout(predicate::str::contains(format!("added     {KUNSHAN}")))
        .stdout(predicate::str::contains("alice/西北一区【西安】"))
        .stdout(predicate::str::contains("alice/华中一区【郑州】"))
        .stdout(predicate::str::contains("alice/ac  (platform token)"))
        .stdout(predicate::str::contains(
            // Explained by the account's status and balance (GET /ac/openapi/v2/user).
            "skipped   东北一区【哈尔滨】 (11301): account on trial, balance 0.00: top up to use this region",
        ))
        .stdout(predicate::str::contains("Secret key remembered"));
    assert_eq!(
        w.names(),
        [
            "alice/ac",
            KUNSHAN,
            "alice/华中一区【郑州】",
            "alice/西北一区【西安】"
        ]
    );
    assert_eq!(w.mock.server.login_count(), 1);
    // The stored token really is the region's.
    let kunshan = Token::from_raw(&w.env.stored_raw(KUNSHAN));
    let claims = kunshan.decode().unwrap().claims;
    assert_eq!(claims.cluster_id.as_deref(), Some("11250"));
    assert_eq!(claims.user.as_deref(), Some("alice"));
    // The index marks the platform token and the owning account.
    let index = std::fs::read_to_string(w.env.index_file()).unwrap();
    assert_eq!(index.matches("platform = true").count(), 1, "{index}");
    let id = format!("alice@{}", w.mock.server.addr());
    assert_eq!(
        index.matches(&format!("account = \"{id}\"")).count(),
        4,
        "{index}"
    );

    let accounts = w.json(&["accounts", "--json"]);
    let a = &accounts[0];
    assert_eq!(a["id"], id.as_str());
    assert_eq!(a["user"], "alice");
    assert_eq!(a["method"], "access-key");
    assert_eq!(a["access-key"], ALICE.access_key);
    assert_eq!(a["secret_key_remembered"], true);
    assert_eq!(a["tokens"].as_array().unwrap().len(), 4);
    assert!(a["last-login"].is_string());
    assert_eq!(w.remembered_keys(), [id]);
    w.env
        .cmd()
        .arg("accounts")
        .assert()
        .success()
        .stdout(predicate::str::contains("remembered"))
        .stdout(predicate::str::contains(ALICE.secret_key).not());
}

/// Issue 10: a password login used to replace the remembered access-key login, so the secret
/// key was orphaned and dead tokens no longer came back. One account now holds both methods.
#[test]
fn a_password_login_keeps_the_remembered_access_key() {
    let w = World::new();
    // The access key logs in at another host than the base URL (as on the platform).
    let auth = w.mock.url().replace("127.0.0.1", "localhost");
    w.login_alice(&["--auth-url", &auth]).success();
    let id = format!("alice@{}", auth.trim_start_matches("http://"));
    assert_eq!(w.remembered_keys(), std::slice::from_ref(&id));

    w.env
        .cmd()
        .args([
            "login",
            "--user",
            "alice",
            "--org-id",
            ALICE.org_id,
            "--password-stdin",
        ])
        .write_stdin(format!("{}\n", ALICE.password))
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "The secret key remembered for {id} (access key {}) is kept",
            ALICE.access_key
        )));
    let accounts = w.json(&["accounts", "--json"]);
    let a = &accounts[0];
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");
    assert_eq!(a["id"], id.as_str());
    assert_eq!(a["method"], "password");
    assert_eq!(a["methods"], serde_json::json!(["access-key", "password"]));
    assert_eq!(a["access-key"], ALICE.access_key);
    assert_eq!(a["org-id"], ALICE.org_id);
    assert_eq!(a["secret_key_remembered"], true);
    w.env
        .cmd()
        .arg("accounts")
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "access key {} + password, org {}",
            ALICE.access_key, ALICE.org_id
        )));

    // A dead token still comes back by itself, through the remembered key.
    let dead = mint(&MintSpec::new(
        "alice",
        "11250",
        Timestamp::now() - SignedDuration::from_hours(30),
    ));
    w.env
        .cmd()
        .args(["add", KUNSHAN, "--force", "--base-url", &w.mock.url()])
        .write_stdin(dead.expose())
        .assert()
        .success();
    let logins = w.mock.server.login_count();
    w.env.cmd().args(["renew", KUNSHAN]).assert().success();
    assert_eq!(w.mock.server.login_count(), logins + 1);

    // Logout says what it forgets.
    w.env
        .cmd()
        .args(["logout", "alice"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{id}: forgot the secret key of access key {}",
            ALICE.access_key
        )))
        .stdout(predicate::str::contains(format!(
            "password, org {}",
            ALICE.org_id
        )));
    assert!(w.remembered_keys().is_empty());
}

#[test]
fn second_login_replaces_the_same_regions_and_leaves_other_entries() {
    let w = World::new();
    let mine = support::token("carol", SignedDuration::from_hours(5));
    w.env.add("mine", &w.mock.url(), &mine);
    w.login_alice(&[]).success();
    // The second login needs no flags but the user: the rest is remembered, and so is the key.
    w.env
        .cmd()
        .args(["login", "--user", "alice"])
        .write_stdin("")
        .assert()
        .success()
        .stderr(predicate::str::contains("Using the secret key remembered"))
        .stdout(predicate::str::contains(format!("replaced  {KUNSHAN}")))
        .stdout(predicate::str::contains("replaced  alice/ac"))
        .stdout(predicate::str::contains("added").not());
    assert_eq!(w.mock.server.login_count(), 2);
    assert_eq!(w.names().len(), 5);
    assert_eq!(w.env.stored_raw("mine"), mine.expose());
}

#[test]
fn password_login_from_stdin_never_stores_the_password() {
    let w = World::new();
    w.env
        .cmd()
        .args([
            "login",
            "--user",
            "bob",
            "--org-id",
            BOB.org_id,
            "--password-stdin",
            "--base-url",
            &w.mock.url(),
        ])
        .write_stdin(BOB.password)
        .assert()
        .success()
        .stdout(predicate::str::contains("added     bob/华东三区【乌镇】"))
        .stdout(predicate::str::contains("bob/ac  (platform token)"))
        .stdout(predicate::str::contains("password was not stored"));
    assert!(w.remembered_keys().is_empty());
    let a = &w.json(&["accounts", "--json"])[0];
    assert_eq!(a["method"], "password");
    assert_eq!(a["org-id"], BOB.org_id);
    assert_eq!(a["secret_key_remembered"], false);
    // A wrong password is refused with the reason, exit 1, nothing changed.
    w.env
        .cmd()
        .args(["login", "--user", "bob", "--password-stdin"])
        .write_stdin("not-the-password")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("password is wrong"));
    assert_eq!(w.names().len(), 3);
}

#[test]
fn logout_forgets_the_key_and_with_tokens_removes_them() {
    let w = World::new();
    w.login_alice(&[]).success();
    w.env
        .cmd()
        .args(["logout", "alice"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "forgot the secret key of access key",
        ))
        .stdout(predicate::str::contains("tokens stay"));
    assert!(w.remembered_keys().is_empty());
    assert_eq!(w.json(&["accounts", "--json"]), serde_json::json!([]));
    assert_eq!(w.names().len(), 4);
    w.env.cmd().args(["logout", "alice"]).assert().code(1);

    w.login_alice(&[]).success();
    let mine = support::token("carol", SignedDuration::from_hours(5));
    w.env.add("mine", &w.mock.url(), &mine);
    // A token added by hand that belongs to alice (user claim + base URL) goes too.
    let hand = mint(&MintSpec::new(
        "alice",
        "11112",
        Timestamp::now() + SignedDuration::from_hours(2),
    ));
    w.env.add("hpc-east", &w.mock.url(), &hand);
    w.env
        .cmd()
        .args(["logout", "alice", "--tokens"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("removed {KUNSHAN}")))
        .stdout(predicate::str::contains("removed hpc-east"));
    assert_eq!(w.names(), ["mine"]);
    assert!(w.remembered_keys().is_empty());
}

#[test]
fn check_says_accepted_then_rejected_after_revocation() {
    let w = World::new();
    w.login_alice(&[]).success();
    w.env
        .cmd()
        .args(["check", KUNSHAN])
        .assert()
        .success()
        .stdout(predicate::str::contains("accepted by the server"));
    w.mock
        .server
        .revoke(&Token::from_raw(&w.env.stored_raw(KUNSHAN)));
    w.env
        .cmd()
        .args(["check", KUNSHAN])
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "rejected by the server with code 10004",
        ));
    w.mock.server.faults().set(actoken::mock::Fault::Http(503));
    w.env.cmd().args(["check", "alice/ac"]).assert().code(4);
}

/// Phase decides: the server refuses every expired token (10008), which says nothing about
/// whether it can still be renewed. `check` and `info` must not call it "get a new token".
#[test]
fn check_and_info_leave_an_expired_renewable_token_to_renewal() {
    let w = World::new();
    let expired = mint(&MintSpec::new(
        "carol",
        "11300",
        Timestamp::now() - SignedDuration::from_hours(3),
    ));
    w.env.add("carol/西北一区", &w.mock.url(), &expired);
    let out = w
        .env
        .cmd()
        .args(["check", "carol/西北一区"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("10008"));
    assert!(
        stderr.contains("still renewable for")
            && stderr.contains("renew it with `actoken renew 'carol/西北一区'`"),
        "{stderr}"
    );
    assert!(!stderr.contains("actoken login"), "{stderr}");
    let out = w
        .env
        .cmd()
        .args(["info", "carol/西北一区"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refuses every expired token"), "{stderr}");
    // And renewal does bring it back.
    w.env
        .cmd()
        .args(["renew", "carol/西北一区"])
        .assert()
        .success();
    w.env
        .cmd()
        .args(["check", "carol/西北一区"])
        .assert()
        .success();

    // Past the cutoff, the same refusal does mean a new token (exit 3).
    let dead = mint(&MintSpec::new(
        "carol",
        "11300",
        Timestamp::now() - SignedDuration::from_hours(30),
    ));
    w.env.add("carol/dead", &w.mock.url(), &dead);
    w.env.cmd().args(["check", "carol/dead"]).assert().code(3);
}

#[test]
fn info_shows_service_addresses_and_placeholders_as_unknown() {
    let w = World::new();
    w.login_alice(&[]).success();
    // Some deployments leave a template in place of an address (a fault switch of the mock).
    w.mock
        .server
        .faults()
        .set(actoken::mock::Fault::UnfilledPlaceholders);
    w.env
        .cmd()
        .args(["info", KUNSHAN])
        .assert()
        .success()
        .stdout(predicate::str::contains("home path  /public/home/alice_ks"))
        .stdout(predicate::str::contains(
            "https://c11250.hpc.example.com:65101/hpc v2.3",
        ))
        .stdout(predicate::str::contains("(disabled)"))
        .stdout(predicate::str::contains("ai         unknown"));
    let info = w.json(&["info", KUNSHAN, "--json"]);
    assert_eq!(info["id"], "11250");
    assert_eq!(info["home_path"], "/public/home/alice_ks");
    assert_eq!(info["hpc_urls"][0]["enabled"], true);
    assert_eq!(info["hpc_urls"][1]["enabled"], false);
    assert!(info["ai_urls"][0]["url"].is_null(), "{info}");
}

#[test]
fn dead_token_comes_back_through_the_remembered_key() {
    let w = World::new();
    w.login_alice(&[]).success();
    let url = w.mock.url();
    let old = dead("alice", "11250");
    w.env
        .cmd()
        .args(["add", KUNSHAN, "--base-url", &url, "--force"])
        .write_stdin(old.expose())
        .assert()
        .success();
    // A hand-named dead token of alice's 郑州 region benefits too (matched by cluster id).
    w.env.add("hpc-zz", &url, &dead("alice", "11112"));

    let out = w
        .env
        .cmd()
        .args(["token", KUNSHAN, "--min-valid", "10m"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("logged in again"), "{stderr}");
    assert_eq!(printed.lines().count(), 1);
    let fresh = Token::from_raw(printed.trim());
    assert_ne!(fresh, old);
    let claims = fresh.decode().unwrap().claims;
    assert_eq!(claims.cluster_id.as_deref(), Some("11250"));
    assert!(claims.expire_time.unwrap() > Timestamp::now() + SignedDuration::from_hours(23));
    assert_eq!(w.env.stored_raw(KUNSHAN), fresh.expose());
    assert_eq!(w.mock.server.login_count(), 2);
    assert_eq!(w.mock.server.renew_count(), 0);

    w.env
        .cmd()
        .args(["renew", "hpc-zz"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "hpc-zz: dead or rejected, logged in again",
        ));
    let zz = Token::from_raw(&w.env.stored_raw("hpc-zz"));
    let claims = zz.decode().unwrap().claims;
    // Matched by the list's id (11112); 郑州's token says 11126, as on the platform.
    assert_eq!(claims.compute_user.as_deref(), Some("alice_zz"));
    assert_eq!(claims.cluster_id.as_deref(), Some("11126"));
    assert!(claims.expire_time.unwrap() > Timestamp::now());
    assert_eq!(w.mock.server.login_count(), 3);

    // Rejected (revoked) but unexpired: renewal is refused, a login brings it back.
    let current = Token::from_raw(&w.env.stored_raw(KUNSHAN));
    w.mock.server.revoke(&current);
    w.env
        .cmd()
        .args(["renew", KUNSHAN])
        .assert()
        .success()
        .stdout(predicate::str::contains("logged in again"));
    assert_ne!(w.env.stored_raw(KUNSHAN), current.expose());
    assert_eq!(w.mock.server.login_count(), 4);
}

#[test]
fn without_a_remembered_key_the_error_names_the_login_command() {
    let w = World::new();
    let url = w.mock.url();
    w.login_alice(&["--no-remember"])
        .success()
        .stdout(predicate::str::contains("not remembered"));
    assert!(w.remembered_keys().is_empty());
    w.env
        .cmd()
        .args(["add", KUNSHAN, "--base-url", &url, "--force"])
        .write_stdin(dead("alice", "11250").expose())
        .assert()
        .success();
    // `token --min-valid` and `renew` say the same: the key is not remembered, so the advice
    // is the login command, not a renewal that would log in again by itself.
    for args in [
        &["token", KUNSHAN, "--min-valid", "10m"][..],
        &["renew", KUNSHAN],
    ] {
        w.env
            .cmd()
            .args(args)
            .assert()
            .code(3)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(format!(
                "actoken login --user alice --access-key {} --base-url {url}",
                ALICE.access_key
            )))
            .stderr(predicate::str::contains("with the remembered secret key").not());
    }
    // No remembered login at all: the access key is a placeholder.
    w.env.add("carol-east", &url, &dead("carol", "11250"));
    w.env
        .cmd()
        .args(["renew", "carol-east"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "actoken login --user carol --access-key YOUR_KEY --base-url {url}"
        )));
    assert_eq!(w.mock.server.login_count(), 1);
}

#[test]
fn secrets_never_appear_in_output_logs_files_or_argv() {
    need_store!();
    // On the binary: what reaches argv, the logs at trace level and the files of a real run.
    let (env, mock) = (Env::new(), Mock::start());
    let url = mock.url();
    let mut outputs = Vec::new();
    let verbose = |cmd: &mut assert_cmd::Command| {
        cmd.arg("-vvv").env("ACTOKEN_LOG", "trace");
    };
    let mut cmd = env.cmd();
    verbose(&mut cmd);
    outputs.push(
        cmd.args([
            "login",
            "--user",
            "alice",
            "--access-key",
            ALICE.access_key,
            "--secret-key-stdin",
            "--base-url",
            &url,
        ])
        .write_stdin(ALICE.secret_key)
        .output()
        .unwrap(),
    );
    let mut cmd = env.cmd();
    verbose(&mut cmd);
    outputs.push(
        cmd.args([
            "login",
            "--user",
            "bob",
            "--org-id",
            BOB.org_id,
            "--password-stdin",
            "--base-url",
            &url,
        ])
        .write_stdin(BOB.password)
        .output()
        .unwrap(),
    );
    // Refused logins echo nothing secret either.
    let mut cmd = env.cmd();
    verbose(&mut cmd);
    outputs.push(
        cmd.args([
            "login",
            "--user",
            "alice",
            "--no-remember",
            "--secret-key-stdin",
        ])
        .write_stdin("SK-WRONG-SECRET-123")
        .output()
        .unwrap(),
    );
    // The re-login path, at trace level.
    env.cmd()
        .args(["add", KUNSHAN, "--base-url", &url, "--force"])
        .write_stdin(dead("alice", "11250").expose())
        .assert()
        .success();
    let mut cmd = env.cmd();
    verbose(&mut cmd);
    outputs.push(cmd.args(["renew", KUNSHAN]).output().unwrap());
    assert!(outputs[0].status.success() && outputs[1].status.success());
    assert!(!outputs[2].status.success());
    assert!(outputs[3].status.success(), "{:?}", outputs[3]);

    for secret in [ALICE.secret_key, BOB.password, "SK-WRONG-SECRET-123"] {
        for out in &outputs {
            for stream in [&out.stdout, &out.stderr] {
                let text = String::from_utf8_lossy(stream);
                assert!(!text.contains(secret), "{secret} leaked: {text}");
            }
        }
        for (path, bytes) in files_under(env.dir.path()) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(secret), "{secret} in {}", path.display());
        }
    }
    // There is no flag that takes a secret on the command line.
    for flag in ["--secret-key", "--password", "--secret"] {
        env.cmd()
            .args(["login", "--user", "alice", flag, "x"])
            .assert()
            .code(2);
    }
}
