//! Where a command's output goes and its input comes from: the process's streams in the
//! product ([`Io::system`]), buffers in tests ([`Io::captured`], as gh's `iostreams.Test()`),
//! so that commands run in-process against a memory store.
//!
//! Output survives a closed pipe: `println!` panics when the reader went away (`actoken paths
//! | head -1`); here a closed pipe only silences the rest of the output, and the command still
//! finishes its work (a renewal in flight still gets stored) and exits with its own status, as
//! `grep`-style tools do when nobody reads. Other write errors are reported once on stderr.

use std::fmt;
use std::io::{self, IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

pub struct Io {
    out: Mutex<Box<dyn Write + Send>>,
    err: Mutex<Box<dyn Write + Send>>,
    /// `None`: the process's stdin.
    input: Mutex<Option<io::Cursor<Vec<u8>>>>,
    reader_gone: AtomicBool,
    error_reported: AtomicBool,
    /// `--no-input`: no prompt, even on a terminal (see [`super::input::may_prompt`]).
    no_input: AtomicBool,
}

/// What a command wrote, for tests.
#[derive(Clone, Default)]
pub struct Captured {
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

impl Captured {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&lock(&self.out)).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&lock(&self.err)).into_owned()
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
        Io::with(Box::new(io::stdout()), Box::new(io::stderr()), None)
    }

    /// Buffers for stdout and stderr, and `stdin` as the input (never a terminal).
    pub fn captured(stdin: &[u8]) -> (Io, Captured) {
        let captured = Captured::default();
        let io = Io::with(
            Box::new(Shared(Arc::clone(&captured.out))),
            Box::new(Shared(Arc::clone(&captured.err))),
            Some(io::Cursor::new(stdin.to_vec())),
        );
        (io, captured)
    }

    fn with(
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
        input: Option<io::Cursor<Vec<u8>>>,
    ) -> Io {
        Io {
            out: Mutex::new(out),
            err: Mutex::new(err),
            input: Mutex::new(input),
            reader_gone: AtomicBool::new(false),
            error_reported: AtomicBool::new(false),
            no_input: AtomicBool::new(false),
        }
    }

    /// Writes to stdout and flushes; called by [`outln!`] and [`out!`].
    pub(crate) fn out(&self, args: fmt::Arguments<'_>) {
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

    /// Writes to stderr; called by [`errln!`]. A failed write to stderr has nowhere to go.
    pub(crate) fn err(&self, args: fmt::Arguments<'_>) {
        let mut err = lock(&self.err);
        let _ = err.write_fmt(args).and_then(|()| err.flush());
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
}
