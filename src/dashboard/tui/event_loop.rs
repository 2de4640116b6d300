//! The dashboard's loop, apart from the terminal: events, task answers, timers and signals in;
//! `app::update`; effects out; a draw after every batch. Generic over the screen and the
//! effect runner so that it runs headless in tests, on tokio's paused clock.

use std::time::Duration;

use crossterm::event::{Event, KeyEventKind};
use futures::{Stream, StreamExt};
use jiff::Timestamp;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::MissedTickBehavior;

use crate::clock::Clock;

use super::Observer;
use crate::dashboard::app::{self, Action, App, Effect};

/// Countdowns move once a second; the spinner needs a faster beat while renewals run.
pub(crate) const TICK: Duration = Duration::from_secs(1);
pub(crate) const SPIN: Duration = Duration::from_millis(100);

/// Where frames go.
pub(crate) trait Screen {
    fn draw(&mut self, app: &App, now: Timestamp) -> std::io::Result<()>;
    /// Ctrl-Z: give the terminal back, stop until `fg`, take the terminal again.
    fn suspend(&mut self) -> std::io::Result<()>;
}

/// Who carries out effects (in tasks: nothing here may wait).
pub(crate) trait Runner {
    /// Starts `effect`; false when the dashboard should close.
    fn run(&mut self, effect: Effect) -> bool;
}

/// Why the loop ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    Quit,
    /// The terminal's input ended.
    InputClosed,
    /// The observer ended it once the store's rows were on screen (the benchmark's probe).
    Loaded,
}

pub(crate) struct Inputs<'a, E, S> {
    pub events: E,
    pub actions: &'a mut UnboundedReceiver<Action>,
    /// SIGTERM / SIGHUP.
    pub signals: S,
    /// The instant every update and frame is for.
    pub clock: Clock,
}

/// A timer that never bursts: after the loop was busy (or the spinner was not polled for an
/// hour of idling), missed beats are dropped, not replayed back to back.
fn interval(period: Duration) -> tokio::time::Interval {
    let mut timer = tokio::time::interval(period);
    timer.set_missed_tick_behavior(MissedTickBehavior::Skip);
    timer
}

pub(crate) async fn drive<E, S>(
    app: &mut App,
    mut effects: Vec<Effect>,
    inputs: Inputs<'_, E, S>,
    screen: &mut impl Screen,
    runner: &mut impl Runner,
    observer: &mut dyn Observer,
) -> anyhow::Result<Ended>
where
    E: Stream<Item = std::io::Result<Event>> + Unpin,
    S: Stream<Item = ()> + Unpin,
{
    let Inputs {
        mut events,
        actions,
        mut signals,
        clock,
    } = inputs;
    let mut tick = interval(TICK);
    let mut spin = interval(SPIN);
    loop {
        for effect in effects.drain(..) {
            match effect {
                Effect::Suspend => {
                    screen.suspend()?;
                    screen.draw(app, clock.now())?;
                }
                effect => {
                    if !runner.run(effect) {
                        return Ok(Ended::Quit);
                    }
                }
            }
        }
        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match to_action(event) {
                    Some(action) => action,
                    None => continue,
                },
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(Ended::InputClosed),
            },
            Some(action) = actions.recv() => action,
            _ = tick.tick() => Action::Tick,
            _ = spin.tick(), if app.renewing_count() > 0 => {
                screen.draw(app, clock.now())?;
                continue;
            }
            Some(()) = signals.next() => Action::QuitRequested,
        };
        let now = clock.now();
        let loaded = matches!(action, Action::Loaded(_));
        effects = app::update(app, action, now);
        screen.draw(app, now)?;
        if loaded && observer.loaded(app.rows.len()) {
            return Ok(Ended::Loaded);
        }
    }
}

