//! Where a command's output goes and its input comes from: the process's streams in the
//! product ([`Io::system`]), buffers in tests ([`Io::captured`], as gh's `iostreams.Test()`),
//! so that commands run in-process against a memory store.
//!
//! Human output is shown, never obeyed: every write through [`outln!`], [`out!`] and
//! [`errln!`] has its tokens hidden ([`crate::redact`]) and its control and bidi characters
//! made inert ([`crate::inert`]; its own line breaks and tabs stay), whatever a command forgot
//! to clean. What scripts read exactly (`--json`, `actoken token`, `env`) goes through
//! [`exactln!`] or [`Io::write_out`] instead.
//!
//! Output survives a closed pipe: `println!` panics when the reader went away (`actoken paths
//! | head -1`); here a closed pipe only silences the rest of the output, and the command still
//! finishes its work (a renewal in flight still gets stored) and exits with its own status, as
//! `grep`-style tools do when nobody reads. Other write errors are reported once on stderr.
//!
//! [`Io::last_resort`] shows an issued token that neither the keyring nor a rescue file took:
//! on the user's terminal (`/dev/tty`, not a stream a script or a log may capture) when there
//! is one, else on stdout.

use std::fmt;
use std::io::{self, IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::rescue::Kept;

pub struct Io {
    out: Mutex<Box<dyn Write + Send>>,
    err: Mutex<Box<dyn Write + Send>>,
    /// `None`: the process's stdin.
    input: Mutex<Option<io::Cursor<Vec<u8>>>>,
    terminal: Terminal,
    reader_gone: AtomicBool,
    error_reported: AtomicBool,
    /// `--no-input`: no prompt, even on a terminal (see [`super::input::may_prompt`]).
    no_input: AtomicBool,
}

/// The user's terminal, for [`Io::last_resort`].
enum Terminal {
    /// `/dev/tty`, opened when needed (the process may have none).
    Process,
    /// A buffer standing for it, in tests.
    Captured(Arc<Mutex<Vec<u8>>>),
    /// None (a test without a terminal).
    None,
}

/// What a command wrote, for tests.
#[derive(Clone, Default)]
pub struct Captured {
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    terminal: Arc<Mutex<Vec<u8>>>,
}

impl Captured {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&lock(&self.out)).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&lock(&self.err)).into_owned()
    }
    /// What was written to the terminal (with [`Io::captured_with_terminal`]).
    pub fn terminal(&self) -> String {
        String::from_utf8_lossy(&lock(&self.terminal)).into_owned()
    }
}

struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Io {
    /// The process's stdout, stderr and stdin.
    pub(crate) fn system() -> Io {
        Io::with(
            Box::new(io::stdout()),
            Box::new(io::stderr()),
            None,
            Terminal::Process,
        )
    }

    /// Buffers for stdout and stderr, and `stdin` as the input (never a terminal); no
    /// terminal for [`Io::last_resort`].
    pub fn captured(stdin: &[u8]) -> (Io, Captured) {
        Io::captured_as(stdin, false)
    }

    /// [`Io::captured`] with a buffer standing for the user's terminal ([`Captured::terminal`]).
    pub fn captured_with_terminal(stdin: &[u8]) -> (Io, Captured) {
        Io::captured_as(stdin, true)
    }

    fn captured_as(stdin: &[u8], with_terminal: bool) -> (Io, Captured) {
        let captured = Captured::default();
        let terminal = match with_terminal {
            true => Terminal::Captured(Arc::clone(&captured.terminal)),
            false => Terminal::None,
        };
        let io = Io::with(
            Box::new(Shared(Arc::clone(&captured.out))),
            Box::new(Shared(Arc::clone(&captured.err))),
            Some(io::Cursor::new(stdin.to_vec())),
            terminal,
        );
        (io, captured)
    }

    fn with(
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
        input: Option<io::Cursor<Vec<u8>>>,
        terminal: Terminal,
    ) -> Io {
        Io {
            out: Mutex::new(out),
            err: Mutex::new(err),
            input: Mutex::new(input),
            terminal,
            reader_gone: AtomicBool::new(false),
            error_reported: AtomicBool::new(false),
            no_input: AtomicBool::new(false),
        }
    }

    /// Writes human output to stdout, [`shown`], and flushes; called by [`outln!`] and
    /// [`out!`].
    pub(crate) fn out(&self, args: fmt::Arguments<'_>) {
        self.out_exact(format_args!("{}", shown(args)));
    }

    /// Writes to stdout exactly as given and flushes: JSON (which escapes control characters
    /// itself) and the token for scripts; called by [`exactln!`].
    pub(crate) fn out_exact(&self, args: fmt::Arguments<'_>) {
        if self.reader_gone.load(Ordering::Relaxed) {
            return;
        }
        let mut out = lock(&self.out);
        let written = out.write_fmt(args).and_then(|()| out.flush());
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.reader_gone.store(true, Ordering::Relaxed);
            }
            Err(e) => {
                if !self.error_reported.swap(true, Ordering::Relaxed) {
                    self.err(format_args!(
                        "actoken: cannot write to standard output: {e}\n"
                    ));
                }
            }
        }
    }

    /// Writes `bytes` to stdout and flushes, reporting any failure (a closed pipe included) to
    /// the caller: for output that is the command's whole point (`env`'s variables).
    pub(crate) fn write_out(&self, bytes: &[u8]) -> io::Result<()> {
        let mut out = lock(&self.out);
        out.write_all(bytes).and_then(|()| out.flush())
    }

    /// Writes `text` (an issued token no store took, with what it is) where the user can copy
    /// it: the terminal when there is one, else stdout (unless stdout is the systemd journal).
    /// Returns where it went, or `None` when neither took it.
    pub(crate) fn last_resort(&self, text: &str) -> Option<Kept> {
        let on_terminal = match &self.terminal {
            Terminal::Process => crate::rescue::on_terminal(text),
            Terminal::Captured(buffer) => {
                lock(buffer).extend_from_slice(text.as_bytes());
                Ok(())
            }
            Terminal::None => Err(io::ErrorKind::NotFound.into()),
        };
        if on_terminal.is_ok() {
            return Some(Kept::Terminal);
        }
        if matches!(self.terminal, Terminal::Process) && crate::rescue::stdout_is_journal() {
            return None;
        }
        self.write_out(text.as_bytes()).ok().map(|()| Kept::Stdout)
    }

    /// Writes to stderr, [`shown`]; called by [`errln!`]. A failed write to stderr has
    /// nowhere to go.
    pub(crate) fn err(&self, args: fmt::Arguments<'_>) {
        let text = shown(args);
        let mut err = lock(&self.err);
        let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
    }

    /// Whether input comes from a terminal (where a person may be asked, unless
    /// [`Io::no_input`]).
    pub(crate) fn stdin_is_terminal(&self) -> bool {
        lock(&self.input).is_none() && io::stdin().is_terminal()
    }

    /// `--no-input`: nobody is there to answer a prompt, terminal or not.
    pub(crate) fn set_no_input(&self, no_input: bool) {
        self.no_input.store(no_input, Ordering::Relaxed);
    }

    pub(crate) fn no_input(&self) -> bool {
        self.no_input.load(Ordering::Relaxed)
    }

    /// Reads stdin to its end, at most `limit + 1` bytes (the caller refuses more).
    pub(crate) fn read_stdin(&self, limit: usize, bytes: &mut Vec<u8>) -> io::Result<()> {
        let take = limit as u64 + 1;
        match lock(&self.input).as_mut() {
            Some(given) => given.take(take).read_to_end(bytes).map(drop),
            None => io::stdin().lock().take(take).read_to_end(bytes).map(drop),
        }
    }
}

