//! The agent beside the dashboard: its news, the approval dialog's answers, and the keys that
//! show its panel and open a request's dialog again.

use super::*;
use crate::agent::protocol::Decision;
use crate::dashboard::app::agent::{AgentNews, Asked, Settled};
use crate::dashboard::app::approval::{Answer, Approval};

pub(super) fn on_news(app: &mut App, news: AgentNews, now: Timestamp) {
    match news {
        AgentNews::Connected => app.agent.connected(),
        AgentNews::Event(event) => {
            if let Some(settled) = app.agent.apply(event) {
                on_settled(app, settled, now);
            }
        }
        AgentNews::Gone => {
            let lost = app.agent.gone();
            if lost.iter().any(|p| !matches!(p.asked, Asked::Sent(_))) {
                toast(app, Level::Warn, tr!("toast.agent_gone"), now);
            }
        }
    }
    close_orphan_dialog(app);
}

/// A pending request was answered: by us (the toast said so already), on the agent's side,
/// or by its deadline. (Names in toasts are made inert where the status line draws them.)
fn on_settled(app: &mut App, settled: Settled, now: Timestamp) {
    let Settled { pending, decision } = settled;
    if pending.asked == Asked::Sent(decision) {
        return;
    }
    let name = pending.name.clone();
    let timed_out = decision == Decision::Deny && pending.deadline.is_some_and(|d| now >= d);
    let (level, text) = if timed_out {
        (Level::Warn, tr!("toast.approval_timed_out", name = name))
    } else {
        let decision = decision_words(decision);
        let text = tr!("toast.approval_elsewhere", name = name, decision = decision);
        (Level::Info, text)
    };
    toast(app, level, text, now);
}

/// The agent answered our `decide`: only a refusal needs saying (the key's toast said the rest).
pub(super) fn on_decided(app: &mut App, id: u64, result: Result<(), TaskError>, now: Timestamp) {
    let Err(error) = result else {
        return;
    };
    let key = app.keymap.label(Context::Normal, Command::ShowApproval);
    let name = app.agent.pending_mut(id).map(|p| {
        // Still held: it can be answered again, on request.
        p.asked = Asked::Later;
        p.name.clone()
    });
    let text = match name {
        Some(name) => tr!(
            "toast.approval_failed",
            name = name,
            error = error,
            key = key
        ),
        None => tr!("toast.approval_failed_gone", error = error),
    };
    toast(app, Level::Error, text, now);
}

/// A key in the approval dialog.
pub(super) fn on_key(
    app: &mut App,
    approval: &Approval,
    cmd: Option<Command>,
    now: Timestamp,
    fx: &mut Vec<Effect>,
) {
    let answer = approval.on_key(cmd, now);
    let Some(pending) = app.agent.pending_mut(approval.id) else {
        app.mode = Mode::Normal;
        return;
    };
    match answer {
        Answer::Stay => return,
        Answer::Later => pending.asked = Asked::Later,
        Answer::Decide(decision) => {
            pending.asked = Asked::Sent(decision);
            let name = pending.name.clone();
            fx.push(Effect::Decide {
                id: approval.id,
                decision,
            });
            let decision = decision_words(decision);
            let text = tr!("toast.approval_sent", name = name, decision = decision);
            toast(app, Level::Info, text, now);
        }
    }
    app.mode = Mode::Normal;
}

/// `agent-panel`: show or hide the panel; without an agent, say there is none.
pub(super) fn toggle_panel(app: &mut App, now: Timestamp) {
    if app.agent.connected {
        app.agent.shown = !app.agent.shown;
    } else {
        toast(app, Level::Info, tr!("toast.no_agent"), now);
    }
}

/// `approval`: open the dialog again for the oldest request closed with "later".
pub(super) fn show_again(app: &mut App, now: Timestamp) {
    let later = app
        .agent
        .pending
        .iter_mut()
        .find(|p| matches!(p.asked, Asked::Later | Asked::Waiting));
    match later {
        Some(pending) => pending.asked = Asked::Waiting,
        None => toast(app, Level::Info, tr!("toast.no_approval"), now),
    }
}

/// Once a second: requests whose deadline passed long ago are gone (the agent denied them).
pub(super) fn on_tick(app: &mut App, now: Timestamp) {
    let expired = app.agent.expire(now);
    for pending in expired {
        if !matches!(pending.asked, Asked::Sent(_)) {
            let name = pending.name.clone();
            toast(
                app,
                Level::Warn,
                tr!("toast.approval_timed_out", name = name),
                now,
            );
        }
    }
    close_orphan_dialog(app);
}

/// Opens the dialog of the oldest unanswered request when nothing is being typed: over the
/// table or the help screen, never over a text field or a yes/no question (a key meant for
/// them must not answer the agent). Those requests wait; the status bar counts them.
pub(super) fn open_dialog(app: &mut App, now: Timestamp) {
    if !matches!(app.mode, Mode::Normal | Mode::Help { .. }) {
        return;
    }
    if let Some(id) = app.agent.next_to_ask() {
        app.mode = Mode::Approval(Approval::new(id, now));
    }
}

/// The dialog's request was settled, or its agent went away: the dialog closes.
fn close_orphan_dialog(app: &mut App) {
    if let Mode::Approval(approval) = &app.mode
        && app.agent.pending(approval.id).is_none()
    {
        app.mode = Mode::Normal;
    }
}

/// "allowed once", "allowed for 30 min", "denied".
pub(crate) fn decision_words(decision: Decision) -> String {
    match decision {
        Decision::Once => tr!("approval.did_once"),
        Decision::For30Min => tr!("approval.did_30_min"),
        Decision::Deny => tr!("approval.did_deny"),
    }
}
