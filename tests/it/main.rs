//! The integration tests, as one test binary (one link of the crate instead of one per file,
//! as ripgrep and fd do). Each module was a file of its own under tests/; `support` is shared.
//! Under plain `cargo test` every module's tests are threads of one process, so process-wide
//! state (the tracing subscriber, the panic hook) is set up in ways that let them share it;
//! under `cargo nextest run` each test still runs in a process of its own.

#[macro_use]
mod support;

mod agent;
mod agent_account;
mod agent_clients;
mod agent_env;
#[cfg(unix)]
mod agent_flood;
mod agent_gate;
mod agent_install;
#[cfg(unix)]
mod agent_peers;
#[cfg(unix)]
mod agent_ssh;
mod agent_watch;
mod api_client;
mod api_login;
mod bad_input;
mod broken_output;
mod catalogs;
mod cli;
mod cli_in_process;
mod concurrency;
mod core_dumps;
mod decoder_props;
mod doctor;
mod dotenv;
mod fault_matrix;
mod fidelity;
#[cfg(unix)]
mod foreign_files;
mod headless;
mod hostile_text;
mod import_scnet_cli;
mod issued_tokens;
mod leaks;
mod live_tokens;
mod login;
#[cfg(unix)]
mod no_input;
mod renewal_races;
mod scnet_exec;
mod second_client;
mod self_heal;
mod signals;
mod store_keyring;
mod suggested_commands;
mod tui_e2e;
mod typed_tokens;
