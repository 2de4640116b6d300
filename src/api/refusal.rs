//! Why a login was refused, read from the platform's message.
//!
//! The get-token endpoints' error codes are unconfirmed (related-endpoints.md), but public
//! clients agree on message words: 不存在 (not found) and 非本人 (belongs to someone else).
//! The reason is derived from those words so the user gets a next step, and the platform's own
//! message is always shown beside it.

use serde::Serialize;

/// Which get-token endpoint was called: the same words mean different things in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginMethod {
    /// `POST {auth}/api/user/v3/tokens` with an access key and a signature.
    AccessKey,
    /// `POST {base}/ac/openapi/v2/tokens` with user, password and org id.
    Password,
}

/// What the platform objected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginRefusal {
    /// 不存在 in an access-key login: no such access key.
    UnknownAccessKey,
    /// 非本人: the access key belongs to another user.
    KeyOfAnotherUser,
    /// The signature did not match: the secret key is wrong.
    WrongSecretKey,
    /// The timestamp was too far from the server's clock.
    ClockSkew,
    /// 不存在 in a password login: no such user or organisation.
    UnknownUser,
    /// The password (or user name) is wrong.
    WrongPassword,
    /// 10003 / 参数不全: a header was missing (e.g. the org id).
    MissingParameter,
    /// Anything else: the platform's message is all there is.
    Other,
}

/// Reads the reason from a refused login's code and (sanitised) message.
pub(crate) fn classify(method: LoginMethod, code: &str, msg: &str) -> LoginRefusal {
    let lower = msg.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    // First: a list of required parameters names the others ("signature", "password").
    if code.trim() == "10003"
        || has(&[
            "参数不全",
            "missing parameter",
            "is required",
            "are required",
        ])
    {
        LoginRefusal::MissingParameter
    } else if has(&["非本人", "another user", "not yours"]) {
        LoginRefusal::KeyOfAnotherUser
    } else if has(&["签名", "signature"]) {
        LoginRefusal::WrongSecretKey
    } else if has(&["时间戳", "timestamp", "clock"]) {
        LoginRefusal::ClockSkew
    } else if has(&["密码", "password"]) {
        LoginRefusal::WrongPassword
    } else if has(&["不存在", "not exist", "not found"]) {
        match method {
            LoginMethod::AccessKey => LoginRefusal::UnknownAccessKey,
            LoginMethod::Password => LoginRefusal::UnknownUser,
        }
    } else {
        LoginRefusal::Other
    }
}

/// The whole message of a refused login: what the platform said, what it means, what to do.
pub(crate) fn message(code: &str, msg: &str, reason: LoginRefusal) -> String {
    let said = if msg.is_empty() {
        String::new()
    } else {
        format!(", server said: {msg:?}")
    };
    format!(
        "the platform refused the login (code {code}{said}): {}",
        hint(reason)
    )
}

fn hint(reason: LoginRefusal) -> &'static str {
    match reason {
        LoginRefusal::UnknownAccessKey => {
            "the access key was not found; check the access key id (the web console lists your access keys) and the auth URL"
        }
        LoginRefusal::KeyOfAnotherUser => {
            "the access key belongs to another user; log in with the user name the key was created for, or use your own key"
        }
        LoginRefusal::WrongSecretKey => {
            "the signature did not match, so the secret key is wrong or belongs to another access key; enter the secret key again"
        }
        LoginRefusal::ClockSkew => {
            "the request's timestamp was refused; check that this machine's clock is correct (within a few minutes) and try again"
        }
        LoginRefusal::UnknownUser => {
            "the user or organisation was not found; check the user name and the org id"
        }
        LoginRefusal::WrongPassword => {
            "the user name or password is wrong; check them and try again"
        }
        LoginRefusal::MissingParameter => {
            "a required parameter was missing; the password login needs the user, the password and the org id (32 hex digits), the access-key login the user, access key and secret key"
        }
        LoginRefusal::Other => {
            "check the user name and the credentials; the server's message says why"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LoginMethod::{AccessKey, Password};

    #[test]
    fn reasons_come_from_the_platform_words() {
        let cases = [
            (
                AccessKey,
                "10004",
                "AccessKey不存在",
                LoginRefusal::UnknownAccessKey,
            ),
            (Password, "10004", "用户不存在", LoginRefusal::UnknownUser),
            (
                AccessKey,
                "10004",
                "该AccessKey非本人所有",
                LoginRefusal::KeyOfAnotherUser,
            ),
            (
                AccessKey,
                "10004",
                "签名校验失败",
                LoginRefusal::WrongSecretKey,
            ),
            (
                AccessKey,
                "10004",
                "Signature mismatch",
                LoginRefusal::WrongSecretKey,
            ),
            (AccessKey, "10004", "时间戳已过期", LoginRefusal::ClockSkew),
            (
                Password,
                "10004",
                "用户名或密码错误",
                LoginRefusal::WrongPassword,
            ),
            (Password, "10003", "", LoginRefusal::MissingParameter),
            (
                Password,
                "10001",
                "参数不全: orgId",
                LoginRefusal::MissingParameter,
            ),
            (
                AccessKey,
                "10003",
                "参数不全: user, accessKey, timestamp and signature are required",
                LoginRefusal::MissingParameter,
            ),
            (AccessKey, "10001", "内部错误", LoginRefusal::Other),
        ];
        for (method, code, msg, want) in cases {
            assert_eq!(classify(method, code, msg), want, "{msg}");
        }
    }

    #[test]
    fn message_has_code_server_words_and_next_step() {
        let text = message("10004", "AccessKey不存在", LoginRefusal::UnknownAccessKey);
        assert!(text.contains("10004"), "{text}");
        assert!(text.contains("AccessKey不存在"), "{text}");
        assert!(text.contains("access key was not found"), "{text}");
        let text = message("10003", "", LoginRefusal::MissingParameter);
        assert!(!text.contains("server said"), "{text}");
        assert!(text.contains("org id"), "{text}");
    }
}
