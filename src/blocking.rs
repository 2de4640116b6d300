//! Blocking work from async code: the one place that starts tasks on tokio's blocking pool
//! (clippy refuses `spawn_blocking` elsewhere). The store's [`crate::store::Door`] adds its
//! deadline on top; the clipboard, which may wait on the display server, uses it as it is.

use tokio::task::JoinError;

/// Runs blocking `work` on the blocking pool, with no deadline. `Err` carries the panic's message.
pub(crate) async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    #[allow(clippy::disallowed_methods)] // the one place that starts blocking tasks
    tokio::task::spawn_blocking(work)
        .await
        .map_err(panic_message)
}

/// What a task that did not finish says: its panic's message (panic messages never carry
/// tokens: no type that holds one prints it).
pub(crate) fn panic_message(error: JoinError) -> String {
    if !error.is_panic() {
        return crate::tr!("task.cancelled");
    }
    let payload = error.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| crate::tr!("task.panic_unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn clipboard_work_off_the_thread_reports_a_panic_as_its_message() {
        let _watchdog = crate::watchdog::arm();
        assert_eq!(off_thread(|| 41 + 1).await, Ok(42));
        let err = off_thread(|| -> u8 { panic!("display server gone") }).await;
        assert_eq!(err, Err("display server gone".to_owned()));
    }
}
