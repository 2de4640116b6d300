//! Issue 22, item 1: `actoken env --format dotenv` ran a server's commands. An address from
//! `center` such as `x';touch /tmp/p;#` became `AC_EFILE_URL='x\';touch /tmp/p;#'`, and
//! `set -a; . ./.env` (how shells, Makefiles and CI load a .env) ran `touch`.
//!
//! Here: a server's unsafe addresses reach no variable in any format (nor through the cache);
//! a .env file gives POSIX sh (dash on Debian) and python-dotenv the exact values and runs
//! nothing; a value it cannot carry for both is refused with nothing written. Run in-process
//! on memory stores, with real `sh` and, where it can be had, real python-dotenv.

use std::path::{Path, PathBuf};
use std::process::Command;

use actoken::mock::{Fault, MintSpec, mint};
use actoken::token::Token;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use crate::support::in_process::InProcess;
use crate::support::{Mock, token};

const NAME: &str = "华东一区【昆山】";
const FORMATS: [&str; 5] = ["sh", "fish", "powershell", "dotenv", "json"];

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// A token of `user` on cluster `cluster` (the mock's `center` builds its addresses from it).
fn token_of(user: &str, cluster: &str) -> Token {
    mint(&MintSpec {
        user: user.into(),
        compute_user: "alice_c".into(),
        cluster_id: cluster.into(),
        account_status: "Normal".into(),
        expire_at: Timestamp::now() + hours(5),
    })
}

