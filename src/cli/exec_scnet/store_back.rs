//! What scnet-cli renewed inside the temporary home comes back into the store: a token is
//! taken only if it decodes, is for the same user and region as the one handed out, and
//! expires later than what the store holds now (a `watch` may have renewed it meanwhile:
//! never an older token over a newer one). Written under the token's renewal lock, and
//! compare-and-swap against the token just read (see [`Store::put_secret`]).

use std::time::Duration;

use jiff::Timestamp;

use crate::store::{Saved, Store, TokenLock};
use crate::token::Token;

/// How long to wait for a renewal another process is doing on the same token.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// What became of a token scnet-cli left in its cache.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Stored; it expires then.
    Stored(Timestamp),
    /// Not stored, and why (in the interface language).
    Refused(String),
}

/// Stores `left` (scnet-cli's token for the entry `name`, handed out as `handed`) if it is a
/// later token of the same user and region than the one stored now.
pub(crate) fn store_back(
    store: &Store,
    name: &str,
    handed: &Token,
    left: &Token,
    now: Timestamp,
) -> Outcome {
    match try_store_back(store, name, handed, left, now) {
        Ok(outcome) => outcome,
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

fn try_store_back(
    store: &Store,
    name: &str,
    handed: &Token,
    left: &Token,
    now: Timestamp,
) -> anyhow::Result<Outcome> {
    let refused = |why: String| Ok(Outcome::Refused(why));
    let (Ok(was), Ok(new)) = (handed.decode(), left.decode()) else {
        return refused(crate::tr!("exec_scnet.undecodable"));
    };
    let (a, b) = (&was.claims, &new.claims);
    if a.user != b.user || a.cluster_id != b.cluster_id {
        return refused(crate::tr!("exec_scnet.other_subject"));
    }
    let Some(expires) = b.expire_time else {
        return refused(crate::tr!("exec_scnet.undecodable"));
    };
    let _renewing = TokenLock::acquire(store.paths(), name, LOCK_WAIT)?;
    let (_, current) = store.get(name)?;
    let current_expiry = current.decode().ok().and_then(|d| d.claims.expire_time);
    if current_expiry.is_some_and(|stored| stored >= expires) {
        return refused(crate::tr!("exec_scnet.not_newer"));
    }
    match store.put_secret(name, left, &current)? {
        Ok(()) => {
            store.record(&[Saved::new(name, &current, left, now)])?;
            Ok(Outcome::Stored(expires))
        }
        Err(_superseded) => refused(crate::tr!("exec_scnet.superseded")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Paths;
    use crate::mock::{MintSpec, mint};
    use crate::store::{EntryMeta, MemoryBackend};
    use std::sync::Arc;

    const KUNSHAN: &str = "alice/华东一区【昆山】";

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn minted(user: &str, cluster: &str, expires: &str) -> Token {
        mint(&MintSpec::new(user, cluster, at(expires)))
    }

    fn store_with(token: &Token) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Paths::under(dir.path()), Arc::new(MemoryBackend::new())).unwrap();
        let meta = EntryMeta::new(
            KUNSHAN,
            "https://www.example.cn",
            at("2030-01-01T00:00:00Z"),
        );
        store.add(meta, token, false).unwrap();
        (dir, store)
    }

    #[test]
    fn a_later_token_of_the_same_user_and_region_is_stored() {
        let handed = minted("alice", "11250", "2030-01-01T02:00:00Z");
        let (_dir, store) = store_with(&handed);
        let renewed = minted("alice", "11250", "2030-01-01T05:00:00Z");
        let outcome = store_back(
            &store,
            KUNSHAN,
            &handed,
            &renewed,
            at("2030-01-01T01:00:00Z"),
        );
        assert_eq!(outcome, Outcome::Stored(at("2030-01-01T05:00:00Z")));
        assert_eq!(store.get(KUNSHAN).unwrap().1.expose(), renewed.expose());
    }

    #[test]
    fn an_older_another_user_s_or_another_region_s_token_is_refused() {
        let handed = minted("alice", "11250", "2030-01-01T02:00:00Z");
        let (_dir, store) = store_with(&handed);
        // A watch renewed it meanwhile, further than scnet-cli did.
        let by_watch = minted("alice", "11250", "2030-01-01T08:00:00Z");
        store
            .replace_token(KUNSHAN, &by_watch, at("2030-01-01T01:00:00Z"))
            .unwrap();
        let now = at("2030-01-01T01:00:00Z");
        for left in [
            minted("alice", "11250", "2030-01-01T05:00:00Z"),
            minted("bob", "11250", "2030-01-01T09:00:00Z"),
            minted("alice", "11276", "2030-01-01T09:00:00Z"),
            Token::from_raw("not.a.jwt"),
        ] {
            let outcome = store_back(&store, KUNSHAN, &handed, &left, now);
            assert!(matches!(outcome, Outcome::Refused(_)), "{outcome:?}");
            assert_eq!(store.get(KUNSHAN).unwrap().1.expose(), by_watch.expose());
        }
    }
}
