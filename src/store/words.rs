//! [`StoreError`] in the interface language, and the next steps a keyring failure carries
//! (`fix`). What the keyring or the file system said is quoted as it came.

use super::{StoreError, StoreKind};
use crate::shell_quote::shell_word;
use crate::tr;

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted = |name: &str| format!("{name:?}");
        // In a command to paste: one shell word.
        let word = |name: &str| shell_word(name);
        let text = match self {
            StoreError::NotFound(name) => tr!("store_error.not_found", name = quoted(name)),
            StoreError::Exists(name) => {
                tr!(
                    "store_error.exists",
                    quoted = quoted(name),
                    name = word(name)
                )
            }
            StoreError::InvalidName { name, reason } => tr!(
                "store_error.invalid_name",
                name = quoted(name),
                reason = reason
            ),
            StoreError::SecretMissing(name) => {
                tr!(
                    "store_error.secret_missing",
                    quoted = quoted(name),
                    name = word(name)
                )
            }
            StoreError::InOtherStore { name, kind } => tr!(
                "store_error.in_other_store",
                quoted = quoted(name),
                name = word(name),
                store = store_label(*kind),
                kind = kind.as_str(),
                other = kind.other().as_str()
            ),
            StoreError::Unavailable { cause, fix } => {
                tr!("store_error.unavailable", cause = cause, fix = fix)
            }
            StoreError::Timeout => tr!("store_error.timeout"),
            StoreError::LockTimeout { name, path } => {
                let path = path.display().to_string();
                tr!("store_error.lock_timeout", name = quoted(name), path = path)
            }
            StoreError::Backend(detail) => tr!("store_error.backend", detail = detail),
            StoreError::Panicked(detail) => tr!("store_error.panicked", detail = detail),
            StoreError::Index { path, message } => {
                let path = path.display().to_string();
                tr!("store_error.index", path = path, message = message)
            }
            StoreError::Accounts { path, message } => {
                let path = path.display().to_string();
                tr!("store_error.accounts", path = path, message = message)
            }
            StoreError::Io { path, source } => {
                let (path, source) = (path.display().to_string(), source.to_string());
                tr!("store_error.io", path = path, source = source)
            }
            StoreError::Untrusted(distrust) => distrust.to_string(),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A store's name for people ("the kernel keyring"), in the interface language.
pub fn store_label(kind: StoreKind) -> String {
    match kind {
        StoreKind::SecretService => tr!("store.secret_service"),
        StoreKind::Keyutils => tr!("store.keyutils"),
    }
}

/// What to do when there is no usable keyring.
pub(crate) fn fix_no_keyring() -> String {
    tr!("store_fix.no_keyring")
}

/// What to do when the keyring is locked.
pub(crate) fn fix_locked() -> String {
    tr!("store_fix.locked")
}

/// Either of the two: the keyring did not answer, so which one is unknown.
pub(crate) fn fix_locked_or_no_keyring() -> String {
    let (locked, none) = (fix_locked(), fix_no_keyring());
    tr!("store_fix.locked_or_none", locked = locked, none = none)
}

/// What to do when the kernel keyring cannot be used.
pub(crate) fn fix_keyutils() -> String {
    tr!("store_fix.keyutils")
}

/// The kernel keyring exists only on Linux: the Secret Service elsewhere.
#[cfg(not(target_os = "linux"))]
pub(crate) fn fix_use_secret_service() -> String {
    tr!("store_fix.use_secret_service")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

    #[test]
    fn store_errors_speak_the_interface_language_and_keep_the_english_text() {
        let name = "alice/华东一区【昆山】";
        let en = with_lang(Lang::En, || StoreError::Exists(name.into()).to_string());
        assert_eq!(
            en,
            "a token named \"alice/华东一区【昆山】\" already exists; choose another name, or \
             replace it with `actoken add 'alice/华东一区【昆山】' --force`"
        );
        let zh = with_lang(Lang::ZhCn, || StoreError::NotFound(name.into()).to_string());
        assert!(zh.contains("没有名为") && zh.contains("【昆山】"), "{zh}");
        let unavailable = || StoreError::Unavailable {
            cause: "cannot reach a D-Bus session bus".into(),
            fix: fix_locked_or_no_keyring(),
        };
        let zh = with_lang(Lang::ZhCn, || unavailable().to_string());
        assert!(
            zh.starts_with("系统密钥环不可用") && zh.contains("请解锁密钥环"),
            "{zh}"
        );
        let en = with_lang(Lang::En, || unavailable().to_string());
        assert!(
            en.contains("unlock the keyring") && en.contains("; or install and start"),
            "{en}"
        );
    }
}
