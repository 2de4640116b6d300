//! `actoken agent --install` (issue 26 item 1): a systemd user unit that runs the agent, as
//! `watch --install` writes one for watch (the same module writes both): the keyring service
//! kept, an edited unit only replaced with --force, the socket named in the unit and in the
//! `export ACTOKEN_AGENT_SOCK=...` line it prints, and a note when the other unit is there
//! too (the agent keeps the tokens fresh as watch does: one of the two should run).

#![cfg(target_os = "linux")]

use actoken::shell_quote::shell_word;
use predicates::prelude::*;

use crate::support::Env;

/// `systemd-analyze --user verify UNIT`, where it is installed (not in CI's image). `--user`
/// looks up the user manager's runtime directory, which a server without a login session
/// lacks: a private one lets it verify the file with no manager running.
fn verify_with_systemd(env: &Env, unit: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let runtime_dir = env.dir.path().join("verify-run");
    std::fs::create_dir_all(&runtime_dir).unwrap();
    std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    match std::process::Command::new("systemd-analyze")
        .args(["--user", "verify"])
        .arg(unit)
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .output()
    {
        Ok(out) => assert!(out.status.success() && out.stderr.is_empty(), "{out:?}"),
        Err(_) => eprintln!("SKIPPED systemd verification: systemd-analyze is not installed"),
    }
}

#[test]
fn agent_install_writes_a_unit_for_the_agent_and_says_where_clients_find_it() {
    let env = Env::new();
    let units = env.dir.path().join("config/systemd/user");
    let unit = units.join("actoken-agent.service");
    // The default socket, under the runtime directory of the user installing it.
    let runtime = env.dir.path().join("run 华东");
    let socket = runtime.join("actoken/agent.sock");
    let install = |extra: &[&str]| {
        env.cmd()
            .env("XDG_RUNTIME_DIR", &runtime)
            .args(["agent", "--install"])
            .args(extra)
            .assert()
    };
    let out = install(&[])
        .success()
        .stdout(predicate::str::contains(
            "systemctl --user enable --now actoken-agent.service",
        ))
        .stdout(predicate::str::contains(
            "journalctl --user -u actoken-agent.service -f",
        ))
        .stdout(predicate::str::contains(format!(
            "export ACTOKEN_AGENT_SOCK='{}'\n",
            socket.display()
        )))
        // No watch unit here: no note about running one of the two.
        .stdout(predicate::str::contains("actoken-watch.service").not())
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(out).unwrap();
    assert!(stdout.contains(&unit.display().to_string()), "{stdout}");
    let text = std::fs::read_to_string(&unit).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("actoken");
    assert!(
        text.contains(&format!(
            "ExecStart=\"{}\" agent --socket \"{}\"\n",
            exe.display(),
            socket.display()
        )),
        "{text}"
    );
    assert!(text.contains(&format!(
        "Environment=\"ACTOKEN_KEYRING_SERVICE={}\"",
        env.service
    )));
    assert!(text.contains("Description=actoken agent"), "{text}");
    verify_with_systemd(&env, &unit);

    install(&[])
        .success()
        .stdout(predicate::str::contains("already installed"));
    std::fs::write(&unit, format!("{text}# my change\n")).unwrap();
    install(&[])
        .code(1)
        .stderr(predicate::str::contains("actoken agent --install --force"));
    assert!(
        std::fs::read_to_string(&unit)
            .unwrap()
            .ends_with("# my change\n")
    );
    install(&["--force"]).success();
    assert_eq!(std::fs::read_to_string(&unit).unwrap(), text);
    env.cmd().args(["agent", "--force"]).assert().code(2);

    // Its flags go into the unit; nothing listens yet, nothing was bound.
    let elsewhere = env.dir.path().join("sockets/agent.sock");
    env.cmd()
        .args(["agent", "--install", "--force", "--allow-root"])
        .args(["--interval", "5m", "--socket"])
        .arg(&elsewhere)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "export ACTOKEN_AGENT_SOCK={}\n",
            shell_word(&elsewhere.display().to_string())
        )));
    let text = std::fs::read_to_string(&unit).unwrap();
    assert!(
        text.contains(&format!(
            " agent --socket \"{}\" --allow-root --interval 5m\n",
            elsewhere.display()
        )),
        "{text}"
    );
    assert!(!elsewhere.exists());
    verify_with_systemd(&env, &unit);
}

#[test]
fn the_agent_and_watch_units_each_say_when_the_other_is_installed_too() {
    let env = Env::new();
    let units = env.dir.path().join("config/systemd/user");
    env.cmd().args(["watch", "--install"]).assert().success();
    env.cmd()
        .args(["agent", "--install"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{} is installed too",
            units.join("actoken-watch.service").display()
        )))
        .stdout(predicate::str::contains("run one of the two"))
        .stdout(predicate::str::contains(
            "systemctl --user disable --now actoken-watch.service",
        ));
    // And watch's install says the same of the agent's unit.
    std::fs::remove_file(units.join("actoken-watch.service")).unwrap();
    env.cmd()
        .args(["watch", "--install"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{} is installed too",
            units.join("actoken-agent.service").display()
        )))
        .stdout(predicate::str::contains(
            "systemctl --user disable --now actoken-agent.service",
        ));
}
