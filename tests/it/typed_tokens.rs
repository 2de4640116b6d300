//! Issue 22, item 4: a token typed where a name goes was echoed in full to stderr (`no token
//! named "eyJ…"`), into scrollback and CI logs, though SECURITY.md promises it is not. Each
//! command hides it (and says that tokens are never arguments); clap's own errors too.

use jiff::SignedDuration;

use crate::support::in_process::InProcess;
use crate::support::{Mock, token};

const NAME: &str = "华东一区【昆山】";

/// The token and the pieces of it that identify it (payload, signature).
fn fragments(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_owned()];
    out.extend(
        secret
            .split('.')
            .filter(|p| p.len() >= 16)
            .map(str::to_owned),
    );
    out
}

/// Runs `args`, which hold `typed`, expecting a failure whose output hides it.
#[track_caller]
fn hidden(env: &InProcess, args: &[&str], typed: &str) {
    let out = env.cmd().args(args).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(
        !out.status.success(),
        "{args:?} succeeded:\n{stdout}{stderr}"
    );
    for piece in fragments(typed) {
        assert!(
            !stderr.contains(&piece) && !stdout.contains(&piece),
            "{args:?} echoed the token:\n{stdout}{stderr}"
        );
    }
    assert!(stderr.contains("<token hidden>"), "{args:?}:\n{stderr}");
    assert!(
        stderr.contains("tokens are never taken as arguments"),
        "{args:?} does not say why:\n{stderr}"
    );
}

fn world() -> (InProcess, Mock, String) {
    let (env, mock) = (InProcess::new(), Mock::start());
    env.add(
        NAME,
        &mock.url(),
        &token("alice", SignedDuration::from_hours(10)),
    );
    let typed = token("alice", SignedDuration::from_hours(5))
        .expose()
        .to_owned();
    (env, mock, typed)
}

#[test]
fn add_hides_a_token_typed_as_the_name() {
    let (env, mock, typed) = world();
    hidden(&env, &["add", &typed, "--base-url", &mock.url()], &typed);
}

#[test]
fn show_hides_a_token_typed_as_the_name() {
    let (env, _mock, typed) = world();
    hidden(&env, &["show", &typed], &typed);
}

#[test]
fn renew_hides_a_token_typed_as_a_name() {
    let (env, _mock, typed) = world();
    hidden(&env, &["renew", NAME, &typed], &typed);
}

#[test]
fn token_hides_a_token_typed_as_the_name() {
    let (env, _mock, typed) = world();
    hidden(&env, &["token", &typed], &typed);
    hidden(&env, &["token", &typed, "--min-valid", "1h"], &typed);
}

#[test]
fn rm_hides_a_token_typed_as_the_name() {
    let (env, _mock, typed) = world();
    hidden(&env, &["rm", &typed], &typed);
}

#[test]
fn login_hides_a_token_typed_as_the_user() {
    let (env, _mock, typed) = world();
    hidden(&env, &["login", "--user", &typed], &typed);
}

/// The command after `--` is started as typed: one that is a token cannot be, and the
/// message saying so hides it.
#[test]
fn exec_hides_a_token_typed_as_the_command() {
    let (env, _mock, typed) = world();
    hidden(&env, &["exec", NAME, "--", &typed], &typed);
}

#[test]
fn env_hides_a_token_typed_as_another_name() {
    let (env, _mock, typed) = world();
    hidden(&env, &["env", NAME, "--also", &typed], &typed);
}

/// clap's own usage errors quote the argument they could not place.
#[test]
fn usage_errors_hide_a_token_typed_anywhere() {
    let (env, _mock, typed) = world();
    hidden(&env, &["show", NAME, &typed], &typed);
    hidden(&env, &["list", &typed], &typed);
    hidden(&env, &["--lang", &typed, "list"], &typed);
}
