//! Getting fresh tokens by logging in (access key + secret key, or password), shared by
//! `actoken login`, the renewal workflow (dead tokens come back by themselves) and the
//! dashboard.
//!
//! - [`login_and_store`]: one login, every usable token stored ([`save`]), the account's
//!   non-secret facts remembered in `accounts.toml`.
//! - [`relogin_account`] / [`relogin_user`]: the same with the remembered secret key.
//! - [`owner_of`]: which remembered account a stored token belongs to.
//! - [`naming`]: how the stored entries are named (`USER/REGION`).

pub mod naming;
mod relogin;
pub mod save;
mod words;

use jiff::Timestamp;
use secrecy::SecretString;

pub use relogin::{Relogin, owner_of, relogin_account, relogin_user};
pub(crate) use relogin::{owned_entries, remembered_account, usable};
pub use save::{NOT_AVAILABLE, NotStored, Skipped, StoredRegion, store_regions};

use crate::api::{AcClient, ApiError, LoginMethod};
use crate::rescue::{self, Kept, Rescued};
use crate::shell_quote::shell_word;
use crate::store::{Account, Accounts, StoreError};
use crate::token::Token;

/// The secret a login presents. Never stored here; `Debug` is redacted by `SecretString`.
#[derive(Debug)]
pub(crate) enum Credential {
    SecretKey(SecretString),
    Password(SecretString),
}

/// What a login did to the store.
#[derive(Debug, Clone, Default)]
pub struct LoginReport {
    /// [`Account::id`] of the login.
    pub account: String,
    /// Names of new entries.
    pub added: Vec<String>,
    /// Names of entries of an earlier login (or added by hand) that were replaced.
    pub replaced: Vec<String>,
    /// Regions listed without a usable token.
    pub skipped: Vec<Skipped>,
    /// Every token stored, in the server's order.
    pub stored: Vec<StoredRegion>,
    /// Base URLs of other servers whose entries had this login's names: those were kept, and
    /// this login's tokens named `HOST/USER/REGION` beside them.
    pub others_kept: Vec<String>,
}

/// Why a login failed; its words (in the interface language) are in [`words`].
#[derive(Debug)]
pub enum LoginError {
    /// Not a source: the message already includes it (no repetition in `{:#}`).
    Api {
        user: String,
        error: ApiError,
    },
    Store(StoreError),
    NoRememberedKey {
        user: String,
        base_url: String,
        command: String,
    },
    NoAccount {
        user: String,
        command: String,
    },
    Ambiguous {
        user: String,
        urls: Vec<String>,
    },
    /// The platform issued tokens and the store failed: `stored` were stored, the others were
    /// rescued (each says where it went).
    NotSaved {
        user: String,
        source: StoreError,
        stored: Vec<String>,
        rescued: Vec<Rescued>,
    },
    /// The login worked, but not one token could be stored (none usable, or all refused).
    NothingStored {
        user: String,
        skipped: Vec<Skipped>,
    },
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> LoginError {
        LoginError::Store(e)
    }
}

impl LoginError {
    /// True when the platform refused the credentials (so retrying with them cannot help).
    pub(crate) fn is_refusal(&self) -> bool {
        matches!(self, LoginError::Api { error, .. } if error.login_refusal().is_some())
    }

