//! The agent's own terminal as a place to approve requests: when the agent runs in the
//! foreground of a terminal (its stdin is one, and not `--no-input`), each request held for
//! approval is put there too, one at a time, answered with one key (no Enter):
//!
//! ```text
//! 华东一区【昆山】 requested by pid 4242 /usr/bin/python3 (forwarded) — allow [o]nce, for [3]0 min, [d]eny? o allowed once
//! ```
//!
//! A request answered elsewhere (the dashboard) or out of time is left, and the next one is
//! asked. Keys typed before a question are thrown away: only a key pressed while it is shown
//! answers it. The terminal is put back as it was after each question and when the agent ends.

use super::approvals::{Approvals, Asked, Asker};
use crate::agent::protocol::Decision;
use crate::i18n::Lang;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Weak};
use tokio::sync::mpsc;

/// How often a question checks whether it was answered elsewhere.
const CHECK: libc::c_int = 200;

/// The controlling terminal and its modes as the agent found them.
pub(crate) struct Terminal {
    tty: File,
    saved: libc::termios,
}

impl Terminal {
    /// `/dev/tty`, when the agent may ask there: its stdin is a terminal and input is not
    /// turned off (`--no-input`).
    pub(crate) fn open(stdin_is_terminal: bool, no_input: bool) -> Option<Terminal> {
        if !stdin_is_terminal || no_input {
            return None;
        }
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        // SAFETY: tcgetattr writes a termios for a valid descriptor (checked by its result).
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(tty.as_raw_fd(), &mut saved) } != 0 {
            return None;
        }
        Some(Terminal { tty, saved })
    }

    /// Starts asking on this terminal, in `lang` (the agent's log stays English), on a thread
    /// of its own. The returned guard puts the terminal's modes back when dropped.
    pub(crate) fn ask_for(self, approvals: &Arc<Approvals>, lang: Lang) -> Restore {
        let restore = Restore {
            tty: self.tty.try_clone().ok(),
            saved: self.saved,
        };
        let (sender, asked) = mpsc::unbounded_channel();
        let fd = self.tty.as_raw_fd();
        approvals.ask_terminal_too(Box::new(TerminalAsker { sender, fd }));
        let approvals = Arc::downgrade(approvals);
        let _ = std::thread::Builder::new()
            .name("agent-terminal".into())
            .spawn(move || self.keep_asking(asked, &approvals, lang));
        restore
    }

    fn keep_asking(
        mut self,
        mut asked: mpsc::UnboundedReceiver<Asked>,
        approvals: &Weak<Approvals>,
        lang: Lang,
    ) {
        while let Some(asked) = asked.blocking_recv() {
            let Some(approvals) = approvals.upgrade() else {
                return;
            };
            if !approvals.waiting(asked.id) || !foreground(self.fd()) {
                continue;
            }
            let prompt = crate::i18n::with_lang(lang, || question(&asked));
            let _ = write!(self.tty, "\r\n{prompt} ");
            let _ = self.tty.flush();
            let answer = self.read_answer(|| approvals.waiting(asked.id));
            // The answer is shown before the agent's log line about it.
            let said = crate::i18n::with_lang(lang, || said_word(answer));
            let _ = write!(self.tty, "{said}\r\n");
            let _ = self.tty.flush();
            let decided = answer
                .map(|decision| approvals.decide(asked.id, decision, "at the agent's terminal"));
            if let Some(Err(_)) = decided {
                // Answered elsewhere between the key and now.
                let said = crate::i18n::with_lang(lang, || said_word(None));
                let _ = write!(self.tty, "{said}\r\n");
                let _ = self.tty.flush();
            }
        }
    }

    /// One key while `still` holds: o, 3 or d; `None` when the question ended otherwise.
    fn read_answer(&mut self, still: impl Fn() -> bool) -> Option<Decision> {
        let fd = self.fd();
        let mut keys = self.saved;
        keys.c_lflag &= !(libc::ICANON | libc::ECHO);
        keys.c_cc[libc::VMIN] = 1;
        keys.c_cc[libc::VTIME] = 0;
        // SAFETY: plain calls on a terminal descriptor this struct owns.
        unsafe {
            libc::tcsetattr(fd, libc::TCSANOW, &keys);
            // Typed ahead, before the question was shown: not an answer to it.
            libc::tcflush(fd, libc::TCIFLUSH);
        }
        let answer = loop {
            if !still() || !foreground(fd) {
                break None;
            }
            let mut poll = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one pollfd, its length 1.
            let ready = unsafe { libc::poll(&mut poll, 1, CHECK) };
            if ready <= 0 {
                continue;
            }
            if poll.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                break None;
            }
            let mut key = 0u8;
            // SAFETY: reads one byte into `key`.
            if unsafe { libc::read(fd, (&raw mut key).cast(), 1) } != 1 {
                break None;
            }
            if let Some(decision) = decision_for(key) {
                break Some(decision);
            }
        };
        // SAFETY: as above; the modes the agent found.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &self.saved) };
        answer
    }

    fn fd(&self) -> RawFd {
        self.tty.as_raw_fd()
    }
}

