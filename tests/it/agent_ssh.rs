//! `actoken ssh` over a real OpenSSH server on loopback (see `support::sshd`; SKIPPED without
//! one): the agent's socket forwarded with a real `ssh -R`, reached from the "remote" session
//! through ACTOKEN_AGENT_SOCK, and everything cleaned up when the session ends.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::sshd::{HOST, Sshd};

/// How long one `actoken ssh` may take (a login and a short command).
const SESSION_WITHIN: Duration = Duration::from_secs(60);

/// A stand-in for the agent: answers every line it is sent with `echo: LINE`, on a socket in
/// a directory of its own. Its threads end with the test's process.
struct StandIn {
    dir: tempfile::TempDir,
}

impl StandIn {
    fn start() -> StandIn {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("agent.sock")).unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut stream = stream;
                    let mut line = String::new();
                    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                        let _ = write!(stream, "echo: {line}");
                        line.clear();
                    }
                });
            }
        });
        StandIn { dir }
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("agent.sock")
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

/// A remote home of its own: the session reads no rc file of the developer's.
fn remote_home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The remote side's client: connects to ACTOKEN_AGENT_SOCK, sends a line with a Chinese name,
/// prints the variable, where its link leads, the answer and the forwarded socket's mode, and
/// exits 7. Quoted for the remote shell, which reads the joined words as ssh sends them.
const CLIENT: &str = "python3 -c 'import os, socket, sys
p = os.environ[\"ACTOKEN_AGENT_SOCK\"]
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(p)
s.sendall(\"ping 华东一区【昆山】\\n\".encode())
print(p)
print(os.readlink(p))
print(s.makefile(encoding=\"utf-8\").readline().strip())
print(oct(os.stat(os.readlink(p)).st_mode & 0o777))
sys.exit(7)'";

#[test]
fn the_remote_session_reaches_the_agent_through_a_stable_link_and_its_status_comes_back() {
    let home = remote_home();
    let Some(sshd) = Sshd::start(module_path!(), &[("HOME", &home.path().to_string_lossy())])
    else {
        return;
    };
    let agent = StandIn::start();
    let config = sshd.client_config();
    let out = actoken_ssh(
        &agent.socket(),
        &["-F", config.to_str().unwrap(), HOST, CLIENT],
        "",
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let diagnose = || {
        format!(
            "stdout:\n{stdout}\nstderr:\n{stderr}\nsshd:\n{}",
            sshd.log()
        )
    };
    assert_eq!(out.status.code(), Some(7), "{}", diagnose());
    let lines: Vec<&str> = stdout.lines().collect();
    let link = sshd
        .remote_runtime_dir()
        .join("actoken/forwarded-agent.sock");
    assert_eq!(lines.len(), 4, "{}", diagnose());
    assert_eq!(lines[0], link.to_str().unwrap(), "{}", diagnose());
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
    assert_eq!(lines[2], "echo: ping 华东一区【昆山】", "{}", diagnose());
    // sshd made the forwarded socket for the user alone (StreamLocalBindMask 0177).
    assert_eq!(lines[3], "0o600", "{}", diagnose());
    assert_eq!(stderr, "", "{}", diagnose());
    // The "remote" host is this one: its socket is gone, and the link with it.
    assert!(!Path::new(socket).exists(), "{}", diagnose());
    assert_link_let_go(&link, socket);
}

/// After a session: the stable link does not point to its socket any more. (It is gone, or
/// leads to another forwarded socket of the user's: other tests' sessions share /tmp.)
fn assert_link_let_go(link: &Path, socket: &str) {
    if let Ok(target) = std::fs::read_link(link) {
        assert_ne!(
            target,
            Path::new(socket),
            "the link still points to the ended session"
        );
        assert!(
            target.to_string_lossy().starts_with("/tmp/actoken-agent-"),
            "{target:?}"
        );
    }
}

/// No COMMAND: the user's login shell, reading stdin here (no terminal); options after HOST
/// are ssh's, as ssh takes them.
#[test]
fn without_a_command_the_login_shell_gets_the_variable() {
    let home = remote_home();
    let Some(sshd) = Sshd::start(module_path!(), &[("HOME", &home.path().to_string_lossy())])
    else {
        return;
    };
    let agent = StandIn::start();
    let config = sshd.client_config();
    let out = actoken_ssh(
        &agent.socket(),
        &[HOST, "-F", config.to_str().unwrap()],
        "echo \"sock=$ACTOKEN_AGENT_SOCK\"\necho \"target=$(readlink \"$ACTOKEN_AGENT_SOCK\")\"\nexit 3\n",
    );
    let stdout = text(&out.stdout);
    let link = sshd
        .remote_runtime_dir()
        .join("actoken/forwarded-agent.sock");
    let diagnose = || {
        format!(
            "stdout:\n{stdout}\nstderr:\n{}\nsshd:\n{}",
            text(&out.stderr),
            sshd.log()
        )
    };
    let mut lines = stdout.lines();
    assert_eq!(
        (out.status.code(), lines.next()),
        (Some(3), Some(format!("sock={}", link.display()).as_str())),
        "{}",
        diagnose()
    );
    let socket = lines
        .next()
        .and_then(|l| l.strip_prefix("target="))
        .unwrap_or_else(|| panic!("{}", diagnose()));
    assert!(!Path::new(socket).exists(), "{}", diagnose());
    assert_link_let_go(&link, socket);
}

#[test]
fn with_no_agent_listening_nothing_is_started_and_one_line_says_why() {
    let home = remote_home();
    let Some(sshd) = Sshd::start(module_path!(), &[("HOME", &home.path().to_string_lossy())])
    else {
        return;
    };
    let config = sshd.client_config();
    let dir = tempfile::tempdir().unwrap();
    // No socket at all; then a socket file nobody listens on (an agent that died).
    let stale = dir.path().join("stale.sock");
    drop(UnixListener::bind(&stale).unwrap());
    for (agent, reason) in [
        (dir.path().join("none.sock"), "No such file or directory"),
        (stale, "Connection refused"),
    ] {
        let out = actoken_ssh(&agent, &["-F", config.to_str().unwrap(), HOST, "true"], "");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!(
                "error: no actoken agent answers at {} ({reason}",
                agent.display()
            )),
            "{stderr}"
        );
        assert!(stderr.contains("actoken agent"), "{stderr}");
        assert_eq!(text(&out.stdout), "");
    }
    assert!(!sshd.log().contains("Accepted"), "{}", sshd.log());
}
