//! The agent's log: one line per request (the time, the request, the token's name, the asking
//! process and whether it came over a forward, the answer), never the token; in watch's
//! format (syslog priorities under journald, local times elsewhere). Each line is also an
//! [`Event::Served`] for the followers (the dashboard).

use super::super::watch::log::{Level, line};
use super::events::Events;
use crate::agent::protocol::Event;
use crate::agent::server::{Journal, Served};
use crate::clock::Clock;
use std::path::Path;
use std::sync::Arc;

pub(super) fn to_log_and_followers(events: Arc<Events>, clock: Clock) -> Journal {
    Arc::new(move |served: &Served| {
        let level = if served.answer.starts_with("ok") {
            Level::Info
        } else {
            Level::Warning
        };
        line(level, &describe(served));
        events.publish(event(served, clock));
    })
}

/// The log line's facts as an event (the time on the agent's clock, to the second).
fn event(served: &Served, clock: Clock) -> Event {
    let now = clock.now();
    let at = now.round(jiff::Unit::Second).unwrap_or(now);
    let peer = served.peer.as_ref();
    Event::Served {
        at: at.to_string(),
        request: served.request.clone(),
        name: served.name.clone(),
        pid: peer.and_then(|p| p.pid),
        exe: peer
            .and_then(|p| p.exe.as_ref())
            .map(|e| e.display().to_string()),
        forwarded: peer.is_some_and(crate::agent::peer::Peer::forwarded),
        answer: served.answer.clone(),
    }
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

pub(super) fn unknown_name(name: &str) {
    line(
        Level::Warning,
        &format!("[agent] in the config names {name}, which is not a stored token"),
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

    #[tokio::test(start_paused = true)]
    async fn every_line_is_also_an_event_for_the_followers_on_the_agent_s_clock() {
        let _watchdog = crate::watchdog::arm();
        let events = Arc::new(Events::default());
        let mut follower = events.follow(Vec::new());
        let start: jiff::Timestamp = "2026-11-25T12:00:00.400Z".parse().unwrap();
        let journal = to_log_and_followers(Arc::clone(&events), Clock::starting_at(start));
        journal(&Served {
            peer: Some(Peer {
                uid: 1000,
                pid: Some(4242),
                exe: Some("/usr/bin/ssh".into()),
            }),
            request: "token".into(),
            name: Some("华东一区【昆山】".into()),
            answer: "denied".into(),
        });
        let event = serde_json::to_value(follower.try_recv().unwrap()).unwrap();
        assert_eq!(
            event,
            serde_json::json!({
                "event": "served",
                "at": "2026-11-25T12:00:00Z",
                "request": "token",
                "name": "华东一区【昆山】",
                "pid": 4242,
                "exe": "/usr/bin/ssh",
                "forwarded": true,
                "answer": "denied",
            })
        );
    }
}
