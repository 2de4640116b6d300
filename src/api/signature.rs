//! The access-key login's request signature (related-endpoints.md, "Get access tokens with an
//! access key"): HMAC-SHA256 keyed with the secret key over a compact JSON of the other headers.
//!
//! The same function signs in the client and verifies in the mock, so the two cannot drift;
//! the unit tests pin it to the public clients' test vector and to an independent
//! implementation's output for values that need escaping.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signed message: `{"accessKey":"..","timestamp":"..","user":".."}`, keys in that order,
/// no spaces, values escaped as JSON strings (`"` → `\"`, `\` → `\\`, controls → `\uXXXX`/`\n`;
/// non-ASCII kept as UTF-8, as the public clients send it).
pub(crate) fn signing_message(user: &str, access_key: &str, timestamp: &str) -> String {
    format!(
        r#"{{"accessKey":{},"timestamp":{},"user":{}}}"#,
        json_string(access_key),
        json_string(timestamp),
        json_string(user)
    )
}

/// Lowercase hex HMAC-SHA256 of [`signing_message`], keyed with `secret_key`.
pub fn sign(user: &str, access_key: &str, timestamp: &str, secret_key: &str) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret_key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(signing_message(user, access_key, timestamp).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks `signature` (hex, any case) against the expected one in constant time.
pub(crate) fn verify(
    user: &str,
    access_key: &str,
    timestamp: &str,
    secret_key: &str,
    signature: &str,
) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret_key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(signing_message(user, access_key, timestamp).as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// A JSON string literal (serde_json's escaping: the standard one, UTF-8 kept).
fn json_string(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_public_test_vector() {
        assert_eq!(
            signing_message("bob", "AK1", "1764597591"),
            r#"{"accessKey":"AK1","timestamp":"1764597591","user":"bob"}"#
        );
        assert_eq!(
            sign("bob", "AK1", "1764597591", "SK1"),
            "eecba514de9219b8366b8461871542207b0c42a4f968725938602d98fbd5dbcf"
        );
    }

    #[test]
    fn escapes_values_as_json() {
        assert_eq!(
            signing_message("李雷", "A\"K\\1", "1"),
            r#"{"accessKey":"A\"K\\1","timestamp":"1","user":"李雷"}"#
        );
        assert_eq!(
            signing_message("a\nb", "k", "\u{1}"),
            r#"{"accessKey":"k","timestamp":"\u0001","user":"a\nb"}"#
        );
        // Computed independently with Python's hmac + json.dumps(separators=(",", ":"),
        // ensure_ascii=False) for the same values and key "S".
        assert_eq!(
            sign("李雷", "A\"K\\1", "1", "S"),
            "49f59de633ceb38feeb3f08c42cca1dfc47728417dc5a8da16e786dbcc846353"
        );
    }

    #[test]
    fn every_input_changes_the_signature() {
        let base = sign("bob", "AK1", "1764597591", "SK1");
        for other in [
            sign("bob2", "AK1", "1764597591", "SK1"),
            sign("bob", "AK2", "1764597591", "SK1"),
            sign("bob", "AK1", "1764597592", "SK1"),
            sign("bob", "AK1", "1764597591", "SK2"),
        ] {
            assert_ne!(base, other);
            assert_eq!(other.len(), 64);
            assert!(
                other
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
            );
        }
    }

    #[test]
    fn verify_accepts_only_the_right_signature() {
        let good = "eecba514de9219b8366b8461871542207b0c42a4f968725938602d98fbd5dbcf";
        assert!(verify("bob", "AK1", "1764597591", "SK1", good));
        assert!(verify(
            "bob",
            "AK1",
            "1764597591",
            "SK1",
            &good.to_uppercase()
        ));
        assert!(!verify("bob", "AK1", "1764597591", "SK2", good));
        assert!(!verify("bob", "AK1", "1764597590", "SK1", good));
        assert!(!verify("bob", "AK1", "1764597591", "SK1", "zz"));
        assert!(!verify("bob", "AK1", "1764597591", "SK1", &good[..62]));
    }
}
