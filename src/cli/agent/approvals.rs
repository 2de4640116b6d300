//! Approvals (`agent --confirm`, `[agent] confirm-tokens`): a `token` request waits until a
//! person allows it (once, or the same token for the same kind of peer for 30 minutes) or
//! denies it, at the dashboard (an [`Event::Pending`] to every follower, answered with
//! `decide`) or at the agent's terminal, whichever answers first. Nobody answering in time is
//! a denial. At most [`MAX_PENDING`] requests wait at once, so a flood cannot grow memory.

use super::super::watch::log::{Level, line};
use super::events::Events;
use crate::agent::peer::Peer;
use crate::agent::protocol::{Decision, ErrorKind, Event};
use crate::clock::Clock;
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Requests that may wait for a person at once; one more is answered `busy`.
pub(crate) const MAX_PENDING: usize = 32;

/// How long "for 30 min" lets the same token through for the same kind of peer.
pub(crate) const GRANT: SignedDuration = SignedDuration::from_mins(30);

/// Why a held request was not let through: the client's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A person denied it.
    Denied,
    /// Nobody answered within the deadline.
    NoAnswer(Duration),
    /// No terminal and no follower: nobody could have answered.
    NobodyCanAnswer,
    /// [`MAX_PENDING`] requests wait already.
    TooMany,
    /// The agent was locked, or is stopping, while it waited.
    Withdrawn { kind: ErrorKind, why: String },
}

impl Refusal {
    pub(crate) fn kind(&self) -> ErrorKind {
        match self {
            Refusal::Denied | Refusal::NoAnswer(_) | Refusal::NobodyCanAnswer => ErrorKind::Denied,
            Refusal::TooMany => ErrorKind::Busy,
            Refusal::Withdrawn { kind, .. } => *kind,
        }
    }

    /// The reason, as the client shows it (English: the agent's language).
    pub(crate) fn message(&self, name: &str) -> String {
        match self {
            Refusal::Denied => format!("{name}: denied by a person at the agent"),
            Refusal::NoAnswer(waited) => {
                format!("{name}: nobody answered within {} s", waited.as_secs())
            }
            Refusal::NobodyCanAnswer => format!(
                "{name}: nobody can answer: it waits for a person's approval, and the agent has \
                 no terminal and no dashboard follows it (run the agent in a terminal, or open \
                 actoken's dashboard on its machine)"
            ),
            Refusal::TooMany => {
                format!("{name}: {MAX_PENDING} requests already wait for approval; try again later")
            }
            Refusal::Withdrawn { why, .. } => format!("{name}: {why}"),
        }
    }
}

/// Somewhere besides the followers where a person is asked (the agent's terminal).
pub(crate) trait Asker: Send + Sync {
    /// Whether a person can be asked there now.
    fn can_ask(&self) -> bool;
    fn ask(&self, asked: Asked);
}

/// A request waiting, as the agent's terminal asks about it.
#[derive(Debug, Clone)]
pub(crate) struct Asked {
    pub id: u64,
    pub name: String,
    /// `pid 4242 /usr/bin/python3`, or `an unknown process`.
    pub process: String,
    pub forwarded: bool,
}

pub(crate) struct Approvals {
    timeout: Duration,
    clock: Clock,
    events: Arc<Events>,
    /// The agent's terminal, when it asks too.
    terminal: OnceLock<Box<dyn Asker>>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    waiting: BTreeMap<u64, Waiting>,
    /// "For 30 min" answers, until when.
    grants: HashMap<Grant, Timestamp>,
    /// Set when the agent stops: no request is put in line any more.
    closed: Option<(ErrorKind, String)>,
}

/// What "for 30 min" lets through: a token, for local or for forwarded peers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Grant {
    name: String,
    forwarded: bool,
}

struct Waiting {
    grant: Grant,
    /// The `pending` event, for followers that come later.
    event: Event,
    /// `token 华东一区【昆山】 from uid 1000 pid 4242 … (local)`, for the log.
    what: String,
    answer: oneshot::Sender<Verdict>,
}

#[derive(Debug)]
enum Verdict {
    Allowed,
    Denied,
    Withdrawn(ErrorKind, String),
}

impl Approvals {
    pub(crate) fn new(timeout: Duration, clock: Clock, events: Arc<Events>) -> Approvals {
        Approvals {
            timeout,
            clock,
            events,
            terminal: OnceLock::new(),
            state: Mutex::new(State::default()),
        }
    }

    /// Every request waiting from now on is also put to `terminal` (the agent's own).
    pub(crate) fn ask_terminal_too(&self, terminal: Box<dyn Asker>) {
        let _ = self.terminal.set(terminal);
    }

