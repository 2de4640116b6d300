//! Copying a token: the system clipboard (arboard) where a display is reachable and we are not
//! over SSH, otherwise OSC 52, which asks the user's *terminal* to set its clipboard (so a copy
//! on a login node lands on the laptop). The choice is made up front from the environment, and
//! confirmed by actually opening the system clipboard: with no display, arboard fails at once.
//!
//! Clearing is conservative: the system clipboard is cleared only if it still holds the token
//! (the user may have copied something else since). OSC 52 cannot be read back, so a clear
//! there is an empty OSC 52 write; inside tmux, the paste buffers tmux made of the copy are
//! deleted too ([`tmux`]).

mod tmux;

use std::io::Write;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

use crate::token::Token;
pub use tmux::TmuxCopy;

/// Where copies go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipboardKind {
    /// The desktop clipboard via arboard.
    System,
    /// The terminal's clipboard via an OSC 52 escape sequence; `tmux` wraps it for tmux.
    Osc52 { tmux: bool },
}

impl ClipboardKind {
    /// For the status line: where the token went.
    pub fn describe(self) -> String {
        match self {
            ClipboardKind::System => crate::tr!("clipboard.system"),
            ClipboardKind::Osc52 { tmux: false } => crate::tr!("clipboard.osc52"),
            ClipboardKind::Osc52 { tmux: true } => crate::tr!("clipboard.osc52_tmux"),
        }
    }
}

/// Picks the clipboard from environment variables (`var` returns a variable's value).
///
/// Over SSH (`SSH_CONNECTION` or `SSH_TTY`) the system clipboard would be the *remote*
/// machine's (or a slow forwarded X11 one), so OSC 52 is used. Without `DISPLAY` or
/// `WAYLAND_DISPLAY` there is no system clipboard at all.
pub(crate) fn choose_kind(var: impl Fn(&str) -> Option<String>) -> ClipboardKind {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    let tmux = set("TMUX");
    let over_ssh = set("SSH_CONNECTION") || set("SSH_TTY");
    let display = set("DISPLAY") || set("WAYLAND_DISPLAY");
    if display && !over_ssh {
        ClipboardKind::System
    } else {
        ClipboardKind::Osc52 { tmux }
    }
}

/// `ESC ] 52 ; c ; <base64> BEL`. An empty `text` clears. Inside tmux the sequence is sent
/// twice: plain, which tmux itself takes with `set-clipboard on` (and passes on to the outer
/// terminal), then wrapped in tmux's DCS passthrough (`ESC P tmux; <ESCs doubled> ESC \\`),
/// which reaches the outer terminal with `allow-passthrough on`. Either setting then works.
pub(crate) fn osc52_sequence(text: &str, in_tmux: bool) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let osc = format!("\x1b]52;c;{b64}\x07");
    if in_tmux {
        format!("{osc}\x1bPtmux;{}\x1b\\", osc.replace('\x1b', "\x1b\x1b"))
    } else {
        osc
    }
}

/// Why a copy or clear failed. Never contains the token.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClipboardError {
    #[error(
        "the system clipboard failed: {0}; set NO_SYSTEM_CLIPBOARD=1 to use your terminal's clipboard (OSC 52) instead"
    )]
    System(String),
    #[error("could not write the OSC 52 sequence to the terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// What a clear did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClearOutcome {
    /// The clipboard held the token and now holds nothing.
    Cleared,
    /// The clipboard holds something else now; it was left alone.
    LeftAlone,
    /// An empty OSC 52 write was sent (the terminal's clipboard cannot be read back); inside
    /// tmux, what became of tmux's own copy.
    ClearSent(Option<TmuxCopy>),
    /// Nothing had been copied.
    NothingCopied,
}

enum Backend {
    System(Box<arboard::Clipboard>),
    Osc52 {
        tmux: bool,
        out: Box<dyn Write + Send>,
    },
}

