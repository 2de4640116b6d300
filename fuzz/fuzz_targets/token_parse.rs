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
        assert!(decoded.claims.expire_time.is_some());
        assert_eq!(token.decode().as_ref(), Ok(&decoded));
        // Debug never shows it.
        assert_eq!(format!("{token:?}"), "Token(<redacted>)");
    }
});
