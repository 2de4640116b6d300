//! Minting and checking mock region tokens: HS256 JWTs with the platform's claim names.

use jiff::Timestamp;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::token::Token;

/// The HS256 key the mock signs with. Public on purpose: it protects nothing real.
pub const MOCK_SECRET: &[u8] = b"actoken-mock-ac-server-not-a-real-secret";

/// A different key, for tokens the mock must refuse.
#[cfg(feature = "testing")]
const FOREIGN_SECRET: &[u8] = b"someone-else-signed-this-token";

/// What a minted token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintSpec {
    pub user: String,
    pub compute_user: String,
    pub cluster_id: String,
    pub account_status: String,
    pub expire_at: Timestamp,
}

impl MintSpec {
    /// A plausible user of cluster `cluster_id` whose token expires at `expire_at`.
    pub fn new(user: &str, cluster_id: &str, expire_at: Timestamp) -> MintSpec {
        MintSpec {
            user: user.to_owned(),
            compute_user: user.to_owned(),
            cluster_id: cluster_id.to_owned(),
            account_status: "Trial".to_owned(),
            expire_at,
        }
    }
}

/// A token signed with [`MOCK_SECRET`], claims named and typed as the platform does.
pub fn mint(spec: &MintSpec) -> Token {
    sign(&claims(spec), MOCK_SECRET)
}

/// A token of the same shape signed with another key: the mock rejects it with 10004.
#[cfg(feature = "testing")]
pub fn mint_foreign(spec: &MintSpec) -> Token {
    sign(&claims(spec), FOREIGN_SECRET)
}

/// Platform claims, in the order the platform's samples use. `invoker` and `userId` are
/// derived from the user so that the same spec always mints the same claims.
fn claims(spec: &MintSpec) -> Map<String, Value> {
    let digest = Sha256::digest(format!("actoken-mock:{}", spec.user).as_bytes());
    let invoker = hex::encode(&digest[..16]);
    let mut id_bytes = [0u8; 8];
    id_bytes.copy_from_slice(&digest[16..24]);
    let user_id = 10_000_000_000 + u64::from_be_bytes(id_bytes) % 90_000_000_000;
    let mut map = Map::new();
    let mut put = |k: &str, v: String| {
        map.insert(k.to_owned(), Value::String(v));
    };
    put("computeUser", spec.compute_user.clone());
    put("accountStatus", spec.account_status.clone());
    put("creator", "ac".to_owned());
    put("role", "1".to_owned());
    put("expireTime", expire_ms(spec.expire_at));
    put("clusterId", spec.cluster_id.clone());
    put("invoker", invoker);
    put("user", spec.user.clone());
    put("userId", user_id.to_string());
    map
}

/// `expireTime` as the platform writes it: epoch milliseconds as a string.
pub(crate) fn expire_ms(at: Timestamp) -> String {
    at.as_millisecond().to_string()
}

/// Signs arbitrary claims with the mock's key (used to re-issue a token with new expiry).
pub(crate) fn sign_mock(claims: &Map<String, Value>) -> Token {
    sign(claims, MOCK_SECRET)
}

fn sign(claims: &Map<String, Value>, key: &[u8]) -> Token {
    let raw = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key),
    )
    // HS256 over a JSON map has no failure mode short of a broken crypto provider.
    .expect("HS256 signing of a JSON object cannot fail");
    Token::from_raw(&raw)
}

/// Why the mock refuses a presented token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not a JWT, or not signed with [`MOCK_SECRET`].
    BadSignature,
    /// Signed correctly but with no readable `expireTime`.
    NoExpiry,
}

/// Checks the signature with [`MOCK_SECRET`] and returns the claims and expiry.
pub(crate) fn verify(raw: &str) -> Result<(Map<String, Value>, Timestamp), Refusal> {
    let mut validation = Validation::new(Algorithm::HS256);
    // The platform's tokens have no `exp`; expiry is `expireTime`, checked by the caller.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<Map<String, Value>>(
        raw,
        &DecodingKey::from_secret(MOCK_SECRET),
        &validation,
    )
    .map_err(|_| Refusal::BadSignature)?;
    let claims = data.claims;
    let ms = match claims.get("expireTime") {
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    let at = ms
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .ok_or(Refusal::NoExpiry)?;
    Ok((claims, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> MintSpec {
        MintSpec::new(
            "alice",
            "11112",
            "2030-01-02T03:04:05.678Z".parse().unwrap(),
        )
    }

    #[test]
    fn minted_token_decodes_with_platform_claims() {
        let (token, decoded) = Token::parse(mint(&spec()).expose()).unwrap();
        assert_eq!(decoded.alg, "HS256");
        let c = &decoded.claims;
        assert_eq!(c.user.as_deref(), Some("alice"));
        assert_eq!(c.compute_user.as_deref(), Some("alice"));
        assert_eq!(c.cluster_id.as_deref(), Some("11112"));
        assert_eq!(c.account_status.as_deref(), Some("Trial"));
        assert_eq!(c.creator.as_deref(), Some("ac"));
        assert_eq!(c.role.as_deref(), Some("1"));
        assert_eq!(c.invoker.as_ref().map(String::len), Some(32));
        assert_eq!(c.user_id.as_ref().map(String::len), Some(11));
        assert_eq!(c.all["expireTime"], Value::String("1893553445678".into()));
        assert_eq!(c.expire_time, Some(spec().expire_at));
        assert!(verify(token.expose()).is_ok());
    }

    #[test]
    fn foreign_and_garbage_tokens_fail_verification() {
        let foreign = mint_foreign(&spec());
        assert!(
            Token::parse(foreign.expose()).is_ok(),
            "decodes without verifying"
        );
        assert_eq!(verify(foreign.expose()).unwrap_err(), Refusal::BadSignature);
        assert_eq!(verify("a.b.c").unwrap_err(), Refusal::BadSignature);
        assert_eq!(verify("").unwrap_err(), Refusal::BadSignature);
    }

    #[test]
    fn verify_requires_expiry() {
        let mut claims = Map::new();
        claims.insert("user".into(), Value::String("a".into()));
        let t = sign_mock(&claims);
        assert_eq!(verify(t.expose()).unwrap_err(), Refusal::NoExpiry);
    }
}