/// Hands questions to the terminal's thread; a person can be asked while that thread runs
/// and the agent is the terminal's foreground (a backgrounded agent reading it would stop).
struct TerminalAsker {
    sender: mpsc::UnboundedSender<Asked>,
    fd: RawFd,
}

impl Asker for TerminalAsker {
    fn can_ask(&self) -> bool {
        !self.sender.is_closed() && foreground(self.fd)
    }

    fn ask(&self, asked: Asked) {
        let _ = self.sender.send(asked);
    }
}

/// Puts the terminal's modes back (the agent ends while a question is shown).
pub(crate) struct Restore {
    tty: Option<File>,
    saved: libc::termios,
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(tty) = &self.tty
            && foreground(tty.as_raw_fd())
        {
            // SAFETY: a terminal descriptor and the modes read from it.
            unsafe { libc::tcsetattr(tty.as_raw_fd(), libc::TCSANOW, &self.saved) };
        }
    }
}

/// Whether this process is in the terminal's foreground process group.
fn foreground(fd: RawFd) -> bool {
    // SAFETY: plain queries.
    unsafe { libc::tcgetpgrp(fd) == libc::getpgrp() }
}

fn decision_for(key: u8) -> Option<Decision> {
    match key {
        b'o' | b'O' => Some(Decision::Once),
        b'3' => Some(Decision::For30Min),
        b'd' | b'D' => Some(Decision::Deny),
        _ => None,
    }
}

/// `华东一区【昆山】 requested by pid 4242 /usr/bin/python3 (forwarded) — allow [o]nce, …?`
fn question(asked: &Asked) -> String {
    let name = crate::inert::inert(&asked.name).into_owned();
    let process = asked.process.clone();
    if asked.forwarded {
        crate::tr!("agent.confirm_forwarded", name = name, process = process)
    } else {
        crate::tr!("agent.confirm_local", name = name, process = process)
    }
}

fn said_word(said: Option<Decision>) -> String {
    match said {
        Some(Decision::Once) => crate::tr!("agent.confirmed_once"),
        Some(Decision::For30Min) => crate::tr!("agent.confirmed_30_min"),
        Some(Decision::Deny) => crate::tr!("agent.confirmed_deny"),
        None => crate::tr!("agent.confirm_gone"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::with_lang;

    #[test]
    fn the_question_names_token_process_and_forward_in_both_languages() {
        let asked = Asked {
            id: 7,
            name: "华东一区【昆山】".into(),
            process: "pid 4242 /usr/bin/python3".into(),
            forwarded: true,
        };
        assert_eq!(
            with_lang(Lang::En, || question(&asked)),
            "华东一区【昆山】 requested by pid 4242 /usr/bin/python3 (forwarded) — allow [o]nce, for [3]0 min, [d]eny?"
        );
        let zh = with_lang(Lang::ZhCn, || question(&asked));
        assert!(
            zh.contains("华东一区【昆山】") && zh.contains("[o]"),
            "{zh}"
        );
        let local = Asked {
            forwarded: false,
            ..asked
        };
        assert!(with_lang(Lang::En, || question(&local)).contains("python3 (local)"));
    }

    #[test]
    fn one_key_answers_and_others_do_not() {
        assert_eq!(decision_for(b'o'), Some(Decision::Once));
        assert_eq!(decision_for(b'3'), Some(Decision::For30Min));
        assert_eq!(decision_for(b'D'), Some(Decision::Deny));
        assert_eq!(decision_for(b'\n'), None);
        assert_eq!(decision_for(b'y'), None);
    }
}
