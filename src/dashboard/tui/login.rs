//! `L` in the dashboard: log in again for the account that owns a token, with its remembered
//! secret key, or with the secret the user just typed (which is then remembered, as `actoken
//! login` does).

use jiff::Timestamp;
use secrecy::SecretString;

use super::at_exit::AtExit;
use super::services::Services;
use crate::api::LoginMethod;
use crate::dashboard::app::LoginSecret;
use crate::dashboard::app::{FailureKind, TaskError};
use crate::login::{
    Credential, LoginError, LoginReport, login_and_store, login_command, owner_of, relogin_account,
    usable,
};
use crate::store::Account;
use crate::token::Token;

/// What a "log in again" came to.
pub(crate) enum Outcome {
    Done(String),
    /// No remembered key: ask for this (e.g. "secret key of alice (access key AK…)").
    NeedsSecret(String),
}

pub(crate) async fn log_in_again(
    services: &Services,
    at_exit: &AtExit,
    name: &str,
    secret: Option<LoginSecret>,
) -> Result<Outcome, TaskError> {
    let owned = name.to_owned();
    let found = services
        .door()
        .run(move |store| {
            let (meta, token) = store.get(&owned)?;
            let owner = owner_of(store, &meta, &token)?;
            let user = token.decode().ok().and_then(|d| d.claims.user);
            Ok((meta, token, user, owner))
        })
        .await
        .map_err(TaskError::from_error)?;
    let (meta, old, user, owner) = found;
    let Some(account) = owner else {
        let user = user.unwrap_or_else(|| "USER".to_owned());
        return Err(TaskError::new(
            FailureKind::NeedsNewToken,
            crate::tr!(
                "login.none_remembered",
                user = user,
                base_url = meta.base_url,
                command = login_command(None, &user, &meta.base_url)
            ),
        ));
    };

    // One login per account at a time, shared with auto-renew's re-login of dead tokens.
    let _turn = services.relogin.one_at_a_time(&account.id()).await;
    let now = services.clock.now();
    if secret.is_none() && replaced_meanwhile(services, name, &old, now).await {
        return Ok(Outcome::Done(crate::tr!(
            "login.already_fresh",
            name = name,
            user = account.user
        )));
    }
    let (store, client) = (&services.store, &services.client);
    let report = match secret {
        None => match relogin_account(store, client, &services.keys, &account, now).await {
            Err(LoginError::NoRememberedKey { .. }) => {
                return Ok(Outcome::NeedsSecret(prompt_for(&account)));
            }
            other => other,
        },
        Some(secret) => {
            let secret = SecretString::from(secret.expose().to_owned());
            let credential = match asks_for(&account) {
                LoginMethod::AccessKey => Credential::SecretKey(secret.clone()),
                LoginMethod::Password => Credential::Password(secret.clone()),
            };
            let report = login_and_store(store, client, &account, &credential, now).await;
            if report.is_ok() && matches!(credential, Credential::SecretKey(_)) {
                remember(services, &account, secret).await;
            }
            report
        }
    }
    .map_err(|mut error| {
        at_exit.login(&mut error);
        TaskError::from_error(error)
    })?;
    Ok(Outcome::Done(summary(&account, &report)))
}

/// Whether another login (waited for above) already replaced the token with a usable one.
async fn replaced_meanwhile(services: &Services, name: &str, old: &Token, now: Timestamp) -> bool {
    match services.door().get(name).await {
        Ok((_, current)) => &current != old && usable(&current, now),
        Err(_) => false,
    }
}

/// Keeps the secret key for next time; a failure only costs a prompt later, so it is logged.
async fn remember(services: &Services, account: &Account, secret: SecretString) {
    let (keys, id) = (services.keys.clone(), account.id());
    let saved = services.door().run(move |_| keys.set(&id, &secret)).await;
    if let Err(e) = saved {
        tracing::warn!(account = %account.id(), error = %e, "could not remember the secret key");
    }
}

/// The secret to ask for: the secret key when the account has an access key (it is then
/// remembered), else the password.
fn asks_for(account: &Account) -> LoginMethod {
    if account.access_key.is_some() {
        LoginMethod::AccessKey
    } else {
        LoginMethod::Password
    }
}

fn prompt_for(account: &Account) -> String {
    match asks_for(account) {
        LoginMethod::AccessKey => crate::tr!(
            "login.prompt_secret_key",
            user = account.user,
            access_key = account.access_key.as_deref().unwrap_or("?")
        ),
        LoginMethod::Password => crate::tr!("login.prompt_password", user = account.user),
    }
}

fn summary(account: &Account, report: &LoginReport) -> String {
    let mut text = crate::tr!(
        "login.summary",
        user = account.user,
        stored = report.stored.len(),
        added = report.added.len(),
        replaced = report.replaced.len()
    );
    if !report.skipped.is_empty() {
        let regions: Vec<&str> = report.skipped.iter().map(|s| s.region.as_str()).collect();
        text.push_str(&crate::tr!(
            "login.not_available",
            regions = regions.join(", ")
        ));
    }
    text
}
