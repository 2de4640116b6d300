//! Issue 24, item 4: `actoken exec --scnet-cli USER -- COMMAND…` runs the real scnet-cli
//! (PyPI, pinned; see `support::scnet_cli`) on actoken's tokens against the mock: its
//! `auth whoami` works, what its `auth renew` renewed is stored back, the temporary
//! SCNET_HOME is gone afterwards, and COMMAND's exit status is actoken's.

use std::path::{Path, PathBuf};

use actoken::mock::ALICE;
use actoken::token::Token;

use crate::support::Mock;
use crate::support::in_process::InProcess;
use crate::support::scnet_cli;

const KUNSHAN: &str = "alice/华东一区【昆山】";
const PLATFORM: &str = "alice/ac";

/// Runs scnet-cli ($1: the venv's python) with the arguments after $4, its output into $2;
/// SCNET_HOME as the child saw it into $3. Loopback, never a proxy; wide output (one line of
/// JSON per value).
const SCRIPT: &str = r#"py=$1 out=$2 home=$3; shift 3
printf %s "$SCNET_HOME" > "$home"
unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy SCNET_API_KEY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost COLUMNS=4000 PYTHONIOENCODING=utf-8
"$py" -m scnet "$@" > "$out" 2>&1"#;

struct World {
    env: InProcess,
    mock: Mock,
    python: PathBuf,
}

impl World {
    /// alice logged in to the mock (her tokens stored, her secret key remembered).
    fn new(test: &str) -> Option<World> {
        let python = scnet_cli::python(test)?;
        let (env, mock) = (InProcess::new(), Mock::start());
        env.cmd()
            .args(["login", "--user", "alice", "--access-key", ALICE.access_key])
            .args(["--secret-key-stdin", "--base-url", &mock.url()])
            .write_stdin(format!("{}\n", ALICE.secret_key))
            .assert()
            .success();
        // The renewed tokens must outlast the ones handed out (expiries are in milliseconds).
        std::thread::sleep(std::time::Duration::from_millis(20));
        Some(World { env, mock, python })
    }

    /// `actoken exec --scnet-cli alice -- sh -c SCRIPT … scnet ARGS`: (actoken's exit code,
    /// its stderr, scnet-cli's output, the SCNET_HOME it ran on).
    fn scnet(&self, args: &[&str]) -> (i32, String, String, PathBuf) {
        let (out, home) = (self.file("scnet.out"), self.file("scnet.home"));
        let run = self
            .env
            .cmd()
            .args([
                "exec",
                "--scnet-cli",
                "alice",
                "--",
                "sh",
                "-c",
                SCRIPT,
                "sh",
            ])
            .arg(&self.python)
            .args([&out, &home])
            .args(args)
            .output()
            .unwrap();
        let said = std::fs::read_to_string(&out).unwrap_or_default();
        let stderr = String::from_utf8(run.stderr).unwrap();
        eprintln!("$ scnet {}\n{said}actoken: {stderr}", args.join(" "));
        let home = PathBuf::from(std::fs::read_to_string(&home).unwrap());
        (run.status.code().unwrap(), stderr, said, home)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.env.dir().join(name)
    }

    fn expiry(&self, name: &str) -> jiff::Timestamp {
        let token = Token::from_raw(&self.env.stored_raw(name));
        token.decode().unwrap().claims.expire_time.unwrap()
    }
}

fn gone(home: &Path) {
    assert!(home.is_absolute(), "{}", home.display());
    assert!(!home.exists(), "{} is left behind", home.display());
}

#[test]
fn scnet_cli_s_whoami_runs_on_actoken_s_tokens_without_a_secret_key() {
    let Some(w) = World::new(module_path!()) else {
        return;
    };
    let logins = w.mock.server.login_count();
    let (code, stderr, said, home) = w.scnet(&["auth", "whoami"]);
    assert_eq!(code, 0, "{stderr}{said}");
    for seen in ["alice", "Trial"] {
        assert!(said.contains(seen), "{seen}: {said}");
    }
    gone(&home);
    assert_eq!(w.mock.server.login_count(), logins, "scnet-cli logged in");

    // A login needs the secret key, which scnet-cli is not given: it fails cleanly, its
    // status is actoken's, the tokens stay as they were and the directory goes.
    let before = w.env.stored_raw(PLATFORM);
    let (code, stderr, said, home) = w.scnet(&["auth", "login", "--force"]);
    assert_eq!(code, 1, "{stderr}{said}");
    assert!(
        said.contains("NO_CREDENTIAL") || said.contains("SecretKey"),
        "{said}"
    );
    assert_eq!(w.env.stored_raw(PLATFORM), before);
    assert_eq!(w.mock.server.login_count(), logins);
    gone(&home);
}

#[test]
fn what_scnet_cli_renews_inside_is_stored_back() {
    let Some(w) = World::new(module_path!()) else {
        return;
    };
    let (platform_was, kunshan_was) = (w.expiry(PLATFORM), w.expiry(KUNSHAN));

    // Without -c: the platform token (under "0").
    let (code, stderr, said, home) = w.scnet(&["-o", "json", "auth", "renew"]);
    assert_eq!(code, 0, "{stderr}{said}");
    let stored = w.env.stored_raw(PLATFORM);
    assert!(
        said.contains(&stored),
        "scnet-cli got another token: {said}"
    );
    assert!(w.expiry(PLATFORM) > platform_was);
    assert!(
        stderr.contains(&format!(
            "stored the token scnet-cli renewed for {PLATFORM}"
        )),
        "{stderr}"
    );
    assert_eq!(w.expiry(KUNSHAN), kunshan_was);
    gone(&home);

    // A region, by the login list's clusterId.
    let (code, stderr, said, home) = w.scnet(&["-o", "json", "auth", "renew", "-c", "11250"]);
    assert_eq!(code, 0, "{stderr}{said}");
    let stored = w.env.stored_raw(KUNSHAN);
    assert!(
        said.contains(&stored),
        "scnet-cli got another token: {said}"
    );
    assert!(w.expiry(KUNSHAN) > kunshan_was);
    gone(&home);
    // `list` reads the index alone: it knows the new token (no "changed outside" note).
    let out = w.env.cmd().args(["show", KUNSHAN]).output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8(out.stderr).unwrap().contains("changed"));
}

#[test]
fn a_failing_command_s_status_is_actoken_s_and_the_home_goes() {
    let Some(w) = World::new(module_path!()) else {
        return;
    };
    let home = w.file("home");
    let out = w
        .env
        .cmd()
        .args(["exec", "--scnet-cli", "alice", "--", "sh", "-c"])
        .arg(r#"printf %s "$SCNET_HOME" > "$1"; test -s "$SCNET_HOME/config.json" && exit 7"#)
        .args(["sh"])
        .arg(&home)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    gone(Path::new(&std::fs::read_to_string(&home).unwrap()));
}
