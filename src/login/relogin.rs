//! Dead tokens come back by themselves: when a token is past its renew cutoff or rejected,
//! and its account has a remembered secret key, log in again, store all of the account's
//! tokens, and hand back the fresh one for the token that was asked for.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use jiff::Timestamp;

use super::{Credential, LoginError, LoginReport, login_and_store, login_command};
use crate::api::AcClient;
use crate::renew::{ReloginHook, RenewError, Renewed};
use crate::store::{Account, AccountKeys, Accounts, EntryMeta, Store, StoreError};
use crate::token::Token;
use crate::tr;

/// The account a stored token belongs to: the token's `user` claim and the entry's base URL
/// match the account's (so a token added by hand counts too); failing a readable claim, the
/// account that stored the entry. Blocks (reads `accounts.toml`).
pub fn owner_of(
    store: &Store,
    meta: &EntryMeta,
    token: &Token,
) -> Result<Option<Account>, StoreError> {
    let accounts = Accounts::load(store.paths())?;
    let user = token.decode().ok().and_then(|d| d.claims.user);
    let by_claim = accounts.owner(user.as_deref(), &meta.base_url).cloned();
    Ok(by_claim.or_else(|| {
        let id = meta.account.as_deref()?;
        user.is_none()
            .then(|| accounts.list().iter().find(|a| a.id() == id).cloned())
            .flatten()
    }))
}

/// Logs in again as `account` with its remembered secret key and stores every token.
pub async fn relogin_account(
    store: &Store,
    client: &AcClient,
    keys: &AccountKeys,
    account: &Account,
    now: Timestamp,
) -> Result<LoginReport, LoginError> {
    let no_key = || LoginError::NoRememberedKey {
        user: account.user.clone(),
        base_url: account.base_url.clone(),
        command: login_command(Some(account), &account.user, &account.base_url),
    };
    // Whichever method was used last: an access key with a remembered secret key will do.
    if account.access_key.is_none() {
        return Err(no_key());
    }
    let (keys_c, id) = (keys.clone(), account.id());
    let key = store
        .door()
        .run(move |_| keys_c.get(&id))
        .await?
        .ok_or_else(no_key)?;
    tracing::info!(account = %account.id(), "logging in again with the remembered secret key");
    login_and_store(store, client, account, &Credential::SecretKey(key), now).await
}

/// [`relogin_account`] for `user`'s remembered account (at `base_url` when given), for the
/// dashboard's "log in again".
pub async fn relogin_user(
    store: &Store,
    client: &AcClient,
    keys: &AccountKeys,
    user: &str,
    base_url: Option<&str>,
    now: Timestamp,
) -> Result<LoginReport, LoginError> {
    let accounts = store
        .door()
        .run(|store| Accounts::load(store.paths()))
        .await?;
    let account = remembered_account(&accounts, user, base_url).map_err(|e| *e)?;
    relogin_account(store, client, keys, &account, now).await
}

/// `user`'s one remembered account (at `base_url` when given): none or several is an error
/// that says what to do (boxed: the error type is large, the account small).
pub(crate) fn remembered_account(
    accounts: &Accounts,
    user: &str,
    base_url: Option<&str>,
) -> Result<Account, Box<LoginError>> {
    Err(Box::new(
        match accounts.matching(user, base_url).as_slice() {
            [one] => return Ok((*one).clone()),
            [] => LoginError::NoAccount {
                user: user.to_owned(),
                command: login_command(None, user, base_url.unwrap_or("https://HOST:PORT")),
            },
            many => LoginError::Ambiguous {
                user: user.to_owned(),
                urls: many.iter().map(|a| a.base_url.clone()).collect(),
            },
        },
    ))
}

/// The stored entries `account` owns (as [`owner_of`] decides, from the index alone): its
/// tokens' `user` claim and base URL, or, failing a readable claim, the login that stored them.
pub(crate) fn owned_entries(store: &Store, account: &Account) -> Vec<EntryMeta> {
    let id = account.id();
    store
        .load_index()
        .into_iter()
        .filter(|stored| {
            let by_claim = match stored.decoded() {
                Some(Ok(decoded)) => {
                    account.owns(decoded.claims.user.as_deref(), &stored.meta.base_url)
                }
                _ => false,
            };
            by_claim || stored.meta.account.as_deref() == Some(id.as_str())
        })
        .map(|stored| stored.meta)
        .collect()
}

