//! The agent over SSH: a real OpenSSH server on loopback (see `support::sshd`; SKIPPED without
//! one), a real `actoken agent` on this test's store (see `support::agent`) and the mock AC
//! server. `actoken ssh` forwards the agent's socket with a real `ssh -R`; the "remote" session
//! (the same machine, through sshd) has another HOME, no D-Bus and an unreachable Secret
//! Service forced, so only the agent can answer it.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::agent::Agent;
use crate::support::sshd::{HOST, Sshd};
use crate::support::{Env, Mock, hours, token};

const NAME: &str = "华东一区【昆山】";
/// How long one `actoken ssh` may take (a login and a short command).
const SESSION_WITHIN: Duration = Duration::from_secs(60);

/// The "remote" user's world: a home of its own (no rc file of the developer's is read), no
/// D-Bus session, the Secret Service forced: a store there cannot be opened.
struct Remote {
    home: tempfile::TempDir,
    sshd: Sshd,
}

impl Remote {
    /// `None` (having said SKIPPED) without sshd.
    fn start(test: &str) -> Option<Remote> {
        let home = tempfile::tempdir().unwrap();
        let path = |p: &str| home.path().join(p).to_string_lossy().into_owned();
        let env = [
            ("HOME", path("")),
            ("XDG_CONFIG_HOME", path("config")),
            ("XDG_STATE_HOME", path("state")),
            ("SCNET_HOME", path("scnet")),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/bus".into(),
            ),
            ("ACTOKEN_STORE", "secret-service".into()),
            ("ACTOKEN_LANG", "en".into()),
        ];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let sshd = Sshd::start(test, &env)?;
        Some(Remote { home, sshd })
    }

    fn config(&self) -> String {
        self.sshd.client_config().to_string_lossy().into_owned()
    }

    /// The stable link the sessions' ACTOKEN_AGENT_SOCK names.
    fn link(&self) -> PathBuf {
        self.sshd
            .remote_runtime_dir()
            .join("actoken/forwarded-agent.sock")
    }

    /// Whether a store's index was made on the remote side (it must not be; the region
    /// addresses' cache in the state directory is no store).
    fn has_a_store(&self) -> bool {
        self.home.path().join("config/actoken/index.toml").exists()
    }
}

