//! actoken's own files on disk: whether to believe them ([`trust`]: whose they are, who else
//! can change them) and reading them within a size limit ([`capped`]). A leaf: the config,
//! the store, the HTTP client (its ca-file) and the center cache all use it.

pub mod capped;
pub mod trust;

pub use trust::{Distrust, Role};
