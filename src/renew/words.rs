//! [`RenewError`] in the interface language: the CLI prints it, the dashboard puts it in its
//! toasts, the log records it. What the server or the keyring said (an `ApiError`, a
//! `StoreError`) is quoted as it came.

use std::path::Path;

use super::RenewError;
use crate::store::Superseded;
use crate::tr;

impl std::fmt::Display for RenewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            RenewError::Store(e) => return e.fmt(f),
            RenewError::Api { name, source } => format!("{name}: {source}"),
            RenewError::Dead { name, expired } => {
                tr!("renew_error.dead", name = name, expired = expired)
            }
            RenewError::Rejected { name, source } => {
                let source = source.to_string();
                tr!("renew_error.rejected", name = name, source = source)
            }
            RenewError::Invalid { name, reason } => {
                tr!("renew_error.invalid", name = name, reason = reason)
            }
            RenewError::NotLater {
                name,
                old,
                new,
                rescue_file,
                ..
            } => {
                let (old, new) = (old.to_string(), new.to_string());
                let kept = match rescue_file {
                    Some(path) => {
                        let restore = restore(path);
                        tr!("renew_error.not_later_kept", restore = restore)
                    }
                    None => tr!("renew_error.not_later_lost"),
                };
                tr!(
                    "renew_error.not_later",
                    name = name,
                    new = new,
                    old = old,
                    kept = kept
                )
            }
            RenewError::LockTimeout { name } => tr!("renew_error.lock_timeout", name = name),
            RenewError::NeedsLogin { name, why, command } => tr!(
                "renew_error.needs_login",
                name = name,
                why = why,
                command = command
            ),
            RenewError::Relogin { name, error } => {
                let error = error.to_string();
                tr!("renew_error.relogin", name = name, error = error)
            }
            RenewError::SaveFailed {
                name,
                source,
                rescue_file,
                ..
            } => {
                let source = source.to_string();
                let rescue = match rescue_file {
                    Some(path) => {
                        let restore = restore(path);
                        tr!("renew_error.rescued", restore = restore)
                    }
                    None => tr!("renew_error.not_rescued"),
                };
                tr!(
                    "renew_error.save_failed",
                    name = name,
                    source = source,
                    rescue = rescue
                )
            }
            RenewError::Superseded {
                name,
                how,
                rescue_file,
                ..
            } => {
                let kept = match rescue_file {
                    Some(path) => {
                        let restore = restore(path);
                        tr!("renew_error.superseded_kept", restore = restore)
                    }
                    None => tr!("renew_error.superseded_lost"),
                };
                match how {
                    Superseded::Removed => {
                        tr!("renew_error.superseded_removed", name = name, kept = kept)
                    }
                    Superseded::Replaced => {
                        tr!("renew_error.superseded_replaced", name = name, kept = kept)
                    }
                }
            }
            RenewError::NotAttempted { name, reason } => {
                tr!("renew_error.not_attempted", name = name, reason = reason)
            }
        };
        f.write_str(&text)
    }
}

/// Where a rescue file is and how to put its token back.
fn restore(path: &Path) -> String {
    let path = path.display().to_string();
    tr!("renew_error.restore", path = path)
}

impl std::error::Error for RenewError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Transparent: the store error speaks for itself, and its own source is next.
            RenewError::Store(e) => e.source(),
            RenewError::Api { source, .. } | RenewError::Rejected { source, .. } => Some(source),
            RenewError::SaveFailed { source, .. } => Some(source),
            // Its text is part of this one's; the failure kind reads it through the variant.
            _ => None,
        }
    }
}

impl From<crate::store::StoreError> for RenewError {
    fn from(e: crate::store::StoreError) -> RenewError {
        RenewError::Store(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};
    use crate::store::StoreError;
    use crate::token::Token;

    const KUNSHAN: &str = "华东一区【昆山】";

    fn samples() -> Vec<RenewError> {
        let name = KUNSHAN.to_owned();
        let rescue = Some(std::path::PathBuf::from(
            "/home/u/.local/state/actoken/rescue/x",
        ));
        let token = Token::from_raw(crate::samples::SAMPLE_RESPONSE);
        vec![
            RenewError::Dead {
                name: name.clone(),
                expired: "1d 6h ago".into(),
            },
            RenewError::Invalid {
                name: name.clone(),
                reason: "not a JWT".into(),
            },
            RenewError::NotLater {
                name: name.clone(),
                old: jiff::Timestamp::UNIX_EPOCH,
                new: jiff::Timestamp::UNIX_EPOCH,
                token: token.clone(),
                rescue_file: rescue.clone(),
            },
            RenewError::LockTimeout { name: name.clone() },
            RenewError::NeedsLogin {
                name: name.clone(),
                why: "why".into(),
                command: "actoken login --user alice".into(),
            },
            RenewError::Superseded {
                name: name.clone(),
                how: Superseded::Removed,
                token: token.clone(),
                rescue_file: rescue.clone(),
            },
            RenewError::Superseded {
                name: name.clone(),
                how: Superseded::Replaced,
                token: token.clone(),
                rescue_file: None,
            },
            RenewError::NotAttempted {
                name: name.clone(),
                reason: "keyring error: the keyring is locked".into(),
            },
            RenewError::SaveFailed {
                name,
                source: StoreError::Timeout,
                token,
                rescue_file: rescue,
            },
        ]
    }

    #[test]
    fn every_failure_speaks_the_interface_language_and_keeps_names_commands_and_paths() {
        for error in samples() {
            let en = with_lang(Lang::En, || error.to_string());
            let zh = with_lang(Lang::ZhCn, || error.to_string());
            assert!(en.starts_with(&format!("{KUNSHAN}: ")), "{en}");
            assert!(zh.starts_with(&format!("{KUNSHAN}：")), "{zh}");
            assert!(
                !zh.contains("the token") && !zh.contains("the server"),
                "{zh}"
            );
            assert_ne!(en, zh);
            for kept in [
                "`actoken login --user alice`",
                "/home/u/.local/state/actoken/rescue/x",
            ] {
                assert_eq!(en.contains(kept), zh.contains(kept), "{kept}: {en} / {zh}");
            }
        }
    }

    /// The English texts are the ones scripts and the fault matrix have always seen.
    #[test]
    fn english_texts_are_unchanged() {
        let [dead, .., save_failed] = &samples()[..] else {
            unreachable!()
        };
        assert_eq!(
            with_lang(Lang::En, || dead.to_string()),
            format!(
                "{KUNSHAN}: the token expired 1d 6h ago, more than the renew grace ago, so it \
                 can no longer be renewed; get a new token (e.g. `actoken login`, then it is \
                 stored again)"
            )
        );
        let text = with_lang(Lang::En, || save_failed.to_string());
        assert!(
            text.ends_with(
                "it is in /home/u/.local/state/actoken/rescue/x (mode 0600); restore it with \
                 `actoken add NAME --force < /home/u/.local/state/actoken/rescue/x` and then \
                 delete the file"
            ),
            "{text}"
        );
    }
}
