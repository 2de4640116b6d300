//! Anything that looks like a token, hidden from what actoken shows: a token typed where a
//! name goes (`actoken show eyJ…`), one a server echoes in its message, one in an error
//! quoting an argument. Only `actoken token NAME` (and `env`, `exec`) hand a token out, on
//! stdout or to a child, on purpose; every other output passes through [`mask_tokens`].

use std::borrow::Cow;

/// What a hidden token becomes.
pub(crate) const HIDDEN: &str = "<token hidden>";

/// The shortest part of a token hidden on its own: a JWT's header and payload are longer (the
/// smallest JSON object worth signing is), its signature too (43 characters for HS256), while
/// the labels of host names and versions are shorter.
const LONG_PART: usize = 16;

/// Characters of a JWT: base64url and the dots between its parts.
fn in_token(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Whether `run` (base64url characters and dots) looks like a token or a piece of one: a
/// part that is a base64url JSON object (`eyJ` is what `{"` encodes to: a JWT's header and
/// payload), or three dot-separated parts at least two of which are long and random-looking
/// (a JWT whose header is not `eyJ…`). The masked display `eyJh…GDK4`, host names (lower
/// case), versions and words that merely contain `eyJ` are not.
pub(crate) fn looks_like_token(run: &str) -> bool {
    let run = run.trim_matches('.');
    let parts: Vec<&str> = run.split('.').collect();
    if run.len() >= LONG_PART && parts.iter().any(|p| p.starts_with("eyJ")) {
        return true;
    }
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts.iter().filter(|p| random_looking(p)).count() >= 2
}

/// A long part in both cases, as base64 of random bytes is (a signature), and host names
/// are not.
fn random_looking(part: &str) -> bool {
    part.len() >= LONG_PART
        && part.chars().any(|c| c.is_ascii_uppercase())
        && part.chars().any(|c| c.is_ascii_lowercase())
}

/// `text` with every run of token characters that [`looks_like_token`] replaced by
/// [`HIDDEN`].
pub(crate) fn mask_tokens(text: &str) -> Cow<'_, str> {
    if !runs(text).any(|(_, run)| looks_like_token(run)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (at, run) in runs(text).filter(|(_, run)| looks_like_token(run)) {
        out.push_str(&text[done..at]);
        out.push_str(HIDDEN);
        done = at + run.len();
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

/// Whether `text` holds something [`mask_tokens`] hides.
pub(crate) fn holds_token(text: &str) -> bool {
    runs(text).any(|(_, run)| looks_like_token(run))
}

/// `text` without `secret` (what we sent, echoed back by a server), nor any long part of it
/// on its own: a server that quotes only a token's signature quotes the part that makes it.
pub(crate) fn scrub_secret<'a>(text: &'a str, secret: &str) -> Cow<'a, str> {
    let mut pieces: Vec<&str> = vec![secret];
    pieces.extend(secret.split('.').filter(|p| p.len() >= LONG_PART));
    let mut out = Cow::Borrowed(text);
    for piece in pieces.into_iter().filter(|p| !p.is_empty()) {
        if out.contains(piece) {
            out = Cow::Owned(out.replace(piece, HIDDEN));
        }
    }
    out
}

/// The maximal runs of token characters in `text`, with their byte offsets.
fn runs(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = rest.find(|&(_, c)| in_token(c))?;
        let mut end = text.len();
        while let Some(&(i, c)) = rest.peek() {
            if !in_token(c) {
                end = i;
                break;
            }
            rest.next();
        }
        Some((start, &text[start..end]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::SAMPLE_REQUEST;

    #[test]
    fn tokens_and_their_pieces_are_hidden_wherever_they_stand() {
        let (header, rest) = SAMPLE_REQUEST.split_once('.').unwrap();
        let (payload, _signature) = rest.split_once('.').unwrap();
        for text in [
            SAMPLE_REQUEST.to_owned(),
            format!("no token named \"{SAMPLE_REQUEST}\"; see `actoken list`"),
            format!("unexpected argument '--token={SAMPLE_REQUEST}' found"),
            format!("header {header} alone"),
            format!("payload:{payload}."),
            // A JWT whose header is not a JSON object's base64url.
            "abc.ZGVmZ2hpamtsbW5vcHFy.c3R1dnd4eXphYmNkZWZnaGlq".to_owned(),
        ] {
            let shown = mask_tokens(&text);
            assert!(holds_token(&text), "{text}");
            assert!(shown.contains(HIDDEN), "{shown}");
            assert!(!shown.contains("eyJ") && !shown.contains("ZGVm"), "{shown}");
        }
        let two = format!("a {SAMPLE_REQUEST} b {SAMPLE_REQUEST}");
        assert_eq!(mask_tokens(&two), format!("a {HIDDEN} b {HIDDEN}"));
    }

    #[test]
    fn ordinary_words_names_and_addresses_stay() {
        for text in [
            "eyJh…GDK4",
            "alice/华东一区【昆山】 expires in 3h 12m",
            "https://c11112.hpc.example.com:65101/hpc v2.3",
            "api01.a-very-long-cluster-name.example.com",
            "version 1.2.3, 127.0.0.1:65102",
            "/home/alice/.config/actoken/index.toml",
            "invoker 6048ce7ba15c2af2e8cec12991ec13cf",
            "https://ac-hpc-production01.cluster-region-east.example.com:65101/hpc",
            "monkeyJSONParserFactory failed",
        ] {
            assert!(matches!(mask_tokens(text), Cow::Borrowed(_)), "{text}");
            assert!(!holds_token(text), "{text}");
        }
    }

    #[test]
    fn what_we_sent_is_scrubbed_whole_and_by_its_long_parts() {
        let signature = SAMPLE_REQUEST.rsplit('.').next().unwrap();
        let echoed = format!("signature {signature} does not match");
        assert_eq!(
            scrub_secret(&echoed, SAMPLE_REQUEST),
            format!("signature {HIDDEN} does not match")
        );
        assert_eq!(
            scrub_secret("you sent abc", "abc"),
            format!("you sent {HIDDEN}")
        );
        assert_eq!(scrub_secret("nothing here", SAMPLE_REQUEST), "nothing here");
        assert_eq!(scrub_secret("x", ""), "x");
    }
}
