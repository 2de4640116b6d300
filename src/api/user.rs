//! The account behind the tokens: `GET {base}/ac/openapi/v2/user` with the platform token
//! (related-endpoints.md). Its status and balance explain a region the login listed with a
//! `null` token: the platform gives none while the account is suspended (e.g. in arrears).

use serde::Serialize;

use super::center::{data_object, text};
use super::response::parse_envelope;
use super::{AcClient, ApiError, endpoint, token_header};
use crate::token::Token;

pub const USER_PATH: &str = "ac/openapi/v2/user";

/// What the platform says about the account. Every field may be missing. Serialisable for
/// `accounts --json` (field names are a stable interface).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UserInfo {
    pub user_name: Option<String>,
    pub full_name: Option<String>,
    pub account_name: Option<String>,
    /// e.g. `Normal`.
    pub account_status: Option<String>,
    /// As the platform writes it, e.g. `"0.00"`.
    pub account_balance: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub computer_center: Option<String>,
}

impl UserInfo {
    /// True when the account cannot use regions until it is topped up: a status other than
    /// `Normal` (but `Disable`, which money does not fix), or a balance of zero or less.
    pub(crate) fn needs_top_up(&self) -> bool {
        if self.is_disabled() {
            return false;
        }
        let abnormal = self
            .account_status
            .as_deref()
            .is_some_and(|s| !s.eq_ignore_ascii_case("normal"));
        let empty = self
            .account_balance
            .as_deref()
            .and_then(|b| b.trim().parse::<f64>().ok())
            .is_some_and(|b| b <= 0.0);
        abnormal || empty
    }

    /// "account suspended, balance 0.00": the status in words.
    pub(crate) fn summary(&self) -> String {
        let status = self
            .account_status
            .as_deref()
            .map_or_else(|| crate::tr!("account.status_unknown"), status_words);
        let balance = self
            .account_balance
            .clone()
            .unwrap_or_else(|| crate::tr!("account.balance_unknown"));
        crate::tr!("account.summary", status = status, balance = balance)
    }

    /// `accountStatus` `Disable`: the platform disabled the account; only its support can
    /// enable it again (renewing, logging in or topping up cannot).
    pub(crate) fn is_disabled(&self) -> bool {
        self.account_status.as_deref().is_some_and(|s| {
            matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "disable" | "disabled"
            )
        })
    }

    /// Why the login listed a region without a token.
    pub(crate) fn explain_unavailable(&self) -> String {
        if self.is_disabled() {
            crate::tr!("account.disabled_ask", summary = self.summary())
        } else if self.needs_top_up() {
            crate::tr!("account.top_up_region", summary = self.summary())
        } else {
            crate::tr!("account.not_available", summary = self.summary())
        }
    }

    /// What keeps the account from its regions and what to do, when something does.
    pub(crate) fn regions_advice(&self) -> Option<String> {
        if self.is_disabled() {
            Some(crate::tr!("account.disabled_ask", summary = self.summary()))
        } else if self.needs_top_up() {
            Some(crate::tr!(
                "account.top_up_regions",
                summary = self.summary()
            ))
        } else {
            None
        }
    }
}

/// Status words for the codes seen on the platform (others are shown as they are).
fn status_words(status: &str) -> String {
    match status.to_ascii_lowercase().as_str() {
        "normal" => crate::tr!("account.normal"),
        "owe" | "arrears" => crate::tr!("account.arrears"),
        "disable" | "disabled" => crate::tr!("account.disabled"),
        "suspended" | "stop" | "停用" => crate::tr!("account.suspended"),
        "trial" => crate::tr!("account.trial"),
        _ => status.to_owned(),
    }
}

impl AcClient {
    /// GET {base}/ac/openapi/v2/user with header `token` (the account's platform token).
    pub async fn user_info(&self, base_url: &str, token: &Token) -> Result<UserInfo, ApiError> {
        let url = endpoint(base_url, USER_PATH)?;
        let request = self
            .http
            .get(url.clone())
            .header("token", token_header(token)?);
        let reply = self.exchange(&url, request, Some(token.expose())).await?;
        parse_user(&reply.body, reply.content_type.as_deref(), token.expose())
    }
}

