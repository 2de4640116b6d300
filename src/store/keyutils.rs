//! The Linux kernel keyring as a [`SecretBackend`], for machines without a desktop session
//! (a login node over SSH, a CI runner, cron, a systemd user service): no D-Bus, nothing to
//! unlock.
//!
//! Secrets are `user` keys in the user's **persistent keyring** (persistent-keyring(7)),
//! described `<service>:<name>`. That keyring outlives logins and is reachable from every
//! process of the user, so cron jobs and services see the same tokens. It is kept in kernel
//! memory only: everything in it is gone after a reboot, and the kernel drops it after
//! `/proc/sys/kernel/keys/persistent_keyring_expiry` (3 days by default) without any use
//! (every actoken command resets that timer).
//!
//! Why not `keyring`'s own `linux-keyutils-keyring-store`: it writes keys into the session
//! keyring and links them into the persistent one only when it can (silently not, otherwise,
//! so tokens would vanish at logout), and it cannot list a service's entries, which orphans,
//! `move --all` and `doctor` need. The `linux-keyutils` crate gives the system calls.
//!
//! Key permissions are the kernel's default: only a *possessor* may read, and a process
//! possesses the persistent keyring by linking it into its own process keyring, which every
//! call here does. Other users (root aside) cannot read them, as with the Secret Service.

use super::{SecretBackend, StoreError};
use crate::token::Token;

/// Where to look when the kernel keyring refuses: shown with `Unavailable`.
/// Tokens in the kernel's persistent keyring of the current user.
#[derive(Debug, Clone)]
pub struct KeyutilsBackend {
    service: String,
}

impl KeyutilsBackend {
    /// The persistent keyring under `service`, checked now: a kernel or sandbox without
    /// keyrings fails here with [`StoreError::Unavailable`] saying so.
    pub fn with_service(service: &str) -> Result<KeyutilsBackend, StoreError> {
        if service.is_empty() || service.contains(':') {
            return Err(StoreError::Backend(format!(
                "keyring service {service:?} cannot be used with the kernel keyring (empty, or \
                 contains ':'); set ACTOKEN_KEYRING_SERVICE to a plain name"
            )));
        }
        let backend = KeyutilsBackend {
            service: service.to_owned(),
        };
        sys::persistent()?;
        Ok(backend)
    }

    fn prefix(&self) -> String {
        format!("{}:", self.service)
    }

    fn description(&self, name: &str) -> String {
        format!("{}{name}", self.prefix())
    }
}

impl SecretBackend for KeyutilsBackend {
    fn get(&self, name: &str) -> Result<Option<Token>, StoreError> {
        let Some(raw) = sys::read(&self.description(name))? else {
            return Ok(None);
        };
        match std::str::from_utf8(&raw) {
            Ok(text) => Ok(Some(Token::from_raw(text))),
            Err(_) => Err(StoreError::Backend(format!(
                "the kernel keyring item for {name:?} does not hold a token (not text); remove it \
                 with `actoken rm {name}` and add the token again"
            ))),
        }
    }

    fn set(&self, name: &str, token: &Token) -> Result<(), StoreError> {
        sys::write(&self.description(name), token.expose().as_bytes())
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        sys::delete(&self.description(name))
    }

    fn names(&self) -> Result<Vec<String>, StoreError> {
        let prefix = self.prefix();
        let mut names: Vec<String> = sys::descriptions()?
            .into_iter()
            .filter_map(|d| d.strip_prefix(&prefix).map(str::to_owned))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn describe(&self) -> String {
        format!(
            "kernel keyring (persistent keyring of this user, cleared at reboot), service {:?}",
            self.service
        )
    }
}

/// Usage of the kernel's per-user key quota, from `/proc/key-users` and `/proc/sys/kernel/keys`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyQuota {
    pub keys: u64,
    pub max_keys: u64,
    pub bytes: u64,
    pub max_bytes: u64,
}

