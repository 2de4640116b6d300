//! Property tests for the token decoder: it never panics on any input, and a token built from
//! arbitrary claims decodes back to exactly those claims.

use actoken::token::{Token, TokenError};
use base64::Engine;
use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Map, Value};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn jwt_of(payload: &Value) -> String {
    format!(
        "{}.{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(payload.to_string().as_bytes()),
        b64(b"signature")
    )
}

/// Claim text as the platform writes it, including non-ASCII and JSON-special characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_]{0,12}",
        "\\PC{0,12}",
        Just("华东一区【昆山】".to_owned()),
        Just("\"quoted\\\\\n".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_strings(s in "\\PC{0,200}") {
        let _ = Token::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_jwt_shaped_strings(
        a in "[A-Za-z0-9_\\-=+/.]{0,60}",
        b in "[A-Za-z0-9_\\-=+/.]{0,200}",
        c in "[A-Za-z0-9_\\-=+/.]{0,40}",
    ) {
        let _ = Token::parse(&format!("{a}.{b}.{c}"));
        let _ = Token::parse(&format!("eyJ{a}.eyJ{b}.{c}"));
    }

    #[test]
    fn parse_never_panics_on_arbitrary_payload_bytes(
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        header in proptest::collection::vec(any::<u8>(), 0..60),
    ) {
        let _ = Token::parse(&format!("{}.{}.c2ln", b64(&header), b64(&payload)));
        let _ = Token::parse(&format!("{}.{}.c2ln", b64(br#"{"alg":"HS256"}"#), b64(&payload)));
    }

    #[test]
    fn what_parse_accepts_is_three_base64url_parts_and_nothing_else(s in "\\PC{0,200}") {
        if let Ok((token, _)) = Token::parse(&s) {
            let parts: Vec<&str> = token.expose().split('.').collect();
            prop_assert_eq!(parts.len(), 3);
            for part in parts {
                prop_assert!(!part.is_empty());
                prop_assert!(part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            }
        }
    }

    #[test]
    fn junk_after_the_signature_is_refused(
        lead in "[A-Za-z0-9_-]{0,4}",
        stray in "[ \t\r\n\x1b\x07=+/:!~]",
        tail in "[A-Za-z0-9:;\\]\\[-]{1,12}",
    ) {
        let raw = jwt_of(&serde_json::json!({"user": "华东一区【昆山】", "expireTime": "1700000000000"}));
        prop_assert!(Token::parse(&raw).is_ok());
        let junked = format!("{raw}{lead}{stray}{tail}");
        prop_assert!(Token::parse(&junked).is_err(), "{:?} accepted", format!("{lead}{stray}{tail}"));
    }

    #[test]
    fn parse_never_panics_on_odd_expire_times(v in prop_oneof![
        any::<i64>().prop_map(|n| Value::String(n.to_string())),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        "\\PC{0,30}".prop_map(Value::String),
        Just(Value::Null),
        Just(serde_json::json!([1, 2])),
    ]) {
        let raw = jwt_of(&serde_json::json!({ "expireTime": v }));
        match Token::parse(&raw) {
            Ok((_, d)) => prop_assert!(d.claims.expire_time.is_some()),
            Err(e) => prop_assert!(matches!(
                e,
                TokenError::BadExpireTime(_) | TokenError::NoExpireTime
            ), "{e:?}"),
        }
    }

    #[test]
    fn claims_round_trip(
        user in text(),
        compute_user in text(),
        cluster_id in "[0-9]{1,6}",
        status in text(),
        user_id in proptest::option::of("[0-9]{11}"),
        extra in proptest::collection::btree_map("[a-z]{1,8}X", text(), 0..4),
        // Anywhere from 1973 (the seconds/ms threshold) to year 9999.
        ms in 100_000_000_000i64..253_402_300_799_000,
        as_number in any::<bool>(),
    ) {
        let mut map = Map::new();
        map.insert("user".into(), Value::String(user.clone()));
        map.insert("computeUser".into(), Value::String(compute_user.clone()));
        map.insert("clusterId".into(), Value::String(cluster_id.clone()));
        map.insert("accountStatus".into(), Value::String(status.clone()));
        let expire = if as_number { Value::from(ms) } else { Value::String(ms.to_string()) };
        map.insert("expireTime".into(), expire);
        if let Some(id) = &user_id {
            map.insert("userId".into(), Value::String(id.clone()));
        }
        for (k, v) in &extra {
            map.insert(k.clone(), Value::String(v.clone()));
        }
        let raw = jwt_of(&Value::Object(map.clone()));
        // Whitespace around the input does not matter.
        let (token, d) = Token::parse(&format!(" \n{raw}\t\r\n")).unwrap();
        prop_assert_eq!(token.expose(), raw.as_str());
        prop_assert_eq!(d.alg.as_str(), "HS256");
        let c = &d.claims;
        prop_assert_eq!(c.user.as_deref(), Some(user.as_str()));
        prop_assert_eq!(c.compute_user.as_deref(), Some(compute_user.as_str()));
        prop_assert_eq!(c.cluster_id.as_deref(), Some(cluster_id.as_str()));
        prop_assert_eq!(c.account_status.as_deref(), Some(status.as_str()));
        prop_assert_eq!(c.user_id.clone(), user_id);
        prop_assert_eq!(c.expire_time, Some(Timestamp::from_millisecond(ms).unwrap()));
        prop_assert!(!c.expire_time_suspect_seconds);
        // Every claim kept, in payload order.
        prop_assert_eq!(&c.all, &map);
        // The masked form never reveals more than 8 characters of it.
        prop_assert!(token.masked().chars().count() <= 9);
    }
}
