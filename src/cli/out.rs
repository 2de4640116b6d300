//! Standard output for the CLI that survives a closed pipe.
//!
//! `println!` panics when the reader went away (`actoken paths | head -1`). Here a closed
//! pipe only silences the rest of the output: the command still finishes its work (a renewal
//! in flight still gets stored) and exits with its own status, as `grep`-style tools do when
//! nobody reads. Other write errors are reported once on stderr.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static READER_GONE: AtomicBool = AtomicBool::new(false);
static ERROR_REPORTED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout and flushes; called by [`outln!`] and [`out!`].
pub fn write(args: fmt::Arguments<'_>) {
    if READER_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = io::stdout().lock();
    let written = stdout.write_fmt(args).and_then(|()| stdout.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            READER_GONE.store(true, Ordering::Relaxed);
        }
        Err(e) => {
            if !ERROR_REPORTED.swap(true, Ordering::Relaxed) {
                eprintln!("actoken: cannot write to standard output: {e}");
            }
        }
    }
}

/// `println!` for the CLI: see the module comment.
macro_rules! outln {
    () => {
        $crate::cli::out::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for the CLI: see the module comment.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!($($arg)*))
    };
}