    /// Waits until a person allows `peer` to have the token `name` (at once when "for 30
    /// min" allowed it lately); the refusal otherwise.
    pub(crate) async fn ask(&self, name: &str, peer: &Peer) -> Result<(), Refusal> {
        let (id, mut answer) = match self.wait_in_line(name, peer)? {
            InLine::Granted => return Ok(()),
            InLine::Waiting(id, answer) => (id, answer),
        };
        // A request dropped while waiting (its connection's time ran out) leaves the line.
        let leaving = Leaving {
            approvals: self,
            id,
        };
        let verdict = match tokio::time::timeout(self.timeout, &mut answer).await {
            Ok(verdict) => verdict.ok(),
            // Unless a person answered just now, the deadline denies it.
            Err(_) if self.settle(id, Decision::Deny, "nobody answered in time") => {
                return Err(Refusal::NoAnswer(self.timeout));
            }
            Err(_) => answer.try_recv().ok(),
        };
        drop(leaving);
        match verdict {
            Some(Verdict::Allowed) => Ok(()),
            Some(Verdict::Denied) => Err(Refusal::Denied),
            Some(Verdict::Withdrawn(kind, why)) => Err(Refusal::Withdrawn { kind, why }),
            // Every way out of the line sends a verdict first.
            None => Err(Refusal::Withdrawn {
                kind: ErrorKind::Failure,
                why: "the approval was lost".to_owned(),
            }),
        }
    }

    /// Puts the request in line (told to followers and to the terminal); or lets it through
    /// at once ("for 30 min"); or refuses it when nobody could answer or the line is full.
    fn wait_in_line(&self, name: &str, peer: &Peer) -> Result<InLine, Refusal> {
        let grant = Grant {
            name: name.to_owned(),
            forwarded: peer.forwarded(),
        };
        let mut state = lock(&self.state);
        if let Some((kind, why)) = &state.closed {
            let (kind, why) = (*kind, why.clone());
            return Err(Refusal::Withdrawn { kind, why });
        }
        let now = self.clock.now();
        state.grants.retain(|_, until| *until > now);
        if state.grants.contains_key(&grant) {
            return Ok(InLine::Granted);
        }
        let terminal = self.terminal.get().filter(|t| t.can_ask());
        if terminal.is_none() && !self.events.followed() {
            return Err(Refusal::NobodyCanAnswer);
        }
        if state.waiting.len() >= MAX_PENDING {
            return Err(Refusal::TooMany);
        }
        state.next_id += 1;
        let id = state.next_id;
        let deadline = SignedDuration::try_from(self.timeout)
            .ok()
            .and_then(|wait| now.checked_add(wait).ok())
            .and_then(|at| at.round(jiff::Unit::Second).ok())
            .unwrap_or(Timestamp::MAX);
        let event = Event::Pending {
            id,
            name: name.to_owned(),
            pid: peer.pid,
            exe: peer.exe.as_ref().map(|e| e.display().to_string()),
            forwarded: grant.forwarded,
            deadline: deadline.to_string(),
        };
        let (answer, answered) = oneshot::channel();
        let what = format!("token {name} from {peer}");
        line(
            Level::Info,
            &format!("approval #{id}: {what} waits for a person"),
        );
        let forwarded = grant.forwarded;
        let waiting = Waiting {
            grant,
            event: event.clone(),
            what,
            answer,
        };
        state.waiting.insert(id, waiting);
        self.events.publish(event);
        if let Some(terminal) = terminal {
            terminal.ask(Asked {
                id,
                name: name.to_owned(),
                process: process_of(peer),
                forwarded,
            });
        }
        Ok(InLine::Waiting(id, answered))
    }

    /// A person's answer to request `id`; `by` says where it came from (for the log). "For
    /// 30 min" also lets through the requests waiting for the same token and kind of peer.
    pub(crate) fn decide(&self, id: u64, decision: Decision, by: &str) -> Result<(), String> {
        if !self.settle(id, decision, by) {
            return Err(format!(
                "no request waits for approval #{id}: it was answered, or its time ran out"
            ));
        }
        Ok(())
    }

