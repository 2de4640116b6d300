//! The account behind the tokens (`GET /ac/openapi/v2/user`, asked with the account's platform
//! token), for `login` (why a region came without a token), `accounts` and the dashboard's
//! details pane (status, balance).

use std::time::Duration;

use crate::api::{AcClient, UserInfo};
use crate::store::Store;
use crate::token::Token;

/// A slow platform must not hold up `login` or `accounts` for the whole request timeout.
const WAIT: Duration = Duration::from_secs(5);

/// The account's information, or why it could not be had (one line, no secret).
pub(crate) async fn fetch(
    client: &AcClient,
    base_url: &str,
    platform_token: &Token,
) -> Result<UserInfo, String> {
    match tokio::time::timeout(WAIT, client.user_info(base_url, platform_token)).await {
        Ok(Ok(info)) => Ok(info),
        Ok(Err(e)) if e.token_rejected() => {
            Err("the platform token was refused (renew or log in again)".to_owned())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {}s", WAIT.as_secs())),
    }
}

/// The stored platform token (`USER/ac`) that the login with this [`crate::store::Account::id`]
/// stored. Blocks (keyring).
pub(crate) fn platform_token(store: &Store, account_id: &str) -> Option<Token> {
    let entry = store
        .entries()
        .into_iter()
        .find(|e| e.platform && e.account.as_deref() == Some(account_id))?;
    store.get(&entry.name).ok().map(|(_, token)| token)
}
