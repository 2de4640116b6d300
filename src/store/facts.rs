//! [`TokenFacts`]: the non-secret facts of a stored token (a few claims and a fingerprint),
//! cached in the index so that `list`, `show` and the dashboard's table need no secret read.
//!
//! The fingerprint is the first 64 bits of the token's plain SHA-256, hex. It only has to tell
//! "the keyring still holds the token we last saw" from "something else is there now". It
//! leaks nothing useful: the token ends in a 256-bit HMAC signature nobody without the token
//! knows, so the hash cannot be inverted or brute-forced, and the only thing it can confirm
//! is a token one already holds. (A keyed hash would need a key kept somewhere, for no gain.)

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::token::{Claims, Decoded, Token, value_as_text};

/// Hex digits of SHA-256 kept as the fingerprint (64 bits: a chance collision is ~1 in 2^64).
const FINGERPRINT_HEX: usize = 16;

/// What the index remembers of a token, written whenever actoken stores or reads the secret.
/// Claims keep the token's own spelling and text, so decoding them again gives exactly what
/// decoding the token gave (the same phase, the same suspect-seconds check). Every field but
/// the fingerprint is optional: a new one is one more `Option` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFacts {
    /// `sha256:` and the first 16 hex digits of the token's SHA-256.
    pub fingerprint: String,
    /// The JWT header's `alg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(
        default,
        rename = "computeUser",
        skip_serializing_if = "Option::is_none"
    )]
    pub compute_user: Option<String>,
    #[serde(default, rename = "clusterId", skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(
        default,
        rename = "clusterName",
        skip_serializing_if = "Option::is_none"
    )]
    pub cluster_name: Option<String>,
    #[serde(
        default,
        rename = "accountStatus",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_status: Option<String>,
    /// Epoch milliseconds as the token writes them.
    #[serde(
        default,
        rename = "expireTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub expire_time: Option<String>,
    /// Why the secret does not decode as a region token, when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl TokenFacts {
    /// Decodes `token` (without verifying it) and keeps what the index may hold.
    pub fn of(token: &Token) -> TokenFacts {
        let (decoded, problem) = match token.decode() {
            Ok(decoded) => (Some(decoded), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let claim = |key: &str| {
            decoded
                .as_ref()
                .and_then(|d| d.claims.all.get(key))
                .and_then(value_as_text)
        };
        TokenFacts {
            fingerprint: fingerprint(token),
            alg: decoded.as_ref().map(|d| d.alg.clone()),
            user: claim("user"),
            compute_user: claim("computeUser"),
            cluster_id: claim("clusterId"),
            cluster_name: claim("clusterName"),
            account_status: claim("accountStatus"),
            expire_time: claim("expireTime"),
            problem,
        }
    }

    /// The token as decoding it gave, from the cached claims; `Err` with the reason when it
    /// did not decode.
    pub(crate) fn decoded(&self) -> Result<Decoded, String> {
        if let Some(problem) = &self.problem {
            return Err(problem.clone());
        }
        let all: Map<String, Value> = self
            .claims()
            .into_iter()
            .filter_map(|(key, text)| Some((key.to_owned(), Value::String(text.clone()?))))
            .collect();
        let claims = Claims::from_payload(all).map_err(|e| e.to_string())?;
        Ok(Decoded {
            alg: self.alg.clone().unwrap_or_default(),
            claims,
        })
    }

    /// A short hint that tells two tokens apart on screen ("sha256:1a2b3c4d").
    pub(crate) fn hint(&self) -> String {
        self.fingerprint.chars().take("sha256:".len() + 8).collect()
    }

    /// Whether `token` is the token these facts were taken from.
    pub(crate) fn describes(&self, token: &Token) -> bool {
        self.fingerprint == fingerprint(token)
    }

    /// The cached claims by their token names, in the order they are shown.
    fn claims(&self) -> [(&'static str, &Option<String>); 6] {
        [
            ("user", &self.user),
            ("computeUser", &self.compute_user),
            ("clusterId", &self.cluster_id),
            ("clusterName", &self.cluster_name),
            ("accountStatus", &self.account_status),
            ("expireTime", &self.expire_time),
        ]
    }
}

/// `sha256:` and the first [`FINGERPRINT_HEX`] hex digits of the token's SHA-256.
pub fn fingerprint(token: &Token) -> String {
    let digest = Sha256::digest(token.expose().as_bytes());
    let mut hex = hex::encode(digest);
    hex.truncate(FINGERPRINT_HEX);
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{SAMPLE_REQUEST, SAMPLE_RESPONSE};

    #[test]
    fn facts_decode_to_what_the_token_decodes_to() {
        for raw in [SAMPLE_REQUEST, SAMPLE_RESPONSE] {
            let token = Token::from_raw(raw);
            let facts = TokenFacts::of(&token);
            let from_token = token.decode().unwrap();
            let from_facts = facts.decoded().unwrap();
            assert_eq!(from_facts.alg, from_token.alg);
            let c = &from_facts.claims;
            let t = &from_token.claims;
            assert_eq!(c.expire_time, t.expire_time);
            assert_eq!(c.user, t.user);
            assert_eq!(c.compute_user, t.compute_user);
            assert_eq!(c.cluster_id, t.cluster_id);
            assert_eq!(c.account_status, t.account_status);
            assert!(facts.describes(&token));
        }
    }

    #[test]
    fn fingerprint_is_short_stable_and_tells_tokens_apart() {
        let a = Token::from_raw(SAMPLE_REQUEST);
        let b = Token::from_raw(SAMPLE_RESPONSE);
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a).len(), "sha256:".len() + FINGERPRINT_HEX);
        assert!(!TokenFacts::of(&a).describes(&b));
        // Nothing of the token itself is in the facts but its non-secret claims.
        let text = toml::to_string(&TokenFacts::of(&a)).unwrap();
        let signature = SAMPLE_REQUEST.rsplit('.').next().unwrap();
        assert!(!text.contains(&signature[..12]), "{text}");
        assert!(!text.contains(&SAMPLE_REQUEST[..40]), "{text}");
    }

    #[test]
    fn a_secret_that_is_not_a_token_keeps_the_reason() {
        let facts = TokenFacts::of(&Token::from_raw("not-a-jwt"));
        assert!(facts.user.is_none());
        let err = facts.decoded().unwrap_err();
        assert!(err.contains("not a JWT"), "{err}");
    }
}
