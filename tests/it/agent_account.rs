//! The account behind the tokens (`GET /ac/openapi/v2/user`), as the client reads it from the
//! mock AC server. What `login` and `accounts` make of it runs in-process, in
//! `cli_in_process`.

use actoken::api::{AcClient, ClientOptions};
use actoken::mock::BOB;

use crate::support::{self, Mock};

#[test]
fn the_client_reads_the_account_and_the_mock_refuses_a_dead_token() {
    let mock = Mock::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = AcClient::new(&ClientOptions::default()).unwrap();
    let t = support::token("bob", jiff::SignedDuration::from_hours(2));
    let info = rt.block_on(client.user_info(&mock.url(), &t)).unwrap();
    assert_eq!(info.user_name.as_deref(), Some("bob"));
    assert_eq!(info.account_status.as_deref(), Some(BOB.account_status));
    assert_eq!(info.account_balance.as_deref(), Some(BOB.balance));
    let expired = support::token("bob", jiff::SignedDuration::from_hours(-1));
    let err = rt
        .block_on(client.user_info(&mock.url(), &expired))
        .unwrap_err();
    assert!(err.token_rejected(), "{err}");
    assert!(!err.to_string().contains(expired.expose()));
}
