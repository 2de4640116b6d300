//! Issue 22, item 3 (and issue 23, item 5): the commands actoken suggests are pasted into a
//! shell, so every value in them is quoted as one word. A `user` claim `bob$(id>/tmp/p)` was
//! printed bare in `actoken login --user …` and ran when pasted. Each test pastes the suggested
//! command into `sh -c 'set -- COMMAND; printf …'` (bash for the `$'…'` form), which proves
//! that it splits into the intended arguments, the value exact, and that nothing in it ran.

use std::path::PathBuf;
use std::process::Command;

use actoken::mock::{MintSpec, mint};
use actoken::token::Token;
use jiff::{SignedDuration, Timestamp};

use crate::support::in_process::InProcess;
use crate::support::{Env, Mock, token};

const NAME: &str = "华东一区【昆山】";

/// A world, the mock, and a canary file that a command which ran would create.
struct World {
    env: InProcess,
    mock: Mock,
    _dir: tempfile::TempDir,
    canary: PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path().join("ran");
        World {
            env: InProcess::new(),
            mock: Mock::start(),
            _dir: dir,
            canary,
        }
    }

    /// A user name that runs `touch CANARY` when pasted unquoted.
    fn hostile_user(&self) -> String {
        format!("bob$(touch {})", self.canary.display())
    }

    /// Stdout and stderr of `actoken ARGS`, whatever its exit code.
    fn said(&self, args: &[&str]) -> String {
        let out = self.env.cmd().args(args).output().unwrap();
        format!(
            "{}{}",
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap()
        )
    }

    /// Writes `accounts.toml` (beside the index) with `accounts`, TOML `[[account]]` bodies.
    fn remember(&self, accounts: &[String]) {
        write_accounts(self.env.index_file().parent().unwrap(), accounts);
    }

    /// The one suggested command in `text` that starts with `start`, pasted into `shell`:
    /// its arguments. Fails if anything in it ran.
    fn pasted(&self, shell: &str, text: &str, start: &str) -> Vec<String> {
        let command = suggested(text, start);
        let args = paste(shell, &command);
        assert!(!self.canary.exists(), "pasting {command:?} ran a command");
        args
    }
}

