//! The dashboard in a real terminal: the real binary under tmux (a pseudo-terminal), driven
//! with keys, read back from the screen. `script` records the raw bytes the program wrote so
//! the OSC 52 clipboard sequence can be checked.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;

use crate::support;

/// Run after the program: its exit status, then the terminal modes it left behind.
const AFTER_EXIT: &str = "; echo EXITED $?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; sleep 60";

/// Also drives `actoken agent` in a terminal (agent_gate.rs).
pub(crate) struct Tmux {
    session: String,
}

impl Tmux {
    /// None (and a SKIPPED line) when tmux or script is missing, except in CI where it fails.
    pub(crate) fn start(command: &str) -> Option<Tmux> {
        let have = |tool: &str| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !have("tmux") || !have("script") {
            assert!(
                std::env::var("CI").is_err(),
                "tmux and script are required in CI"
            );
            eprintln!("SKIPPED: tmux or script (util-linux) not installed");
            return None;
        }
        let session = format!("actoken-e2e-{}-{}", std::process::id(), rand_suffix());
        let status = Command::new("tmux")
            .args([
                "-L",
                &session,
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                "120",
                "-y",
                "32",
            ])
            .arg(command)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("NO_COLOR")
            // The screens checked here are the English ones, whatever the developer's locale.
            .env("ACTOKEN_LANG", "en")
            .status()
            .unwrap();
        assert!(status.success());
        // Let tmux take OSC 52 from the program into its paste buffer, as a user would set it.
        Command::new("tmux")
            .args(["-L", &session, "set-option", "-g", "set-clipboard", "on"])
            .status()
            .unwrap();
        Some(Tmux { session })
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.session,
                "capture-pane",
                "-p",
                "-t",
                &self.session,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn keys(&self, keys: &str) {
        Command::new("tmux")
            .args(["-L", &self.session, "send-keys", "-t", &self.session, keys])
            .status()
            .unwrap();
    }

    /// Literal text, not key names.
    fn type_text(&self, text: &str) {
        Command::new("tmux")
            .args([
                "-L",
                &self.session,
                "send-keys",
                "-t",
                &self.session,
                "-l",
                text,
            ])
            .status()
            .unwrap();
    }

    fn paste_buffer(&self) -> Option<String> {
        let out = Command::new("tmux")
            .args(["-L", &self.session, "show-buffer"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn alternate_screen_on(&self) -> bool {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.session,
                "display-message",
                "-p",
                "-t",
                &self.session,
                "#{alternate_on}",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Polls the screen until `check` holds (the program runs at its own pace).
    pub(crate) fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.session, "kill-server"])
            .status();
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000
}

fn line_of<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.trim_start().starts_with(name))
        .unwrap_or("")
}

/// The payload of the first OSC 52 "set clipboard" sequence in the recorded output.
fn osc52_payload(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let start = text.find("]52;c;")? + "]52;c;".len();
    let end = text[start..].find(['\x07', '\x1b'])? + start;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&text[start..end])
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[test]
fn demo_renews_copies_and_quits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let typescript = dir.path().join("typescript");
    let bin = env!("CARGO_BIN_EXE_actoken");
    let command = format!(
        "script -qfc '{bin} demo' {}{AFTER_EXIT}",
        typescript.display()
    );
    let Some(tmux) = Tmux::start(&command) else {
        return;
    };

    // The most urgent token (expired, still renewable) sorts first.
    let screen = tmux.wait_for("the demo dashboard", |s| {
        s.contains("xian/carol") && s.contains("DEMO")
    });
    let before = line_of(&screen, "xian/carol").to_owned();
    assert!(
        before.contains("ago"),
        "carol's token starts expired: {before}"
    );

    tmux.keys("r");
    let screen = tmux.wait_for("carol's renewal", |s| {
        line_of(s, "xian/carol").contains("in 23h")
    });
    assert!(screen.contains("renewed xian/carol"), "{screen}");

