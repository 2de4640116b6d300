//! `actoken doctor [--json]`: one screen that says what works and what to do. Runs even when
//! the config is broken or no store can be opened (that is when it is needed most); exits 0
//! when everything actoken needs works.
//!
//! People read the findings in the interface language; `--json` runs the whole check in
//! English (findings, reasons, problems), as every JSON output of actoken is English.

mod files;
mod report;
mod scnet;
mod servers;
mod setup;
mod store;

use std::sync::Arc;

use super::streams::Io;
use serde::Serialize;

use crate::config::Paths;
use crate::i18n::{self, Lang};

use super::context::Context;
use super::exit;
use super::global::GlobalArgs;
use clap::Args;
use report::{Finding, Findings};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    store: store::StoreFacts,
    index: files::IndexFacts,
    config: files::ConfigFacts,
    servers: Vec<servers::ServerFacts>,
    accounts: Vec<files::AccountFacts>,
    setup: setup::SetupFacts,
    scnet_cli: scnet::ScnetCliFacts,
    findings: &'a [Finding],
}

pub(crate) fn run(global: &GlobalArgs, args: DoctorArgs, io: Arc<Io>) -> anyhow::Result<u8> {
    let paths = Paths::from_env()?;
    let (config, config_facts) = files::load_config(&Context::config_file(global, &paths));
    // Context::new puts the config's `language` in force; --json then overrides it.
    let ctx = Context::new(global, paths, config, io)?;
    if args.json {
        i18n::set(Lang::En);
    }
    let mut f = Findings::default();
    files::report_config(&config_facts, &mut f);
    files::report_ca_file(&ctx.config, &mut f);
    let (entries, index_facts) = files::index(&ctx.paths, &mut f);
    let store_facts = store::check(&ctx, &entries, &mut f);
    files::report_state(&ctx.paths, &mut f);
    let (accounts, account_facts) = files::accounts(&ctx, store_facts.in_use, &mut f);
    let server_facts = servers::check(&ctx.config, &entries, &accounts, &mut f);
    let setup_facts = setup::check(&mut f);
    let scnet_facts = scnet::check(crate::scnet_cli::ScnetHome::from_env(), &mut f);
    let ok = f.all_needed_work();
    if args.json {
        let report = Report {
            ok,
            store: store_facts,
            index: index_facts,
            config: config_facts,
            servers: server_facts,
            accounts: account_facts,
            setup: setup_facts,
            scnet_cli: scnet_facts,
            findings: &f.0,
        };
        exactln!(ctx.io, "{}", serde_json::to_string_pretty(&report)?);
    } else {
        out!(ctx.io, "{}", f.render());
    }
    Ok(if ok { exit::OK } else { exit::FAILURE })
}
