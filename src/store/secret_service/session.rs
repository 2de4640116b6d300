//! actoken's own connection to the Secret Service (Linux/BSD), for the two things the `keyring`
//! crate does one item and several round trips at a time:
//!
//! - reading many secrets at once ([`read_service`], for [`Store::load_all`] and the batch read
//!   of `renew --all`): one search, every item's attributes, then the wanted items' secrets, each
//!   step pipelined, so a thousand tokens cost a thousand pipelined calls instead of a thousand
//!   round trips of three calls each (about 3 ms apiece with gnome-keyring);
//! - replacing the secret of an item such a read found ([`replace`]): one call, where the
//!   `keyring` crate first searches for the item (a renewal's write, ~4.8 ms, becomes ~3 ms).
//!
//! The connection and its encrypted session (a Diffie-Hellman exchange, ~10 ms in pure Rust)
//! are opened once per process, on the first read.
//!
//! Anything unusual (a locked item, a name held twice, a non-text secret, any D-Bus error)
//! makes the caller fall back to the `keyring` crate, which reports it the usual way.
//!
//! [`Store::load_all`]: crate::store::Store::load_all

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use zeroize::Zeroizing;

/// Secrets by user name (the token name) of the `wanted` names among the unlocked items of
/// `service`; a wanted name without an item is absent from the map. `None` when the batch
/// cannot answer for everything and the caller should ask item by item, or when `wanted` names
/// are too few for it to pay: reading a thousand items' attributes to learn ten secrets costs
/// more than ten single reads.
///
/// `progress` counts the replies so far, so that the caller can tell a large batch that
/// is still moving from a hung keyring.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) fn read_service(
    service: &str,
    wanted: &[String],
    progress: &AtomicUsize,
) -> Option<HashMap<String, Zeroizing<String>>> {
    let session = linux::session()?;
    futures::executor::block_on(async {
        let found = session
            .ss
            .search_items(HashMap::from([("service", service)]))
            .await
            .ok()?;
        if !found.locked.is_empty() {
            return None; // unlocking may prompt: leave that to the per-item path
        }
        if !worth_a_batch(wanted.len(), found.unlocked.len()) {
            return None;
        }
        let holders = found.unlocked.iter().map(|item| async move {
            let attributes = item.get_attributes().await.ok()?;
            progress.fetch_add(1, Ordering::Relaxed);
            attributes.get("username").cloned()
        });
        let mut items = HashMap::new();
        for (item, name) in found
            .unlocked
            .iter()
            .zip(futures::future::join_all(holders).await)
        {
            if items.insert(name?, item).is_some() {
                return None; // the same name twice: `get` reports it as ambiguous
            }
        }
        session.remember(
            service,
            items.iter().map(|(name, item)| (name, &item.item_path)),
        );
        let reads = wanted.iter().filter_map(|name| {
            let item = *items.get(name)?;
            Some(async move {
                let secret = Zeroizing::new(item.get_secret().await.ok()?);
                progress.fetch_add(1, Ordering::Relaxed);
                let text = Zeroizing::new(std::str::from_utf8(&secret).ok()?.to_owned());
                Some((name.clone(), text))
            })
        });
        futures::future::join_all(reads).await.into_iter().collect()
    })
}

/// Replaces the secret of `name`'s item in `service`, if a batch read of this process found
/// that item; `None` when it did not (or the session is not open), `Some(false)` when the
/// item could not be written (gone, locked): either way the caller writes through the
/// `keyring` crate, which creates the item or reports the error the usual way.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) fn replace(service: &str, name: &str, secret: &str) -> Option<bool> {
    let session = linux::opened()?;
    let path = session.path(service, name)?;
    let written = futures::executor::block_on(async {
        let item = session.ss.get_item_by_path(path).await?;
        item.set_secret(secret.as_bytes(), linux::CONTENT_TYPE)
            .await
    });
    if written.is_err() {
        session.forget(service, name);
    }
    Some(written.is_ok())
}

/// Whether a batch read of this process found `name`'s item in `service` (no D-Bus call), so
/// that a write not worth [`replace`] costs no thread.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) fn knows(service: &str, name: &str) -> bool {
    linux::opened().is_some_and(|session| session.path(service, name).is_some())
}

