//! Remembered logins: who logged in, how and where ([`Accounts`], `accounts.toml`, no
//! secrets), and their secret keys in the keyring ([`AccountKeys`], service
//! `<service>-accounts`), so a dead token can come back through a new login by itself.

mod accounts;
mod keys;

pub use accounts::{ACCOUNTS_VERSION, Account, Accounts, same_url};
pub use keys::{AccountKeys, accounts_service};
