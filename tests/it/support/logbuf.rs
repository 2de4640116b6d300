//! In-memory log output, for tests that assert what a tracing subscriber wrote.

use std::sync::{Arc, Mutex, Once, Weak};

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

/// Sends every log event at TRACE, from any thread, into the returned buffer, from this call
/// on. Global, not thread-local: tracing caches per-callsite interest process-wide, so a
/// thread-local subscriber races with the other tests (their logs land here too, harmlessly).
/// The subscriber is installed once per process, by the first call; every call gets a buffer
/// of its own, fed while it lives. (All the integration tests are one binary, so under plain
/// `cargo test` the tests that capture run in one process and a second global install fails.)
pub fn capture_trace_globally() -> LogBuf {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| Fanout)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
    let logs = LogBuf::default();
    SINKS.lock().unwrap().push(Arc::downgrade(&logs.0));
    logs
}

/// The buffers of the captures still alive.
static SINKS: Mutex<Vec<Weak<Mutex<Vec<u8>>>>> = Mutex::new(Vec::new());

/// Writes to every live buffer of [`SINKS`] (and forgets the dropped ones).
struct Fanout;

impl std::io::Write for Fanout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        SINKS.lock().unwrap().retain(|sink| match sink.upgrade() {
            Some(sink) => {
                sink.lock().unwrap().extend_from_slice(buf);
                true
            }
            None => false,
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
