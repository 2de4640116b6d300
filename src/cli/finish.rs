//! The CLI's half of "an issued token outlives the process": while a renewal or login is in
//! flight, Ctrl-C, SIGTERM and SIGHUP do not kill the process. The first says what is being
//! finished (each request is bounded by the request timeout); a second abandons, says what,
//! and exits 130. Both notices go through the command's [`Io`]: a stderr nobody can write to
//! (`/dev/full`, a closed pipe) loses the notice, never the token.

use std::future::Future;

use super::streams::Io;
use super::streams::shown_value;
use crate::signals::Terminating;

/// Exit code after a second signal abandoned the work (128 + SIGINT, as shells report it).
pub(crate) const ABANDONED: i32 = 130;

/// Runs `work` to its end despite the first terminating signal. `what` names it for the user
/// ("renewing alice/华东一区【昆山】").
pub(crate) async fn despite_signals<T>(io: &Io, what: &str, work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    let Ok(mut signals) = Terminating::new() else {
        // Without signal handling the default applies; the work still runs.
        return work.await;
    };
    let mut asked = false;
    loop {
        tokio::select! {
            out = &mut work => return out,
            () = signals.next() => {
                if asked {
                    errln!(io, "{}", abandoned_text(what));
                    std::process::exit(ABANDONED);
                }
                asked = true;
                errln!(io, "{}", finishing_text(what));
            }
        }
    }
}

/// What `renew` and `token --min-valid` name while they finish ("renewing alice/西北一区").
/// A name typed on the command line is shown inert, and hidden if it is a token.
pub(crate) fn renewing(names: &[String]) -> String {
    match names {
        [one] => crate::tr!("finish.renewing_one", name = shown_value(one)),
        many => crate::tr!("finish.renewing_many", n = many.len()),
    }
}

fn finishing_text(what: &str) -> String {
    crate::tr!("finish.finishing", what = what)
}

fn abandoned_text(what: &str) -> String {
    crate::tr!("finish.abandoned", what = what)
}
