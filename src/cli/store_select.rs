//! The store in use for this command, and the one-time notice when `auto` chose the kernel
//! keyring because the Secret Service could not be used.

use super::streams::Io;
use std::path::Path;
use std::time::Duration;

use crate::store::{Selected, StoreChoice, StoreKind, select};
use crate::tr;

/// Marker (in the state dir) that the notice was shown: it is printed once, not per command.
const NOTICE_MARKER: &str = "auto-store-notice-shown";

/// The one-line notice, in the interface language (`why` is the store's own English cause).
pub(crate) fn fallback_notice(why: &str) -> String {
    tr!("store.fallback_notice", why = why)
}

/// The store `choice` (asked for by `source`) comes to for keyring service `service`; the
/// fallback notice is shown once per state dir.
pub(crate) fn choose(
    io: &Io,
    choice: StoreChoice,
    source: &'static str,
    service: &str,
    timeout: Duration,
    state_dir: &Path,
) -> anyhow::Result<Selected> {
    let selected = select(choice, source, service, timeout)?;
    if let (StoreKind::Keyutils, Some(why)) = (selected.kind, &selected.passed_over) {
        notice_once(io, state_dir, why);
    }
    Ok(selected)
}

fn notice_once(io: &Io, state_dir: &Path, why: &str) {
    let marker = state_dir.join(NOTICE_MARKER);
    if marker.exists() {
        return;
    }
    errln!(io, "{}", fallback_notice(first_sentence(why)));
    // Only into a state dir that is the user's (opening the store refuses any other, saying
    // why), and never through a symlink.
    let written = crate::files::trust::check(crate::files::Role::StateDir, state_dir)
        .map_err(crate::store::StoreError::from)
        .and_then(|()| crate::store::write_private_atomic(&marker, b"shown\n"));
    if let Err(e) = written {
        tracing::debug!(error = %e, path = %marker.display(), "cannot remember that the store notice was shown");
    }
}

/// A cause can be long (a D-Bus error chain): its first clause is enough for one line.
fn first_sentence(why: &str) -> &str {
    why.split(" (").next().unwrap_or(why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};
    use crate::store::store_label;

    #[test]
    fn the_notice_speaks_the_interface_language() {
        let why = "cannot reach a D-Bus session bus";
        let en = with_lang(Lang::En, || fallback_notice(why));
        assert!(
            en.starts_with("note: no usable Secret Service (cannot reach"),
            "{en}"
        );
        assert!(en.contains("cleared at reboot"), "{en}");
        let zh = with_lang(Lang::ZhCn, || fallback_notice(why));
        assert!(zh.contains("内核密钥环"), "{zh}");
        assert!(zh.contains("重启"), "{zh}");
        // Config keys and commands stay as they are.
        assert!(zh.contains("store = \"keyutils\""), "{zh}");
        assert!(zh.contains("`actoken doctor`"), "{zh}");
        assert!(zh.contains(why), "{zh}");
        assert_eq!(
            with_lang(Lang::ZhCn, || store_label(StoreKind::Keyutils)),
            "内核密钥环"
        );
    }
}
