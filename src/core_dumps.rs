//! No core dumps: a core file of a process that holds tokens is a file of secrets, written
//! wherever the system puts cores (often a shared crash collector). The product binary sets
//! the soft `RLIMIT_CORE` to 0 first thing ([`disable`]); the hard limit is left alone, so that
//! `actoken exec` can hand the command it becomes the limit the user had ([`for_exec`]).

#[cfg(unix)]
use std::sync::OnceLock;

/// The soft limit the process started with, to give back to a command `exec` becomes.
#[cfg(unix)]
static STARTED_WITH: OnceLock<libc::rlim_t> = OnceLock::new();

/// Sets the soft core size limit to 0 (for the process and whatever it spawns, e.g. the
/// clipboard helpers that are handed a token). Lowering a soft limit is always allowed.
pub fn disable() {
    #[cfg(unix)]
    if let Some(limit) = current() {
        let _ = STARTED_WITH.set(limit.rlim_cur);
        let _ = set_soft(&limit, 0);
    }
}

/// Runs `exec` (which replaces the process with a command) with the core size limit the
/// process started with; if `exec` returns (the command could not start), cores are off again.
pub(crate) fn for_exec<T>(exec: impl FnOnce() -> T) -> T {
    #[cfg(unix)]
    {
        let (Some(&start), Some(limit)) = (STARTED_WITH.get(), current()) else {
            return exec();
        };
        let _ = set_soft(&limit, start);
        let returned = exec();
        let _ = set_soft(&limit, 0);
        returned
    }
    #[cfg(not(unix))]
    exec()
}

#[cfg(unix)]
fn current() -> Option<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit through a valid pointer.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) } == 0;
    ok.then_some(limit)
}

/// The soft limit `soft` (never above the hard limit), the hard limit unchanged.
#[cfg(unix)]
fn set_soft(limit: &libc::rlimit, soft: libc::rlim_t) -> std::io::Result<()> {
    let wanted = libc::rlimit {
        rlim_cur: soft.min(limit.rlim_max),
        rlim_max: limit.rlim_max,
    };
    // SAFETY: setrlimit reads one rlimit through a valid pointer.
    match unsafe { libc::setrlimit(libc::RLIMIT_CORE, &wanted) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}