/// Parses a `user` reply. `sent` (the token) is scrubbed from any message.
pub fn parse_user(
    body: &[u8],
    content_type: Option<&str>,
    sent: &str,
) -> Result<UserInfo, ApiError> {
    let envelope = parse_envelope(body, content_type)?;
    if !envelope.is_success() {
        return Err(envelope.to_error(Some(sent)));
    }
    let data = data_object(envelope.data, "account information reply")?;
    let field = |k: &str| text(data.get(k));
    Ok(UserInfo {
        user_name: field("userName"),
        full_name: field("fullName"),
        account_name: field("accountName"),
        account_status: field("accountStatus"),
        account_balance: field("accountBalance"),
        language: field("language"),
        time_zone: field("timeZone"),
        computer_center: field("computerCenter"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<UserInfo, ApiError> {
        parse_user(body.as_bytes(), Some("application/json"), "tok")
    }

    #[test]
    fn reads_the_documented_fields_and_numbers_as_text() {
        let u = parse(
            r#"{"code":"0","msg":"success","data":{"userName":"alice","fullName":"爱丽丝",
            "accountName":"alice","accountStatus":"Normal","accountBalance":12.5,
            "language":"zh_CN","timeZone":"Asia/Shanghai","computerCenter":"昆山"}}"#,
        )
        .unwrap();
        assert_eq!(u.user_name.as_deref(), Some("alice"));
        assert_eq!(u.full_name.as_deref(), Some("爱丽丝"));
        assert_eq!(u.account_balance.as_deref(), Some("12.5"));
        assert_eq!(u.language.as_deref(), Some("zh_CN"));
        assert!(!u.needs_top_up());
        assert!(parse(r#"{"code":"0","data":[{}]}"#).unwrap() == UserInfo::default());
        assert!(
            parse(r#"{"code":"10008","msg":"expired"}"#)
                .unwrap_err()
                .token_rejected()
        );
        assert!(matches!(
            parse(r#"{"code":"0","data":"x"}"#),
            Err(ApiError::Malformed { .. })
        ));
    }

    #[test]
    fn explains_a_region_without_a_token() {
        let info = |status: &str, balance: &str| UserInfo {
            account_status: Some(status.into()),
            account_balance: Some(balance.into()),
            ..UserInfo::default()
        };
        assert_eq!(
            info("Suspended", "0.00").explain_unavailable(),
            "account suspended, balance 0.00: top up to use this region"
        );
        assert_eq!(
            info("Owe", "-3.20").explain_unavailable(),
            "account in arrears, balance -3.20: top up to use this region"
        );
        assert!(info("Normal", "0.00").needs_top_up());
        let normal = info("Normal", "1280.50").explain_unavailable();
        assert!(
            normal.starts_with("not available (account normal, balance 1280.50)"),
            "{normal}"
        );
        assert_eq!(
            UserInfo::default().summary(),
            "account status unknown, balance unknown"
        );
        // Issue 23: `Disable`, in words, with the one next step that helps.
        let disabled = info("Disable", "12.00");
        assert!(!disabled.needs_top_up());
        assert_eq!(
            disabled.explain_unavailable(),
            "account disabled, balance 12.00: topping up, renewing or logging in again cannot help; ask the platform's support to enable the account"
        );
        assert_eq!(
            disabled.regions_advice(),
            Some(disabled.explain_unavailable())
        );
        assert_eq!(info("Normal", "9.00").regions_advice(), None);
        crate::i18n::with_lang(crate::i18n::Lang::ZhCn, || {
            assert_eq!(
                info("Disable", "12.00").explain_unavailable(),
                "账户已禁用，余额 12.00：充值、续约或重新登录都无济于事；请联系平台客服启用账户"
            );
            assert_eq!(
                info("Owe", "-3.20").explain_unavailable(),
                "账户欠费，余额 -3.20：充值后才能使用此区域"
            );
            assert!(
                info("Normal", "9.00")
                    .explain_unavailable()
                    .starts_with("不可用（账户正常，余额 9.00）")
            );
        });
    }
}