    // Select carol again (she sorted to the bottom once calm) and copy her token.
    tmux.keys("G");
    tmux.keys("c");
    tmux.wait_for("the copy toast", |s| s.contains("copied xian/carol"));
    let copied = wait_for_file(&typescript, osc52_payload);
    let (_, decoded) = actoken::token::Token::parse(&copied).expect("the clipboard holds a token");
    assert_eq!(decoded.claims.user.as_deref(), Some("carol"));
    // tmux itself received it too: the user can paste it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.paste_buffer().as_deref() != Some(copied.as_str()) {
        assert!(
            Instant::now() < deadline,
            "tmux's paste buffer never got the token"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // bob's token is past its cutoff; his secret key is remembered, so L brings it back.
    tmux.keys("/");
    tmux.type_text("bob_ks");
    tmux.keys("Enter");
    // The filter hides every other row; bob's dead one stays.
    tmux.wait_for("the filtered dead row", |s| {
        line_of(s, "xian/carol").is_empty() && line_of(s, "bob/").contains("dead")
    });
    tmux.keys("L");
    // The toast comes first, the reloaded rows a moment later (a blocking task): on a loaded
    // machine the first screen with the toast can still show the old row.
    tmux.wait_for("the login and the reloaded row", |s| {
        s.contains("logged in again as bob") && line_of(s, "bob/").contains("in 23h")
    });
    tmux.keys("q");
    let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED"));
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(
        !tmux.alternate_screen_on(),
        "terminal left on the alternate screen"
    );
    assert_cooked(&tmux);
    assert!(
        !screen.contains("xian/carol"),
        "dashboard left on the normal screen:\n{screen}"
    );
    // Quitting cleared the clipboard, tmux's own copy in its paste buffer included.
    assert_ne!(
        tmux.paste_buffer().as_deref(),
        Some(copied.as_str()),
        "tmux's paste buffer still holds the token after the clear"
    );
}

fn wait_for_file<T>(path: &Path, extract: impl Fn(&[u8]) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = std::fs::read(path).ok().and_then(|raw| extract(&raw)) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "nothing found in {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sigterm_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let bin = env!("CARGO_BIN_EXE_actoken");
    let command = format!(
        "sh -c 'echo $$ > {}; exec {bin} demo'{AFTER_EXIT}",
        pidfile.display()
    );
    let Some(tmux) = Tmux::start(&command) else {
        return;
    };
    tmux.wait_for("the demo dashboard", |s| s.contains("DEMO"));
    assert!(tmux.alternate_screen_on());
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let status = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    assert!(status.success());
    let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED"));
    assert!(
        screen.contains("EXITED 0"),
        "SIGTERM is a clean exit: {screen}"
    );
    assert!(
        !tmux.alternate_screen_on(),
        "terminal left on the alternate screen"
    );
    assert_cooked(&tmux);
}

/// After exit the shell's `stty` must show canonical mode and echo back on (raw mode undone).
fn assert_cooked(tmux: &Tmux) {
    let screen = tmux.wait_for("stty output", |s| s.contains("icanon"));
    let modes = screen.lines().find(|l| l.contains("icanon")).unwrap();
    let words: Vec<&str> = modes.split_whitespace().collect();
    assert!(
        words.contains(&"icanon") && words.contains(&"echo"),
        "raw mode left on: {modes}"
    );
}

/// The dashboard on a private keyring namespace and config (an [`support::Env`]).
fn dashboard_command(env: &support::Env) -> String {
    format!(
        "env XDG_CONFIG_HOME={} XDG_STATE_HOME={} ACTOKEN_KEYRING_SERVICE={} {}{AFTER_EXIT}",
        env.dir.path().join("config").display(),
        env.dir.path().join("state").display(),
        env.service,
        env!("CARGO_BIN_EXE_actoken")
    )
}

/// Issue 10: `q` half a second into a 3 s renewal used to exit at once, dropping the token the
/// server was issuing. Now the dashboard says it is finishing, waits, stores it, then exits.
#[test]
fn quit_during_a_slow_renewal_waits_and_stores_the_new_token() {
    if !support::store_available(module_path!()) {
        return;
    }
    let (env, mock) = (support::Env::new(), support::Mock::start());
    const NAME: &str = "alice/华东一区【昆山】";
    let old = support::token("alice", jiff::SignedDuration::from_hours(1));
    env.add(NAME, &mock.url(), &old);
    mock.server.faults().set_delay(Duration::from_secs(3));
    let Some(tmux) = Tmux::start(&dashboard_command(&env)) else {
        return;
    };
    tmux.wait_for("the token's row", |s| s.contains("alice/华东一区"));
    tmux.keys("r");
    std::thread::sleep(Duration::from_millis(500));
    tmux.keys("q");
    let screen = tmux.wait_for("the finishing line", |s| {
        s.contains("finishing 1 renewal… (q again to abandon)") || s.contains("EXITED")
    });
    assert!(!screen.contains("EXITED"), "quit at once:\n{screen}");
    let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED"));
    assert!(screen.contains("EXITED 0"), "{screen}");
    assert!(!screen.contains("abandoned"), "{screen}");
    // The server issued one token, and it is the one in the keyring now.
    assert_eq!(mock.server.renew_count(), 1);
    let stored = actoken::token::Token::from_raw(&env.stored_raw(NAME));
    assert_ne!(stored, old);
    let expiry = |t: &actoken::token::Token| t.decode().unwrap().claims.expire_time.unwrap();
    assert!(expiry(&stored) > expiry(&old));
}

/// A second `q` abandons the renewal, and says which, after the terminal is restored.
#[test]
fn a_second_quit_abandons_and_says_which() {
    if !support::store_available(module_path!()) {
        return;
    }
    let (env, mock) = (support::Env::new(), support::Mock::start());
    let old = support::token("alice", jiff::SignedDuration::from_hours(1));
    env.add("alice/西北一区", &mock.url(), &old);
    mock.server.faults().set_delay(Duration::from_secs(10));
    let Some(tmux) = Tmux::start(&dashboard_command(&env)) else {
        return;
    };
    tmux.wait_for("the token's row", |s| s.contains("alice/西北一区"));
    tmux.keys("r");
    std::thread::sleep(Duration::from_millis(300));
    tmux.keys("Escape");
    tmux.wait_for("the finishing line", |s| s.contains("finishing 1 renewal"));
    tmux.keys("q");
    let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED"));
    assert!(screen.contains("EXITED 0"), "{screen}");
    let joined = screen.replace('\n', "");
    assert!(
        joined.contains("abandoned while in flight: alice/西北一区"),
        "{screen}"
    );
    assert!(!tmux.alternate_screen_on());
}

/// Ctrl-Z gives the shell back (terminal restored); `fg` brings the dashboard back.
#[test]
fn ctrl_z_suspends_and_fg_resumes() {
    let bin = env!("CARGO_BIN_EXE_actoken");
    let Some(tmux) = Tmux::start("bash --norc --noprofile -i") else {
        return;
    };
    tmux.wait_for("a shell prompt", |s| !s.trim().is_empty());
    tmux.type_text(&format!("{bin} demo"));
    tmux.keys("Enter");
    tmux.wait_for("the demo dashboard", |s| {
        s.contains("DEMO") && s.contains("xian/carol")
    });
    tmux.keys("C-z");
    let screen = tmux.wait_for("the shell's job report", |s| s.contains("Stopped"));
    assert!(!tmux.alternate_screen_on(), "{screen}");
    tmux.type_text("fg");
    tmux.keys("Enter");
    tmux.wait_for("the dashboard again", |s| {
        s.contains("DEMO") && s.contains("xian/carol")
    });
    assert!(tmux.alternate_screen_on());
    tmux.keys("q");
    tmux.wait_for("the shell again", |s| !s.contains("DEMO"));
    tmux.type_text("echo STATUS $?");
    tmux.keys("Enter");
    // The typed command holds "STATUS " too: wait for the line echo printed.
    let screen = tmux.wait_for("the exit status", |s| {
        s.lines().any(|l| l.starts_with("STATUS "))
    });
    assert!(
        screen.lines().any(|l| l.trim_end() == "STATUS 0"),
        "{screen}"
    );
}

/// `actoken-bench` (the dashboard with scripts/bench.sh's start-up probe as its observer) ends
/// the dashboard once the full table is drawn and reports when its frames came, after the
/// terminal is restored. The plain `actoken` has no probe (scripts/check-product-build.sh).
#[test]
fn the_bench_binary_reports_the_full_table_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("bench.err");
    let bin = env!("CARGO_BIN_EXE_actoken-bench");
    let command = format!(
        "ACTOKEN_BENCH_EXIT_AFTER_LOAD=1 {bin} demo 2>{}{AFTER_EXIT}",
        report.display()
    );
    let Some(tmux) = Tmux::start(&command) else {
        return;
    };
    let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED"));
    assert!(screen.contains("EXITED 0"), "{screen}");
    let line = std::fs::read_to_string(&report).unwrap();
    assert!(
        line.starts_with("actoken-bench rows=6 main_unix_us=") && line.contains(" full_table_ms="),
        "{line}"
    );
}

