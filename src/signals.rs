//! The signals that ask actoken to end (SIGTERM, SIGHUP, SIGINT), caught instead of killing
//! the process, so that the dashboard and the CLI can first store a token the server issued.

/// Once created, these signals no longer end the process by themselves.
pub(crate) struct Terminating {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Terminating {
    pub fn new() -> std::io::Result<Terminating> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Terminating {
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Terminating {})
    }

    /// Waits for the next one.
    pub(crate) async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }

    /// One item per signal, for a `select!` loop.
    pub(crate) fn into_stream(self) -> impl futures::Stream<Item = ()> + Unpin {
        Box::pin(futures::stream::unfold(self, |mut signals| async move {
            signals.next().await;
            Some(((), signals))
        }))
    }
}
