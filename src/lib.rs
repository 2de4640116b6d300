//! actoken: keep, show, renew and hand out AC platform region tokens.
//!
//! Data flows one way: inputs (CLI, terminal, timers, network results) are turned into calls
//! on the core (`token`, `store`, `api`, `renew`), whose results the front ends render.

// The catalogs (locales/*.toml), compiled in; see `i18n`.
rust_i18n::i18n!("locales", fallback = "en");

pub mod account_info;
pub mod advice;
pub mod agent;
pub mod api;
#[cfg(feature = "testing")]
pub mod bench_probe;
pub mod blocking;
pub mod cli;
pub mod clipboard;
pub mod clock;
pub(crate) mod columns;
pub mod config;
pub mod core_dumps;
pub mod dashboard;
pub mod demo;
pub mod failure;
pub mod files;
pub mod i18n;
pub(crate) mod inert;
pub mod keymap;
pub mod login;
pub mod mock;
pub(crate) mod redact;
pub mod renew;
pub mod rescue;
#[cfg(feature = "testing")]
pub mod samples;
pub mod scnet_cli;
pub mod shell_quote;
pub mod signals;
pub mod store;
pub mod timefmt;
pub mod token;
pub mod token_env;
pub mod token_file;
#[cfg(feature = "testing")]
pub mod watchdog;
pub mod width;