/// The clipboard chosen for this session. Remembers the last copied token so that a clear
/// can check it is still there.
pub(crate) struct Clipboard {
    backend: Backend,
    /// The tmux server whose paste buffers may keep a copy (OSC 52 inside tmux).
    tmux: tmux::Tmux,
    last: Option<SecretString>,
    /// Why the system clipboard was not used, when it was wanted but failed to open.
    fallback_reason: Option<String>,
}

impl std::fmt::Debug for Clipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clipboard")
            .field("kind", &self.kind())
            .field("holds_copy", &self.last.is_some())
            .finish()
    }
}

impl Clipboard {
    /// Chooses from where the process runs (tmux, SSH, a display); OSC 52 sequences go to
    /// stdout (the terminal). `osc52_only` (`--no-system-clipboard`) forces OSC 52.
    pub(crate) fn for_terminal(osc52_only: bool) -> Clipboard {
        let var = |k: &str| std::env::var(k).ok();
        let kind = if osc52_only {
            ClipboardKind::Osc52 {
                tmux: var("TMUX").is_some_and(|v| !v.is_empty()),
            }
        } else {
            choose_kind(var)
        };
        let tmux_now = var("TMUX").is_some_and(|v| !v.is_empty());
        Clipboard::open(kind, tmux_now, Box::new(std::io::stdout()))
    }

    /// Opens `kind`; if the system clipboard cannot be opened, falls back to OSC 52 on `out`
    /// and records why (see [`Clipboard::fallback_reason`]).
    pub fn open(kind: ClipboardKind, in_tmux: bool, out: Box<dyn Write + Send>) -> Clipboard {
        match kind {
            ClipboardKind::System => match arboard::Clipboard::new() {
                Ok(cb) => Clipboard {
                    backend: Backend::System(Box::new(cb)),
                    tmux: tmux::Tmux::of_session(),
                    last: None,
                    fallback_reason: None,
                },
                Err(e) => Clipboard {
                    backend: Backend::Osc52 { tmux: in_tmux, out },
                    tmux: tmux::Tmux::of_session(),
                    last: None,
                    fallback_reason: Some(format!("system clipboard unreachable ({e})")),
                },
            },
            ClipboardKind::Osc52 { tmux } => Clipboard::osc52(tmux, out),
        }
    }

    /// OSC 52 to the given writer (tests pass a buffer).
    pub(crate) fn osc52(tmux: bool, out: Box<dyn Write + Send>) -> Clipboard {
        Clipboard {
            backend: Backend::Osc52 { tmux, out },
            tmux: tmux::Tmux::of_session(),
            last: None,
            fallback_reason: None,
        }
    }

    /// The same, with tmux's paste buffers on another server (tests run a private one).
    #[cfg(test)]
    fn with_tmux(self, tmux: tmux::Tmux) -> Clipboard {
        Clipboard { tmux, ..self }
    }

    pub(crate) fn kind(&self) -> ClipboardKind {
        match &self.backend {
            Backend::System(_) => ClipboardKind::System,
            Backend::Osc52 { tmux, .. } => ClipboardKind::Osc52 { tmux: *tmux },
        }
    }

    /// Set when the system clipboard was chosen but could not be opened.
    pub(crate) fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// Puts the token on the clipboard and remembers it for [`Clipboard::clear_if_unchanged`].
    pub(crate) fn copy(&mut self, token: &Token) -> Result<ClipboardKind, ClipboardError> {
        let text = token.expose();
        match &mut self.backend {
            Backend::System(cb) => cb
                .set_text(text)
                .map_err(|e| ClipboardError::System(e.to_string()))?,
            Backend::Osc52 { tmux, out } => {
                out.write_all(osc52_sequence(text, *tmux).as_bytes())?;
                out.flush()?;
            }
        }
        self.last = Some(SecretString::from(text.to_owned()));
        Ok(self.kind())
    }

