//! [`LoginError`] in the interface language. What the server or the store said is quoted as
//! it came (their own words).

use super::LoginError;
use crate::tr;

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            LoginError::Api { user, error } => {
                let error = error.to_string();
                tr!("login_error.api", user = user, error = error)
            }
            LoginError::Store(e) => return e.fmt(f),
            LoginError::NoRememberedKey {
                user,
                base_url,
                command,
            } => tr!(
                "login_error.no_remembered_key",
                user = user,
                base_url = base_url,
                command = command
            ),
            LoginError::NoAccount { user, command } => {
                tr!("login_error.no_account", user = user, command = command)
            }
            LoginError::Ambiguous { user, urls } => {
                let urls = urls.join(", ");
                tr!("cli_login.several_urls", user = user, urls = urls)
            }
            LoginError::NotSaved {
                user,
                source,
                stored,
                rescued,
            } => {
                let source = source.to_string();
                let stored = match stored.is_empty() {
                    true => tr!("login_error.none"),
                    false => stored.join(", "),
                };
                let rescued: Vec<String> = rescued
                    .iter()
                    .map(|r| {
                        let kept = r.kept.describe(&r.name);
                        tr!("login_error.rescued", name = r.name, kept = kept)
                    })
                    .collect();
                let rescued = rescued.join("; ");
                tr!(
                    "login_error.not_saved",
                    user = user,
                    source = source,
                    stored = stored,
                    rescued = rescued
                )
            }
            LoginError::NothingStored { user, skipped } => {
                let skipped: Vec<String> = skipped
                    .iter()
                    .map(|s| format!("{}: {}", s.region, s.reason))
                    .collect();
                let skipped = match skipped.is_empty() {
                    true => tr!("login_error.none"),
                    false => skipped.join("; "),
                };
                tr!("login_error.nothing_stored", user = user, skipped = skipped)
            }
        };
        f.write_str(&text)
    }
}

/// `Store` is transparent: its source is the store error's.
impl std::error::Error for LoginError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoginError::Store(e) => std::error::Error::source(e),
            // NotSaved quotes its store error: as a source it would be printed twice.
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

    /// A login whose tokens were not all stored says which were, and where each other one
    /// went; one that stored nothing says why, region by region.
    #[test]
    fn unsaved_and_nothing_stored_say_what_happened_in_both_languages() {
        use crate::login::Skipped;
        use crate::rescue::{Kept, Rescued};
        use crate::store::StoreError;
        let not_saved = LoginError::NotSaved {
            user: "alice".into(),
            source: StoreError::Timeout,
            stored: vec!["alice/ac".into()],
            rescued: vec![Rescued {
                name: "alice/华东一区【昆山】".into(),
                token: crate::token::Token::from_raw(crate::samples::SAMPLE_REQUEST),
                kept: Kept::File("/s/rescue/x.jwt".into()),
            }],
        };
        let nothing = LoginError::NothingStored {
            user: "alice".into(),
            skipped: vec![Skipped {
                region: "华东一区【昆山】 (11250)".into(),
                reason: "not available".into(),
            }],
        };
        let en = with_lang(Lang::En, || not_saved.to_string());
        assert!(
            en.starts_with("logged in as alice, but the tokens could not all be stored"),
            "{en}"
        );
        assert!(en.contains("stored: alice/ac"), "{en}");
        assert!(
            en.contains("alice/华东一区【昆山】: it is in /s/rescue/x.jwt (mode 0600); restore it with `actoken add 'alice/华东一区【昆山】' --force < /s/rescue/x.jwt`"),
            "{en}"
        );
        assert!(!en.contains(crate::samples::SAMPLE_REQUEST));
        let zh = with_lang(Lang::ZhCn, || not_saved.to_string());
        assert!(
            zh.contains("已保存：alice/ac") && zh.contains("/s/rescue/x.jwt"),
            "{zh}"
        );
        let en = with_lang(Lang::En, || nothing.to_string());
        assert_eq!(
            en,
            "logged in as alice, but no token was stored: 华东一区【昆山】 (11250): not available"
        );
        let zh = with_lang(Lang::ZhCn, || nothing.to_string());
        assert!(
            zh.starts_with("已以 alice 登录，但没有保存任何访问凭证"),
            "{zh}"
        );
    }

    #[test]
    fn login_errors_speak_the_interface_language() {
        let error = || LoginError::NoAccount {
            user: "alice".into(),
            command: "actoken login --user alice".into(),
        };
        let en = with_lang(Lang::En, || error().to_string());
        assert_eq!(
            en,
            "no remembered login for alice; log in first with `actoken login --user alice`"
        );
        let zh = with_lang(Lang::ZhCn, || error().to_string());
        assert!(
            zh.contains("记住的登录") && zh.contains("`actoken login --user alice`"),
            "{zh}"
        );
    }
}