/// `env NAME --format F`: (exit code, stdout, stderr).
fn env_as(world: &InProcess, format: &str) -> (i32, String, String) {
    let out = world
        .cmd()
        .args(["env", NAME, "--min-valid", "1m", "--format", format])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The exact values, from `env --format json`.
fn exact(world: &InProcess) -> Map<String, Value> {
    let (code, out, err) = env_as(world, "json");
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

/// What `set -a; . FILE` gives sh for `names` (unset ones as `<unset>`).
fn sourced(file: &Path, names: &[&str]) -> Vec<String> {
    let print: String = names
        .iter()
        .map(|n| format!(" \"${{{n}-<unset>}}\""))
        .collect();
    let script = format!("set -a; . '{}'; printf '%s\\0'{print}", file.display());
    let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    assert!(out.status.success(), "{script}: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_terminator('\0')
        .map(str::to_owned)
        .collect()
}

/// A python that can `import dotenv`: the system's, else a virtualenv under `dir` with
/// python-dotenv from PyPI when the network answers; `None` (the test says SKIPPED) otherwise.
fn python_with_dotenv(dir: &Path) -> Option<PathBuf> {
    let imports = |python: &Path| {
        Command::new(python)
            .args(["-c", "import dotenv"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let system = PathBuf::from("python3");
    if imports(&system) {
        return Some(system);
    }
    let venv = dir.join("venv");
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .is_ok_and(|o| o.status.success());
    let python = venv.join("bin/python");
    // `timeout`: a network that swallows packets must not hold the test.
    let installed = made
        && Command::new("timeout")
            .arg("120")
            .arg(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--timeout", "15", "--retries", "1", "python-dotenv"])
            .output()
            .is_ok_and(|o| o.status.success());
    if installed && imports(&python) {
        return Some(python);
    }
    eprintln!(
        "SKIPPED the python-dotenv half: python-dotenv is not importable and could not be \
         installed into a virtualenv (no python3 venv, or PyPI unreachable)"
    );
    None
}

/// What python-dotenv's `dotenv_values` (its defaults: interpolation on) reads from `file`.
fn python_dotenv_reads(python: &Path, file: &Path) -> Map<String, Value> {
    let script = "import json, sys\nfrom dotenv import dotenv_values\n\
                  print(json.dumps(dotenv_values(sys.argv[1])))";
    let out = Command::new(python)
        .args(["-c", script])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

/// The addresses of issue 22 and their kin in `center`'s lists: none reaches a variable, in
/// any format, and each is named once, escaped, on stderr.
#[test]
fn a_servers_unsafe_address_reaches_no_variable_in_any_format() {
    let (world, mock) = (InProcess::new(), Mock::start());
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("ran");
    let injected = format!("x';touch {};#", canary.display());
    world.add(NAME, &mock.url(), &token("alice", hours(5)));
    mock.server.faults().set(Fault::SuccessData(json!({
        "hpcUrls": [{"url": "https://hpc.example.com:65101/hpc", "enable": "true"}],
        "efileUrls": [{"url": injected, "enable": "true"}],
        "aiUrls": [{"url": "https://ai.example.com/\u{1b}]52;c;aWQ=\u{7}", "enable": "true"}],
    })));

    let (code, out, err) = env_as(&world, "dotenv");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("AC_HPC_URL='https://hpc.example.com:65101/hpc'\n"),
        "{out}"
    );
    for gone in [
        "AC_EFILE_URL",
        "AC_AI_URL",
        "SCNET_AI_URL",
        "touch",
        "\u{1b}",
    ] {
        assert!(!out.contains(gone), "{gone:?} in {out}");
    }
    // The notes name each address escaped: quoted, no control character.
    assert!(
        err.contains(&format!("efileUrls address {injected:?}")),
        "{err}"
    );
    assert!(
        err.contains(r#"aiUrls address "https://ai.example.com/\u{1b}]52;c;aWQ=\u{7}""#),
        "{err}"
    );
    assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");
    let file = dir.path().join(".env");
    std::fs::write(&file, &out).unwrap();
    assert_eq!(
        sourced(&file, &["AC_HPC_URL", "AC_EFILE_URL", "AC_AI_URL"]),
        ["https://hpc.example.com:65101/hpc", "<unset>", "<unset>"]
    );
    assert!(!canary.exists(), "sourcing the .env file ran a command");

    // Every other format leaves them out too (answered from the cache: no note again).
    for format in FORMATS {
        let (code, out, err) = env_as(&world, format);
        assert_eq!(code, 0, "{format}: {err}");
        assert!(out.contains("AC_HPC_URL"), "{format}: {out}");
        assert!(
            !out.contains("touch") && !out.contains("AC_EFILE_URL"),
            "{format}: {out}"
        );
        assert!(!out.contains("\u{1b}"), "{format}: {out:?}");
        assert!(!err.contains("left out"), "{format}: {err}");
    }
    // `info` shows the safe address and notes the others; `--json` carries none of them.
    let out = world.cmd().args(["info", NAME, "--json"]).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(
        stdout.contains("hpc.example.com") && !stdout.contains("touch"),
        "{stdout}"
    );
    assert!(stderr.contains("efileUrls address"), "{stderr}");
}

/// A cache written before addresses were checked (or by someone else) carries no unsafe
/// address into a variable: the entry is not used and `center` is asked again.
#[test]
fn an_unsafe_address_in_the_cache_is_not_used() {
    let (world, mock) = (InProcess::new(), Mock::start());
    world.add(NAME, &mock.url(), &token("alice", hours(5)));
    let (code, out, err) = env_as(&world, "dotenv");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("AC_EFILE_URL='https://c11112.hpc.example.com:65103/efile'"),
        "{out}"
    );

    let cache = world.state_dir().join("center-cache.json");
    let text = std::fs::read_to_string(&cache).unwrap();
    let poisoned = text.replace(
        "https://c11112.hpc.example.com:65103/efile",
        r"x';touch /tmp/p;#",
    );
    assert_ne!(poisoned, text);
    std::fs::write(&cache, poisoned).unwrap();
    for format in FORMATS {
        let (code, out, err) = env_as(&world, format);
        assert_eq!(code, 0, "{format}: {err}");
        assert!(!out.contains("touch"), "{format}: {out}");
        assert!(
            out.contains("c11112.hpc.example.com:65103/efile"),
            "{format}: {out}"
        );
    }
}

/// Hostile values a .env file can carry (claims: the user, the cluster the mock's addresses
/// are built from) come back exactly from sh and python-dotenv, and nothing runs.
#[test]
fn a_dotenv_file_gives_sh_and_python_dotenv_the_exact_values() {
    let (world, mock) = (InProcess::new(), Mock::start());
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("ran");
    let c = canary.display();
    let user = format!("bob$(touch {c})`touch {c}` \\n #x\n华东一区【昆山】 \u{1b}[2J");
    let cluster = format!("x';touch {c};#");
    world.add(NAME, &mock.url(), &token_of(&user, &cluster));

    let values = exact(&world);
    assert_eq!(values["AC_USER"], user.as_str());
    assert_eq!(values["AC_CLUSTER_ID"], cluster.as_str());
    assert_eq!(values["AC_TOKEN_NAME"], NAME);
    // The mock's center built its addresses from that cluster id: all left out.
    assert!(!values.contains_key("AC_HPC_URL"), "{values:?}");

    let (code, out, err) = env_as(&world, "dotenv");
    assert_eq!(code, 0, "{err}");
    let file = dir.path().join(".env");
    std::fs::write(&file, &out).unwrap();
    let names: Vec<&str> = values.keys().map(String::as_str).collect();
    let from_sh = sourced(&file, &names);
    for (name, got) in names.iter().zip(&from_sh) {
        assert_eq!(values[*name], got.as_str(), "sh read {name} differently");
    }
    assert!(!canary.exists(), "sourcing the .env file ran a command");

    if let Some(python) = python_with_dotenv(dir.path()) {
        assert_eq!(python_dotenv_reads(&python, &file), values);
    }

    // The other formats carry the same values: sh through `eval`, fish where installed.
    let (code, out, err) = env_as(&world, "sh");
    assert_eq!(code, 0, "{err}");
    let print: String = names.iter().map(|n| format!(" \"${n}\"")).collect();
    let script = format!("eval \"$1\"; printf '%s\\0'{print}");
    let sh = Command::new("sh")
        .args(["-c", &script, "sh", &out])
        .output()
        .unwrap();
    let from_eval: Vec<String> = String::from_utf8(sh.stdout)
        .unwrap()
        .split_terminator('\0')
        .map(str::to_owned)
        .collect();
    assert_eq!(from_eval, from_sh);
    let (_, out, _) = env_as(&world, "fish");
    let script = format!("{out}printf '%s' \"$AC_USER\"");
    match Command::new("fish").args(["-c", &script]).output() {
        Ok(fish) => assert_eq!(String::from_utf8(fish.stdout).unwrap(), user),
        Err(_) => eprintln!("fish not installed: its round trip not tried"),
    }
    assert!(!canary.exists());
}

/// A value no .env quoting gives both readers alike: exit 1 naming the variable, nothing on
/// stdout (no half-written file); the other formats carry it exactly.
#[test]
fn a_value_dotenv_cannot_carry_is_refused_and_nothing_is_written() {
    let (world, mock) = (InProcess::new(), Mock::start());
    let user = "o'brien $HOME";
    world.add(NAME, &mock.url(), &token_of(user, "11112"));

    let (code, out, err) = env_as(&world, "dotenv");
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains("AC_USER") && err.contains("nothing was written"),
        "{err}"
    );

    assert_eq!(exact(&world)["AC_USER"], user);
    let (code, out, _) = env_as(&world, "sh");
    assert_eq!(code, 0);
    let script = format!("{out}printf '%s' \"$AC_USER\"");
    let sh = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    assert_eq!(String::from_utf8(sh.stdout).unwrap(), user);
    for format in ["fish", "powershell"] {
        let (code, out, err) = env_as(&world, format);
        assert_eq!(code, 0, "{format}: {err}");
        assert!(out.contains("AC_USER"), "{format}: {out}");
    }
}