fn to_action(event: Event) -> Option<Action> {
    match event {
        // Windows reports releases too; only presses act.
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Action::Key(key)),
        Event::Mouse(mouse) => Some(Action::Mouse(mouse)),
        Event::Paste(text) => Some(Action::Paste(text)),
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    //! The loop on tokio's paused clock: an hour passes in milliseconds, and every draw is
    //! counted.

    use crossterm::event::{KeyCode, KeyEvent};
    use tokio::sync::mpsc;

    use super::*;
    use crate::dashboard::app::RenewedInfo;
    use crate::dashboard::app::fixtures::{app_with, at, demo_set, now, select, token};

    #[derive(Default)]
    struct CountingScreen {
        draws: usize,
    }

    impl Screen for CountingScreen {
        fn draw(&mut self, _: &App, _: Timestamp) -> std::io::Result<()> {
            self.draws += 1;
            Ok(())
        }
        fn suspend(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Answers each renewal after `latency` (tokio time), like a server would.
    struct SlowRunner {
        actions: mpsc::UnboundedSender<Action>,
        latency: Duration,
        clock: Clock,
    }

    impl Runner for SlowRunner {
        fn run(&mut self, effect: Effect) -> bool {
            match effect {
                Effect::Quit => return false,
                Effect::Renew(names) => {
                    for name in names {
                        let (tx, latency, clock) = (self.actions.clone(), self.latency, self.clock);
                        tokio::spawn(async move {
                            tokio::time::sleep(latency).await;
                            let token = token("alice", "sc_alice01", "11126", "Normal", at(86_400));
                            let result = Ok(RenewedInfo {
                                token,
                                renewed_at: clock.now(),
                            });
                            let _ = tx.send(Action::Renewed { name, result });
                        });
                    }
                }
                _ => {}
            }
            true
        }
    }

    /// What the user (or the system) does, in order.
    enum Step {
        Wait(Duration),
        Key(char),
        Signal,
    }

    /// Runs the loop on `app` against a server that answers renewals after `latency`, while
    /// `steps` are played; returns how the loop ended and how many frames it drew. The loop's
    /// clock starts at the fixtures' instant and follows tokio's paused time.
    async fn play(app: &mut App, latency: Duration, steps: &[Step]) -> (Ended, usize) {
        let clock = Clock::starting_at(now());
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (keys_tx, keys_rx) = futures::channel::mpsc::unbounded();
        let (sig_tx, sig_rx) = futures::channel::mpsc::unbounded();
        let mut runner = SlowRunner {
            actions: tx,
            latency,
            clock,
        };
        let mut screen = CountingScreen::default();
        let inputs = Inputs {
            events: keys_rx,
            actions: &mut rx,
            signals: sig_rx,
            clock,
        };
        // The senders outlive the script: closed input would end the loop by itself.
        let script = async {
            for step in steps {
                match step {
                    Step::Wait(d) => tokio::time::sleep(*d).await,
                    Step::Key(c) => {
                        let key = Event::Key(KeyEvent::from(KeyCode::Char(*c)));
                        keys_tx.unbounded_send(Ok(key)).unwrap();
                    }
                    Step::Signal => sig_tx.unbounded_send(()).unwrap(),
                }
            }
        };
        let mut observer = super::super::Unobserved;
        let looped = drive(
            app,
            Vec::new(),
            inputs,
            &mut screen,
            &mut runner,
            &mut observer,
        );
        let (ended, ()) = tokio::join!(looped, script);
        (ended.unwrap(), screen.draws)
    }

    /// Issue 10: after an hour of idling, one renewal made the spinner replay 36 000 missed
    /// beats back to back. Now it costs a handful of draws.
    #[tokio::test(start_paused = true)]
    async fn an_hour_idle_then_one_renewal_costs_a_handful_of_draws() {
        let _watchdog = crate::watchdog::arm();
        let mut app = app_with(demo_set());
        select(&mut app, "wuxi-gpu");
        let steps = [
            Step::Wait(Duration::from_secs(3600)),
            Step::Key('r'),
            Step::Wait(Duration::from_millis(2500)),
            Step::Key('q'),
        ];
        let (ended, draws) = play(&mut app, Duration::from_millis(300), &steps).await;
        assert_eq!(ended, Ended::Quit);
        assert!(!app.row("wuxi-gpu").unwrap().is_renewing());
        // The idle hour: one draw per second. The renewal and the 2.5 s after it: the spinner
        // for 0.3 s, a tick a second, the answer, the keys — not thousands.
        let after = draws.saturating_sub(3601);
        assert!(
            draws >= 3600 && after <= 12,
            "{draws} draws in all, {after} after the idle hour"
        );
    }

    /// SIGTERM while a renewal runs: the loop ends only after its answer arrived.
    #[tokio::test(start_paused = true)]
    async fn a_signal_waits_for_the_renewal_in_flight() {
        let _watchdog = crate::watchdog::arm();
        let mut app = app_with(demo_set());
        select(&mut app, "wuxi-gpu");
        let started = tokio::time::Instant::now();
        let steps = [
            Step::Key('r'),
            Step::Wait(Duration::from_millis(500)),
            Step::Signal,
        ];
        let (ended, _) = play(&mut app, Duration::from_secs(3), &steps).await;
        assert_eq!(ended, Ended::Quit);
        assert!(started.elapsed() >= Duration::from_secs(3));
        assert!(app.row("wuxi-gpu").unwrap().meta.renewed_at.is_some());
        assert!(app.abandoned.is_empty());
    }
}
