//! The platform's `code` values and what they mean (renew-token page, §5, and the general
//! table of the platform's documentation).

/// Meaning of a platform code: (English, Chinese), as the platform's API pages give them.
pub fn describe_code(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code.trim() {
        "0" => ("success", "接口调用成功"),
        "10001" => ("internal server error", "内部错误"),
        "10003" => ("missing parameters", "参数不全"),
        "10004" => ("invalid parameters (e.g. a bad or dead token)", "参数无效"),
        "10007" => ("user frozen", "用户已被冻结"),
        "10008" => ("insufficient permission", "权限不足"),
        "10009" => ("no permission to access this interface", "没有权限访问接口"),
        "10010" => ("file check failed", "文件校验失败"),
        "10011" => ("file too large", "文件过大"),
        "10012" => ("connection interrupted", "连接中断"),
        _ => return None,
    })
}

/// Codes meaning the token itself was refused: renewing again with it will not help.
/// 10008 is what other endpoints answer for an expired token (related-endpoints.md). Every
/// other code is the server's trouble or the account's, not a verdict on the token.
pub(crate) fn rejects_token(code: &str) -> bool {
    matches!(code.trim(), "10004" | "10008")
}

/// The user is frozen: neither renewing nor logging in again can help, only the platform.
pub(crate) fn freezes_user(code: &str) -> bool {
    code.trim() == "10007"
}

/// What the user should do after a given code, in the interface language.
pub(crate) fn advice(code: &str) -> String {
    match code.trim() {
        "10001" => crate::tr!("code_advice.internal"),
        "10003" => crate::tr!("code_advice.missing"),
        "10004" => crate::tr!("code_advice.invalid"),
        "10007" => crate::tr!("code_advice.frozen"),
        "10008" | "10009" => crate::tr!("code_advice.permission"),
        "10010" => crate::tr!("code_advice.file_check"),
        "10011" => crate::tr!("code_advice.file_too_large"),
        "10012" => crate::tr!("code_advice.interrupted"),
        _ => crate::tr!("code_advice.undocumented"),
    }
}

/// `, server said: "…"`: the platform's own words (sanitised), quoted; nothing without any.
pub(crate) fn server_said(msg: &str) -> String {
    if msg.is_empty() {
        return String::new();
    }
    let quoted = format!("{msg:?}");
    crate::tr!("api.server_said", msg = quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_have_both_languages() {
        for code in [
            "0", "10001", "10003", "10004", "10007", "10008", "10009", "10010", "10011", "10012",
        ] {
            let (en, zh) = describe_code(code).unwrap();
            assert!(!en.is_empty() && !zh.is_empty(), "{code}");
        }
        assert_eq!(describe_code(" 10004 ").unwrap().1, "参数无效");
        assert_eq!(describe_code("10007").unwrap().1, "用户已被冻结");
        assert_eq!(describe_code("10002"), None);
    }

    #[test]
    fn only_token_codes_reject_the_token() {
        assert!(rejects_token("10004"));
        assert!(rejects_token("10008"));
        for other in ["10001", "10003", "10007", "10009", "10012", "0"] {
            assert!(!rejects_token(other), "{other}");
        }
    }

    /// A frozen user is told that renewing or logging in again cannot help.
    #[test]
    fn a_frozen_user_is_sent_to_the_platform() {
        assert!(freezes_user("10007") && !freezes_user("10004"));
        let next = advice("10007");
        assert!(
            next.contains("cannot help") && next.contains("unfreeze"),
            "{next}"
        );
        for code in ["10010", "10011", "10012"] {
            assert!(!advice(code).contains("not documented"), "{code}");
        }
        let zh = crate::i18n::with_lang(crate::i18n::Lang::ZhCn, || advice("10007"));
        assert!(zh.contains("冻结") && zh.contains("续约"), "{zh}");
    }
}