impl KeyQuota {
    /// This user's figures; `None` where /proc does not tell (not Linux, or no keys yet).
    pub(crate) fn current() -> Option<KeyQuota> {
        let uid = sys::uid()?;
        let text = std::fs::read_to_string("/proc/key-users").ok()?;
        parse_key_users(&text, uid)
    }
}

/// A `/proc/key-users` line: `    0:     9 8/8 3/1000000 40/25000000` (uid: usage
/// nkeys/nikeys qnkeys/maxkeys qnbytes/maxbytes).
fn parse_key_users(text: &str, uid: u32) -> Option<KeyQuota> {
    let line = text
        .lines()
        .find(|l| l.trim_start().split(':').next() == Some(&uid.to_string()))?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    let pair = |s: &str| -> Option<(u64, u64)> {
        let (a, b) = s.split_once('/')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    };
    let (keys, max_keys) = pair(fields.get(3)?)?;
    let (bytes, max_bytes) = pair(fields.get(4)?)?;
    Some(KeyQuota {
        keys,
        max_keys,
        bytes,
        max_bytes,
    })
}

/// How long the persistent keyring lives without use, from /proc.
pub fn persistent_expiry() -> Option<std::time::Duration> {
    let text = std::fs::read_to_string("/proc/sys/kernel/keys/persistent_keyring_expiry").ok()?;
    text.trim().parse().ok().map(std::time::Duration::from_secs)
}

