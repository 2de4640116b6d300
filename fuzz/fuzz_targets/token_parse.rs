//! `Token::parse` on arbitrary input: never panics, and what it accepts is self-consistent.
#![no_main]

use actoken::token::Token;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((token, decoded)) = Token::parse(text) {
        // Accepted input is the trimmed text, carries an expiry, and decodes the same again.
        assert_eq!(token.expose(), text.trim());
        // It is three base64url parts and nothing else (so it can always be sent in a header).
        let parts: Vec<&str> = token.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')));
        assert!(decoded.claims.expire_time.is_some());
        assert_eq!(token.decode().as_ref(), Ok(&decoded));
        // Debug never shows it.
        assert_eq!(format!("{token:?}"), "Token(<redacted>)");
    }
});
