//! `actoken demo`: the dashboard on the built-in mock server with an in-memory store; the
//! user's config file and keyring are never touched.

use super::context::runtime;
use super::dashboard::need_terminal;
use super::global::GlobalArgs;
use crate::api::{AcClient, ClientOptions};
use crate::clipboard::Clipboard;
use crate::clock::Clock;
use crate::config::Config;
use crate::dashboard::app::App;
use crate::dashboard::tui::{self, Observer, Services};
use crate::demo;
use crate::login::Relogin;
use crate::renew::Renewer;
use jiff::tz::TimeZone;

/// Demo mode ignores the user's config file and keyring on purpose: it must work on any machine.
pub(crate) fn run(global: &GlobalArgs, observer: &mut dyn Observer) -> anyhow::Result<()> {
    need_terminal(global)?;
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
            // The demo's store is not the one a real agent serves: its requests stay out.
            agent: None,
        };
        let clipboard = Clipboard::for_terminal(global.no_system_clipboard);
        tui::run(app, services, clipboard, observer).await
    })
}