/// Human output as it may reach a terminal: tokens hidden, control and bidi characters made
/// inert, line breaks and tabs kept (the values inside a line were made
/// [`inert`](crate::inert::inert) where the line was put together).
fn shown(args: fmt::Arguments<'_>) -> String {
    let text = args.to_string();
    crate::inert::inert_lines(&crate::redact::mask_tokens(&text)).into_owned()
}

/// A value for one line written past [`Io`] (a prompt on the terminal, a note when a signal
/// comes, the watch log): tokens hidden, every control and bidi character made inert,
/// newlines included.
pub(crate) fn shown_value(text: &str) -> String {
    crate::inert::inert(&crate::redact::mask_tokens(text)).into_owned()
}

/// `println!` for the CLI: `outln!(io, "...")`, where `io` is an [`Io`] (`ctx.io`).
macro_rules! outln {
    ($io:expr) => {
        $io.out(format_args!("\n"))
    };
    ($io:expr, $($arg:tt)*) => {
        $io.out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for the CLI.
macro_rules! out {
    ($io:expr, $($arg:tt)*) => {
        $io.out(format_args!($($arg)*))
    };
}

/// `println!` for what scripts read exactly (`--json`, the token): nothing is hidden or
/// replaced.
macro_rules! exactln {
    ($io:expr, $($arg:tt)*) => {
        $io.out_exact(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` for the CLI.
macro_rules! errln {
    ($io:expr) => {
        $io.err(format_args!("\n"))
    };
    ($io:expr, $($arg:tt)*) => {
        $io.err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_output_and_given_input() {
        let (io, captured) = Io::captured(b"token\n");
        outln!(io, "{} {}", "alice/华东一区【昆山】", 1);
        out!(io, "x");
        errln!(io, "note");
        assert_eq!(captured.stdout(), "alice/华东一区【昆山】 1\nx");
        assert_eq!(captured.stderr(), "note\n");
        assert!(!io.stdin_is_terminal());
        let mut read = Vec::new();
        io.read_stdin(100, &mut read).unwrap();
        assert_eq!(read, b"token\n");
    }

    /// Whatever a command forgot to clean: no escape sequence, bidi override or token reaches
    /// the terminal through human output, while its own lines and tabs stay; exact output
    /// (JSON, the token) is left as it is.
    #[test]
    fn human_output_is_shown_not_obeyed_and_exact_output_is_exact() {
        let token = crate::samples::SAMPLE_REQUEST;
        let (io, captured) = Io::captured(b"");
        let hostile = "bob\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}2J\u{202e}";
        outln!(io, "user {hostile}\n\tnext {token}");
        errln!(io, "no token named {token:?} ({hostile})");
        exactln!(io, "{token} {hostile}");
        let (out, err) = (captured.stdout(), captured.stderr());
        let human = out.lines().take(2).collect::<Vec<_>>().join("\n");
        for text in [&human, &err] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}'),
                "{text:?}"
            );
            assert!(
                !text.contains('\u{9b}') && !text.contains('\u{202e}'),
                "{text:?}"
            );
            assert!(!text.contains(token), "{text}");
            assert!(text.contains("<token hidden>"), "{text}");
        }
        assert!(
            human.starts_with("user bob\u{fffd}]52;c;ZXZpbA==\u{fffd}\u{fffd}2J\u{fffd}\n\tnext ")
        );
        assert_eq!(
            out.lines().nth(2),
            Some(format!("{token} {hostile}").as_str())
        );
    }
}