    /// Settles `id` if it still waits (false when it does not): its verdict to the request,
    /// `settled` to the followers, a line to the log.
    fn settle(&self, id: u64, decision: Decision, by: &str) -> bool {
        let mut state = lock(&self.state);
        let Some(waiting) = state.waiting.remove(&id) else {
            return false;
        };
        let grant = waiting.grant.clone();
        let verdict = match decision {
            Decision::Deny => Verdict::Denied,
            Decision::Once | Decision::For30Min => Verdict::Allowed,
        };
        self.answer(id, waiting, decision, verdict, by);
        if decision == Decision::For30Min {
            let until = self
                .clock
                .now()
                .checked_add(GRANT)
                .unwrap_or(Timestamp::MAX);
            state.grants.insert(grant.clone(), until);
            let same: Vec<u64> = state
                .waiting
                .iter()
                .filter(|(_, w)| w.grant == grant)
                .map(|(id, _)| *id)
                .collect();
            for other in same {
                if let Some(waiting) = state.waiting.remove(&other) {
                    let by = format!("{by} (for #{id})");
                    self.answer(other, waiting, decision, Verdict::Allowed, &by);
                }
            }
        }
        true
    }

    fn answer(&self, id: u64, waiting: Waiting, decision: Decision, verdict: Verdict, by: &str) {
        let said = match decision {
            Decision::Once => "allowed once",
            Decision::For30Min => "allowed for 30 min",
            Decision::Deny => "denied",
        };
        let level = match verdict {
            Verdict::Allowed => Level::Info,
            Verdict::Denied | Verdict::Withdrawn(..) => Level::Warning,
        };
        line(
            level,
            &format!("approval #{id}: {}: {said}, {by}", waiting.what),
        );
        let _ = waiting.answer.send(verdict);
        self.events.publish(Event::Settled { id, decision });
    }

    /// Denies every waiting request with `kind` and `why` (the agent was locked, or stops).
    pub(crate) fn withdraw_all(&self, kind: ErrorKind, why: &str) {
        let mut state = lock(&self.state);
        for (id, waiting) in std::mem::take(&mut state.waiting) {
            let verdict = Verdict::Withdrawn(kind, why.to_owned());
            self.answer(id, waiting, Decision::Deny, verdict, why);
        }
    }

    /// Denies every waiting request and every later one with `kind` and `why`: the agent
    /// stops, and a request it took meanwhile must not wait for a person who is not asked.
    pub(crate) fn close(&self, kind: ErrorKind, why: &str) {
        lock(&self.state).closed = Some((kind, why.to_owned()));
        self.withdraw_all(kind, why);
    }

    /// Forgets every "for 30 min" (the agent was locked: after unlock, each is asked again).
    pub(crate) fn forget_grants(&self) {
        lock(&self.state).grants.clear();
    }

    /// Whether request `id` still waits (the terminal stops asking about one that does not).
    pub(crate) fn waiting(&self, id: u64) -> bool {
        lock(&self.state).waiting.contains_key(&id)
    }

    /// A new follower: the recent requests, then the ones waiting now, then the news. Under
    /// the line's lock, so that no request put in line meanwhile is missed or told twice.
    pub(crate) fn follow(&self) -> mpsc::Receiver<Event> {
        let state = lock(&self.state);
        let waiting = state.waiting.values().map(|w| w.event.clone()).collect();
        self.events.follow(waiting)
    }
}

enum InLine {
    Granted,
    Waiting(u64, oneshot::Receiver<Verdict>),
}

/// `pid 4242 /usr/bin/python3`: the asking process, as a person recognizes it.
fn process_of(peer: &Peer) -> String {
    let pid = peer.pid.map(|pid| format!("pid {pid}"));
    let exe = peer
        .exe
        .as_ref()
        .map(|e| crate::inert::inert(&e.to_string_lossy()).into_owned());
    match (pid, exe) {
        (Some(pid), Some(exe)) => format!("{pid} {exe}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "an unknown process".to_owned(),
    }
}

/// Takes a request out of the line when its future is dropped while it waits.
struct Leaving<'a> {
    approvals: &'a Approvals,
    id: u64,
}

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        self.approvals
            .settle(self.id, Decision::Deny, "the request was given up");
    }
}

