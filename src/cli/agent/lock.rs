//! The agent's lock (`actoken agent lock` / `unlock`, as `ssh-add -x` / `-X`): while locked,
//! `token` requests are refused. The passphrase is not kept: only an HMAC-SHA-256 of it under
//! a random salt drawn for this lock, compared in constant time. Wrong passphrases are slowed
//! down: one guess at a time, each failure waits longer (up to [`MAX_DELAY`]).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

/// The longest wait after a wrong passphrase.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(16);

/// Why a lock or an unlock was refused (the client's message; English, the agent's language).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LockError {
    #[error("it was locked already")]
    AlreadyLocked,
    #[error("the agent is not locked")]
    NotLocked,
    #[error("an empty passphrase locks nothing")]
    Empty,
    #[error("wrong passphrase, it stays locked")]
    WrongPassphrase,
    #[error("no random salt for the lock: {0}")]
    NoRandom(String),
}

#[derive(Default)]
pub(crate) struct Lock {
    /// The salted hash while locked.
    locked: Mutex<Option<Sealed>>,
    /// Wrong passphrases since the last unlock; held while a failure waits out its delay,
    /// so guesses come one at a time.
    failures: tokio::sync::Mutex<u32>,
}

struct Sealed {
    salt: [u8; 16],
    tag: [u8; 32],
}

impl Lock {
    pub(crate) fn is_locked(&self) -> bool {
        lock(&self.locked).is_some()
    }

    pub(crate) fn lock(&self, passphrase: &str) -> Result<(), LockError> {
        if passphrase.is_empty() {
            return Err(LockError::Empty);
        }
        let mut locked = lock(&self.locked);
        if locked.is_some() {
            return Err(LockError::AlreadyLocked);
        }
        let salt = random_salt()?;
        let tag = keyed(&salt, passphrase).finalize().into_bytes().into();
        *locked = Some(Sealed { salt, tag });
        Ok(())
    }

    /// Unlocks with the passphrase `lock` was given; a wrong one is answered after a delay
    /// that grows with each failure in a row (1 s, 2 s, 4 s, … up to [`MAX_DELAY`]).
    pub(crate) async fn unlock(&self, passphrase: &str) -> Result<(), LockError> {
        let mut failures = self.failures.lock().await;
        let matches = {
            let mut locked = lock(&self.locked);
            let Some(sealed) = locked.as_ref() else {
                return Err(LockError::NotLocked);
            };
            let matches = keyed(&sealed.salt, passphrase)
                .verify_slice(&sealed.tag)
                .is_ok();
            if matches {
                *locked = None;
            }
            matches
        };
        if matches {
            *failures = 0;
            return Ok(());
        }
        *failures = failures.saturating_add(1);
        tokio::time::sleep(delay(*failures)).await;
        Err(LockError::WrongPassphrase)
    }
}

/// The wait after the `failures`th wrong passphrase in a row.
fn delay(failures: u32) -> Duration {
    let doubled = 1u64 << failures.saturating_sub(1).min(10);
    Duration::from_secs(doubled).min(MAX_DELAY)
}

fn keyed(salt: &[u8], passphrase: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(salt).expect("HMAC takes a key of any length");
    mac.update(passphrase.as_bytes());
    mac
}

/// 16 bytes from the kernel's random source (Linux and macOS alike).
fn random_salt() -> Result<[u8; 16], LockError> {
    let mut salt = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut salt))
        .map_err(|e| LockError::NoRandom(e.to_string()))?;
    Ok(salt)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn only_the_passphrase_unlocks_and_wrong_ones_wait_longer_each_time() {
        let _watchdog = crate::watchdog::arm();
        let lock = Lock::default();
        assert_eq!(lock.unlock("x").await, Err(LockError::NotLocked));
        assert_eq!(lock.lock(""), Err(LockError::Empty));
        lock.lock("华东 correct horse").unwrap();
        assert!(lock.is_locked());
        assert_eq!(lock.lock("another"), Err(LockError::AlreadyLocked));

        let started = tokio::time::Instant::now();
        assert_eq!(lock.unlock("wrong").await, Err(LockError::WrongPassphrase));
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert_eq!(
            lock.unlock("华东 correct").await,
            Err(LockError::WrongPassphrase)
        );
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        assert!(lock.is_locked());
        lock.unlock("华东 correct horse").await.unwrap();
        assert!(!lock.is_locked());
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(3),
            "the right one waits not"
        );

        // A success starts the count again.
        lock.lock("second").unwrap();
        let started = tokio::time::Instant::now();
        assert!(lock.unlock("wrong").await.is_err());
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }

    #[test]
    fn the_delay_doubles_up_to_its_cap() {
        let secs: Vec<u64> = (1..=7).map(|n| delay(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 16, 16]);
        assert_eq!(delay(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn each_lock_draws_its_own_salt_and_keeps_no_passphrase() {
        let (a, b) = (Lock::default(), Lock::default());
        a.lock("same").unwrap();
        b.lock("same").unwrap();
        let (a, b) = (lock(&a.locked), lock(&b.locked));
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.tag, b.tag);
        assert!(!a.tag.windows(4).any(|w| w == b"same"));
    }
}
