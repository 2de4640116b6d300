//! Reading the platform's reply envelope `{"code", "msg", "data"}` (renew-token page, §4).
//!
//! The page is inconsistent about `data`, so the parser is tolerant: `code` may be a string or a
//! number; a success's `data` may be the token string, an object with a `token` field, or an
//! array whose first usable entry has one. Anything else is a specific error.

use std::fmt;

use serde_json::Value;

use super::ApiError;
use super::error::{sanitize_code, sanitize_msg};
use crate::token::Token;

/// The code meaning success.
pub(crate) const SUCCESS: &str = "0";

/// A parsed reply. `data` may hold secrets, so `Debug` leaves it out.
pub struct Envelope {
    /// Normalised to text (`0` and `"0"` are the same).
    pub code: String,
    /// The server's message, raw (sanitise before showing it).
    pub msg: String,
    pub data: Option<Value>,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("code", &sanitize_code(&self.code, None))
            .field("msg", &sanitize_msg(&self.msg, None))
            .field("data", &self.data.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Envelope {
    pub(crate) fn is_success(&self) -> bool {
        self.code == SUCCESS
    }

    /// The platform error for a non-success reply; `sent` is the secret we sent, scrubbed from
    /// the message should the server echo it.
    pub fn to_error(&self, sent: Option<&str>) -> ApiError {
        ApiError::Platform {
            code: sanitize_code(&self.code, sent),
            msg: sanitize_msg(&self.msg, sent),
        }
    }
}

/// Parses a reply body. `content_type` is only used in error messages.
pub fn parse_envelope(body: &[u8], content_type: Option<&str>) -> Result<Envelope, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let blank = body.iter().all(u8::is_ascii_whitespace);
        if e.is_eof() && !blank {
            ApiError::Truncated {
                received: body.len(),
            }
        } else {
            ApiError::NotJson {
                content_type: describe_content_type(content_type),
                len: body.len(),
            }
        }
    })?;
    let Value::Object(mut map) = value else {
        return Err(unexpected(format!(
            "a JSON {} instead of an object",
            kind(&value)
        )));
    };
    let code = match map.get("code") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(unexpected(format!("`code` is a JSON {}", kind(other))));
        }
        None => return Err(unexpected("it has no `code` field".to_owned())),
    };
    let msg = match map.get("msg") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => String::new(),
        Some(other) => other.to_string(),
    };
    Ok(Envelope {
        code,
        msg,
        data: map.remove("data"),
    })
}

/// Parses a `tokens/next` reply into the new token. `sent` is the token we sent (scrubbed from
/// any message). The token must decode and carry an expiry; comparing expiries is the caller's.
pub(crate) fn parse_renew(
    body: &[u8],
    content_type: Option<&str>,
    sent: Option<&str>,
) -> Result<Token, ApiError> {
    let envelope = parse_envelope(body, content_type)?;
    if !envelope.is_success() {
        return Err(envelope.to_error(sent));
    }
    let raw = token_in_data(envelope.data.as_ref())?;
    let (token, _) =
        Token::parse(raw).map_err(|e| malformed(format!("the new token is unusable: {e}")))?;
    Ok(token)
}

