//! The agent's log: one line per request (the time, the request, the token's name, the asking
//! process and whether it came over a forward, the answer), never the token; in watch's
//! format (syslog priorities under journald, local times elsewhere).

use super::super::watch::log::{Level, line};
use crate::agent::server::{Journal, Served};
use std::path::Path;
use std::sync::Arc;

pub(super) fn to_log() -> Journal {
    Arc::new(|served: &Served| {
        let level = if served.answer.starts_with("ok") {
            Level::Info
        } else {
            Level::Warning
        };
        line(level, &describe(served));
    })
}

pub(super) fn listening(path: &Path, allow_root: bool) {
    let root = if allow_root {
        " (root's processes too)"
    } else {
        ""
    };
    line(
        Level::Info,
        &format!(
            "agent listening on {}, answering uid {}{root}",
            path.display(),
            crate::agent::socket::current_uid()
        ),
    );
}

/// `token 华东一区【昆山】 from uid 1000 pid 4242 /usr/bin/actoken (local): ok (renewed)`
fn describe(served: &Served) -> String {
    let name = served
        .name
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    let peer = served
        .peer
        .as_ref()
        .map_or_else(|| "an unknown peer".to_owned(), ToString::to_string);
    format!("{}{name} from {peer}: {}", served.request, served.answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::peer::Peer;

    #[test]
    fn a_line_names_request_token_process_and_answer() {
        let served = Served {
            peer: Some(Peer {
                uid: 1000,
                pid: Some(4242),
                exe: Some("/usr/bin/ssh".into()),
            }),
            request: "token".into(),
            name: Some("华东一区【昆山】".into()),
            answer: "ok (renewed)".into(),
        };
        assert_eq!(
            describe(&served),
            "token 华东一区【昆山】 from uid 1000 pid 4242 /usr/bin/ssh (forwarded): ok (renewed)"
        );
    }
}
