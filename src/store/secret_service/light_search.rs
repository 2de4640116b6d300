//! Counting the items of one keyring service with a single `SearchItems` call, for the probe
//! at open and for [`Store::reconcile`](crate::store::Store::reconcile).
//!
//! keyring-core's search turns every matching path into an item object (about 55 µs apiece:
//! 55 ms for 1000 tokens, paid twice by `list`); only the number is needed here, and the
//! paths arrive in one reply. `None` whenever anything is unusual (no session bus, an error,
//! locked items that an unlock would have to prompt for): the caller then takes the usual
//! keyring-core path, which reports it the usual way.

/// `(unlocked, locked)` item counts of `service` on the Secret Service.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) fn count_items(service: &str) -> Option<(usize, usize)> {
    use std::collections::HashMap;
    use zbus::zvariant::OwnedObjectPath;

    let conn = zbus::blocking::Connection::session().ok()?;
    let attributes = HashMap::from([("service", service)]);
    let reply = conn
        .call_method(
            Some("org.freedesktop.secrets"),
            "/org/freedesktop/secrets",
            Some("org.freedesktop.Secret.Service"),
            "SearchItems",
            &(attributes,),
        )
        .ok()?;
    let (unlocked, locked): (Vec<OwnedObjectPath>, Vec<OwnedObjectPath>) =
        reply.body().deserialize().ok()?;
    Some((unlocked.len(), locked.len()))
}

/// Other platforms: always the keyring-core path.
#[cfg(not(all(unix, not(target_os = "macos"))))]
pub(crate) fn count_items(_service: &str) -> Option<(usize, usize)> {
    None
}