    /// Clears the clipboard if it still holds the last copied token.
    pub(crate) fn clear_if_unchanged(&mut self) -> Result<ClearOutcome, ClipboardError> {
        let Some(last) = self.last.take() else {
            return Ok(ClearOutcome::NothingCopied);
        };
        match &mut self.backend {
            Backend::System(cb) => {
                // Unreadable content (an image, nothing) is not our token: leave it.
                let current = cb.get_text().ok();
                if current.as_deref() == Some(last.expose_secret()) {
                    cb.clear()
                        .map_err(|e| ClipboardError::System(e.to_string()))?;
                    Ok(ClearOutcome::Cleared)
                } else {
                    Ok(ClearOutcome::LeftAlone)
                }
            }
            Backend::Osc52 { tmux, out } => {
                out.write_all(osc52_sequence("", *tmux).as_bytes())?;
                out.flush()?;
                let copy = tmux.then(|| self.tmux.delete_copies(last.expose_secret()));
                Ok(ClearOutcome::ClearSent(copy))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn desktop_session_uses_the_system_clipboard() {
        assert_eq!(
            choose_kind(env(&[("DISPLAY", ":0")])),
            ClipboardKind::System
        );
        assert_eq!(
            choose_kind(env(&[
                ("WAYLAND_DISPLAY", "wayland-0"),
                ("TMUX", "/tmp/t,1,0")
            ])),
            ClipboardKind::System
        );
    }

    #[test]
    fn ssh_or_no_display_uses_osc52() {
        assert_eq!(
            choose_kind(env(&[
                ("DISPLAY", "localhost:10.0"),
                ("SSH_CONNECTION", "1 2 3 4")
            ])),
            ClipboardKind::Osc52 { tmux: false }
        );
        assert_eq!(
            choose_kind(env(&[("DISPLAY", ":0"), ("SSH_TTY", "/dev/pts/3")])),
            ClipboardKind::Osc52 { tmux: false }
        );
        assert_eq!(choose_kind(env(&[])), ClipboardKind::Osc52 { tmux: false });
        assert_eq!(
            choose_kind(env(&[
                ("DISPLAY", ""),
                ("TMUX", "/tmp/tmux-0/default,12,0")
            ])),
            ClipboardKind::Osc52 { tmux: true }
        );
    }

    #[test]
    fn osc52_plain_and_in_tmux() {
        // "hi" is "aGk=" in base64.
        assert_eq!(osc52_sequence("hi", false), "\x1b]52;c;aGk=\x07");
        assert_eq!(
            osc52_sequence("hi", true),
            "\x1b]52;c;aGk=\x07\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"
        );
        assert_eq!(osc52_sequence("", false), "\x1b]52;c;\x07");
    }

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn osc52_copy_then_clear_writes_both_sequences() {
        let sink = Sink::default();
        let mut cb = Clipboard::osc52(false, Box::new(sink.clone()));
        assert_eq!(
            cb.clear_if_unchanged().unwrap(),
            ClearOutcome::NothingCopied
        );
        let token = Token::from_raw(crate::samples::SAMPLE_REQUEST);
        assert_eq!(
            cb.copy(&token).unwrap(),
            ClipboardKind::Osc52 { tmux: false }
        );
        let written = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            written,
            osc52_sequence(crate::samples::SAMPLE_REQUEST, false)
        );
        assert_eq!(
            cb.clear_if_unchanged().unwrap(),
            ClearOutcome::ClearSent(None)
        );
        let written = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(written.ends_with("\x1b]52;c;\x07"));
        // The copy was forgotten with the clear: a second clear has nothing to do.
        assert_eq!(
            cb.clear_if_unchanged().unwrap(),
            ClearOutcome::NothingCopied
        );
        assert!(!format!("{cb:?}").contains("eyJ"));
    }

    #[test]
    fn unreachable_system_clipboard_falls_back_to_osc52() {
        // Only meaningful without a display; on a desktop the system clipboard opens.
        if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some() {
            return;
        }
        let cb = Clipboard::open(ClipboardKind::System, true, Box::new(Sink::default()));
        assert_eq!(cb.kind(), ClipboardKind::Osc52 { tmux: true });
        assert!(cb.fallback_reason().unwrap().contains("unreachable"));
    }
}
