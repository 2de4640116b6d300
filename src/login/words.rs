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
        };
        f.write_str(&text)
    }
}

/// `Store` is transparent: its source is the store error's.
impl std::error::Error for LoginError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoginError::Store(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

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
