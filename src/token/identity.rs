//! Whose token it is: the `user` and `clusterId` claims. A renewal or a login reply that hands
//! back a token of another user or another region than the one asked for is refused (a broken
//! or hostile server could otherwise slip its own token under the user's name, and the user's
//! jobs would run in someone else's account).

use super::Token;

/// The user and the region a token is for, as far as they are known. `None` means "not known",
/// so that nothing is compared; a known expectation must be met by the same claim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub user: Option<String>,
    pub cluster_id: Option<String>,
}

/// How a token differs from the identity it was expected to have. Both sides are claim
/// values as the server sent them (not yet made safe for a terminal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    User {
        expected: String,
        got: Option<String>,
    },
    Region {
        expected: String,
        got: Option<String>,
    },
}

impl Mismatch {
    /// "a token of user "mallory", not of "alice"", in the interface language. The claim values
    /// are quoted with their control characters escaped (they come from the server).
    pub fn describe(&self) -> String {
        let quote = |s: &Option<String>| match s {
            Some(s) => format!("{s:?}"),
            None => crate::tr!("identity.none"),
        };
        match self {
            Mismatch::User { expected, got } => crate::tr!(
                "identity.other_user",
                got = quote(got),
                expected = quote(&Some(expected.clone()))
            ),
            Mismatch::Region { expected, got } => crate::tr!(
                "identity.other_region",
                got = quote(got),
                expected = quote(&Some(expected.clone()))
            ),
        }
    }
}

impl Identity {
    /// The identity `token`'s claims state (nothing, for a token that does not decode).
    pub fn of(token: &Token) -> Identity {
        let claims = token.decode().ok().map(|d| d.claims);
        Identity {
            user: claims.as_ref().and_then(|c| c.user.clone()),
            cluster_id: claims.and_then(|c| c.cluster_id),
        }
    }

    /// Whether `token` is for this identity: each known part must be stated, and equal, by
    /// the token's claims. User names are compared without ASCII case (the platform's login
    /// takes `Alice` for `alice`); region ids exactly.
    pub fn admits(&self, token: &Token) -> Result<(), Mismatch> {
        let got = Identity::of(token);
        let trimmed = |s: &Option<String>| s.as_deref().map(str::trim).map(str::to_owned);
        if let Some(expected) = trimmed(&self.user) {
            let same = trimmed(&got.user).is_some_and(|u| u.eq_ignore_ascii_case(&expected));
            if !same {
                return Err(Mismatch::User {
                    expected,
                    got: got.user,
                });
            }
        }
        if let Some(expected) = trimmed(&self.cluster_id)
            && trimmed(&got.cluster_id).as_deref() != Some(expected.as_str())
        {
            return Err(Mismatch::Region {
                expected,
                got: got.cluster_id,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{MintSpec, mint};
    use jiff::Timestamp;

    fn token(user: &str, cluster: &str) -> Token {
        mint(&MintSpec::new(user, cluster, Timestamp::UNIX_EPOCH))
    }

    #[test]
    fn each_known_part_must_be_stated_and_equal() {
        let alice = token("alice", "11250");
        let expected = Identity::of(&alice);
        assert_eq!(expected.admits(&token("alice", "11250")), Ok(()));
        assert_eq!(expected.admits(&token("Alice", "11250")), Ok(()));
        assert_eq!(
            expected.admits(&token("mallory", "11250")),
            Err(Mismatch::User {
                expected: "alice".into(),
                got: Some("mallory".into())
            })
        );
        assert_eq!(
            expected.admits(&token("alice", "11276")),
            Err(Mismatch::Region {
                expected: "11250".into(),
                got: Some("11276".into())
            })
        );
        // A token that states nothing is not alice's.
        let garbage = Token::from_raw("garbage");
        assert!(matches!(
            expected.admits(&garbage),
            Err(Mismatch::User { got: None, .. })
        ));
        // Nothing expected: nothing compared.
        assert_eq!(Identity::default().admits(&garbage), Ok(()));
        let only_user = Identity {
            user: Some("华东用户".into()),
            cluster_id: None,
        };
        assert_eq!(only_user.admits(&token("华东用户", "1")), Ok(()));
        assert!(only_user.admits(&token("华西用户", "1")).is_err());
    }
}
