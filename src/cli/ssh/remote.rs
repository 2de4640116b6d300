//! The remote half of `actoken ssh`: where the agent's socket is forwarded to, and the small
//! POSIX `sh` wrapper that runs as the session's command.
//!
//! The forward goes to a fresh, unguessable path in the remote /tmp (sshd creates the socket
//! with its StreamLocalBindMask, 0177 by default: only the remote user can connect; the
//! wrapper makes it 0600 in case the server's mask is laxer). The wrapper:
//! - points a stable per-user link at it, `$XDG_RUNTIME_DIR/actoken/forwarded-agent.sock` (else
//!   `${TMPDIR:-/tmp}/actoken-UID/forwarded-agent.sock`, the directories the agent itself
//!   uses), so a shell in tmux started by an earlier session keeps reaching an agent: the
//!   newest session's. The directory is used only when it is a real directory (not a link)
//!   owned by the user, read with one `ls -ldn` (a single lstat: nobody can swap it between
//!   two checks), and is made 0700; anything there that is not a link is never replaced.
//!   When that fails, ACTOKEN_AGENT_SOCK names the session's own socket and a note says why.
//! - exports ACTOKEN_AGENT_SOCK, runs COMMAND with the user's shell as ssh would (else a
//!   login shell), and keeps its status;
//! - at the end removes its socket and, if the link still points to it, re-points the link to
//!   the newest other forwarded socket of the user's (a real socket, owned by them: again one
//!   `ls -ldn` each), or removes it.
//!
//! The script is one line without `'`, `\` or `!`: the user's login shell reads it first,
//! which may be csh or fish.

use std::io::Read;

use crate::shell_quote::shell_word;

/// Where forwarded sockets go on the remote host: `/tmp/actoken-agent-<32 hex>.sock`.
pub(super) const SOCKET_PREFIX: &str = "/tmp/actoken-agent-";
const SOCKET_SUFFIX: &str = ".sock";
/// In the note passed to the wrapper, where the remote directory is put.
pub(super) const DIR_MARK: &str = "@DIR@";

/// The wrapper. `$1` the forwarded socket, `$2` the note (with [`DIR_MARK`]), `$3` (if any)
/// the command as ssh would send it.
const SCRIPT: &[&str] = &[
    "s=$1; note=$2; c=$3; n=$#; a=; u=$(id -u);",
    // sshd made it with its StreamLocalBindMask (0177 unless the admin changed it): the user's
    // alone, whatever that is, since the agent cannot tell the users of this host apart.
    "chmod 600 \"$s\" 2>/dev/null;",
    "if [ -n \"$XDG_RUNTIME_DIR\" ]; then d=$XDG_RUNTIME_DIR/actoken; else d=${TMPDIR:-/tmp}/actoken-$u; fi;",
    "l=$d/forwarded-agent.sock; t=$d/.forwarded-agent.$$;",
    "mkdir -m 700 \"$d\" 2>/dev/null;",
    // Type and owner from one lstat: a real directory of the user's.
    "set -- $(ls -ldn \"$d\" 2>/dev/null);",
    "case \"$1:$3\" in d*:\"$u\") chmod 700 \"$d\" && a=$l;; esac;",
    // A link there is replaced (a link to a directory would take `mv` into it: removed first);
    // anything else is left alone.
    "if [ -n \"$a\" ]; then if [ -L \"$l\" ]; then if [ -d \"$l\" ]; then rm -f \"$l\"; fi; elif [ -e \"$l\" ]; then a=; fi; fi;",
    "if [ -n \"$a\" ]; then rm -f \"$t\"; if ln -s \"$s\" \"$t\" && mv -f \"$t\" \"$l\"; then :; else rm -f \"$t\"; a=; fi; fi;",
    "if [ -z \"$a\" ]; then echo \"${note%%@DIR@*}$d${note#*@DIR@}\" >&2; a=$s; fi;",
    "ACTOKEN_AGENT_SOCK=$a; export ACTOKEN_AGENT_SOCK;",
    // At the end: this session's socket goes; the link, if it is this session's, moves to the
    // newest other forwarded socket that is a real socket of the user's, or goes.
    "gone() { rm -f \"$s\";",
    "if [ \"$a\" = \"$l\" ] && [ \"$(readlink \"$l\" 2>/dev/null)\" = \"$s\" ]; then p=;",
    "for x in $(ls -t \"${s%/*}\"/actoken-agent-*.sock 2>/dev/null); do set -- $(ls -ldn \"$x\" 2>/dev/null);",
    "case \"$1:$3\" in s*:\"$u\") p=$x; break;; esac; done;",
    "if [ -n \"$p\" ]; then rm -f \"$t\"; ln -s \"$p\" \"$t\" && mv -f \"$t\" \"$l\"; else rm -f \"$l\"; fi; fi; };",
    // Signals wait for the command to end (a caught signal is reset in the child): the clean-up
    // still runs after a hang-up or Ctrl-C.
    "trap : HUP INT TERM;",
    "if [ \"$n\" -gt 2 ]; then \"${SHELL:-/bin/sh}\" -c \"$c\"; else \"${SHELL:-/bin/sh}\" -l; fi;",
    "r=$?; gone; exit $r",
];

