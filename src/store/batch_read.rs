//! Reading every secret of one keyring service at once, for [`Store::load_all`]: on the Secret
//! Service (Linux/BSD) one search, then each item's attributes and secret asked for together
//! over one D-Bus connection, so a thousand tokens cost a thousand pipelined calls instead of a
//! thousand round trips of three calls each (about 3 ms apiece with gnome-keyring).
//!
//! Anything unusual (a locked item, a name held twice, a non-text secret, any D-Bus error)
//! makes the caller fall back to one `get` per name, which reports it the usual way.
//!
//! [`Store::load_all`]: super::Store::load_all

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use zeroize::Zeroizing;

/// Secrets by user name (the token name) of every unlocked item of `service`; `None` when
/// the batch cannot answer for everything and the caller should ask item by item, or when
/// `wanted` names are too few for it to pay: reading a thousand items to learn ten costs more
/// than ten single reads.
///
/// `progress` counts the replies so far, so that the caller can tell a large batch that
/// is still moving from a hung keyring.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) fn read_service(
    service: &str,
    wanted: usize,
    progress: &AtomicUsize,
) -> Option<HashMap<String, Zeroizing<String>>> {
    use secret_service::{EncryptionType, SecretService};

    futures::executor::block_on(async {
        let ss = SecretService::connect(EncryptionType::Dh).await.ok()?;
        let found = ss
            .search_items(HashMap::from([("service", service)]))
            .await
            .ok()?;
        if !found.locked.is_empty() {
            return None; // unlocking may prompt: leave that to the per-item path
        }
        if !worth_a_batch(wanted, found.unlocked.len()) {
            return None;
        }
        let reads = found.unlocked.iter().map(|item| async move {
            let attributes = item.get_attributes().await.ok()?;
            // Every reply counts: the attribute reads of all items come back before the first
            // secret does.
            progress.fetch_add(1, Ordering::Relaxed);
            let secret = Zeroizing::new(item.get_secret().await.ok()?);
            progress.fetch_add(1, Ordering::Relaxed);
            let user = attributes.get("username")?.clone();
            let text = Zeroizing::new(std::str::from_utf8(&secret).ok()?.to_owned());
            Some((user, text))
        });
        let mut secrets = HashMap::new();
        for read in futures::future::join_all(reads).await {
            let (user, text) = read?;
            if secrets.insert(user, text).is_some() {
                return None; // the same name twice: `get` reports it as ambiguous
            }
        }
        Some(secrets)
    })
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
    _wanted: usize,
    _progress: &AtomicUsize,
) -> Option<HashMap<String, Zeroizing<String>>> {
    None
}

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
