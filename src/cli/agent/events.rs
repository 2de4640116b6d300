//! What the agent tells its followers (the dashboard, over `follow`): every request it served,
//! every approval it waits for and how each was settled. The last [`RECENT`] requests served
//! are kept, so a follower that connects now starts with them. A follower is never waited
//! for: its queue is bounded, and one that does not read is let go when its queue is full.

use crate::agent::protocol::Event;
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::mpsc;

/// How many served requests a new follower is shown first.
pub(crate) const RECENT: usize = 50;

/// Events queued for one follower before it counts as not reading and is let go: the recent
/// ones, every approval that can wait (`approvals::MAX_PENDING`), and room for a burst.
pub(crate) const QUEUE: usize = 256;

#[derive(Default)]
pub(crate) struct Events {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    recent: VecDeque<Event>,
    followers: Vec<mpsc::Sender<Event>>,
}

impl Events {
    /// Tells every follower; a follower whose queue is full or that is gone is dropped (its
    /// connection ends when it has written what was queued).
    pub(crate) fn publish(&self, event: Event) {
        let mut inner = lock(&self.inner);
        if matches!(event, Event::Served { .. }) {
            if inner.recent.len() == RECENT {
                inner.recent.pop_front();
            }
            inner.recent.push_back(event.clone());
        }
        inner
            .followers
            .retain(|follower| follower.try_send(event.clone()).is_ok());
    }

    /// A new follower: the recent requests served, then `waiting` (the approvals pending now),
    /// then every event published from now on.
    pub(crate) fn follow(&self, waiting: Vec<Event>) -> mpsc::Receiver<Event> {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let mut inner = lock(&self.inner);
        for event in inner.recent.iter().cloned().chain(waiting) {
            // Fits: the queue holds more than the recent ones and every pending approval.
            let _ = sender.try_send(event);
        }
        inner.followers.push(sender);
        receiver
    }

    /// Whether anyone follows (someone could answer an approval).
    pub(crate) fn followed(&self) -> bool {
        let mut inner = lock(&self.inner);
        inner.followers.retain(|follower| !follower.is_closed());
        !inner.followers.is_empty()
    }
}

/// The lock, whatever a panicking holder left: the queues stay usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::protocol::Decision;

    fn served(n: usize) -> Event {
        Event::Served {
            at: "2026-11-25T12:00:00Z".into(),
            request: "token".into(),
            name: Some(format!("华东一区【昆山】{n}")),
            pid: Some(4242),
            exe: Some("/usr/bin/python3".into()),
            forwarded: false,
            answer: "ok".into(),
        }
    }

    fn name_of(event: &Event) -> String {
        match event {
            Event::Served { name, .. } => name.clone().unwrap(),
            Event::Pending { name, .. } => format!("pending {name}"),
            Event::Settled { id, .. } => format!("settled {id}"),
        }
    }

    fn drain(receiver: &mut mpsc::Receiver<Event>) -> Vec<String> {
        let mut names = Vec::new();
        while let Ok(event) = receiver.try_recv() {
            names.push(name_of(&event));
        }
        names
    }

    #[test]
    fn a_new_follower_gets_the_last_50_served_then_the_waiting_ones_then_news() {
        let events = Events::default();
        for n in 0..60 {
            events.publish(served(n));
        }
        // Pending and settled events are news only: the waiting ones come from the approvals.
        events.publish(Event::Settled {
            id: 1,
            decision: Decision::Deny,
        });
        let waiting = Event::Pending {
            id: 2,
            name: "华东一区【昆山】".into(),
            pid: None,
            exe: None,
            forwarded: true,
            deadline: "2026-11-25T12:01:00Z".into(),
        };
        let mut follower = events.follow(vec![waiting]);
        events.publish(served(60));
        let names = drain(&mut follower);
        assert_eq!(names.len(), RECENT + 2, "{names:?}");
        assert_eq!(names[0], "华东一区【昆山】10");
        assert_eq!(names[RECENT - 1], "华东一区【昆山】59");
        assert_eq!(names[RECENT], "pending 华东一区【昆山】");
        assert_eq!(names[RECENT + 1], "华东一区【昆山】60");
        assert!(events.followed());
    }

    #[test]
    fn a_follower_that_does_not_read_is_let_go_and_the_others_keep_theirs() {
        let events = Events::default();
        let mut stalled = events.follow(Vec::new());
        let mut reading = events.follow(Vec::new());
        for n in 0..QUEUE + 10 {
            events.publish(served(n));
            // The reading follower keeps up.
            assert!(
                reading.try_recv().is_ok(),
                "event {n} did not reach the reader"
            );
        }
        // The stalled one got what its queue held, then its queue was closed.
        assert_eq!(drain(&mut stalled).len(), QUEUE);
        assert!(stalled.try_recv().is_err());
        assert!(stalled.is_closed());
        assert!(events.followed());
        drop(reading);
        assert!(!events.followed());
    }
}
