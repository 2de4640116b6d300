//! The platform's public deployment (SCNet), by name: the access-key login on one host and
//! everything else (renewal, `center`, `user`, `tokens/state`) on another. Other deployments
//! are configuration (`--base-url`, `--auth-url`); these two are what `actoken login` uses
//! when nothing else says where to go, and what messages point to.

/// Renewal, `center`, `user` and `tokens/state` on the public deployment.
pub const PUBLIC_BASE_URL: &str = "https://www.scnet.cn";
/// The access-key login (`POST /api/user/v3/tokens`) on the public deployment.
pub const PUBLIC_AUTH_URL: &str = "https://api.scnet.cn";