/// A fresh path for the forwarded socket: 128 random bits, never reused.
pub(super) fn fresh_socket_path() -> std::io::Result<String> {
    let mut random = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut random)?;
    Ok(format!(
        "{SOCKET_PREFIX}{}{SOCKET_SUFFIX}",
        hex::encode(random)
    ))
}

/// The session's command, as one string for ssh: the wrapper run by `/bin/sh` with the
/// socket, the note and (if any) COMMAND's words joined by spaces, as ssh itself joins them
/// (the user's shell reads them there, as it would without actoken).
pub(super) fn command(socket: &str, note: &str, words: &[String]) -> String {
    let script = SCRIPT.join(" ");
    let mut parts = vec![
        "exec".to_owned(),
        "/bin/sh".to_owned(),
        "-c".to_owned(),
        shell_word(&script),
        "actoken-ssh".to_owned(),
        shell_word(socket),
        shell_word(note),
    ];
    if !words.is_empty() {
        parts.push(shell_word(&words.join(" ")));
    }
    parts.join(" ")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_socket_path_is_fresh_and_unguessable() {
        let (a, b) = (fresh_socket_path().unwrap(), fresh_socket_path().unwrap());
        assert_ne!(a, b);
        let hex = a
            .strip_prefix(SOCKET_PREFIX)
            .and_then(|r| r.strip_suffix(SOCKET_SUFFIX))
            .unwrap();
        assert_eq!(hex.len(), 32);
        assert!(hex.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
        // Unix socket paths are limited to 107 bytes.
        assert!(a.len() < 100);
    }

    #[test]
    fn the_script_reads_the_same_in_csh_and_fish_as_in_sh() {
        let script = SCRIPT.join(" ");
        for c in ['\'', '\\', '!', '\n'] {
            assert!(!script.contains(c), "{c:?} in the wrapper");
        }
        // The clean-up globs for sockets named as they are made, beside this session's.
        assert!(SOCKET_PREFIX.ends_with("/actoken-agent-"));
        assert!(script.contains(&format!("/actoken-agent-*{SOCKET_SUFFIX}")));
        assert!(script.contains(DIR_MARK));
    }

    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::net::UnixListener;
    use std::path::{Path, PathBuf};

    /// A forwarded socket as sshd leaves it: a real, listening socket named as actoken names
    /// them, in `dir` (the clean-up looks for the others beside it).
    fn socket_in(dir: &Path) -> (String, UnixListener) {
        let name = fresh_socket_path().unwrap();
        let path = dir.join(name.rsplit('/').next().unwrap());
        let listener = UnixListener::bind(&path).unwrap();
        (path.to_str().unwrap().to_owned(), listener)
    }

    /// Starts the session command as the remote login shell would (`$SHELL -c COMMAND`) with
    /// `env`.
    fn session(
        socket: &str,
        words: &[&str],
        env: &[(&str, &Path)],
        stdin: std::process::Stdio,
    ) -> std::process::Child {
        let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        let mut sh = std::process::Command::new("/bin/sh");
        sh.arg("-c")
            .arg(command(socket, "note: no link in @DIR@.", &words))
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("TMPDIR")
            .env("SHELL", "/bin/sh")
            .stdin(stdin)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (name, value) in env {
            sh.env(name, value);
        }
        sh.spawn().unwrap()
    }

    /// Its exit code, stdout and stderr (the test's watchdog limits the wait).
    fn finished(child: std::process::Child) -> (i32, String, String) {
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// What the command sees: the variable, and where it leads.
    const SHOW: &str =
        "echo \"$ACTOKEN_AGENT_SOCK\"; readlink \"$ACTOKEN_AGENT_SOCK\" || echo not-a-link";

    fn private_dir(path: &Path) -> PathBuf {
        std::fs::create_dir_all(path).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).unwrap();
        path.to_owned()
    }

    #[test]
    fn a_session_points_the_stable_link_at_its_socket_runs_the_command_and_cleans_up() {
        let _watchdog = crate::watchdog::arm();
        let tmp = tempfile::tempdir().unwrap();
        let runtime = private_dir(&tmp.path().join("run"));
        let (socket, _listener) = socket_in(tmp.path());
        // As a server with a lax StreamLocalBindMask would leave it.
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
        let run = [("XDG_RUNTIME_DIR", runtime.as_path())];
        let mode = "ls -lnL \"$ACTOKEN_AGENT_SOCK\" | cut -c1-10";
        let (code, out, err) = finished(session(
            &socket,
            &[SHOW, ";", mode, ";", "exit", "7"],
            &run,
            std::process::Stdio::null(),
        ));
        let link = runtime.join("actoken/forwarded-agent.sock");
        assert_eq!(
            out,
            format!("{}\n{socket}\nsrw-------\n", link.display()),
            "stderr: {err}"
        );
        assert_eq!((code, err.as_str()), (7, ""));
        // Its socket and the link are gone; the directory stays, private.
        assert!(!Path::new(&socket).exists());
        assert!(std::fs::symlink_metadata(&link).is_err());
        let dir = std::fs::symlink_metadata(runtime.join("actoken")).unwrap();
        assert!(dir.is_dir());
        assert_eq!(dir.permissions().mode() & 0o777, 0o700);

        // Without XDG_RUNTIME_DIR: TMPDIR/actoken-UID, made 0700 even if it was not.
        let tmpdir = tmp.path().join("tmp");
        std::fs::create_dir_all(&tmpdir).unwrap();
        // SAFETY: getuid cannot fail.
        let uid = unsafe { libc::getuid() };
        let dir = tmpdir.join(format!("actoken-{uid}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (socket, _listener) = socket_in(tmp.path());
        let (code, out, _) = finished(session(
            &socket,
            &[SHOW],
            &[("TMPDIR", tmpdir.as_path())],
            std::process::Stdio::null(),
        ));
        assert_eq!(
            (code, out),
            (
                0,
                format!("{}\n{socket}\n", dir.join("forwarded-agent.sock").display())
            )
        );
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    }

    #[test]
    fn when_a_session_ends_the_link_moves_to_an_earlier_session_still_running() {
        let _watchdog = crate::watchdog::arm();
        let tmp = tempfile::tempdir().unwrap();
        let runtime = private_dir(&tmp.path().join("run"));
        let run = [("XDG_RUNTIME_DIR", runtime.as_path())];
        let link = runtime.join("actoken/forwarded-agent.sock");
        let target = || std::fs::read_link(&link).ok();
        // The first session waits on its stdin.
        let (first, _l1) = socket_in(tmp.path());
        let mut waiting = session(&first, &["cat"], &run, std::process::Stdio::piped());
        let started = std::time::Instant::now();
        while target() != Some(PathBuf::from(&first)) {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "no link"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // A second session takes the link; when it ends, the link goes back to the first.
        let (second, _l2) = socket_in(tmp.path());
        let (code, out, _) = finished(session(&second, &[SHOW], &run, std::process::Stdio::null()));
        assert_eq!((code, out), (0, format!("{}\n{second}\n", link.display())));
        assert_eq!(target(), Some(PathBuf::from(&first)));
        // The first ends: nothing is left to point at.
        drop(waiting.stdin.take());
        let (code, _, err) = finished(waiting);
        assert_eq!((code, err.as_str()), (0, ""));
        assert_eq!(target(), None);
        assert!(!Path::new(&first).exists());
    }

    #[test]
    fn a_planted_directory_or_file_is_never_used_the_session_gets_its_own_socket() {
        let _watchdog = crate::watchdog::arm();
        let tmp = tempfile::tempdir().unwrap();
        let (socket, _listener) = socket_in(tmp.path());
        let fallback = |runtime: &Path| {
            let (code, out, err) = finished(session(
                &socket,
                &[SHOW],
                &[("XDG_RUNTIME_DIR", runtime)],
                std::process::Stdio::null(),
            ));
            assert_eq!((code, out), (0, format!("{socket}\nnot-a-link\n")));
            let dir = runtime.join("actoken");
            assert_eq!(err, format!("note: no link in {}.\n", dir.display()));
        };
        // `actoken` is a link to a directory of the user's own.
        let linked = private_dir(&tmp.path().join("linked"));
        let elsewhere = private_dir(&tmp.path().join("elsewhere"));
        std::os::unix::fs::symlink(&elsewhere, linked.join("actoken")).unwrap();
        fallback(&linked);
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
        // Something that is not a link where the link goes: left alone.
        let planted = private_dir(&tmp.path().join("planted"));
        private_dir(&planted.join("actoken"));
        std::fs::write(planted.join("actoken/forwarded-agent.sock"), "mine").unwrap();
        fallback(&planted);
        assert_eq!(
            std::fs::read_to_string(planted.join("actoken/forwarded-agent.sock")).unwrap(),
            "mine"
        );
        // A link to a directory there is replaced, not written into.
        let into = private_dir(&tmp.path().join("into"));
        private_dir(&into.join("actoken"));
        let other = private_dir(&tmp.path().join("other"));
        std::os::unix::fs::symlink(&other, into.join("actoken/forwarded-agent.sock")).unwrap();
        let (code, out, _) = finished(session(
            &socket.clone(),
            &[SHOW],
            &[("XDG_RUNTIME_DIR", into.as_path())],
            std::process::Stdio::null(),
        ));
        assert_eq!(code, 0);
        assert!(out.ends_with(&format!("{socket}\n")), "{out}");
        assert_eq!(std::fs::read_dir(&other).unwrap().count(), 0);
    }

    /// Another user's directory (root can give one away, as another user could plant it in
    /// /tmp): not used, not changed.
    #[test]
    fn another_user_s_directory_is_never_used() {
        let _watchdog = crate::watchdog::arm();
        let tmp = tempfile::tempdir().unwrap();
        let (socket, _listener) = socket_in(tmp.path());
        let tmpdir = tmp.path().join("tmp");
        std::fs::create_dir_all(&tmpdir).unwrap();
        // SAFETY: getuid cannot fail.
        let uid = unsafe { libc::getuid() };
        let dir = tmpdir.join(format!("actoken-{uid}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        if std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).is_err() {
            eprintln!(
                "SKIPPED another_user_s_directory_is_never_used: cannot give a directory away (not root)"
            );
            return;
        }
        let (code, out, err) = finished(session(
            &socket,
            &[SHOW],
            &[("TMPDIR", tmpdir.as_path())],
            std::process::Stdio::null(),
        ));
        assert_eq!((code, out), (0, format!("{socket}\nnot-a-link\n")));
        assert!(err.contains(&dir.display().to_string()), "{err}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o777);
    }
}
