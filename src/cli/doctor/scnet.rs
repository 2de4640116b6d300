//! Doctor: the plaintext of scnet-cli, the platform's Python tool (`$SCNET_HOME`, default
//! `~/.scnet`): secret keys in `config.json`, region tokens in `cache/NAME.json`, and either
//! file open to other users. Each is named with its fix; no secret or token is ever shown.
//!
//! A file holding secrets that other users can read is a FAIL (on a shared login node anyone
//! can take the account); plaintext only its owner can read, or an open file without secrets
//! (scnet-cli keeps the mode when it next writes a token), is a warning.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::files::mode;
use super::report::{Area, Findings, Status};
use crate::scnet_cli::{FileProblem, ScnetHome, read_cache, read_config};
use crate::shell_quote::shell_word;
use crate::tr;

const AREA: Area = Area::ScnetCli;

#[derive(Debug, Serialize)]
pub(crate) struct ScnetCliFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    pub exists: bool,
}

pub(crate) fn check(home: Option<ScnetHome>, f: &mut Findings) -> ScnetCliFacts {
    let Some(home) = home.filter(|h| h.dir().is_dir()) else {
        let dir = ScnetHome::from_env().map(|h| h.dir().to_owned());
        if let Some(dir) = &dir {
            f.push(
                AREA,
                Status::Info,
                tr!("doctor.scnet_none", dir = dir.display()),
            );
        }
        return ScnetCliFacts { dir, exists: false };
    };
    let profiles = report_config(&home, f);
    report_caches(&home, &profiles, f);
    ScnetCliFacts {
        dir: Some(home.dir().to_owned()),
        exists: true,
    }
}

/// `actoken import scnet-cli [--profile NAME] --scrub`.
fn scrub_command(profile: Option<&str>) -> String {
    match profile {
        Some(name) => format!(
            "actoken import scnet-cli --profile {} --scrub",
            shell_word(name)
        ),
        None => "actoken import scnet-cli --scrub".to_owned(),
    }
}

/// Findings on `config.json`; returns the names of its profiles (the caches that belong to one).
fn report_config(home: &ScnetHome, f: &mut Findings) -> Vec<String> {
    let path = home.config_path();
    let config = match read_config(&path) {
        Ok(config) => config,
        Err(e) if matches!(e.problem, FileProblem::Missing) => return Vec::new(),
        Err(e) => {
            f.push(AREA, Status::Warn, e.to_string());
            return Vec::new();
        }
    };
    // The raw JSON, not the parsed profiles: a profile import would refuse (no user) may still
    // hold a secret key.
    let filled = |profile: &Value, key: &str| {
        profile
            .get(key)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let mut any_secret_key = false;
    let mut any_plaintext = false;
    let names: Vec<String> = config.profiles.iter().map(|(n, _)| n.clone()).collect();
    if let Some(profiles) = config.raw.get("profiles").and_then(Value::as_object) {
        for (name, profile) in profiles {
            let (secret, llm) = (
                filled(profile, "secret_key"),
                filled(profile, "llm_api_key"),
            );
            let (path, shown) = (path.display(), crate::inert::inert(name));
            match (secret, llm) {
                (true, _) => f.push_fix(
                    AREA,
                    Status::Warn,
                    if llm {
                        tr!("doctor.scnet_secret_and_llm", path = path, profile = shown)
                    } else {
                        tr!("doctor.scnet_secret", path = path, profile = shown)
                    },
                    scrub_command(Some(name)),
                ),
                (false, true) => f.push_fix(
                    AREA,
                    Status::Warn,
                    tr!("doctor.scnet_llm", path = path, profile = shown),
                    tr!("doctor.scnet_llm_fix"),
                ),
                (false, false) => {}
            }
            any_secret_key |= secret;
            any_plaintext |= secret || llm;
        }
    }
    let fix = any_secret_key.then(|| scrub_command(None));
    report_mode(&path, any_plaintext, fix, f);
    names
}

/// Findings on each `cache/*.json`, in name order.
fn report_caches(home: &ScnetHome, profiles: &[String], f: &mut Findings) {
    let Ok(dir) = std::fs::read_dir(home.cache_dir()) else {
        return;
    };
    let mut paths: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    paths.sort();
    for path in paths {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        // A cache of a profile no longer in config.json: import cannot scrub it, rm can.
        let fix = match stem.filter(|s| profiles.contains(s)) {
            Some(profile) => scrub_command(Some(&profile)),
            None => format!("rm {}", shell_word(&path.to_string_lossy())),
        };
        let tokens = match read_cache(&path) {
            Ok(tokens) => tokens.map_or(0, |t| t.len()),
            Err(e) => {
                f.push(AREA, Status::Warn, e.to_string());
                continue;
            }
        };
        if tokens > 0 {
            f.push_fix(
                AREA,
                Status::Warn,
                tr!("doctor.scnet_tokens", path = path.display(), count = tokens),
                fix.clone(),
            );
        }
        report_mode(&path, tokens > 0, (tokens > 0).then_some(fix), f);
    }
}

/// One finding when `path` is open to other users: a FAIL when it holds secrets they can read.
/// `fix` is the command that takes the secrets out (and narrows the mode); else `chmod 600`.
fn report_mode(path: &Path, secrets: bool, fix: Option<String>, f: &mut Findings) {
    let Some(shown) = mode(path) else { return };
    let Ok(bits) = u32::from_str_radix(&shown, 8) else {
        return;
    };
    if bits & 0o077 == 0 {
        return;
    }
    let (path_shown, exposed) = (path.display(), secrets && bits & 0o044 != 0);
    let (status, message) = match (exposed, secrets) {
        (true, _) => (
            Status::Fail,
            tr!("doctor.scnet_open_secrets", path = path_shown, mode = shown),
        ),
        (false, true) => (
            Status::Warn,
            tr!("doctor.scnet_open_secrets", path = path_shown, mode = shown),
        ),
        (false, false) => (
            Status::Warn,
            tr!("doctor.scnet_open", path = path_shown, mode = shown),
        ),
    };
    let fix = fix.unwrap_or_else(|| format!("chmod 600 {}", shell_word(&path.to_string_lossy())));
    f.push_fix(AREA, status, message, fix);
}
