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
    /// 10007 / 用户已被冻结: only the platform can help.
    UserFrozen,
    /// 10009 on the access-key login (校验失败): the request did not verify.
    VerificationFailed,
    /// Anything else: the platform's message is all there is.
    Other,
}

/// Reads the reason from a refused login's code and (sanitised) message.
pub(crate) fn classify(method: LoginMethod, code: &str, msg: &str) -> LoginRefusal {
    let lower = msg.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let code = code.trim();
    // First: a frozen user cannot log in, whatever else is wrong.
    if code == "10007" || has(&["冻结", "frozen"]) {
        LoginRefusal::UserFrozen
    // Then: a list of required parameters names the others ("signature", "password").
    } else if code == "10003"
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
    } else if (code == "10009" && method == LoginMethod::AccessKey) || has(&["校验失败"]) {
        LoginRefusal::VerificationFailed
    } else {
        LoginRefusal::Other
    }
}

/// The whole message of a refused login: what the platform said, what it means, what to do.
pub(crate) fn message(code: &str, msg: &str, reason: LoginRefusal) -> String {
    let (said, hint) = (super::codes::server_said(msg), hint(reason));
    crate::tr!(
        "login_refusal.message",
        code = code,
        said = said,
        hint = hint
    )
}

fn hint(reason: LoginRefusal) -> String {
    match reason {
        LoginRefusal::UnknownAccessKey => crate::tr!("login_refusal.unknown_access_key"),
        LoginRefusal::KeyOfAnotherUser => crate::tr!("login_refusal.key_of_another_user"),
        LoginRefusal::WrongSecretKey => crate::tr!("login_refusal.wrong_secret_key"),
        LoginRefusal::ClockSkew => crate::tr!("login_refusal.clock_skew"),
        LoginRefusal::UnknownUser => crate::tr!("login_refusal.unknown_user"),
        LoginRefusal::WrongPassword => crate::tr!("login_refusal.wrong_password"),
        LoginRefusal::MissingParameter => crate::tr!("login_refusal.missing_parameter"),
        LoginRefusal::UserFrozen => crate::tr!("login_refusal.user_frozen"),
        LoginRefusal::VerificationFailed => crate::tr!("login_refusal.verification_failed"),
        LoginRefusal::Other => crate::tr!("login_refusal.other"),
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
            (AccessKey, "10007", "", LoginRefusal::UserFrozen),
            (Password, "10004", "用户已被冻结", LoginRefusal::UserFrozen),
            (AccessKey, "10009", "", LoginRefusal::VerificationFailed),
            (AccessKey, "10009", "签名错误", LoginRefusal::WrongSecretKey),
            (Password, "10009", "没有权限", LoginRefusal::Other),
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

    /// The codes the docs list for the login (issue 23) get their own next steps, in both
    /// languages: a frozen user is not sent to log in again.
    #[test]
    fn frozen_and_unverified_logins_have_their_own_next_steps() {
        use crate::i18n::{Lang, with_lang};
        let frozen = message("10007", "用户已被冻结", LoginRefusal::UserFrozen);
        assert!(
            frozen.contains("frozen") && frozen.contains("support"),
            "{frozen}"
        );
        let unverified = message("10009", "", LoginRefusal::VerificationFailed);
        assert!(unverified.contains("did not verify"), "{unverified}");
        let zh = with_lang(Lang::ZhCn, || {
            message("10007", "用户已被冻结", LoginRefusal::UserFrozen)
        });
        assert!(zh.contains("冻结") && zh.contains("平台拒绝了登录"), "{zh}");
        let zh = with_lang(Lang::ZhCn, || {
            message("10009", "", LoginRefusal::VerificationFailed)
        });
        assert!(zh.contains("校验"), "{zh}");
    }
}