/// What the renewal workflow needs to log in again: the secret keys, and a lock so that
/// several dead tokens of one account (`renew --all`, auto-renew) cause one login, not many.
#[derive(Clone, Debug)]
pub struct Relogin {
    keys: AccountKeys,
    /// One lock per account id: one login at a time per account, whoever starts it.
    turns: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Relogin {
    pub fn new(keys: AccountKeys) -> Relogin {
        Relogin {
            keys,
            turns: Arc::default(),
        }
    }

    /// Waits until no other login of `account_id` runs in this process; hold the guard for
    /// the login. Renewals of dead tokens and the dashboard's `L` both take it.
    pub(crate) async fn one_at_a_time(&self, account_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let turn = {
            let mut turns = self
                .turns
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(turns.entry(account_id.to_owned()).or_default())
        };
        turn.lock_owned().await
    }

    /// Called by the renewer, with the token's lock held, when renewing `name` failed with a
    /// `failure` that only a new token can fix. Returns the fresh token (stored), or an
    /// error that says which `actoken login` command to run.
    pub(crate) async fn recover(
        &self,
        store: &Store,
        client: &AcClient,
        name: &str,
        failure: RenewError,
        now: Timestamp,
    ) -> Result<Renewed, RenewError> {
        let why = match &failure {
            RenewError::Dead { expired, .. } => {
                tr!("relogin.why_expired", expired = expired)
            }
            RenewError::Rejected { source, .. } => {
                let source = source.to_string();
                tr!("relogin.why_rejected", source = source)
            }
            _ => return Err(failure),
        };
        let door = store.door();
        let (meta, old) = door.get(name).await?;
        let claims = old.decode().ok().map(|d| d.claims);
        let user = claims.as_ref().and_then(|c| c.user.clone());
        let (m, t) = (meta.clone(), old.clone());
        let owner = door.run(move |store| owner_of(store, &m, &t)).await?;
        let needs_login = |why: String, account: Option<&Account>| RenewError::NeedsLogin {
            name: name.to_owned(),
            why,
            command: login_command(account, user.as_deref().unwrap_or("USER"), &meta.base_url),
        };
        let Some(account) = owner else {
            return Err(needs_login(tr!("relogin.no_owner", why = why), None));
        };

        // One login per account at a time; whoever waited finds the token already replaced.
        let _turn = self.one_at_a_time(&account.id()).await;
        let (_, current) = door.get(name).await?;
        if current != old && usable(&current, now) {
            return Ok(renewed(name, &old, current, false));
        }

        let report = match relogin_account(store, client, &self.keys, &account, now).await {
            Ok(report) => report,
            Err(LoginError::NoRememberedKey { .. }) => {
                let id = account.id();
                return Err(needs_login(
                    tr!("relogin.no_key", why = why, account = id),
                    Some(&account),
                ));
            }
            // Nothing came back to store: said below, as a login that lacks this region.
            Err(LoginError::NothingStored { .. }) => LoginReport::default(),
            Err(e) if e.is_refusal() => {
                let error = e.to_string();
                return Err(needs_login(
                    tr!("relogin.refused", why = why, error = error),
                    Some(&account),
                ));
            }
            Err(error) => {
                return Err(RenewError::Relogin {
                    name: name.to_owned(),
                    error: Box::new(error),
                });
            }
        };

        if let Some(hit) = report.stored.iter().find(|s| s.name == name) {
            return Ok(renewed(name, &old, hit.token.clone(), true));
        }
        // A hand-named entry: the region with the same cluster id replaces its token. The
        // entry's id is the list's when a login stored it, else its token's claim, which may
        // be the list's id or the claim of that region's new token.
        let cluster = meta
            .cluster_id_or(claims.as_ref().and_then(|c| c.cluster_id.as_deref()))
            .map(str::to_owned);
        let claim_of = |t: &Token| t.decode().ok().and_then(|d| d.claims.cluster_id);
        let Some(hit) = report.stored.iter().find(|s| {
            cluster.is_some() && (s.cluster_id == cluster || claim_of(&s.token) == cluster)
        }) else {
            let (user, cluster) = (&account.user, cluster.as_deref().unwrap_or("?"));
            let stored: Vec<&str> = report.stored.iter().map(|s| s.name.as_str()).collect();
            let stored = stored.join(", ");
            return Err(needs_login(
                tr!(
                    "relogin.no_cluster",
                    why = why,
                    user = user,
                    cluster = cluster,
                    stored = stored
                ),
                Some(&account),
            ));
        };
        door.replace_token(name, &hit.token, now).await?;
        Ok(renewed(name, &old, hit.token.clone(), true))
    }
}

impl ReloginHook for Relogin {
    fn recover<'a>(
        &'a self,
        store: &'a Store,
        client: &'a AcClient,
        name: &'a str,
        failure: RenewError,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Renewed, RenewError>> {
        Box::pin(Relogin::recover(self, store, client, name, failure, now))
    }
}

/// A token that has not expired at `now`.
pub fn usable(token: &Token, now: Timestamp) -> bool {
    token
        .decode()
        .ok()
        .and_then(|d| d.claims.expire_time)
        .is_some_and(|exp| exp > now)
}

fn renewed(name: &str, old: &Token, fresh: Token, called_server: bool) -> Renewed {
    let expiry = |t: &Token| t.decode().ok().and_then(|d| d.claims.expire_time);
    Renewed {
        name: name.to_owned(),
        old_expiry: expiry(old),
        new_expiry: expiry(&fresh).unwrap_or(Timestamp::UNIX_EPOCH),
        token: fresh,
        called_server,
        via_login: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ClientOptions;
    use crate::config::{Config, Paths};
    use crate::mock::{ALICE, MintSpec, MockServer, mint};
    use crate::renew::{Renewer, When};
    use crate::store::MemoryBackend;
    use jiff::SignedDuration;
    use secrecy::SecretString;

    const KUNSHAN: &str = "alice/华东一区【昆山】";
    const XIAN: &str = "alice/西北一区【西安】";

    struct Fixture {
        _dir: tempfile::TempDir,
        mock: MockServer,
        store: Store,
        keys: AccountKeys,
        account: Account,
    }

    async fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let store = Store::open(&paths, Arc::new(MemoryBackend::new())).unwrap();
        let mock = MockServer::on_loopback().await.unwrap();
        let account = Account::with_access_key(ALICE.user, ALICE.access_key, &mock.base_url());
        Accounts::load(&paths)
            .unwrap()
            .remember(account.clone())
            .unwrap();
        let keys = AccountKeys::new(Arc::new(MemoryBackend::new()));
        Fixture {
            _dir: dir,
            mock,
            store,
            keys,
            account,
        }
    }

    fn add_dead(f: &Fixture, name: &str, cluster: &str) -> Token {
        let token = mint(&MintSpec::new(
            "alice",
            cluster,
            Timestamp::now() - SignedDuration::from_hours(30),
        ));
        let meta = EntryMeta::new(name, f.mock.base_url(), Timestamp::now());
        f.store.add(meta, &token, true).unwrap();
        token
    }

    fn renewer(f: &Fixture) -> Renewer {
        let client = AcClient::new(&ClientOptions::default()).unwrap();
        Renewer::new(f.store.clone(), client, &Config::default())
            .with_relogin(Relogin::new(f.keys.clone()))
    }

    #[tokio::test]
    async fn several_dead_tokens_of_one_account_cost_one_login() {
        let _watchdog = crate::watchdog::arm();
        let f = fixture().await;
        f.keys
            .set(
                &f.account.id(),
                &SecretString::from(ALICE.secret_key.to_owned()),
            )
            .unwrap();
        let old = [add_dead(&f, KUNSHAN, "11250"), add_dead(&f, XIAN, "11276")];
        let results = renewer(&f)
            .renew_many(
                vec![KUNSHAN.into(), XIAN.into()],
                When::Always,
                Timestamp::now(),
            )
            .await;
        for (name, result) in results {
            let renewed = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(renewed.via_login, "{name}");
            assert!(renewed.new_expiry > Timestamp::now(), "{name}");
            assert!(!old.contains(&renewed.token), "{name}");
            assert_eq!(f.store.get(&name).unwrap().1, renewed.token);
        }
        assert_eq!(f.mock.login_count(), 1);
        assert_eq!(f.mock.renew_count(), 0);
        // The login stored every region and remembered when it happened.
        assert_eq!(f.store.entries().len(), 4);
        let accounts = Accounts::load(f.store.paths()).unwrap();
        assert!(accounts.list()[0].last_login.is_some());
    }

    #[tokio::test]
    async fn without_a_key_the_error_names_the_command_and_nothing_changes() {
        let _watchdog = crate::watchdog::arm();
        let f = fixture().await;
        let old = add_dead(&f, KUNSHAN, "11250");
        let err = renewer(&f)
            .renew(KUNSHAN, When::Always, Timestamp::now())
            .await
            .unwrap_err();
        assert!(matches!(err, RenewError::NeedsLogin { .. }), "{err:?}");
        assert!(err.needs_new_token());
        let msg = err.to_string();
        assert!(
            msg.contains(&format!(
                "actoken login --user alice --access-key {} --base-url {}",
                ALICE.access_key,
                f.mock.base_url()
            )),
            "{msg}"
        );
        assert_eq!(f.mock.login_count(), 0);
        assert_eq!(f.store.get(KUNSHAN).unwrap().1, old);

        // A wrong remembered key: the refusal is reported with the same command.
        f.keys
            .set(&f.account.id(), &SecretString::from("SK-WRONG".to_owned()))
            .unwrap();
        let err = renewer(&f)
            .renew(KUNSHAN, When::Always, Timestamp::now())
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("refused"), "{msg}");
        assert!(msg.contains("actoken login --user alice"), "{msg}");
        assert!(!msg.contains("SK-WRONG"), "{msg}");
        assert_eq!(f.store.get(KUNSHAN).unwrap().1, old);
    }

    #[test]
    fn a_renewer_without_relogin_keeps_the_plain_dead_error() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let f = fixture().await;
            add_dead(&f, KUNSHAN, "11250");
            let client = AcClient::new(&ClientOptions::default()).unwrap();
            let plain = Renewer::new(f.store.clone(), client, &Config::default());
            let err = plain
                .renew(KUNSHAN, When::Always, Timestamp::now())
                .await
                .unwrap_err();
            assert!(matches!(err, RenewError::Dead { .. }), "{err:?}");
        });
    }
}
