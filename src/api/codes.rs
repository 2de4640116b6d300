//! The platform's `code` values and what they mean (renew-token page, §5).

/// Meaning of a platform code: (English, Chinese), as the platform's API page gives them.
pub fn describe_code(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code.trim() {
        "0" => ("success", "接口调用成功"),
        "10001" => ("internal server error", "内部错误"),
        "10003" => ("missing parameters", "参数不全"),
        "10004" => ("invalid parameters (e.g. a bad or dead token)", "参数无效"),
        "10008" => ("insufficient permission", "权限不足"),
        "10009" => ("no permission to access this interface", "没有权限访问接口"),
        _ => return None,
    })
}

/// Codes meaning the token itself was refused: renewing again with it will not help.
/// 10008 is what other endpoints answer for an expired token (related-endpoints.md).
pub(crate) fn rejects_token(code: &str) -> bool {
    matches!(code.trim(), "10004" | "10008")
}

/// What the user should do after a given code.
pub(crate) fn advice(code: &str) -> &'static str {
    match code.trim() {
        "10001" => "the platform had an internal error; try again later",
        "10003" => {
            "the request lacked a parameter; check that the token is not empty and add it again"
        }
        "10004" => {
            "the token is invalid or expired beyond the renew cutoff; get a new one by logging in again"
        }
        "10008" | "10009" => {
            "the account may not use this interface with this token; log in again, or ask the platform's support about your account's permissions"
        }
        _ => "this code is not documented; read the platform's message and try again later",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_have_both_languages() {
        for code in ["0", "10001", "10003", "10004", "10008", "10009"] {
            let (en, zh) = describe_code(code).unwrap();
            assert!(!en.is_empty() && !zh.is_empty(), "{code}");
        }
        assert_eq!(describe_code(" 10004 ").unwrap().1, "参数无效");
        assert_eq!(describe_code("10002"), None);
    }

    #[test]
    fn only_token_codes_reject_the_token() {
        assert!(rejects_token("10004"));
        assert!(rejects_token("10008"));
        assert!(!rejects_token("10001"));
        assert!(!rejects_token("10009"));
        assert!(!rejects_token("0"));
    }
}