/// The dashboard with `XDG_RUNTIME_DIR` at `run`, where an agent's default socket is
/// `run/actoken/agent.sock`.
fn dashboard_beside_an_agent(env: &support::Env, run: &Path) -> String {
    format!(
        "env XDG_RUNTIME_DIR={} {}",
        run.display(),
        dashboard_command(env)
    )
}

/// A private runtime directory with the agent's socket directory in it (0700, as the agent
/// makes it); the socket's path.
fn agent_socket(env: &support::Env) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::DirBuilderExt;
    let run = env.dir.path().join("run");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(run.join("actoken"))
        .unwrap();
    let socket = run.join("actoken/agent.sock");
    (run, socket)
}

/// A stand-in agent on `socket`, speaking the protocol's lines as the README documents them:
/// `follow` is answered `done` and then `events`; a `decide` is answered `done`, handed to the
/// returned channel, and settled to the follower.
fn fake_agent(socket: &Path, events: Vec<String>) -> std::sync::mpsc::Receiver<String> {
    use std::io::{BufRead, Write};
    let listener = std::os::unix::net::UnixListener::bind(socket).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut follower = None;
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut line = String::new();
            let mut reader = std::io::BufReader::new(conn.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let request: serde_json::Value = serde_json::from_str(&line).unwrap();
            let _ = writeln!(conn, r#"{{"version":1,"reply":"done"}}"#);
            match request["request"].as_str() {
                Some("follow") => {
                    for event in &events {
                        let _ = writeln!(conn, "{event}");
                    }
                    follower = Some(conn);
                }
                Some("decide") => {
                    let settled = serde_json::json!({"version": 1, "reply": "event",
                        "event": "settled", "id": request["id"], "decision": request["decision"]});
                    if let Some(follower) = follower.as_mut() {
                        let _ = writeln!(follower, "{settled}");
                    }
                    let _ = tx.send(line);
                }
                _ => {}
            }
        }
    });
    rx
}

