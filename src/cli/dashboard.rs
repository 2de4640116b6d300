//! `actoken` with no command: the dashboard on the store in use.

use super::context::{Context, runtime};
use super::exit::{NoInput, UsageError};
use super::global::GlobalArgs;
use crate::clipboard::Clipboard;
use crate::dashboard::app::App;
use crate::dashboard::tui::{self, Observer, Services};
use crate::login::Relogin;
use crate::renew::Renewer;
use crate::store::StoreError;
use jiff::tz::TimeZone;
use std::io::IsTerminal;

pub fn open(ctx: &Context, global: &GlobalArgs, observer: &mut dyn Observer) -> anyhow::Result<()> {
    need_terminal(global)?;
    // Finding the system time zone (jiff may scan /usr/share/zoneinfo) overlaps the rest.
    let (opened, tz) = std::thread::scope(|s| {
        let tz = s.spawn(TimeZone::system);
        let opened = ctx.store_and_client();
        let tz = tz.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (opened, tz)
    });
    let (store, client) = opened.map_err(|e| match e.downcast::<StoreError>() {
        Ok(store_error) if store_error.is_unavailable() => anyhow::Error::from(store_error)
            .context("cannot open the dashboard (try `actoken demo` to see it without a keyring)"),
        Ok(other) => other.into(),
        Err(e) => e,
    })?;
    let keys = ctx.account_keys()?;
    let relogin = Relogin::new(keys.clone());
    let renewer =
        Renewer::new(store.clone(), client.clone(), &ctx.config).with_relogin(relogin.clone());
    let app = App::new(&ctx.config, tz, false, !global.no_color);
    let services = Services {
        store,
        renewer,
        client,
        keys,
        relogin,
        clock: ctx.clock,
        // An agent beside the dashboard listens on the default socket (with an agent in use,
        // ACTOKEN_AGENT_SOCK or --agent, the dashboard does not open at all); --no-agent
        // leaves it alone.
        agent: (!global.no_agent).then(crate::agent::socket::default_path),
    };
    let clipboard = Clipboard::for_terminal(global.no_system_clipboard);
    runtime().block_on(tui::run(app, services, clipboard, observer))
}

/// A terminal with a person at it: the dashboard waits for keys.
pub(super) fn need_terminal(global: &GlobalArgs) -> anyhow::Result<()> {
    if global.no_input {
        let command = "`actoken list` (or `actoken watch --once`)";
        return Err(NoInput(crate::tr!("input.no_input", command = command)).into());
    }
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(UsageError(crate::tr!("usage.needs_terminal")).into())
}