/// `actoken ssh ARGS` with ACTOKEN_AGENT_SOCK=`agent`, stdin `input`, within
/// [`SESSION_WITHIN`].
fn actoken_ssh(agent: &Path, args: &[&str], input: &str) -> std::process::Output {
    let mut cmd = assert_cmd::Command::cargo_bin("actoken").unwrap();
    cmd.arg("ssh")
        .args(args)
        .env("ACTOKEN_AGENT_SOCK", agent)
        .env("ACTOKEN_LANG", "en")
        .env_remove("ACTOKEN_LOG")
        .write_stdin(input)
        .timeout(SESSION_WITHIN);
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The actoken binary, as the remote session runs it (its PATH is not the test's).
fn actoken() -> String {
    assert_cmd::cargo::cargo_bin("actoken")
        .to_string_lossy()
        .into_owned()
}

/// What the remote shell reads for `actoken ARGS` (ssh joins the words with spaces, and the
/// remote shell splits them again: the Chinese name is quoted).
fn remote_actoken(args: &str) -> String {
    format!("{} {args}", actoken())
}

/// After a session: the stable link no longer leads to its socket. (It is gone, or leads to
/// another forwarded socket of the user's: the sessions of other tests share /tmp.)
fn assert_link_let_go(link: &Path, socket: &str) {
    if let Ok(target) = std::fs::read_link(link) {
        assert_ne!(
            target,
            Path::new(socket),
            "the link still leads to the ended session"
        );
        assert!(
            target.to_string_lossy().starts_with("/tmp/actoken-agent-"),
            "{target:?}"
        );
    }
}

/// The remote client: connects to ACTOKEN_AGENT_SOCK, says hello, prints the variable, where
/// its link leads, the reply's kind and the forwarded socket's mode, and exits 7. Quoted for
/// the remote shell, which reads the joined words as ssh sends them.
const HELLO_CLIENT: &str = "python3 -c 'import json, os, socket, sys
p = os.environ[\"ACTOKEN_AGENT_SOCK\"]
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(p)
s.sendall(b\"{\\\"version\\\":1,\\\"request\\\":\\\"hello\\\"}\\n\")
print(p)
print(os.readlink(p))
print(json.loads(s.makefile().readline())[\"reply\"])
print(oct(os.stat(os.readlink(p)).st_mode & 0o777))
sys.exit(7)'";

#[test]
fn the_remote_session_reaches_the_agent_through_a_stable_link_and_its_status_comes_back() {
    need_store!();
    let Some(remote) = Remote::start(module_path!()) else {
        return;
    };
    let env = Env::new();
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let config = remote.config();
    let out = actoken_ssh(&agent.socket, &["-F", &config, HOST, HELLO_CLIENT], "");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let diagnose = || {
        format!(
            "stdout:\n{stdout}\nstderr:\n{stderr}\nsshd:\n{}\nagent:\n{:#?}",
            remote.sshd.log(),
            agent.log()
        )
    };
    assert_eq!(out.status.code(), Some(7), "{}", diagnose());
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", diagnose());
    assert_eq!(lines[0], remote.link().to_str().unwrap(), "{}", diagnose());
    let socket = lines[1];
    let random = socket
        .strip_prefix("/tmp/actoken-agent-")
        .and_then(|s| s.strip_suffix(".sock"))
        .unwrap_or_else(|| panic!("{}", diagnose()));
    assert!(
        random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit()),
        "{}",
        diagnose()
    );
    assert_eq!(lines[2], "hello", "{}", diagnose());
    // sshd made the forwarded socket for the user alone (StreamLocalBindMask 0177).
    assert_eq!(lines[3], "0o600", "{}", diagnose());
    assert_eq!(stderr, "", "{}", diagnose());
    // The agent saw the client's hello come through ssh, after actoken ssh's own.
    let forwarded = agent.wait_for("(forwarded): ok");
    assert!(forwarded.contains("hello from uid"), "{forwarded}");
    // The "remote" host is this one: its socket is gone, and the link with it.
    assert!(!Path::new(socket).exists(), "{}", diagnose());
    assert_link_let_go(&remote.link(), socket);
}

/// No COMMAND: the user's login shell, reading stdin here (no terminal); options after HOST
/// are ssh's, as ssh takes them.
#[test]
fn without_a_command_the_login_shell_gets_the_variable() {
    need_store!();
    let Some(remote) = Remote::start(module_path!()) else {
        return;
    };
    let env = Env::new();
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let config = remote.config();
    let out = actoken_ssh(
        &agent.socket,
        &[HOST, "-F", &config],
        "echo \"sock=$ACTOKEN_AGENT_SOCK\"\necho \"target=$(readlink \"$ACTOKEN_AGENT_SOCK\")\"\nexit 3\n",
    );
    let stdout = text(&out.stdout);
    let diagnose = || {
        format!(
            "stdout:\n{stdout}\nstderr:\n{}\nsshd:\n{}",
            text(&out.stderr),
            remote.sshd.log()
        )
    };
    let mut lines = stdout.lines();
    assert_eq!(
        (out.status.code(), lines.next()),
        (
            Some(3),
            Some(format!("sock={}", remote.link().display()).as_str())
        ),
        "{}",
        diagnose()
    );
    let socket = lines
        .next()
        .and_then(|l| l.strip_prefix("target="))
        .unwrap_or_else(|| panic!("{}", diagnose()));
    assert!(!Path::new(socket).exists(), "{}", diagnose());
    assert_link_let_go(&remote.link(), socket);
}

/// The end-to-end run: `token`, `env`, `exec` and `token --min-valid` on the remote
/// side, answered by the agent alone, which renews on its side exactly once.
#[test]
fn over_actoken_ssh_token_env_and_exec_come_from_the_agent_which_renews_once() {
    need_store!();
    let Some(remote) = Remote::start(module_path!()) else {
        return;
    };
    let (env, mock) = (Env::new(), Mock::start());
    let stored = token("alice", hours(5));
    env.add(NAME, &mock.url(), &stored);
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let config = remote.config();
    let run = |command: String| {
        let out = actoken_ssh(&agent.socket, &["-F", &config, HOST, &command], "");
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(
            out.status.success(),
            "{command}: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}\nagent:\n{:#?}",
            out.status,
            agent.log()
        );
        (stdout, stderr)
    };

    let (stdout, stderr) = run(remote_actoken(&format!("token '{NAME}'")));
    assert_eq!(
        (stdout, stderr),
        (format!("{}\n", stored.expose()), String::new())
    );

    let (stdout, _) = run(remote_actoken(&format!("env '{NAME}'")));
    assert!(
        stdout.contains(&format!("AC_TOKEN='{}'", stored.expose())),
        "{stdout}"
    );
    assert!(stdout.contains(&mock.url()), "{stdout}");

    let (stdout, _) = run(remote_actoken(&format!(
        "exec '{NAME}' -- sh -c 'echo \"got $AC_TOKEN\"'"
    )));
    assert_eq!(stdout, format!("got {}\n", stored.expose()));
    assert_eq!(mock.server.renew_count(), 0);

    // Wanting more than the 5 h it has left: the agent renews, once, and hands the new one.
    let (stdout, stderr) = run(remote_actoken(&format!("token '{NAME}' --min-valid 6h")));
    assert_eq!(mock.server.renew_count(), 1, "{:#?}", agent.log());
    let renewed = env.stored_raw(NAME);
    assert_ne!(renewed, stored.expose());
    assert_eq!(stdout, format!("{renewed}\n"));
    assert!(stderr.contains(&format!("renewed {NAME}")), "{stderr}");
    let line = agent.wait_for("(forwarded): ok (renewed)");
    assert!(line.contains(&format!("token {NAME} from uid")), "{line}");
    assert!(!line.contains(&renewed), "{line}");
    // Every request came over the forward; no store was made on the remote side.
    assert!(
        agent
            .log()
            .iter()
            .filter(|l| l.contains(&format!("token {NAME} from")))
            .all(|l| l.contains("(forwarded)")),
        "{:#?}",
        agent.log()
    );
    assert!(!remote.has_a_store());
}

/// The plain-ssh recipe the README gives: RemoteForward to a path in ~/.actoken, and
/// ACTOKEN_AGENT_SOCK exported by the remote shell's rc file.
#[test]
fn the_readme_s_plain_ssh_recipe_reaches_the_agent() {
    need_store!();
    let Some(remote) = Remote::start(module_path!()) else {
        return;
    };
    let (env, mock) = (Env::new(), Mock::start());
    let stored = token("alice", hours(5));
    env.add(NAME, &mock.url(), &stored);
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let home = remote.home.path();
    std::fs::create_dir(home.join(".actoken")).unwrap();
    std::fs::set_permissions(
        home.join(".actoken"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    std::fs::write(
        home.join(".bashrc"),
        "export ACTOKEN_AGENT_SOCK=\"$HOME/.actoken/agent-$(hostname -s).sock\"\n",
    )
    .unwrap();
    let host = text(
        &std::process::Command::new("hostname")
            .arg("-s")
            .output()
            .unwrap()
            .stdout,
    );
    let forwarded = home.join(format!(".actoken/agent-{}.sock", host.trim()));
    let out = assert_cmd::Command::from_std(remote.sshd.ssh())
        .arg("-o")
        .arg("ExitOnForwardFailure=yes")
        .arg("-R")
        .arg(format!(
            "{}:{}",
            forwarded.display(),
            agent.socket.display()
        ))
        .arg(HOST)
        .arg(remote_actoken(&format!("token '{NAME}'")))
        .timeout(SESSION_WITHIN)
        .output()
        .unwrap();
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (Some(0), format!("{}\n", stored.expose())),
        "stderr:\n{}\nsshd:\n{}",
        text(&out.stderr),
        remote.sshd.log()
    );
    agent.wait_for("(forwarded): ok");
}

#[test]
fn with_no_agent_answering_ssh_is_not_started_and_one_line_says_why() {
    let Some(remote) = Remote::start(module_path!()) else {
        return;
    };
    let config = remote.config();
    let dir = tempfile::tempdir().unwrap();
    // A socket file nobody listens on (an agent that died), and one that is not an agent's.
    let stale = dir.path().join("stale.sock");
    drop(UnixListener::bind(&stale).unwrap());
    let other = dir.path().join("other.sock");
    let listener = UnixListener::bind(&other).unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            // Reads the request, then answers what no agent would.
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let _ = stream.write_all(b"220 not an agent\n");
        }
    });
    for (agent, reason) in [
        (dir.path().join("none.sock"), "no actoken agent answers at"),
        (stale, "no actoken agent answers at"),
        (other, "did not answer properly"),
    ] {
        let out = actoken_ssh(&agent, &["-F", &config, HOST, "true"], "");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(reason), "{stderr}");
        assert!(stderr.contains(&agent.display().to_string()), "{stderr}");
        assert_eq!(text(&out.stdout), "");
    }
    assert!(
        !remote.sshd.log().contains("Accepted"),
        "{}",
        remote.sshd.log()
    );
}

/// No COMMAND on a terminal: the remote login shell gets a terminal too (`-t`), as with plain
/// ssh. The terminal is `script`'s (util-linux); what is typed arrives two seconds later.
#[test]
fn on_a_terminal_the_login_shell_gets_a_terminal() {
    need_store!();
    if !crate::support::have("script") {
        assert!(std::env::var("CI").is_err(), "script is required in CI");
        eprintln!("SKIPPED: script (util-linux) is not installed");
        return;
    }
    let Some(remote) = Remote::start(module_path!()) else {
        return;
    };
    let env = Env::new();
    let agent = Agent::start(&env, &["--interval", "1h"]);
    let typed = "tty; echo \"sock=$ACTOKEN_AGENT_SOCK\"; exit 4";
    let pipeline = format!(
        "(sleep 2; printf '%s\\n' '{typed}') | timeout 40 script -qec \"$0 ssh -F $1 {HOST}\" /dev/null"
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(pipeline)
        .arg(actoken())
        .arg(remote.config())
        .env("ACTOKEN_AGENT_SOCK", &agent.socket)
        .env("ACTOKEN_LANG", "en")
        .output()
        .unwrap();
    // `script` puts the terminal's bytes on its stdout.
    let screen = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{screen}\nsshd:\n{}",
        remote.sshd.log()
    );
    assert!(screen.contains("/dev/pts/"), "{screen}");
    assert!(
        screen.contains(&format!("sock={}", remote.link().display())),
        "{screen}"
    );
}

/// What cannot carry the variable (no remote command, a subsystem, a stdio forward) or names
/// no host is a usage error, before any agent or ssh is asked.
#[test]
fn sessions_without_a_command_or_a_host_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("none.sock");
    for (args, says) in [
        (&["-N", "login1"][..], "with -N ssh runs no remote command"),
        (
            &["login1", "-W", "h:22"][..],
            "with -W ssh runs no remote command",
        ),
        (
            &["-s", "login1", "sftp"][..],
            "with -s ssh runs no remote command",
        ),
        (&["-p", "2222"][..], "no host given"),
        (&["login1", "-l"][..], "ssh's option -l needs a value"),
    ] {
        let out = actoken_ssh(&nowhere, args, "");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // In Chinese too.
    let out = assert_cmd::Command::cargo_bin("actoken")
        .unwrap()
        .args(["ssh", "-N", "login1"])
        .env("ACTOKEN_LANG", "zh-CN")
        .env("ACTOKEN_AGENT_SOCK", &nowhere)
        .timeout(SESSION_WITHIN)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("使用 -N 时 ssh 不运行远程命令"), "{stderr}");
}