/// Writes `DIR/accounts.toml` with `accounts`, TOML `[[account]]` bodies.
fn write_accounts(dir: &std::path::Path, accounts: &[String]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut text = String::from("version = 1\n");
    for a in accounts {
        text.push_str(&format!("\n[[account]]\n{a}\n"));
    }
    let file = dir.join("accounts.toml");
    std::fs::write(&file, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

/// The command between backticks in `text` that starts with `start`.
fn suggested(text: &str, start: &str) -> String {
    let found: Vec<&str> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| c.starts_with(start))
        .collect();
    assert_eq!(found.len(), 1, "one `{start}…` in:\n{text}");
    found[0].to_owned()
}

/// The arguments `shell` makes of `command` when it is pasted (each printed NUL-terminated).
fn paste(shell: &str, command: &str) -> Vec<String> {
    let script = format!("set -- {command}; for a in \"$@\"; do printf '%s\\0' \"$a\"; done");
    let out = Command::new(shell).arg("-c").arg(&script).output().unwrap();
    assert!(out.status.success(), "{shell} -c {script:?}: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_terminator('\0')
        .map(str::to_owned)
        .collect()
}

fn dead(user: &str) -> Token {
    mint(&MintSpec::new(
        user,
        "11250",
        Timestamp::now() - SignedDuration::from_hours(30),
    ))
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// The `user` claim of a dead token, in the login command `show`, `check` and `renew` name.
#[test]
fn the_login_command_for_a_dead_token_quotes_its_user_claim() {
    let w = World::new();
    let user = w.hostile_user();
    let url = w.mock.url();
    w.env.add(NAME, &url, &dead(&user));
    for command in [&["show", NAME][..], &["check", NAME], &["renew", NAME]] {
        let text = w.said(command);
        assert_eq!(
            w.pasted("sh", &text, "actoken login"),
            args(&[
                "actoken",
                "login",
                "--user",
                &user,
                "--access-key",
                "YOUR_KEY",
                "--base-url",
                &url
            ]),
            "{command:?}: {text}"
        );
    }
}

/// A claim holding ESC or a newline: the command is printed in `$'…'` form (no control
/// character reaches the terminal through it) and bash reads back the exact user.
#[test]
fn a_user_claim_with_control_characters_is_shown_escaped_and_pastes_exactly() {
    let w = World::new();
    let user = "bob\u{1b}]52;c;aWQ=\u{7}\nforged row";
    let url = w.mock.url();
    w.env.add(NAME, &url, &dead(user));
    let text = w.said(&["show", NAME]);
    let command = suggested(&text, "actoken login");
    assert!(
        command.contains(r"--user $'bob\033]52;c;aWQ=\007\nforged row'"),
        "{command:?}"
    );
    assert!(!command.chars().any(char::is_control), "{command:?}");
    assert_eq!(paste("bash", &command)[3], user);
}

/// A remembered login's user, access key id, org id and addresses, however odd, are each one
/// word of the login command.
#[test]
fn a_remembered_logins_values_are_quoted_in_its_login_command() {
    let w = World::new();
    let user = w.hostile_user();
    let url = w.mock.url();
    let auth = "https://auth.example.com/a b";
    let key = format!("AK'$(touch {})", w.canary.display());
    w.env.add(NAME, &url, &dead(&user));
    w.remember(&[format!(
        "user = {user:?}\nmethod = \"access-key\"\naccess-key = {key:?}\nbase-url = {url:?}\nauth-url = {auth:?}"
    )]);
    // No secret key is remembered for it: the renewal names the login to run.
    let text = w.said(&["renew", NAME]);
    assert_eq!(
        w.pasted("sh", &text, "actoken login"),
        args(&[
            "actoken",
            "login",
            "--user",
            &user,
            "--access-key",
            &key,
            "--base-url",
            &url,
            "--auth-url",
            auth
        ]),
        "{text}"
    );

    let org = format!("org;touch {}", w.canary.display());
    w.remember(&[format!(
        "user = {user:?}\nmethod = \"password\"\norg-id = {org:?}\nbase-url = {url:?}\nauth-url = {url:?}"
    )]);
    let text = w.said(&["show", NAME]);
    assert_eq!(
        w.pasted("sh", &text, "actoken login"),
        args(&[
            "actoken",
            "login",
            "--user",
            &user,
            "--org-id",
            &org,
            "--password-stdin",
            "--base-url",
            &url
        ]),
        "{text}"
    );
}

/// `logout` and `doctor` name the user in their commands: quoted as token names are
/// (issue 23: `actoken logout 'we"ird user'`).
#[test]
fn logout_and_doctor_quote_the_user() {
    let w = World::new();
    let url = w.mock.url();
    for user in [w.hostile_user(), "we\"ird user".to_owned()] {
        // A password login: `doctor` names its login command whatever the keyring holds.
        let account = format!(
            "user = {user:?}\nmethod = \"password\"\norg-id = \"ORG1\"\nbase-url = {url:?}\nauth-url = {url:?}"
        );
        // `doctor` as a process, in its own world: it looks at the stores of the machine.
        let bin = Env::new();
        write_accounts(
            bin.index_file().parent().unwrap(),
            std::slice::from_ref(&account),
        );
        let out = bin.cmd().arg("doctor").output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            w.pasted("sh", &text, "actoken login --user"),
            args(&["actoken", "login", "--user", &user]),
            "{text}"
        );

        w.remember(std::slice::from_ref(&account));
        let text = w.said(&["logout", &user]);
        assert_eq!(
            w.pasted("sh", &text, "actoken logout"),
            args(&["actoken", "logout", &user, "--tokens"]),
            "{text}"
        );
    }
}

/// Token names are quoted in every command that names one: `show`'s hint, the store's
/// errors, and the restore and delete commands for a secret the index lost.
#[test]
fn commands_naming_a_token_quote_its_name() {
    let w = World::new();
    let url = w.mock.url();
    let t = token("alice", SignedDuration::from_hours(5));
    w.env.add(NAME, &url, &t);
    let text = w.said(&["show", NAME]);
    assert_eq!(
        w.pasted("sh", &text, "actoken token"),
        args(&["actoken", "token", NAME])
    );
    assert!(
        text.contains(&format!("`actoken token '{NAME}'`")),
        "{text}"
    );

    let out = w
        .env
        .cmd()
        .args(["add", NAME, "--base-url", &url])
        .write_stdin(t.expose())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        w.pasted("sh", &text, "actoken add"),
        args(&["actoken", "add", NAME, "--force"])
    );
    assert!(
        text.contains(&format!("`actoken add '{NAME}' --force`")),
        "{text}"
    );

    std::fs::remove_file(w.env.index_file()).unwrap();
    let text = w.said(&["list"]);
    assert_eq!(
        w.pasted("sh", &text, "actoken rm"),
        args(&["actoken", "rm", NAME])
    );
    let restore = text
        .lines()
        .find(|l| l.contains("| actoken add"))
        .unwrap_or_else(|| panic!("a restore command in:\n{text}"));
    let (_, add) = restore.split_once("| ").unwrap();
    assert_eq!(
        paste("sh", add),
        args(&[
            "actoken",
            "add",
            NAME,
            "--force",
            "--base-url",
            "https://HOST:PORT"
        ])
    );
}
