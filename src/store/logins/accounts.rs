//! Remembered logins: non-secret facts about each account `actoken login` used (user, method,
//! access key id, URLs, org id, last login), in `accounts.toml` beside the index.
//!
//! The file follows the index's rules: TOML with `version = 1` and `[[account]]` tables, written
//! atomically with mode 0600, read strictly (a corrupt, foreign-writable or newer file is an
//! error naming it, never silently reset). Secrets never go here: the secret key lives in the
//! keyring ([`AccountKeys`](super::AccountKeys)) and the password is never stored.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::api::LoginMethod;
use crate::config::Paths;
use crate::files::capped::{self, ReadError};
use crate::files::{Role, trust};
use crate::store::{StoreError, fsutil, lock};

/// The accounts format this build reads and writes.
pub const ACCOUNTS_VERSION: u32 = 1;

/// Same bound as the index: updates take milliseconds.
const LOCK_TIMEOUT: Duration = Duration::from_secs(15);

/// One remembered login. Identity: `user` + `base_url`. It may hold both methods: an access
/// key (whose secret key may be in the keyring) and a password login's org id; `method` is the
/// one used last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Account {
    /// The platform account name (the tokens' `user` claim).
    pub user: String,
    pub method: LoginMethod,
    /// The access key id (not secret: it is sent in clear with every signed login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    /// Where the tokens are renewed and used.
    pub base_url: String,
    /// Where the access-key login is sent (often another host than the base URL).
    pub auth_url: String,
    /// Organisation id of the password login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<Timestamp>,
}

impl Account {
    /// An access-key login of `user` whose logins and tokens share one `url` (the mock, the
    /// demo, most tests); a real login names both from its flags.
    pub(crate) fn with_access_key(user: &str, access_key: &str, url: &str) -> Account {
        Account {
            user: user.to_owned(),
            method: LoginMethod::AccessKey,
            access_key: Some(access_key.to_owned()),
            base_url: url.to_owned(),
            auth_url: url.to_owned(),
            org_id: None,
            last_login: None,
        }
    }

    /// `user@auth-host[:port]`: the key of its secret in the keyring and the `account` field
    /// of the tokens it stored.
    pub(crate) fn id(&self) -> String {
        format!("{}@{}", self.user, url_host(&self.auth_url))
    }

    /// The methods this account can log in with, access key first (the one that can run
    /// unattended, with a remembered secret key).
    pub(crate) fn methods(&self) -> Vec<LoginMethod> {
        let mut methods = Vec::new();
        if self.access_key.is_some() {
            methods.push(LoginMethod::AccessKey);
        }
        if self.org_id.is_some() || self.method == LoginMethod::Password {
            methods.push(LoginMethod::Password);
        }
        methods
    }

    /// `new` remembered over `self` (same user and base URL): a login by one method never
    /// forgets what the other method remembered.
    pub(crate) fn merged(&self, new: Account) -> Account {
        let keep_key = new.access_key.is_none() && self.access_key.is_some();
        Account {
            access_key: new.access_key.or_else(|| self.access_key.clone()),
            // The secret key is kept under the access-key login's auth host: keep that id.
            auth_url: if keep_key {
                self.auth_url.clone()
            } else {
                new.auth_url
            },
            org_id: new.org_id.or_else(|| self.org_id.clone()),
            ..new
        }
    }

    /// Whether a token with this `user` claim, stored with this base URL, belongs to the
    /// account (so a token added by hand benefits from the remembered login too).
    pub(crate) fn owns(&self, user_claim: Option<&str>, base_url: &str) -> bool {
        user_claim == Some(self.user.as_str()) && same_url(&self.base_url, base_url)
    }
}

/// Base URLs compare without surrounding space, trailing slashes or letter case.
pub fn same_url(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
    norm(a) == norm(b)
}

/// `host[:port]` of a URL, for account ids; the trimmed text itself if it does not parse.
fn url_host(url: &str) -> String {
    match reqwest::Url::parse(url.trim()) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => url.trim().to_owned(),
        },
        Err(_) => url.trim().to_owned(),
    }
}

/// The remembered logins, as last read from `accounts.toml`.
#[derive(Debug, Clone)]
pub struct Accounts {
    paths: Paths,
    list: Vec<Account>,
}

impl Accounts {
    /// Where the accounts file lives: beside the index.
    pub(crate) fn file(paths: &Paths) -> PathBuf {
        paths.config_dir.join("accounts.toml")
    }

    /// Reads the file; a missing one means no account.
    pub(crate) fn load(paths: &Paths) -> Result<Accounts, StoreError> {
        Ok(Accounts {
            paths: paths.clone(),
            list: read(&Accounts::file(paths))?,
        })
    }

    /// An empty set not backed by a file read (demo mode, tests); saving still writes to `paths`.
    pub(crate) fn empty(paths: &Paths) -> Accounts {
        Accounts {
            paths: paths.clone(),
            list: Vec::new(),
        }
    }