/// Issue 26: an agent runs beside the dashboard with `--confirm`. The dashboard shows its last
/// requests, asks about the one it holds (token, process, forwarded), and `y` answers it over
/// the socket; the agent's `settled` closes the question.
#[test]
fn the_dashboard_answers_the_agent_beside_it() {
    if !support::store_available(module_path!()) {
        return;
    }
    let (env, mock) = (support::Env::new(), support::Mock::start());
    const NAME: &str = "alice/华东一区【昆山】";
    env.add(
        NAME,
        &mock.url(),
        &support::token("alice", jiff::SignedDuration::from_hours(20)),
    );
    let (run, socket) = agent_socket(&env);
    let now = jiff::Timestamp::now();
    let events = vec![
        serde_json::json!({"version": 1, "reply": "event", "event": "served",
            "at": (now - jiff::SignedDuration::from_secs(30)).to_string(), "request": "list",
            "pid": 3100, "exe": "/usr/bin/python3", "forwarded": false, "answer": "ok"})
        .to_string(),
        serde_json::json!({"version": 1, "reply": "event", "event": "pending", "id": 7,
            "name": "华东一区【昆山】", "pid": 4242, "exe": "/usr/bin/ssh", "forwarded": true,
            "deadline": (now + jiff::SignedDuration::from_secs(120)).to_string()})
        .to_string(),
    ];
    let decided = fake_agent(&socket, events);
    let Some(tmux) = Tmux::start(&dashboard_beside_an_agent(&env, &run)) else {
        return;
    };
    let screen = tmux.wait_for("the approval dialog", |s| s.contains("The agent asks"));
    for words in [
        "华东一区【昆山】",
        "4242 /usr/bin/ssh",
        "another machine, over an SSH forward",
    ] {
        assert!(screen.contains(words), "{words:?} missing:\n{screen}");
    }
    // The answering keys work once the dialog has been up for a second.
    std::thread::sleep(Duration::from_millis(1500));
    tmux.keys("y");
    let line = decided
        .recv_timeout(Duration::from_secs(20))
        .expect("no decide reached the agent");
    let decide: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        decide,
        serde_json::json!({"version": 1, "request": "decide", "id": 7, "decision": "once"})
    );
    let screen = tmux.wait_for("the dialog to close", |s| {
        s.contains("allowed once") && !s.contains("The agent asks")
    });
    assert!(screen.contains("agent: last requests"), "{screen}");
    assert!(screen.contains("3100 /usr/bin/python3"), "{screen}");
    tmux.keys("q");
    let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED"));
    assert!(screen.contains("EXITED 0"), "{screen}");
}

/// An agent that accepts the connection and never answers `follow`: the table is up at once,
/// keys work, no agent is shown, and quitting does not wait for it.
#[test]
fn a_silent_agent_does_not_hold_up_the_dashboard() {
    if !support::store_available(module_path!()) {
        return;
    }
    let (env, mock) = (support::Env::new(), support::Mock::start());
    env.add(
        "alice/西北一区",
        &mock.url(),
        &support::token("alice", jiff::SignedDuration::from_hours(20)),
    );
    let (run, socket) = agent_socket(&env);
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        // Every connection is kept open, and nothing is ever said on it.
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
    let Some(tmux) = Tmux::start(&dashboard_beside_an_agent(&env, &run)) else {
        return;
    };
    tmux.wait_for("the token's row", |s| s.contains("alice/西北一区"));
    tmux.keys("p");
    let screen = tmux.wait_for("the answer to p", |s| s.contains("no agent is running"));
    assert!(!screen.contains("agent: last requests"), "{screen}");
    tmux.keys("q");
    let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED"));
    assert!(screen.contains("EXITED 0"), "{screen}");
}
