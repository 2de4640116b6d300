//! In-memory log output, for tests that assert what a tracing subscriber wrote.

use std::sync::{Arc, Mutex};

/// Collects formatted log output in memory.
#[derive(Clone, Default)]
pub struct LogBuf(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log event at TRACE, from any thread, into the returned buffer. Global, not
/// thread-local: tracing caches per-callsite interest process-wide, so a thread-local
/// subscriber races with the other tests (their logs land here too, harmlessly). Once per
/// test binary.
pub fn capture_trace_globally() -> LogBuf {
    let logs = LogBuf::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    logs
}
