//! `exec --from-env`: the token comes from actoken's own environment (`AC_TOKEN`, with
//! `AC_BASE_URL`, else `--base-url`), as `actoken exec NAME -- sbatch job.sh` hands it to a
//! job on a node that has no store. Nothing here opens a store or a keyring, or writes
//! anything under HOME: a compute node has no Secret Service, no view of the login node's
//! kernel keyring, and maybe a read-only HOME.

use jiff::Timestamp;

use crate::cli::context::Context;
use crate::cli::exit::{NeedsNewToken, UsageError};
use crate::token::{Lifetime, Phase, Token};
use crate::token_env::{ServiceAddrs, Subject, Vars, primary_vars};
use crate::tr;

/// What the environment handed over.
pub(super) struct Handed {
    pub token: Token,
    pub life: Lifetime,
    pub base_url: String,
    /// `AC_TOKEN_NAME` when the environment has it.
    pub name: Option<String>,
    /// `AC_CLUSTER_ID`/`AC_CLUSTER_NAME` as the login node set them (the login list's region,
    /// which differs from the token's `clusterId` claim): kept, not replaced by the claim.
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
}

impl Handed {
    /// How messages name the token.
    pub(super) fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| "AC_TOKEN".to_owned())
    }
}

/// Reads and checks the token before anything runs: missing or not a token is a usage error
/// (exit 2), a dead one needs a new token (exit 3).
pub(super) fn read(
    ctx: &Context,
    given_base_url: Option<String>,
    now: Timestamp,
) -> anyhow::Result<Handed> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let raw = zeroize::Zeroizing::new(
        var("AC_TOKEN").ok_or_else(|| UsageError(tr!("from_env.no_token")))?,
    );
    let (token, decoded) = Token::parse(&raw).map_err(|e| {
        let error = e.to_string();
        UsageError(tr!("from_env.not_a_token", error = error))
    })?;
    let name = var("AC_TOKEN_NAME");
    let grace = ctx.config.renew_grace;
    let life = decoded
        .lifetime(grace)
        .expect("Token::parse requires an expireTime");
    if life.phase(now) == Phase::Dead {
        let expired = crate::timefmt::relative(life.to_expiry(now));
        let label = name.clone().unwrap_or_else(|| "AC_TOKEN".to_owned());
        return Err(
            NeedsNewToken(tr!("keep_fresh.env_dead", name = label, expired = expired)).into(),
        );
    }
    let from_env = var("AC_BASE_URL");
    if let (Some(env), Some(flag)) = (&from_env, &given_base_url)
        && !crate::store::same_url(env, flag)
    {
        let (env, flag) = (env.clone(), flag.clone());
        errln!(
            ctx.io,
            "{}",
            tr!("from_env.base_url_differs", env = env, flag = flag)
        );
    }
    let base_url = match from_env.or(given_base_url) {
        Some(url) => ctx.base_url(Some(url))?,
        // The config's base-url, if it has one.
        None => ctx
            .base_url(None)
            .map_err(|_| UsageError(tr!("from_env.no_base_url")))?,
    };
    Ok(Handed {
        token,
        life,
        base_url,
        cluster_id: var("AC_CLUSTER_ID"),
        cluster_name: var("AC_CLUSTER_NAME"),
        name,
    })
}

/// The variables for CMD: the token's own (the token, its claims, expiry and cutoff, the base
/// URL). The rest of the environment (the region's addresses `exec NAME` set on the login
/// node, `AC_TOKEN_NAME`) reaches CMD as it is.
pub(super) fn vars(handed: &Handed, token: &Token, grace: jiff::SignedDuration) -> Vars {
    let label = handed.label();
    let all = primary_vars(&Subject {
        name: &label,
        token,
        base_url: &handed.base_url,
        cluster_id: handed.cluster_id.as_deref(),
        cluster_name: handed.cluster_name.as_deref(),
        addrs: &ServiceAddrs::default(),
        grace,
    });
    all.without("AC_TOKEN_NAME")
}