    pub(crate) fn path(&self) -> PathBuf {
        Accounts::file(&self.paths)
    }

    /// Sorted by user, then base URL.
    pub(crate) fn list(&self) -> &[Account] {
        &self.list
    }

    /// Every account of `user`, optionally only the one for `base_url`.
    pub(crate) fn matching(&self, user: &str, base_url: Option<&str>) -> Vec<&Account> {
        self.list
            .iter()
            .filter(|a| a.user == user && base_url.is_none_or(|b| same_url(&a.base_url, b)))
            .collect()
    }

    /// The account owning a token with this `user` claim stored with this base URL.
    pub(crate) fn owner(&self, user_claim: Option<&str>, base_url: &str) -> Option<&Account> {
        self.list.iter().find(|a| a.owns(user_claim, base_url))
    }

    /// Adds `account`, or merges it into the one with the same user and base URL (see
    /// [`Account::merged`]). Read-modify-write under the index lock, so a concurrent update by
    /// another process is not lost.
    pub(crate) fn remember(&mut self, account: Account) -> Result<(), StoreError> {
        self.update(|list| {
            let same =
                |a: &Account| a.user == account.user && same_url(&a.base_url, &account.base_url);
            let merged = match list.iter().position(same) {
                Some(i) => list.remove(i).merged(account),
                None => account,
            };
            list.push(merged);
        })
    }

    /// Removes the accounts of `user` (only the one for `base_url` if given); returns them.
    pub(crate) fn forget(
        &mut self,
        user: &str,
        base_url: Option<&str>,
    ) -> Result<Vec<Account>, StoreError> {
        let mut gone = Vec::new();
        self.update(|list| {
            let (out, keep): (Vec<Account>, Vec<Account>) = std::mem::take(list)
                .into_iter()
                .partition(|a| a.user == user && base_url.is_none_or(|b| same_url(&a.base_url, b)));
            *list = keep;
            gone = out;
        })?;
        Ok(gone)
    }

    fn update(&mut self, change: impl FnOnce(&mut Vec<Account>)) -> Result<(), StoreError> {
        let _lock = lock::lock_index(&self.paths, LOCK_TIMEOUT)?;
        let path = self.path();
        let mut list = read(&path)?;
        change(&mut list);
        sort(&mut list);
        write(&path, &list)?;
        self.list = list;
        Ok(())
    }
}

fn sort(list: &mut [Account]) {
    list.sort_by(|a, b| (&a.user, &a.base_url).cmp(&(&b.user, &b.base_url)));
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    version: u32,
    #[serde(default, rename = "account")]
    accounts: Vec<Account>,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: Option<toml::Value>,
}

const RECOVER: &str = "\nfix the file by hand (it holds no secrets), or move it aside and log \
    in again with `actoken login`";

/// Reads the accounts file at `path`. Missing or blank: no accounts.
pub(crate) fn read(path: &Path) -> Result<Vec<Account>, StoreError> {
    let err = |message: String| StoreError::Accounts {
        path: path.to_owned(),
        message,
    };
    // Someone who can edit this file could point a login at their own server.
    if let Some(dir) = path.parent() {
        trust::check(Role::ConfigDir, dir)?;
    }
    trust::check(Role::Accounts, path)?;
    let text = match capped::read_to_string(path, capped::ACCOUNTS_CAP) {
        Ok(text) => text,
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Err(err(format!("is not UTF-8 text{RECOVER}")));
        }
        Err(ReadError::Io(e)) => return Err(StoreError::io(path, e)),
        Err(ReadError::TooLarge { cap }) => return Err(err(capped::too_large(cap))),
    };
    parse(&text).map_err(err)
}

fn parse(text: &str) -> Result<Vec<Account>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let bad = |e: toml::de::Error| format!("cannot be read: {}{RECOVER}", e.to_string().trim_end());
    match toml::from_str::<VersionOnly>(text).map_err(bad)?.version {
        Some(toml::Value::Integer(v)) if v == i64::from(ACCOUNTS_VERSION) => {}
        Some(toml::Value::Integer(v)) if v > i64::from(ACCOUNTS_VERSION) => {
            return Err(format!(
                "was written by a newer actoken (accounts version {v}; this one reads version \
                 {ACCOUNTS_VERSION}); upgrade actoken"
            ));
        }
        Some(other) => return Err(format!("has an unknown version {other}{RECOVER}")),
        None => return Err(format!("has no `version` line{RECOVER}")),
    }
    let mut list = toml::from_str::<AccountsFile>(text).map_err(bad)?.accounts;
    sort(&mut list);
    if let Some(w) = list
        .windows(2)
        .find(|w| w[0].user == w[1].user && same_url(&w[0].base_url, &w[1].base_url))
    {
        return Err(format!(
            "lists user {:?} at {} twice{RECOVER}",
            w[0].user, w[0].base_url
        ));
    }
    Ok(list)
}

