//! The agent: one process that holds the store and hands tokens to other processes of the
//! same user over a Unix socket, also on other machines through an SSH forward of that
//! socket (as ssh-agent and oidc-agent do), so that secret keys and the keyring stay on one
//! machine. Renewals happen on the agent's side; a client only ever reads.
//!
//! - [`protocol`]: what travels (line-delimited JSON, versioned);
//! - [`socket`]: where the agent listens, and taking that place safely;
//! - [`peer`]: who is asking (the kernel's word) and who may;
//! - [`server`]: the listening loop and its limits;
//! - [`client`]: asking an agent;
//! - [`follow`]: following an agent's events and answering its approvals (the dashboard).
//!
//! What a request means on the agent's side is `cli::agent`'s business.

pub mod client;
pub mod follow;
pub mod peer;
pub mod protocol;
pub mod server;
pub mod socket;