#[cfg(target_os = "linux")]
mod sys {
    use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};
    use zeroize::Zeroizing;

    use super::StoreError;
    use crate::store::words::fix_keyutils;

    /// The user's persistent keyring, linked into this process's keyring so that this process
    /// possesses it (and may read the keys in it). Also resets the keyring's expiry timer.
    pub(super) fn persistent() -> Result<KeyRing, StoreError> {
        KeyRing::get_persistent(KeyRingIdentifier::Process).map_err(|e| {
            let cause = match e {
                KeyError::OperationNotSupported => {
                    "this kernel has no persistent keyrings (CONFIG_PERSISTENT_KEYRINGS)".into()
                }
                KeyError::AccessDenied | KeyError::PermissionDenied => format!(
                    "the kernel refused access to the persistent keyring ({e:?}); a sandbox \
                     may block the keyctl system calls"
                ),
                other => format!("the kernel keyring cannot be used ({other:?})"),
            };
            StoreError::Unavailable {
                cause,
                fix: fix_keyutils(),
            }
        })
    }

    /// The payload of the key described `description`; `None` when there is none.
    pub(super) fn read(description: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let ring = persistent()?;
        let key = match ring.search(description) {
            Ok(key) => key,
            Err(e) if gone(e) => return Ok(None),
            Err(e) => return Err(failed(e, "read", description)),
        };
        match key.read_to_vec() {
            Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
            // Deleted between the search and the read.
            Err(e) if gone(e) => Ok(None),
            Err(e) => Err(failed(e, "read", description)),
        }
    }

    /// Creates the key or replaces its payload (in one step: the kernel updates a key of the
    /// same description in the same keyring in place).
    pub(super) fn write(description: &str, payload: &[u8]) -> Result<(), StoreError> {
        let ring = persistent()?;
        ring.add_key(description, payload)
            .map(|_| ())
            .map_err(|e| failed(e, "save", description))
    }

    /// Invalidates the key (gone from every keyring at once); a missing key is `Ok`.
    pub(super) fn delete(description: &str) -> Result<(), StoreError> {
        let ring = persistent()?;
        match ring.search(description).and_then(|key| key.invalidate()) {
            Ok(()) => Ok(()),
            Err(e) if gone(e) => Ok(()),
            Err(e) => Err(failed(e, "delete", description)),
        }
    }

    /// Descriptions of the user keys linked in the persistent keyring.
    pub(super) fn descriptions() -> Result<Vec<String>, StoreError> {
        let ring = persistent()?;
        let links = ring
            .get_links(link_capacity())
            .map_err(|e| failed(e, "list", "(persistent keyring)"))?;
        Ok(links
            .iter()
            .filter_map(|node| node.as_key())
            .filter_map(|key| key.metadata().ok())
            .map(|meta| meta.get_description().to_owned())
            .collect())
    }

    /// Room for every link the keyring can hold. `get_links` trusts the kernel's reply length
    /// to fit the buffer, so the buffer must be larger than any keyring of this user can be:
    /// a user owns at most `maxkeys` keys (root: `root_maxkeys`). The buffer is only reserved,
    /// not touched, beyond what the kernel writes.
    fn link_capacity() -> usize {
        let read = |file: &str| -> usize {
            std::fs::read_to_string(format!("/proc/sys/kernel/keys/{file}"))
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0)
        };
        read("maxkeys")
            .max(read("root_maxkeys"))
            .clamp(65_536, 4_000_000)
            + 64
    }

    pub(super) fn uid() -> Option<u32> {
        // SAFETY: getuid has no preconditions and cannot fail.
        Some(unsafe { libc::getuid() })
    }

    /// The kernel's ways of saying "no such key" (it depends on where in its garbage
    /// collection a deleted key is).
    fn gone(e: KeyError) -> bool {
        matches!(
            e,
            KeyError::KeyDoesNotExist | KeyError::KeyRevoked | KeyError::KeyExpired
        )
    }

    fn failed(e: KeyError, what: &str, description: &str) -> StoreError {
        match e {
            KeyError::QuotaExceeded => StoreError::Backend(format!(
                "the kernel keyring refused to {what} {description:?}: this user's key quota is \
                 full (see /proc/key-users; `actoken doctor` shows it); remove unused tokens \
                 with `actoken rm`, or ask the administrator to raise \
                 /proc/sys/kernel/keys/maxkeys and maxbytes"
            )),
            KeyError::AccessDenied | KeyError::PermissionDenied => StoreError::Unavailable {
                cause: format!("the kernel keyring refused to {what} {description:?} ({e:?})"),
                fix: fix_keyutils(),
            },
            other => StoreError::Backend(format!(
                "the kernel keyring failed to {what} {description:?} ({other:?}); retry"
            )),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    use super::StoreError;
    use zeroize::Zeroizing;

    fn unsupported() -> StoreError {
        StoreError::Unavailable {
            cause: "the kernel keyring (keyutils) exists only on Linux".into(),
            fix: crate::store::words::fix_use_secret_service(),
        }
    }

    pub(super) fn persistent() -> Result<(), StoreError> {
        Err(unsupported())
    }
    pub(super) fn read(_: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        Err(unsupported())
    }
    pub(super) fn write(_: &str, _: &[u8]) -> Result<(), StoreError> {
        Err(unsupported())
    }
    pub(super) fn delete(_: &str) -> Result<(), StoreError> {
        Err(unsupported())
    }
    pub(super) fn descriptions() -> Result<Vec<String>, StoreError> {
        Err(unsupported())
    }
    pub(super) fn uid() -> Option<u32> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_users_line_is_parsed_for_the_right_uid() {
        let text = "    0:     9 8/8 3/1000000 40/25000000\n 1000:     5 5/5 4/200 1800/20000\n";
        assert_eq!(
            parse_key_users(text, 1000),
            Some(KeyQuota {
                keys: 4,
                max_keys: 200,
                bytes: 1800,
                max_bytes: 20000
            })
        );
        assert_eq!(parse_key_users(text, 0).unwrap().max_keys, 1_000_000);
        assert_eq!(parse_key_users(text, 42), None);
    }

    #[test]
    fn a_service_with_the_separator_is_refused() {
        let err = KeyutilsBackend::with_service("a:b").unwrap_err();
        assert!(err.to_string().contains("':'"), "{err}");
    }
}
