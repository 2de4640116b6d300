//! `actoken` (no command) and `actoken demo`: the dashboard on the real keyring, or on the
//! built-in mock server with an in-memory store.

use std::io::IsTerminal;

use jiff::tz::TimeZone;

use crate::api::{AcClient, ClientOptions};
use crate::clipboard::Clipboard;
use crate::clock::Clock;
use crate::config::Config;
use crate::dashboard::app::App;
use crate::dashboard::tui::{self, Services};
use crate::login::Relogin;
use crate::renew::Renewer;
use crate::{demo, store::StoreError};

use super::args::GlobalArgs;
use super::context::{Context, runtime};
use super::exit::UsageError;

pub fn open(ctx: &Context, global: &GlobalArgs) -> anyhow::Result<()> {
    need_terminal()?;
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
    };
    let clipboard = Clipboard::for_terminal(global.no_system_clipboard);
    runtime().block_on(tui::run(app, services, clipboard))
}

/// Demo mode ignores the user's config file and keyring on purpose: it must work on any machine.
pub fn demo(global: &GlobalArgs) -> anyhow::Result<()> {
    need_terminal()?;
    let config = Config::default();
    runtime().block_on(async {
        let demo = demo::start(Clock::system().now()).await?;
        let client = AcClient::new(&ClientOptions::from_config(&config))?;
        let relogin = Relogin::new(demo.keys.clone());
        let renewer =
            Renewer::new(demo.store.clone(), client.clone(), &config).with_relogin(relogin.clone());
        let app = App::new(&config, TimeZone::system(), true, !global.no_color);
        let services = Services {
            store: demo.store.clone(),
            renewer,
            client,
            keys: demo.keys.clone(),
            relogin,
            clock: Clock::system(),
        };
        let clipboard = Clipboard::for_terminal(global.no_system_clipboard);
        tui::run(app, services, clipboard).await
    })
}

fn need_terminal() -> anyhow::Result<()> {
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(UsageError(
        "the dashboard needs a terminal; in scripts use a command such as `actoken list` (see `actoken --help`)".into(),
    )
    .into())
}
