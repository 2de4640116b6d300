//! The `tokens/next` reply parser on arbitrary bodies: never panics; a token it hands back
//! always decodes with an expiry; no error message quotes the token that was sent.
#![no_main]

use actoken::api::response::{parse_envelope, parse_renew};
use libfuzzer_sys::fuzz_target;

/// The token "sent" with the request; a server may echo it back in `msg`.
const SENT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJleHBpcmVUaW1lIjoiMTcwMDAwMDAwMDAwMCJ9.c2VjcmV0LXNpZ25hdHVyZQ";

fuzz_target!(|data: &[u8]| {
    let _ = parse_envelope(data, Some("application/json"));
    match parse_renew(data, None, Some(SENT)) {
        Ok(token) => {
            let decoded = token.decode().expect("a returned token decodes");
            assert!(decoded.claims.expire_time.is_some());
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains(SENT), "error quotes the sent token: {msg}");
        }
    }
});
