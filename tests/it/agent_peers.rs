//! Who may ask the agent (issue 26 item 2): the kernel's word on each connection's user
//! (SO_PEERCRED), whatever the socket's mode. Another user is refused with one line and exit
//! 5 and the agent logs the refusal; an agent run by another user refuses root unless it was
//! started with --allow-root. Switching users needs root and util-linux's `setpriv` (CI runs
//! as root); these tests say SKIPPED otherwise.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::support::agent::{Agent, remote_cmd, remote_cmd_as};
use crate::support::{Env, Mock, have, hours, token};

const NAME: &str = "华东一区【昆山】";

/// Another user (`nobody` on most systems).
const OTHER: u32 = 65534;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Whether this process can run commands as [`OTHER`]: root, with `setpriv`. Says SKIPPED when not.
fn can_switch_user(test: &str) -> bool {
    let probe = tempfile::tempdir().unwrap();
    let uid = std::fs::metadata(probe.path()).unwrap().uid();
    if uid != 0 {
        eprintln!("SKIPPED {test}: running as uid {uid}; switching users needs root");
        return false;
    }
    if !have("setpriv") {
        eprintln!("SKIPPED {test}: setpriv (util-linux) is not installed");
        return false;
    }
    true
}

/// A home directory of `uid`'s own (0700), in a directory everyone can pass through.
fn home_of(uid: u32) -> (tempfile::TempDir, std::path::PathBuf) {
    let top = tempfile::tempdir().unwrap();
    chmod(top.path(), 0o755);
    let home = top.path().join("home");
    std::fs::create_dir(&home).unwrap();
    chmod(&home, 0o700);
    chown(&home, Some(uid), Some(uid)).unwrap();
    (top, home)
}

/// The first line an agent sends for a `hello` on a fresh connection, and whether it then
/// closed the connection.
fn raw_hello(socket: &Path) -> (serde_json::Value, bool) {
    let stream = UnixStream::connect(socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut stream = BufReader::new(stream);
    // A refusing agent may have closed already: its answer is still there to read.
    let _ = stream
        .get_mut()
        .write_all(b"{\"version\":1,\"request\":\"hello\"}\n");
    let mut reply = String::new();
    stream.read_line(&mut reply).unwrap();
    let reply = serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{e}: {reply:?}"));
    // Closed: the end of the stream (or a reset: the agent closed with our line unread);
    // open: nothing more within a second.
    stream
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let mut rest = String::new();
    let closed = match stream.read_line(&mut rest) {
        Ok(0) => true,
        Ok(_) => panic!("a second line after one request: {rest:?}"),
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    (reply, closed)
}

#[test]
fn another_user_is_refused_whatever_the_socket_s_mode() {
    need_store!();
    if !can_switch_user(module_path!()) {
        return;
    }
    let (env, mock) = (Env::new(), Mock::start());
    let stored = token("alice", hours(5));
    env.add(NAME, &mock.url(), &stored);
    // Root's own agent (root is its own user: no --allow-root needed).
    let socket = env.dir.path().join("agent").join("agent.sock");
    let mut cmd = env.std_cmd();
    cmd.env_remove("JOURNAL_STREAM")
        .env_remove("ACTOKEN_AGENT_SOCK")
        .args(["agent", "--interval", "1h", "--socket"])
        .arg(&socket);
    let agent = Agent::spawn(cmd, socket.clone());
    // Everyone may reach and connect to the socket now: only the peer check stands.
    chmod(env.dir.path(), 0o755);
    chmod(socket.parent().unwrap(), 0o755);
    chmod(&socket, 0o777);
    let (_top, home) = home_of(OTHER);

    let out = remote_cmd_as(OTHER, &home, &socket)
        .args(["token", NAME])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("refuses this user (uid {OTHER})")),
        "{stderr}"
    );
    assert!(stderr.contains(&socket.display().to_string()), "{stderr}");
    assert!(!stderr.contains(stored.expose()));
    let line = agent.wait_for(&format!("from uid {OTHER} "));
    assert!(line.contains("connect from uid 65534 pid "), "{line}");
    assert!(line.ends_with("(local): refused"), "{line}");
    // The request itself never reached the agent's answers.
    assert!(
        !agent
            .log()
            .iter()
            .any(|l| l.contains(&format!("token {NAME} from uid {OTHER}"))),
        "{:#?}",
        agent.log()
    );
    // The mode was left as it was made; the agent's own user is still answered there.
    assert_eq!(std::fs::metadata(&socket).unwrap().mode() & 0o777, 0o777);
    let remote = tempfile::tempdir().unwrap();
    remote_cmd(remote.path(), &socket)
        .args(["token", NAME])
        .assert()
        .success()
        .stdout(format!("{}\n", stored.expose()));
    assert_eq!(mock.server.renew_count(), 0);
}

#[test]
fn an_agent_of_another_user_refuses_root_unless_started_with_allow_root() {
    if !can_switch_user(module_path!()) || !crate::support::kernel_keyring_available(module_path!())
    {
        return;
    }
    let (_top, home) = home_of(OTHER);
    let socket = home.join("run/actoken/agent.sock");
    let agent_of_other = |allow_root: bool| {
        // The other user's agent, on the kernel keyring of its own (an empty store: the peer
        // check comes before any store work).
        let mut cmd = std::process::Command::new("setpriv");
        cmd.arg(format!("--reuid={OTHER}"))
            .arg(format!("--regid={OTHER}"))
            .args(["--clear-groups", "--"])
            .arg(assert_cmd::cargo::cargo_bin("actoken"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_RUNTIME_DIR", home.join("run"))
            .env("ACTOKEN_STORE", "keyutils")
            .env("ACTOKEN_KEYRING_SERVICE", "actoken-peer-test")
            .env("ACTOKEN_LANG", "en")
            .args(["agent", "--interval", "1h", "--socket"])
            .arg(&socket);
        if allow_root {
            cmd.arg("--allow-root");
        }
        Agent::spawn(cmd, socket.clone())
    };
    let remote = tempfile::tempdir().unwrap();

    let mut agent = agent_of_other(false);
    assert!(
        agent
            .wait_for("agent listening on")
            .contains("answering uid 65534")
    );
    let out = remote_cmd(remote.path(), &socket)
        .args(["token", NAME])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("refuses this user (uid 0)"), "{stderr}");
    let line = agent.wait_for("connect from uid 0 ");
    assert!(line.ends_with(": refused"), "{line}");
    let (reply, closed) = raw_hello(&socket);
    assert_eq!(reply["reply"], "error", "{reply}");
    assert_eq!(reply["kind"], "refused", "{reply}");
    assert!(closed, "a refused connection stays open");
    assert_eq!(agent.terminate().code(), Some(0));

    let mut agent = agent_of_other(true);
    assert!(
        agent
            .wait_for("agent listening on")
            .contains("(root's processes too)")
    );
    let (reply, closed) = raw_hello(&socket);
    assert_eq!(reply["reply"], "hello", "{reply}");
    assert_eq!(reply["store"], "keyutils", "{reply}");
    assert!(
        !closed,
        "the agent closed an allowed connection after hello"
    );
    // Root's requests are answered now: the token is simply not in that user's store.
    remote_cmd(remote.path(), &socket)
        .args(["token", NAME])
        .assert()
        .code(1)
        .stdout("");
    let line = agent.wait_for(&format!("token {NAME} from uid 0 "));
    assert!(line.ends_with(": not_found"), "{line}");
    assert_eq!(agent.terminate().code(), Some(0));
}