/// The lock, whatever a panicking holder left.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const NAME: &str = "华东一区【昆山】";

    fn peer(exe: &str) -> Peer {
        Peer {
            uid: 1000,
            pid: Some(4242),
            exe: Some(PathBuf::from(exe)),
        }
    }

    fn local() -> Peer {
        peer("/usr/bin/python3")
    }

    fn forwarded() -> Peer {
        peer("/usr/bin/ssh")
    }

    fn approvals(timeout: u64) -> Arc<Approvals> {
        let start: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
        Arc::new(Approvals::new(
            Duration::from_secs(timeout),
            Clock::starting_at(start),
            Arc::new(Events::default()),
        ))
    }

    /// `name` asked for by `peer` on a task of its own.
    fn asking(
        approvals: &Arc<Approvals>,
        name: &str,
        peer: Peer,
    ) -> tokio::task::JoinHandle<Result<(), Refusal>> {
        let (approvals, name) = (Arc::clone(approvals), name.to_owned());
        tokio::spawn(async move { approvals.ask(&name, &peer).await })
    }

    /// The next pending event's id and name (waiting at most a minute of tokio's time).
    async fn next_pending(follower: &mut mpsc::Receiver<Event>) -> (u64, String, bool) {
        loop {
            let event = tokio::time::timeout(Duration::from_secs(60), follower.recv())
                .await
                .expect("a pending event")
                .expect("an open queue");
            if let Event::Pending {
                id,
                name,
                forwarded,
                pid,
                exe,
                ..
            } = event
            {
                assert_eq!(pid, Some(4242));
                assert!(exe.is_some());
                return (id, name, forwarded);
            }
        }
    }

    /// Whether a pending event is queued now (after the tasks ran as far as they can).
    async fn pending_now(follower: &mut mpsc::Receiver<Event>) -> bool {
        tokio::time::sleep(Duration::from_millis(1)).await;
        std::iter::from_fn(|| follower.try_recv().ok()).any(|e| matches!(e, Event::Pending { .. }))
    }

    #[tokio::test(start_paused = true)]
    async fn once_lets_one_request_through_and_the_next_one_is_asked_again() {
        let _watchdog = crate::watchdog::arm();
        let approvals = approvals(60);
        let mut follower = approvals.follow();
        let first = asking(&approvals, NAME, local());
        let (id, name, forwarded) = next_pending(&mut follower).await;
        assert_eq!((name.as_str(), forwarded), (NAME, false));
        approvals.decide(id, Decision::Once, "by test").unwrap();
        assert_eq!(first.await.unwrap(), Ok(()));
        // Answered already: a second answer is refused.
        assert!(approvals.decide(id, Decision::Deny, "by test").is_err());

        let second = asking(&approvals, NAME, local());
        let (again, ..) = next_pending(&mut follower).await;
        assert_ne!(again, id);
        approvals.decide(again, Decision::Deny, "by test").unwrap();
        let refusal = second.await.unwrap().unwrap_err();
        assert_eq!(refusal, Refusal::Denied);
        assert_eq!(refusal.kind(), ErrorKind::Denied);
        assert!(refusal.message(NAME).contains("denied by a person"));
    }

    #[tokio::test(start_paused = true)]
    async fn for_30_min_lets_the_same_token_and_kind_of_peer_through_until_it_runs_out() {
        let _watchdog = crate::watchdog::arm();
        let approvals = approvals(60);
        let mut follower = approvals.follow();
        // Two local requests and a forwarded one wait for the same token.
        let first = asking(&approvals, NAME, local());
        let (id, ..) = next_pending(&mut follower).await;
        let second = asking(&approvals, NAME, local());
        next_pending(&mut follower).await;
        let remote = asking(&approvals, NAME, forwarded());
        let (remote_id, _, remote_forwarded) = next_pending(&mut follower).await;
        assert!(remote_forwarded);

        approvals.decide(id, Decision::For30Min, "by test").unwrap();
        assert_eq!(first.await.unwrap(), Ok(()));
        assert_eq!(
            second.await.unwrap(),
            Ok(()),
            "the same token, local: let through"
        );
        assert!(
            approvals.waiting(remote_id),
            "a forwarded peer is another kind"
        );

        // Within 30 minutes: no question for the same token from a local process.
        tokio::time::sleep(Duration::from_secs(29 * 60)).await;
        assert_eq!(approvals.ask(NAME, &local()).await, Ok(()));
        assert!(!pending_now(&mut follower).await);
        // Another token is asked about.
        let other = asking(&approvals, "华北一区【北京】", local());
        assert!(pending_now(&mut follower).await);

        // After 30 minutes, the same token is asked about again.
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(
            other.await.unwrap(),
            Err(Refusal::NoAnswer(Duration::from_secs(60)))
        );
        assert_eq!(
            remote.await.unwrap(),
            Err(Refusal::NoAnswer(Duration::from_secs(60)))
        );
        let late = asking(&approvals, NAME, local());
        assert!(pending_now(&mut follower).await);
        approvals.withdraw_all(ErrorKind::Busy, "the agent is stopping");
        assert!(late.await.unwrap().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn nobody_answering_within_the_deadline_is_a_denial() {
        let _watchdog = crate::watchdog::arm();
        let approvals = approvals(60);
        let mut follower = approvals.follow();
        let asked = asking(&approvals, NAME, local());
        let (id, ..) = next_pending(&mut follower).await;
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert!(approvals.waiting(id), "still waiting before its deadline");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let refusal = asked.await.unwrap().unwrap_err();
        assert_eq!(refusal.kind(), ErrorKind::Denied);
        assert!(
            refusal
                .message(NAME)
                .contains("nobody answered within 60 s"),
            "{}",
            refusal.message(NAME)
        );
        let settled = std::iter::from_fn(|| follower.try_recv().ok()).find_map(|e| match e {
            Event::Settled { id, decision } => Some((id, decision)),
            _ => None,
        });
        assert_eq!(settled, Some((id, Decision::Deny)));
        assert!(!approvals.waiting(id));
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_terminal_or_a_follower_nobody_can_answer_and_it_fails_at_once() {
        let _watchdog = crate::watchdog::arm();
        let approvals = approvals(60);
        let refusal = approvals.ask(NAME, &local()).await.unwrap_err();
        assert_eq!(refusal, Refusal::NobodyCanAnswer);
        assert_eq!(refusal.kind(), ErrorKind::Denied);
        assert!(refusal.message(NAME).contains("nobody can answer"));

        // The agent's terminal can answer: the request is put to it.
        struct Channel(std::sync::Mutex<std::sync::mpsc::Sender<Asked>>);
        impl Asker for Channel {
            fn can_ask(&self) -> bool {
                true
            }
            fn ask(&self, asked: Asked) {
                self.0.lock().unwrap().send(asked).unwrap();
            }
        }
        let (terminal, asked) = std::sync::mpsc::channel();
        approvals.ask_terminal_too(Box::new(Channel(std::sync::Mutex::new(terminal))));
        let waiting = asking(&approvals, NAME, forwarded());
        tokio::time::sleep(Duration::from_millis(1)).await;
        let asked = asked.try_recv().expect("the terminal was asked");
        assert_eq!(asked.name, NAME);
        assert_eq!(asked.process, "pid 4242 /usr/bin/ssh");
        assert!(asked.forwarded);
        approvals
            .decide(asked.id, Decision::Once, "at the terminal")
            .unwrap();
        assert_eq!(waiting.await.unwrap(), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn locking_forgets_30_min_answers_and_a_closed_line_takes_no_one() {
        let _watchdog = crate::watchdog::arm();
        let approvals = approvals(60);
        let mut follower = approvals.follow();
        let first = asking(&approvals, NAME, local());
        let (id, ..) = next_pending(&mut follower).await;
        approvals.decide(id, Decision::For30Min, "by test").unwrap();
        assert_eq!(first.await.unwrap(), Ok(()));
        assert_eq!(approvals.ask(NAME, &local()).await, Ok(()));
        approvals.forget_grants();
        let asked_again = asking(&approvals, NAME, local());
        assert!(pending_now(&mut follower).await);

        approvals.close(ErrorKind::Busy, "the agent is stopping");
        let refusal = asked_again.await.unwrap().unwrap_err();
        assert_eq!(refusal.kind(), ErrorKind::Busy);
        let later = approvals.ask(NAME, &local()).await.unwrap_err();
        assert_eq!(
            later.message(NAME),
            format!("{NAME}: the agent is stopping")
        );
        assert!(!pending_now(&mut follower).await);
    }

    #[test]
    fn a_new_follower_s_queue_holds_the_recent_events_and_every_waiting_request() {
        const {
            assert!(super::super::events::QUEUE >= 2 * (super::super::events::RECENT + MAX_PENDING))
        };
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_32_requests_wait_and_locking_denies_them_all() {
        let _watchdog = crate::watchdog::arm();
        let approvals = approvals(60);
        let mut follower = approvals.follow();
        let waiting: Vec<_> = (0..MAX_PENDING)
            .map(|_| asking(&approvals, NAME, local()))
            .collect();
        for _ in 0..MAX_PENDING {
            next_pending(&mut follower).await;
        }
        let refusal = approvals.ask(NAME, &local()).await.unwrap_err();
        assert_eq!(refusal, Refusal::TooMany);
        assert_eq!(refusal.kind(), ErrorKind::Busy);

        approvals.withdraw_all(ErrorKind::Locked, "the agent was locked");
        for asked in waiting {
            let refusal = asked.await.unwrap().unwrap_err();
            assert_eq!(refusal.kind(), ErrorKind::Locked);
            assert_eq!(
                refusal.message(NAME),
                format!("{NAME}: the agent was locked")
            );
        }
        // The line is free again.
        let again = asking(&approvals, NAME, local());
        let (id, ..) = next_pending(&mut follower).await;
        approvals.decide(id, Decision::Once, "by test").unwrap();
        assert_eq!(again.await.unwrap(), Ok(()));
    }
}
