//! tmux's own copy of a token. With `set-clipboard on`, tmux takes the OSC 52 sequence actoken
//! writes into a paste buffer of its own (and passes it on to the outer terminal); the empty
//! OSC 52 of a clear does not empty that buffer, so the token would stay there, pasteable and
//! listed by `tmux list-buffers`, long after the clipboard was cleared. At the clear, the
//! buffers holding exactly the copied token are found and deleted. The token never goes into
//! an argument: buffers are read and compared here.

use std::ffi::OsString;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

/// One tmux command may take this long; the dashboard waits 2 s in all for clipboard work
/// when it quits.
const DEADLINE: Duration = Duration::from_millis(600);

/// What became of tmux's copy at a clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TmuxCopy {
    /// The paste buffers that held the token (this many) were deleted.
    Deleted(usize),
    /// No paste buffer holds the token (tmux's `set-clipboard` is not `on`, or it is gone).
    NotThere,
    /// tmux could not be asked (why): a paste buffer may still hold the token.
    Unknown(String),
}

/// How to reach the tmux server the session runs in.
#[derive(Debug, Clone)]
pub(crate) struct Tmux {
    program: OsString,
    args: Vec<OsString>,
}

impl Tmux {
    /// The session's own server: `tmux` finds it through `$TMUX`.
    pub(crate) fn of_session() -> Tmux {
        Tmux {
            program: "tmux".into(),
            args: Vec::new(),
        }
    }

    /// The server on the socket `path` (tests run a private one).
    #[cfg(test)]
    pub(crate) fn on_socket(path: &std::path::Path) -> Tmux {
        Tmux {
            program: "tmux".into(),
            args: vec!["-S".into(), path.into()],
        }
    }

    /// Deletes every paste buffer that holds exactly `token`.
    pub(crate) fn delete_copies(&self, token: &str) -> TmuxCopy {
        match self.find_copies(token) {
            Err(why) => TmuxCopy::Unknown(why),
            Ok(names) if names.is_empty() => TmuxCopy::NotThere,
            Ok(names) => {
                for name in &names {
                    if let Err(why) = self.run(&["delete-buffer".into(), "-b".into(), name.into()])
                    {
                        return TmuxCopy::Unknown(why);
                    }
                }
                TmuxCopy::Deleted(names.len())
            }
        }
    }

    /// The names of the buffers holding `token`: only those of its size are read.
    fn find_copies(&self, token: &str) -> Result<Vec<String>, String> {
        let listed = self.run(&[
            "list-buffers".into(),
            "-F".into(),
            "#{buffer_size}\t#{buffer_name}".into(),
        ])?;
        let listed = String::from_utf8_lossy(&listed).into_owned();
        let mut names = Vec::new();
        for line in listed.lines() {
            let Some((size, name)) = line.split_once('\t') else {
                continue;
            };
            if size.parse::<usize>().ok() != Some(token.len()) {
                continue;
            }
            let held = self.run(&["show-buffer".into(), "-b".into(), name.into()])?;
            if held.as_slice() == token.as_bytes() {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }

    /// Runs `tmux ARGS` within [`DEADLINE`]; its output (zeroized on drop: it may be the
    /// token), or why it failed.
    fn run(&self, args: &[OsString]) -> Result<Zeroizing<Vec<u8>>, String> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run tmux: {e}"))?;
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() < DEADLINE => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "tmux did not answer within {} ms",
                        DEADLINE.as_millis()
                    ));
                }
                Err(e) => return Err(format!("cannot run tmux: {e}")),
            }
        };
        let (out, err) = outputs(&mut child);
        if status.success() {
            Ok(out)
        } else {
            let said = String::from_utf8_lossy(&err);
            let said = said.lines().next().unwrap_or("").trim();
            Err(crate::inert::inert(&format!("tmux failed ({status}): {said}")).into_owned())
        }
    }
}