    /// The issued tokens this error holds that no rescue file took, with the place to record
    /// where the front end showed them instead (the message then says so).
    pub(crate) fn unkept(&mut self) -> Vec<(&str, &Token, &mut Kept)> {
        match self {
            LoginError::NotSaved { rescued, .. } => rescued
                .iter_mut()
                .filter(|r| r.kept == Kept::Nowhere)
                .map(|r| (r.name.as_str(), &r.token, &mut r.kept))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Logs in as `account` with `credential`, stores every usable token and remembers the
/// account (non-secret facts, `last_login` = `now`). The secret key is not stored here.
pub(crate) async fn login_and_store(
    store: &crate::store::Store,
    client: &AcClient,
    account: &Account,
    credential: &Credential,
    now: Timestamp,
) -> Result<LoginReport, LoginError> {
    let api = |error| LoginError::Api {
        user: account.user.clone(),
        error,
    };
    let (regions, method) = match credential {
        Credential::SecretKey(key) => {
            let access_key = account.access_key.as_deref().unwrap_or_default();
            let regions = client
                .login_access_key(&account.auth_url, &account.user, access_key, key, now)
                .await;
            (regions, LoginMethod::AccessKey)
        }
        Credential::Password(password) => {
            let org_id = account.org_id.as_deref().unwrap_or_default();
            let regions = client
                .login_password(&account.base_url, &account.user, password, org_id)
                .await;
            (regions, LoginMethod::Password)
        }
    };
    let regions = regions.map_err(api)?;
    // What was issued, in case the store call never answers (its deadline, a panic).
    let issued = save::issued(account, &regions);

    let mut remembered = account.clone();
    // The tokens are stored before the account is remembered, in one blocking call; a login
    // that stored nothing changes nothing. `Err` from the door: the call never answered (its
    // deadline, a panic); inside it, each token's fate is known.
    let stored = store
        .door()
        .run(move |store| {
            let report = match store_regions(store, &remembered, regions, now) {
                Ok(report) => report,
                Err(not_stored) => return Ok(Stored::NotStored(not_stored)),
            };
            if !report.stored.is_empty() {
                remembered.last_login = Some(now);
                remembered.method = method;
                let remember = Accounts::load(store.paths())
                    .and_then(|mut accounts| accounts.remember(remembered));
                if let Err(e) = remember {
                    return Ok(Stored::NotRemembered(e));
                }
            }
            Ok(Stored::Done(report))
        })
        .await;
    let not_stored = match stored {
        Ok(Stored::Done(report)) if report.stored.is_empty() => {
            return Err(LoginError::NothingStored {
                user: account.user.clone(),
                skipped: report.skipped,
            });
        }
        Ok(Stored::Done(report)) => return Ok(report),
        // The tokens are stored; only the account's facts are not remembered.
        Ok(Stored::NotRemembered(e)) => return Err(LoginError::Store(e)),
        Ok(Stored::NotStored(not_stored)) => not_stored,
        Err(source) => NotStored {
            stored: Vec::new(),
            unsaved: issued,
            source,
        },
    };
    // Issued and not stored: the platform may have retired the tokens these replace.
    let dir = store.paths().rescue_dir();
    let rescued = not_stored
        .unsaved
        .into_iter()
        .map(|(name, token)| Rescued {
            kept: rescue::keep(&dir, &name, &token, now),
            name,
            token,
        })
        .collect();
    Err(LoginError::NotSaved {
        user: account.user.clone(),
        source: not_stored.source,
        stored: not_stored.stored,
        rescued,
    })
}

/// What [`login_and_store`]'s blocking store call found.
enum Stored {
    Done(LoginReport),
    NotStored(NotStored),
    NotRemembered(StoreError),
}

/// The exact command that gets new tokens for `user` at `base_url`, filled in from the
/// remembered account when there is one. Contains no secret (they are read from a prompt or
/// stdin, never from arguments). Every value is one shell word ([`shell_word`]): a `user`
/// claim is the issuer's text, and the user pastes this.
pub(crate) fn login_command(account: Option<&Account>, user: &str, base_url: &str) -> String {
    let w = shell_word;
    match account {
        // The access key first: with it, the secret key is remembered and logins run by themselves.
        Some(a) if a.access_key.is_none() => format!(
            "actoken login --user {} --org-id {} --password-stdin --base-url {}",
            w(&a.user),
            w(a.org_id.as_deref().unwrap_or("YOUR_ORG_ID")),
            w(&a.base_url)
        ),
        Some(a) => {
            let auth = if crate::store::same_url(&a.auth_url, &a.base_url) {
                String::new()
            } else {
                format!(" --auth-url {}", w(&a.auth_url))
            };
            format!(
                "actoken login --user {} --access-key {} --base-url {}{auth}",
                w(&a.user),
                w(a.access_key.as_deref().unwrap_or("YOUR_KEY")),
                w(&a.base_url)
            )
        }
        None => format!(
            "actoken login --user {} --access-key YOUR_KEY --base-url {}",
            w(user),
            w(base_url)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell_quote::tests::pasted;

    /// Issue 22: the login command the CLI and the dashboard suggest is pasted; each value
    /// (a `user` claim is the issuer's text) is one word, and nothing in it runs.
    #[test]
    fn every_value_of_a_login_command_is_one_shell_word() {
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path().join("ran");
        let user = format!("bob$(touch {})", canary.display());
        let command = login_command(None, &user, "https://ac.example.com:65102");
        assert_eq!(
            command,
            format!(
                "actoken login --user '{user}' --access-key YOUR_KEY --base-url \
                 https://ac.example.com:65102"
            )
        );
        assert_eq!(pasted("sh", &command)[3], user);

        let mut account = Account::with_access_key(&user, "AK 1", "https://b.example/x y");
        account.auth_url = "https://a.example/`id`".into();
        let args = pasted("sh", &login_command(Some(&account), "ignored", "ignored"));
        assert_eq!(
            args,
            [
                "actoken",
                "login",
                "--user",
                &user,
                "--access-key",
                "AK 1",
                "--base-url",
                "https://b.example/x y",
                "--auth-url",
                "https://a.example/`id`"
            ]
        );
        account.access_key = None;
        account.org_id = Some("华东一区【昆山】;x".into());
        let args = pasted("sh", &login_command(Some(&account), "ignored", "ignored"));
        assert_eq!(
            args[3..6],
            [user.as_str(), "--org-id", "华东一区【昆山】;x"]
        );
        assert!(
            !canary.exists(),
            "a pasted login command ran what a value held"
        );

        // A claim with an escape sequence: shown in `$'…'` form, no control character.
        let command = login_command(None, "bob\u{1b}]52;c;aWQ=\u{7}", "https://h");
        assert!(
            command.contains(r"--user $'bob\033]52;c;aWQ=\007'"),
            "{command}"
        );
        assert_eq!(pasted("bash", &command)[3], "bob\u{1b}]52;c;aWQ=\u{7}");
    }
}