/// Opens the session on a thread of its own, for a batch read to come: its encrypted
/// session's set-up (~10 ms of CPU) then overlaps the rest of the start-up (config, index,
/// the keyring probe) instead of following it.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) fn open_ahead() {
    let _ = std::thread::Builder::new()
        .name("actoken-keyring-session".into())
        .spawn(|| linux::session().is_some());
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
pub(crate) fn open_ahead() {}

/// `name`'s item in `service` is gone (deleted through the `keyring` crate).
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) fn forget(service: &str, name: &str) {
    if let Some(session) = linux::opened() {
        session.forget(service, name);
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
mod linux {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock, PoisonError};

    use secret_service::{EncryptionType, SecretService};
    use zbus::zvariant::OwnedObjectPath;

    /// What the `keyring` crate writes, so an item reads the same whoever wrote it last.
    pub(crate) const CONTENT_TYPE: &str = "application/octet-stream";

    pub(crate) struct Session {
        pub ss: SecretService<'static>,
        /// Item paths by (service, name), as the last batch read of each service found them.
        paths: Mutex<HashMap<(String, String), OwnedObjectPath>>,
    }

    static SESSION: OnceLock<Option<Session>> = OnceLock::new();

    /// The session, opened on first use; `None` if it cannot be (no bus, no Secret Service).
    pub(crate) fn session() -> Option<&'static Session> {
        SESSION
            .get_or_init(|| {
                let ss =
                    futures::executor::block_on(SecretService::connect(EncryptionType::Dh)).ok()?;
                Some(Session {
                    ss,
                    paths: Mutex::new(HashMap::new()),
                })
            })
            .as_ref()
    }

    /// The session if a read opened it: a write alone is not worth a connection.
    pub(crate) fn opened() -> Option<&'static Session> {
        SESSION.get()?.as_ref()
    }

    impl Session {
        pub(crate) fn remember<'p>(
            &self,
            service: &str,
            items: impl Iterator<Item = (&'p String, &'p OwnedObjectPath)>,
        ) {
            let mut paths = self.paths();
            paths.retain(|(svc, _), _| svc != service);
            for (name, path) in items {
                paths.insert((service.to_owned(), name.clone()), path.clone());
            }
        }

        pub(crate) fn path(&self, service: &str, name: &str) -> Option<OwnedObjectPath> {
            self.paths()
                .get(&(service.to_owned(), name.to_owned()))
                .cloned()
        }

        pub(crate) fn forget(&self, service: &str, name: &str) {
            self.paths().remove(&(service.to_owned(), name.to_owned()));
        }

        fn paths(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), OwnedObjectPath>> {
            self.paths.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }
}

/// A pipelined item read costs about a third of a single `get` (three round trips), so the
/// batch pays once the names wanted are more than a quarter of the service's items.
fn worth_a_batch(wanted: usize, items: usize) -> bool {
    wanted.saturating_mul(4) >= items
}

/// Other platforms have no batch read: always item by item.
#[cfg(not(all(unix, not(target_os = "macos"))))]
pub(crate) fn read_service(
    _service: &str,
    _wanted: &[String],
    _progress: &AtomicUsize,
) -> Option<HashMap<String, Zeroizing<String>>> {
    None
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
pub(crate) fn knows(_service: &str, _name: &str) -> bool {
    false
}

/// Other platforms: always through the `keyring` crate.
#[cfg(not(all(unix, not(target_os = "macos"))))]
pub(crate) fn replace(_service: &str, _name: &str, _secret: &str) -> Option<bool> {
    None
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
pub(crate) fn forget(_service: &str, _name: &str) {}

#[cfg(test)]
mod tests {
    #[test]
    fn a_few_names_among_many_items_are_read_one_by_one() {
        assert!(super::worth_a_batch(50, 50));
        assert!(super::worth_a_batch(250, 1000));
        assert!(!super::worth_a_batch(10, 1000));
        assert!(super::worth_a_batch(1, 0));
    }
}