/// What an exited child wrote (small: a list of buffers, or one token-sized buffer).
fn outputs(child: &mut Child) -> (Zeroizing<Vec<u8>>, Vec<u8>) {
    let mut out = Zeroizing::new(Vec::new());
    let mut err = Vec::new();
    if let Some(stdout) = child.stdout.as_mut() {
        let _ = stdout.read_to_end(&mut out);
    }
    if let Some(stderr) = child.stderr.as_mut() {
        let _ = stderr.read_to_end(&mut err);
    }
    (out, err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A private tmux server, killed on drop.
    struct Server {
        _dir: tempfile::TempDir,
        socket: std::path::PathBuf,
    }

    impl Server {
        /// None (with a SKIPPED line) where tmux is not installed, except in CI.
        fn start() -> Option<Server> {
            let dir = tempfile::tempdir().unwrap();
            let socket = dir.path().join("tmux.sock");
            let started = Command::new("tmux")
                .arg("-S")
                .arg(&socket)
                .args(["-f", "/dev/null", "new-session", "-d", "sleep 60"])
                .status();
            if !started.is_ok_and(|s| s.success()) {
                assert!(std::env::var("CI").is_err(), "tmux is required in CI");
                eprintln!("SKIPPED: tmux is not installed");
                return None;
            }
            Some(Server { _dir: dir, socket })
        }

        fn tmux(&self) -> Command {
            let mut command = Command::new("tmux");
            command.arg("-S").arg(&self.socket);
            command
        }

        /// Loads `text` into the buffer `name` from stdin, as tmux does with an OSC 52 copy.
        fn load(&self, name: &str, text: &str) {
            let mut child = self
                .tmux()
                .args(["load-buffer", "-b", name, "-"])
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            assert!(child.wait().unwrap().success());
        }

        fn buffers(&self) -> Vec<String> {
            let out = self
                .tmux()
                .args(["list-buffers", "-F", "#{buffer_name}"])
                .output()
                .unwrap();
            let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_owned)
                .collect();
            names.sort();
            names
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.tmux().arg("kill-server").status();
        }
    }

    #[test]
    fn the_buffers_holding_the_token_are_deleted_and_the_others_kept() {
        let Some(server) = Server::start() else {
            return;
        };
        let token = crate::samples::SAMPLE_REQUEST;
        let other = crate::samples::SAMPLE_RESPONSE;
        server.load("buffer0", token);
        server.load("my notes", "alice/华东一区【昆山】");
        server.load("buffer1", token);
        // Same size as the token, other text: read, compared, kept.
        server.load("same size", &"x".repeat(token.len()));
        server.load("buffer2", other);
        let tmux = Tmux::on_socket(&server.socket);
        assert_eq!(tmux.delete_copies(token), TmuxCopy::Deleted(2));
        assert_eq!(server.buffers(), ["buffer2", "my notes", "same size"]);
        assert_eq!(tmux.delete_copies(token), TmuxCopy::NotThere);
    }

    /// The clipboard's clear inside tmux: the empty OSC 52, then tmux's copy deleted.
    #[test]
    fn a_clear_inside_tmux_deletes_tmuxs_copy() {
        use crate::clipboard::{ClearOutcome, Clipboard};
        let Some(server) = Server::start() else {
            return;
        };
        let token = crate::token::Token::from_raw(crate::samples::SAMPLE_REQUEST);
        let mut clipboard = Clipboard::osc52(true, Box::new(std::io::sink()))
            .with_tmux(Tmux::on_socket(&server.socket));
        clipboard.copy(&token).unwrap();
        // What tmux does with the sequence under `set-clipboard on`.
        server.load("buffer0", token.expose());
        assert_eq!(
            clipboard.clear_if_unchanged().unwrap(),
            ClearOutcome::ClearSent(Some(TmuxCopy::Deleted(1)))
        );
        assert!(server.buffers().is_empty());
    }

    #[test]
    fn a_tmux_that_cannot_be_asked_is_said_so() {
        let dir = tempfile::tempdir().unwrap();
        let tmux = Tmux::on_socket(&dir.path().join("no-server"));
        match tmux.delete_copies(crate::samples::SAMPLE_REQUEST) {
            TmuxCopy::Unknown(why) => assert!(why.contains("tmux"), "{why}"),
            other => panic!("{other:?}"),
        }
        let missing = Tmux {
            program: "actoken-no-such-tmux".into(),
            args: Vec::new(),
        };
        match missing.delete_copies("x") {
            TmuxCopy::Unknown(why) => assert!(why.contains("cannot run tmux"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
