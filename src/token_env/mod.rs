//! The environment a token is used in: the variables `actoken env` prints and `actoken exec`
//! hands to a child, built from a stored token, its claims and its region's service addresses.
//!
//! - [`vars`]: which variables, named how (one token, or several with `--also`).
//! - [`shell`]: printing them for `eval` in sh/fish/PowerShell, as dotenv or JSON.
//! - [`handoff`]: the same facts as one versioned JSON object (`actoken token NAME --json`).
//! - [`center_cache`]: the region's service addresses (`center`), cached briefly in a
//!   non-secret file so that `exec` stays fast.

pub mod center_cache;
pub mod handoff;
pub mod shell;
pub mod vars;

pub use center_cache::{CENTER_CACHE_TTL, CenterCache, ServiceAddrs};
pub use shell::EnvFormat;
pub use vars::{Also, Subject, Vars, also_vars, primary_vars, suffix_for};
