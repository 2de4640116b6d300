//! scnet-cli, the platform's Python command-line tool, and its plain-text files: where they
//! are ([`files::ScnetHome`], honouring `SCNET_HOME`), what a profile holds
//! ([`files::Profile`], exactly scnet-cli's keys) and the region tokens its cache keeps
//! ([`files::CachedToken`]). Reading only; `import`, `doctor` and `exec --scnet-cli` build on it.

pub mod files;
pub mod scrub;

pub use files::{
    CachedToken, Config, FileError, FileProblem, PROFILE_KEYS, Profile, ScnetHome, read_cache,
    read_config,
};