fn write(path: &Path, list: &[Account]) -> Result<(), StoreError> {
    let text = toml::to_string(&AccountsFile {
        version: ACCOUNTS_VERSION,
        accounts: list.to_vec(),
    })
    .map_err(|e| StoreError::Accounts {
        path: path.to_owned(),
        message: format!("cannot be encoded: {e}"),
    })?;
    let text = format!(
        "# actoken remembered logins: no secrets (secret keys are in the OS keyring).\n{text}"
    );
    fsutil::write_private_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Account {
        Account {
            user: "alice".into(),
            method: LoginMethod::AccessKey,
            access_key: Some("AK1".into()),
            base_url: "https://www.example.com".into(),
            auth_url: "https://api.example.com:8443/".into(),
            org_id: None,
            last_login: Some(Timestamp::from_second(1_700_000_000).unwrap()),
        }
    }

    fn bob() -> Account {
        Account {
            user: "bob".into(),
            method: LoginMethod::Password,
            access_key: None,
            base_url: "https://www.example.com".into(),
            auth_url: "https://www.example.com".into(),
            org_id: Some("4af1c3d2e5b6a7980f1e2d3c4b5a6978".into()),
            last_login: None,
        }
    }

    #[test]
    fn id_and_ownership() {
        assert_eq!(alice().id(), "alice@api.example.com:8443");
        assert_eq!(bob().id(), "bob@www.example.com");
        assert!(alice().owns(Some("alice"), "https://WWW.example.com/"));
        assert!(!alice().owns(Some("alice"), "https://other.example.com"));
        assert!(!alice().owns(Some("bob"), "https://www.example.com"));
        assert!(!alice().owns(None, "https://www.example.com"));
    }

    #[test]
    fn remember_forget_round_trip_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let mut accounts = Accounts::load(&paths).unwrap();
        assert!(accounts.list().is_empty());
        accounts.remember(bob()).unwrap();
        accounts.remember(alice()).unwrap();
        let mut again = alice();
        again.access_key = Some("AK2".into());
        accounts.remember(again.clone()).unwrap();

        let back = Accounts::load(&paths).unwrap();
        assert_eq!(back.list(), &[again.clone(), bob()]);
        assert_eq!(
            back.owner(Some("alice"), "https://www.example.com"),
            Some(&again)
        );
        assert_eq!(back.matching("bob", None).len(), 1);
        assert!(
            back.matching("bob", Some("https://x.example.com"))
                .is_empty()
        );

        let path = Accounts::file(&paths);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("version = 1"), "{text}");
        assert!(text.contains("[[account]]"), "{text}");
        assert!(text.contains("access-key = \"AK2\""), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }

        let gone = accounts.forget("alice", None).unwrap();
        assert_eq!(gone, vec![again]);
        assert_eq!(Accounts::load(&paths).unwrap().list(), &[bob()]);
        assert!(accounts.forget("nobody", None).unwrap().is_empty());
    }

    fn error_for(text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.toml");
        std::fs::write(&path, text).unwrap();
        match read(&path) {
            Err(e @ StoreError::Accounts { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(&path.display().to_string()), "{msg}");
                // Reading never rewrites the file.
                assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
                msg
            }
            other => panic!("expected an accounts error, got {other:?}"),
        }
    }

    #[test]
    fn corrupt_files_are_errors_naming_the_file_and_line() {
        let msg = error_for("version = 1\n[[account]]\nuser = \"a\"\nmethod = \n");
        assert!(msg.contains("line 4"), "{msg}");
        assert!(msg.contains("actoken login"), "{msg}");
        let msg = error_for(
            "version = 1\n[[account]]\nuser = \"a\"\nmethod = \"access-key\"\nbase-url = \"u\"\nauth-url = \"u\"\nsecret-key = \"x\"\n",
        );
        assert!(msg.contains("secret-key"), "{msg}");
        assert!(error_for("version = 2\n").contains("newer actoken"));
        assert!(error_for("[[account]]\n").contains("no `version`"));
        let one = "[[account]]\nuser = \"a\"\nmethod = \"password\"\nbase-url = \"u\"\nauth-url = \"u\"\n";
        assert!(error_for(&format!("version = 1\n{one}{one}")).contains("twice"));
        assert!(error_for("version = 1\n[[account]]\nuser = \"a\"\nmethod = \"magic\"\nbase-url = \"u\"\nauth-url = \"u\"\n").contains("magic"));
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        Accounts::load(&paths).unwrap().remember(bob()).unwrap();
        let path = Accounts::file(&paths);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let msg = Accounts::load(&paths).unwrap_err().to_string();
        assert!(msg.starts_with("accounts file"), "{msg}");
        assert!(msg.contains("chmod 600"), "{msg}");
    }
}
