//! [`RenewError`] in the interface language: the CLI prints it, the dashboard puts it in its
//! toasts, the log records it. What the server or the keyring said (an `ApiError`, a
//! `StoreError`) is quoted as it came.

use std::path::Path;

use super::RenewError;
use crate::rescue::Kept;
use crate::shell_quote::shell_word;
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
                let cmd = format!("actoken add {} --force", shell_word(name));
                tr!(
                    "renew_error.invalid",
                    name = name,
                    reason = reason,
                    cmd = cmd
                )
            }
            RenewError::NotLater {
                name,
                old,
                new,
                kept,
                ..
            } => {
                let (old, new) = (old.to_string(), new.to_string());
                let kept = match kept {
                    Kept::File(path) => {
                        let restore = restore(name, path);
                        tr!("renew_error.not_later_kept", restore = restore)
                    }
                    elsewhere => elsewhere.describe(name),
                };
                tr!(
                    "renew_error.not_later",
                    name = name,
                    new = new,
                    old = old,
                    kept = kept
                )
            }
            RenewError::Foreign {
                name,
                base_url,
                mismatch,
            } => {
                let mismatch = mismatch.describe();
                tr!(
                    "renew_error.foreign",
                    name = name,
                    base_url = base_url,
                    mismatch = mismatch
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
                name, source, kept, ..
            } => {
                let source = source.to_string();
                let rescue = match kept {
                    Kept::File(path) => {
                        let restore = restore(name, path);
                        tr!("renew_error.rescued", restore = restore)
                    }
                    elsewhere => elsewhere.describe(name),
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
                        let restore = restore(name, path);
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

/// Where a rescue file is and how to put its token back (name and path each one shell word).
fn restore(name: &str, path: &Path) -> String {
    let cmd = format!(
        "actoken add {} --force < {}",
        shell_word(name),
        shell_word(&path.to_string_lossy())
    );
    let path = path.display().to_string();
    tr!("renew_error.restore", path = path, cmd = cmd)
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
    use crate::token::identity::Mismatch;

    const KUNSHAN: &str = "华东一区【昆山】";

    fn samples() -> Vec<RenewError> {
        let name = KUNSHAN.to_owned();
        let rescue = Kept::File(std::path::PathBuf::from(
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
                kept: rescue.clone(),
            },
            RenewError::LockTimeout { name: name.clone() },
            RenewError::NeedsLogin {
                name: name.clone(),
                why: "why".into(),
                command: "actoken login --user alice".into(),
            },
            RenewError::SaveFailed {
                name: name.clone(),
                source: StoreError::Timeout,
                token: token.clone(),
                kept: rescue,
            },
            RenewError::Superseded {
                name: name.clone(),
                how: Superseded::Removed,
                token: token.clone(),
                rescue_file: Some("/home/u/.local/state/actoken/rescue/x".into()),
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
            RenewError::Foreign {
                name: name.clone(),
                base_url: "https://ac.example.cn".into(),
                mismatch: Mismatch::User {
                    expected: "alice".into(),
                    got: Some("mallory\u{1b}]52;c;x\u{7}".into()),
                },
            },
            RenewError::SaveFailed {
                name: name.clone(),
                source: StoreError::Timeout,
                token: token.clone(),
                kept: Kept::Terminal,
            },
            RenewError::NotLater {
                name: name.clone(),
                old: jiff::Timestamp::UNIX_EPOCH,
                new: jiff::Timestamp::UNIX_EPOCH,
                token: token.clone(),
                kept: Kept::Nowhere,
            },
        ]
    }

    /// Where a token no rescue file took went is said, in both languages, with the command
    /// that stores it again; a server's claim is quoted inert (no escape character).
    #[test]
    fn messages_say_where_an_unsaved_token_went_and_quote_claims_inert() {
        let all = samples();
        let [.., foreign, on_terminal, lost] = &all[..] else {
            unreachable!()
        };
        let en = |e: &RenewError| with_lang(Lang::En, || e.to_string());
        let zh = |e: &RenewError| with_lang(Lang::ZhCn, || e.to_string());
        assert!(
            en(on_terminal).contains("written to your terminal (/dev/tty) instead"),
            "{}",
            en(on_terminal)
        );
        assert!(
            zh(on_terminal).contains("终端（/dev/tty）"),
            "{}",
            zh(on_terminal)
        );
        for text in [en(on_terminal), zh(on_terminal)] {
            assert!(
                text.contains(&format!("`actoken add '{KUNSHAN}' --force`")),
                "{text}"
            );
        }
        assert!(en(lost).contains("it is lost"), "{}", en(lost));
        let text = en(foreign);
        assert!(
            text.contains(
                "returned a token of user \"mallory\\u{1b}]52;c;x\\u{7}\", not of \"alice\""
            ),
            "{text}"
        );
        assert!(!text.contains('\u{1b}') && !zh(foreign).contains('\u{1b}'));
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
        let [dead, _, _, _, _, save_failed, ..] = &samples()[..] else {
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
            text.ends_with(&format!(
                "it is in /home/u/.local/state/actoken/rescue/x (mode 0600); restore it with \
                 `actoken add '{KUNSHAN}' --force < /home/u/.local/state/actoken/rescue/x` and \
                 then delete the file"
            )),
            "{text}"
        );
    }

    /// Issue 22: the commands in these messages are pasted; the name and the rescue file's
    /// path (a state directory may hold a space, or worse) are each one shell word.
    #[test]
    fn restore_and_replace_commands_quote_the_name_and_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path().join("ran");
        let path = dir
            .path()
            .join(format!("my state;touch {}", canary.display()));
        let errors = [
            RenewError::SaveFailed {
                name: KUNSHAN.into(),
                source: StoreError::Timeout,
                token: Token::from_raw(crate::samples::SAMPLE_RESPONSE),
                kept: Kept::File(path.clone()),
            },
            RenewError::NotLater {
                name: KUNSHAN.into(),
                old: jiff::Timestamp::UNIX_EPOCH,
                new: jiff::Timestamp::UNIX_EPOCH,
                token: Token::from_raw(crate::samples::SAMPLE_RESPONSE),
                kept: Kept::File(path.clone()),
            },
        ];
        for error in errors {
            for lang in [Lang::En, Lang::ZhCn] {
                let text = with_lang(lang, || error.to_string());
                let command = text.split('`').nth(1).expect("a command");
                // The redirection is the shell's: check the words before it and the file after.
                let (add, file) = command.split_once(" < ").expect("a redirection");
                let script = format!("set -- {add}; printf '%s\\0' \"$@\"; printf '%s' {file}");
                let out = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&script)
                    .output()
                    .unwrap();
                let out = String::from_utf8(out.stdout).unwrap();
                assert_eq!(
                    out,
                    format!("actoken\0add\0{KUNSHAN}\0--force\0{}", path.display()),
                    "{text}"
                );
                assert!(!canary.exists(), "pasting {command:?} ran a command");
            }
        }
        let invalid = RenewError::Invalid {
            name: KUNSHAN.into(),
            reason: "not a JWT".into(),
        };
        let text = with_lang(Lang::En, || invalid.to_string());
        assert!(
            text.ends_with(&format!("`actoken add '{KUNSHAN}' --force`")),
            "{text}"
        );
    }
}