/// Finds the token text in a success's `data`.
pub(crate) fn token_in_data(data: Option<&Value>) -> Result<&str, ApiError> {
    match data {
        None | Some(Value::Null) => Err(malformed("`data` is missing".to_owned())),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(malformed("`data` is empty".to_owned()))
        }
        Some(Value::String(s)) => Ok(s),
        Some(Value::Object(obj)) => match obj.get("token") {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
            Some(Value::String(_)) | Some(Value::Null) => {
                Err(malformed("`data.token` is empty".to_owned()))
            }
            Some(other) => Err(malformed(format!("`data.token` is a JSON {}", kind(other)))),
            None => Err(malformed(
                "`data` is an object without a `token` field".to_owned(),
            )),
        },
        Some(Value::Array(items)) => {
            // Entries whose token is null are regions the account cannot use; skip them.
            items
                .iter()
                .filter_map(|item| item.get("token").and_then(Value::as_str))
                .find(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    malformed(format!(
                        "`data` is a list of {} entries, none with a `token`",
                        items.len()
                    ))
                })
        }
        Some(other) => Err(malformed(format!(
            "`data` is a JSON {}, not a token",
            kind(other)
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The server's `Content-Type`, made printable and short for a message.
fn describe_content_type(ct: Option<&str>) -> String {
    match ct.map(str::trim).filter(|c| !c.is_empty()) {
        None => "an unspecified content type".to_owned(),
        Some(c) => {
            let clean: String = c
                .chars()
                .filter(|ch| ch.is_ascii_graphic() || *ch == ' ')
                .take(60)
                .collect();
            clean
        }
    }
}

fn unexpected(reason: String) -> ApiError {
    ApiError::UnexpectedJson { reason }
}

fn malformed(reason: String) -> ApiError {
    ApiError::MalformedSuccess { reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{SAMPLE_REQUEST, SAMPLE_RESPONSE};
    use proptest::prelude::*;

    fn renew(body: &str) -> Result<Token, ApiError> {
        parse_renew(
            body.as_bytes(),
            Some("application/json"),
            Some(SAMPLE_REQUEST),
        )
    }

    fn assert_clean(err: &ApiError) {
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(SAMPLE_REQUEST), "{text}");
            assert!(!text.contains(SAMPLE_RESPONSE), "{text}");
            assert!(!text.contains("eyJ"), "{text}");
        }
    }

    #[test]
    fn accepts_the_pages_example_shape() {
        let body = format!(r#"{{"msg":"success","code":"0","data":"{SAMPLE_RESPONSE}"}}"#);
        assert_eq!(renew(&body).unwrap().expose(), SAMPLE_RESPONSE);
    }

    #[test]
    fn accepts_numeric_code_object_and_array_data() {
        for body in [
            format!(r#"{{"code":0,"msg":"success","data":"{SAMPLE_RESPONSE}"}}"#),
            format!(r#"{{"code":"0","data":{{"token":"{SAMPLE_RESPONSE}","clusterId":"1"}}}}"#),
            format!(
                r#"{{"code":"0","data":[{{"clusterId":"9","token":null}},{{"token":"{SAMPLE_RESPONSE}"}}]}}"#
            ),
            format!(" \n{{\"code\":\" 0 \",\"data\":\"  {SAMPLE_RESPONSE}\\n\"}}"),
        ] {
            assert_eq!(renew(&body).unwrap().expose(), SAMPLE_RESPONSE, "{body}");
        }
    }

    #[test]
    fn platform_codes_become_platform_errors_with_scrubbed_msg() {
        let body = format!(r#"{{"code":10004,"msg":"token {SAMPLE_REQUEST} invalid"}}"#);
        let err = renew(&body).unwrap_err();
        assert_eq!(err.platform_code(), Some("10004"));
        assert!(err.token_rejected());
        assert!(
            err.to_string().contains("token <token hidden> invalid"),
            "{err}"
        );
        assert_clean(&err);
    }

    /// The `code` field is shown as it came ("code 10004"): a hostile one is made inert like
    /// the message, and a token or its signature in either is hidden.
    #[test]
    fn a_hostile_code_or_message_is_inert_in_the_error() {
        let signature = SAMPLE_REQUEST.rsplit('.').next().unwrap();
        let body = serde_json::json!({
            "code": "10004\u{1b}]52;c;ZXZpbA==\u{7}\nforged line",
            "msg": format!("bad \u{9b}2J signature {signature}\n\u{202e}txt"),
        })
        .to_string();
        let err = renew(&body).unwrap_err();
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.chars().any(crate::inert::is_unsafe), "{text:?}");
            assert!(!text.contains(signature), "{text}");
        }
        assert!(err.to_string().contains("forged"), "{err}");
        assert_clean(&err);
    }

    #[test]
    fn malformed_success_shapes_are_specific() {
        let cases = [
            (r#"{"code":"0","msg":"success"}"#, "missing"),
            (r#"{"code":"0","data":null}"#, "missing"),
            (r#"{"code":"0","data":""}"#, "empty"),
            (r#"{"code":"0","data":"   "}"#, "empty"),
            (r#"{"code":"0","data":"not-a-jwt"}"#, "unusable"),
            (r#"{"code":"0","data":42}"#, "number"),
            (r#"{"code":"0","data":{}}"#, "without a `token`"),
            (r#"{"code":"0","data":{"token":7}}"#, "number"),
            (r#"{"code":"0","data":{"token":""}}"#, "empty"),
            (r#"{"code":"0","data":[]}"#, "list of 0"),
            (r#"{"code":"0","data":[{"token":null}]}"#, "list of 1"),
        ];
        for (body, words) in cases {
            let err = renew(body).unwrap_err();
            assert!(
                matches!(err, ApiError::MalformedSuccess { .. }),
                "{body}: {err:?}"
            );
            assert!(err.to_string().contains(words), "{body}: {err}");
        }
        // A JWT-shaped value without an expiry is refused too: the caller needs the expiry.
        let no_exp = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYSJ9.c2ln";
        let err = renew(&format!(r#"{{"code":"0","data":"{no_exp}"}}"#)).unwrap_err();
        assert!(err.to_string().contains("expireTime"), "{err}");
        assert_clean(&err);
    }

    #[test]
    fn non_envelopes_are_reported_by_kind() {
        let err = parse_renew(
            b"<html><body>Login</body></html>",
            Some("text/html; charset=utf-8"),
            None,
        )
        .unwrap_err();
        match &err {
            ApiError::NotJson { content_type, len } => {
                assert_eq!(content_type, "text/html; charset=utf-8");
                assert_eq!(*len, 31);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_renew(b"", None, None).unwrap_err(),
            ApiError::NotJson { len: 0, .. }
        ));
        let cut = format!(r#"{{"code":"0","data":"{}"#, &SAMPLE_RESPONSE[..40]);
        let err = parse_renew(cut.as_bytes(), None, None).unwrap_err();
        assert!(
            matches!(err, ApiError::Truncated { received } if received == cut.len()),
            "{err:?}"
        );
        assert_clean(&err);
        for (body, words) in [
            ("[1,2]", "array"),
            (r#"{"msg":"hi"}"#, "no `code`"),
            (r#"{"code":null}"#, "`code` is a JSON null"),
        ] {
            let err = parse_renew(body.as_bytes(), None, None).unwrap_err();
            assert!(matches!(err, ApiError::UnexpectedJson { .. }), "{body}");
            assert!(err.to_string().contains(words), "{err}");
        }
    }

    #[test]
    fn envelope_debug_hides_data() {
        let body = format!(r#"{{"code":"0","data":"{SAMPLE_RESPONSE}"}}"#);
        let env = parse_envelope(body.as_bytes(), None).unwrap();
        assert!(!format!("{env:?}").contains("eyJ"));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..512),
                                           ct in proptest::option::of(".{0,80}")) {
            let _ = parse_renew(&body, ct.as_deref(), Some(SAMPLE_REQUEST));
        }

        #[test]
        fn never_panics_on_envelope_like_json(code in prop_oneof![Just("\"0\"".to_owned()), Just("0".to_owned()), "-?[0-9]{1,6}", "\"[^\"\\\\]{0,8}\""],
                                               data in prop_oneof![Just("null".to_owned()), "\"[a-zA-Z0-9._-]{0,40}\"", Just("[]".to_owned()), Just("{\"token\":1}".to_owned())],
                                               cut in 0usize..80) {
            let body = format!(r#"{{"code":{code},"msg":"m","data":{data}}}"#);
            let end = cut.min(body.len());
            let result = parse_renew(&body.as_bytes()[..end], None, None);
            prop_assert!(result.is_err());
        }
    }
}
