//! Doctor: the config file, the token index and the remembered logins (files beside the
//! config), with their permissions.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::{Config, Paths};
use crate::files::{Role, trust};
use crate::inert::inert;
use crate::shell_quote::shell_word;
use crate::store::{Account, Accounts, EntryMeta, StoreKind, open_accounts_backend};
use crate::token_env::CenterCache;

use super::super::context::Context;
use super::report::{Area, Findings, Status};
use crate::tr;

#[derive(Debug, Serialize)]
pub(crate) struct ConfigFacts {
    pub path: PathBuf,
    pub exists: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Loads the config the way every command does, but keeps a problem instead of stopping: the
/// rest of the checks then run on the defaults. Reported by `report_config`, once the
/// config's `language` is in force.
pub(crate) fn load_config(path: &Path) -> (Config, ConfigFacts) {
    let exists = path.exists();
    let (config, problem) = match Config::load(path) {
        Ok(config) => (config, None),
        Err(e) => (Config::default(), Some(format!("{e:#}"))),
    };
    let facts = ConfigFacts {
        path: path.to_owned(),
        exists,
        problem,
    };
    (config, facts)
}

pub(crate) fn report_config(facts: &ConfigFacts, f: &mut Findings) {
    let path = facts.path.display();
    match (&facts.problem, facts.exists) {
        (Some(p), _) => f.push_fix(
            Area::Config,
            Status::Fail,
            p.clone(),
            tr!("doctor.config_fix"),
        ),
        (None, true) => f.push(
            Area::Config,
            Status::Ok,
            tr!("doctor.config_valid", path = path),
        ),
        (None, false) => f.push(
            Area::Config,
            Status::Info,
            tr!("doctor.config_none", path = path),
        ),
    }
}

/// The ca-file, when one is set: a file another user could change is a FAIL (it decides which
/// servers are believed to be the platform).
pub(crate) fn report_ca_file(config: &Config, f: &mut Findings) {
    if let Some(path) = &config.ca_file
        && let Err(distrust) = trust::check(Role::CaFile, path)
    {
        f.push(Area::Config, Status::Fail, distrust.to_string());
    }
}

/// The state directory (locks, rescued tokens) and the address cache in it: one another user
/// could change is a FAIL, as every command refuses it.
pub(crate) fn report_state(paths: &Paths, f: &mut Findings) {
    let cache = CenterCache::new(paths);
    let checks = [
        (Role::StateDir, paths.state_dir.as_path()),
        (Role::CenterCache, cache.path()),
    ];
    if let Some(distrust) = checks
        .into_iter()
        .find_map(|(role, path)| trust::check(role, path).err())
    {
        f.push(Area::Store, Status::Fail, distrust.to_string());
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct IndexFacts {
    pub path: PathBuf,
    pub exists: bool,
    pub entries: usize,
    pub in_secret_service: usize,
    pub in_keyutils: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

pub(crate) fn index(paths: &Paths, f: &mut Findings) -> (Vec<EntryMeta>, IndexFacts) {
    const AREA: Area = Area::Index;
    let path = paths.index_file();
    let exists = path.exists();
    let (entries, problem) = match crate::store::read_index(&path) {
        Ok(entries) => (entries, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let file_mode = mode(&path);
    let dir_mode = mode(&paths.config_dir);
    let count = |kind| entries.iter().filter(|e| e.store == kind).count();
    match &problem {
        Some(p) => f.push(AREA, Status::Fail, p.clone()),
        None if exists => f.push(
            AREA,
            Status::Ok,
            tr!(
                "doctor.index_ok",
                path = path.display(),
                count = entries.len(),
                mode = file_mode.as_deref().unwrap_or("?")
            ),
        ),
        None => f.push(AREA, Status::Info, tr!("doctor.index_empty")),
    }
    for (what, shown, wanted) in [
        (&path, &file_mode, "600"),
        (&paths.config_dir, &dir_mode, "700"),
    ] {
        if let Some(m) = shown
            && readable_by_others(m)
        {
            f.push_fix(
                AREA,
                Status::Warn,
                tr!("doctor.index_readable", path = what.display(), mode = m),
                format!("chmod {wanted} {}", shell_word(&what.to_string_lossy())),
            );
        }
    }
    let facts = IndexFacts {
        path,
        exists,
        entries: entries.len(),
        in_secret_service: count(StoreKind::SecretService),
        in_keyutils: count(StoreKind::Keyutils),
        file_mode,
        dir_mode,
        problem,
    };
    (entries, facts)
}

/// The permission bits as octal text ("600"), where the platform has them.
pub(super) fn mode(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| format!("{:03o}", m.permissions().mode() & 0o777))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn readable_by_others(mode: &str) -> bool {
    u32::from_str_radix(mode, 8).is_ok_and(|m| m & 0o077 != 0)
}

#[derive(Debug, Serialize)]
pub(crate) struct AccountFacts {
    pub id: String,
    pub user: String,
    pub method: String,
    pub base_url: String,
    /// Whether the store in use holds its secret key (`None`: could not be asked).
    pub key_remembered: Option<bool>,
}

pub(crate) fn accounts(
    ctx: &Context,
    in_use: Option<StoreKind>,
    f: &mut Findings,
) -> (Vec<Account>, Vec<AccountFacts>) {
    const AREA: Area = Area::Logins;
    let accounts = match Accounts::load(&ctx.paths) {
        Ok(a) => a.list().to_vec(),
        Err(e) => {
            f.push(AREA, Status::Fail, e.to_string());
            return (Vec::new(), Vec::new());
        }
    };
    if accounts.is_empty() {
        f.push(AREA, Status::Info, tr!("doctor.logins_none"));
        return (accounts, Vec::new());
    }
    let ids = in_use.and_then(|kind| {
        open_accounts_backend(kind, &ctx.service, ctx.keyring_timeout())
            .and_then(|b| b.names())
            .ok()
    });
    let facts: Vec<AccountFacts> = accounts
        .iter()
        .map(|a| {
            let id = a.id();
            // A finding is one line: the file may say anything (`--json`'s facts are exact).
            // The user goes into suggested commands: one shell word ($'…' for control characters).
            let (shown_id, user) = (inert(&id), shell_word(&a.user));
            let method = serde_json::to_value(a.method)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let password = a.method == crate::api::LoginMethod::Password;
            let key_remembered = if password {
                None
            } else {
                ids.as_ref().map(|ids| ids.contains(&id))
            };
            let (status, message) = match key_remembered {
                _ if password => (
                    Status::Info,
                    tr!("doctor.login_password", id = shown_id, user = user),
                ),
                Some(true) => (
                    Status::Ok,
                    tr!(
                        "doctor.login_key_remembered",
                        id = shown_id,
                        method = method
                    ),
                ),
                Some(false) => (
                    Status::Info,
                    tr!(
                        "doctor.login_no_key",
                        id = shown_id,
                        method = method,
                        user = user
                    ),
                ),
                None => (
                    Status::Info,
                    tr!("doctor.login_key_unknown", id = shown_id, method = method),
                ),
            };
            f.push(AREA, status, message);
            AccountFacts {
                id,
                user: a.user.clone(),
                method,
                base_url: a.base_url.clone(),
                key_remembered,
            }
        })
        .collect();
    (accounts, facts)
}
