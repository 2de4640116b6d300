//! A token fit for use right now, for `token --min-valid`, `env` and `exec`: renewed first when
//! it expires within the asked window, a dead one brought back through the remembered secret
//! key (else exit 3 naming the `actoken login` command), and, for `env`/`exec`, its region's
//! service addresses from `center` (cached briefly, see [`crate::token_env::center_cache`]).
//!
//! The common case, a token that needs no renewal, is the hot path of every job script: it
//! reads the index and one secret and nothing else: no lock, no index write, no HTTP client
//! (loading the TLS roots alone takes tens of milliseconds), no async runtime. Those are set
//! up only when a token must be renewed, or the region's addresses are not cached.

use super::context::{Context, runtime};
use super::durations::parse_duration;
use super::exit::{NeedsNewToken, UsageError};
use super::finish::despite_signals;
use super::streams::Io;
use super::via_agent::Handed;
use crate::api::AcClient;
use crate::failure::FailureKind;
use crate::renew::{RenewError, Renewed, Renewer, When};
use crate::store::{EntryMeta, Store};
use crate::timefmt;
use crate::token_env::{
    Also, CenterCache, ServiceAddrs, Subject, Vars, also_vars, center_cache, primary_vars,
};
use crate::tr;
use clap::Args;
use jiff::{SignedDuration, Timestamp};
use std::cell::OnceCell;
use std::time::Duration;
use tokio::runtime::Runtime;

pub(crate) const ENV_HELP: &str = "\
Variables (each set only when known):
  AC_TOKEN, SCNET_TOKEN, SCNET_OPENAPI_TOKEN   the token
  AC_CLUSTER_ID, SCNET_CLUSTER_ID,             the region's id: the login list's clusterId
    SCNET_OPENAPI_REGION_ID                    (a token added by hand: its clusterId claim)
  AC_CLUSTER_NAME                              the region's name
  AC_USER                                      its user claim
  AC_TOKEN_EXPIRES_AT, AC_TOKEN_RENEW_CUTOFF   its expiry and renew cutoff (RFC 3339, UTC)
  AC_TOKEN_NAME, AC_BASE_URL                   the stored entry's name and base URL
From the region's `center` (cached for 10 minutes; none for the platform token USER/ac, which
has no region):
  AC_HPC_URL, AC_EFILE_URL, AC_AI_URL          the first enabled address of each kind, as
    SCNET_HPC_URL, SCNET_EFILE_URL,            center lists it (a service's root; it may end
    SCNET_AI_URL                               in /hpc, /efile, /ai)
  AC_HPC_OPENAPI_URL, AC_EFILE_OPENAPI_URL,    the API bases: that address without a trailing
    AC_AI_OPENAPI_URL                          /hpc, then /hpc/openapi/v2 (likewise /efile, /ai)
  AC_CLUSTER_USER                              the cluster user the job API wants
  AC_HOME_PATH, SCNET_HOME_PATH                its home directory
SCNET_API_KEY is never set: other tools read it as the model service's API key.

The token is renewed first when it expires within --min-valid (default: the config's
renew-ahead window, 2h); a dead one comes back through the account's remembered secret key, or
the command exits 3 naming the `actoken login` to run.

Several tokens: --also NAME adds the AC_* variables of another token with a suffix made from its
name (upper-cased, other characters than A-Z and 0-9 turned into '_'): --also hpc-west sets
AC_TOKEN_HPC_WEST, AC_USER_HPC_WEST, AC_HPC_URL_HPC_WEST, ... Choose the suffix with
--also NAME=SUFFIX (needed for names without ASCII letters, e.g. --also '西北一区=XIAN').

Examples:
  eval \"$(actoken env hpc-east)\"
  actoken env hpc-east --format fish | source
  actoken env hpc-east --format powershell | Invoke-Expression
  actoken exec hpc-east --min-valid 1h -- python submit.py
  actoken exec hpc-east --also hpc-west -- ./sync.sh";

/// What `env` and `exec` share.
#[derive(Debug, Args)]
pub struct FreshArgs {
    /// Renew first if a token expires within this time (default: the renew-ahead window)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_valid: Option<SignedDuration>,
    /// Another token's variables too, suffixed: AC_TOKEN_<SUFFIX>... (NAME or NAME=SUFFIX)
    #[arg(long, value_name = "NAME[=SUFFIX]")]
    pub also: Vec<String>,
}

/// `center` is asked at most this long: `exec` must not hang on a slow region (the variables
/// for its addresses are then left out, and the command still runs).
const CENTER_WAIT: Duration = Duration::from_secs(3);

/// Renews `names` that expire within `window` (all at once) and returns them in the same
/// order; the first failure, in that order, is the error. Says on stderr what was done.
pub(crate) fn fresh_tokens(
    io: &Io,
    rt: &Runtime,
    renewer: &Renewer,
    names: &[String],
    window: SignedDuration,
    now: Timestamp,
) -> anyhow::Result<Vec<Renewed>> {
    let what = super::finish::renewing(names);
    let renewals = renewer.renew_many(names.to_vec(), When::ExpiringWithin(window), now);
    let mut results = rt.block_on(despite_signals(io, &what, renewals));
    let mut out = Vec::new();
    for name in names {
        let at = results
            .iter()
            .position(|(n, _)| n == name)
            .expect("one result per name");
        let renewed = results
            .swap_remove(at)
            .1
            .map_err(|e| told(io, renewer, e, now))?;
        report(io, &renewed, now, window);
        out.push(renewed);
    }
    Ok(out)
}

/// A failure only a new token fixes, as the token's advice (the words `renew` and `show`
/// use, in the interface language; exit code 3); others as they are.
fn told(io: &Io, renewer: &Renewer, mut error: RenewError, now: Timestamp) -> anyhow::Error {
    super::last_resort::keep_renewal(io, &mut error);
    let advised = super::renew::advised_failure(renewer.store(), &error, now, renewer.grace());
    let Some(text) = advised else {
        return error.into();
    };
    match crate::failure::kind_of(&error) {
        Some(FailureKind::NeedsNewToken) => NeedsNewToken(text).into(),
        // Undecodable: exit 1, as before.
        _ => anyhow::anyhow!(text),
    }
}

/// One line on stderr for a renewal or a login, and a warning when the token still does not
/// last as long as asked (the server issues shorter tokens).
pub(crate) fn report(io: &Io, renewed: &Renewed, now: Timestamp, min_valid: SignedDuration) {
    let name = &renewed.name;
    let expires = timefmt::relative(renewed.new_expiry.duration_since(now));
    if renewed.via_login {
        errln!(
            io,
            "{}",
            tr!("fresh.via_login", name = name, expires = expires)
        );
    } else if renewed.called_server {
        errln!(
            io,
            "{}",
            tr!("fresh.renewed", name = name, expires = expires)
        );
    }
    let left = now.duration_until(renewed.new_expiry);
    if left < min_valid {
        let (left, asked) = (timefmt::compact(left), timefmt::compact(min_valid));
        errln!(
            io,
            "{}",
            tr!("fresh.shorter", name = name, left = left, asked = asked)
        );
    }
}

/// `names` fresh for `window`, in the same order, and the store they were read from: read
/// and handed out as they are when none needs renewing (the hot path), else through the
/// renewer (which says on stderr what it did).
pub(crate) fn fresh_for(
    ctx: &Context,
    names: &[String],
    window: SignedDuration,
    now: Timestamp,
) -> anyhow::Result<(Store, Vec<Renewed>)> {
    if ctx.opens_the_secret_service() {
        crate::store::prepare_single_read();
    }
    let store = ctx.store()?;
    if let Some(fresh) = already_fresh(&store, names, window, ctx.config.renew_grace, now) {
        return Ok((store, fresh));
    }
    let renewer = ctx.renewer_on(store.clone())?;
    let tokens = fresh_tokens(&ctx.io, &runtime(), &renewer, names, window, now)?;
    Ok((store, tokens))
}

/// Each of `names` read once, when every one still lives longer than `window` (the test the
/// renewer makes under its lock). `None` as soon as one does not, or cannot be read: the
/// renewal path then does the work and says what is wrong.
fn already_fresh(
    store: &Store,
    names: &[String],
    window: SignedDuration,
    grace: SignedDuration,
    now: Timestamp,
) -> Option<Vec<Renewed>> {
    names
        .iter()
        .map(|name| {
            let (_, token) = store.get(name).ok()?;
            let life = token.decode().ok()?.lifetime(grace)?;
            (life.to_expiry(now) > window).then(|| Renewed {
                name: name.clone(),
                old_expiry: Some(life.expires_at),
                new_expiry: life.expires_at,
                token,
                called_server: false,
                via_login: false,
            })
        })
        .collect()
}

/// The variables for `name` and the `--also` tokens, every token fresh for `min_valid`
/// (default: the config's renew-ahead window).
pub(crate) fn token_vars(
    ctx: &Context,
    name: &str,
    also: &[String],
    min_valid: Option<SignedDuration>,
) -> anyhow::Result<Vars> {
    let also = parse_also(name, also)?;
    let now = ctx.clock.now();
    let mut names = vec![name.to_owned()];
    names.extend(also.iter().map(|a| a.name.clone()));
    let tokens = match &ctx.agent {
        Some(path) => from_agent(ctx, path, &names, min_valid, now)?,
        None => {
            let window = min_valid.unwrap_or(ctx.config.renew_ahead);
            let (store, tokens) = fresh_for(ctx, &names, window, now)?;
            tokens
                .into_iter()
                .map(|renewed| {
                    Ok(Handed {
                        meta: store.meta(&renewed.name)?,
                        renewed,
                        grace: ctx.config.renew_grace,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?
        }
    };

    let network = Network::new(ctx);
    let cache = CenterCache::new(&ctx.paths);
    let mut vars = Vars::default();
    for (
        i,
        Handed {
            meta,
            renewed,
            grace,
        },
    ) in tokens.iter().enumerate()
    {
        let addrs = service_addrs(&ctx.io, &network, &cache, meta, renewed, now);
        let subject = Subject {
            name: &renewed.name,
            token: &renewed.token,
            base_url: &meta.base_url,
            cluster_id: meta.cluster_id.as_deref(),
            cluster_name: meta.cluster_name.as_deref(),
            addrs: &addrs,
            grace: *grace,
        };
        vars.extend(match i {
            0 => primary_vars(&subject),
            _ => also_vars(&subject, &also[i - 1].suffix),
        });
    }
    Ok(vars)
}

/// `names` from the agent at `path`, one request each (`min_valid` `None`: the agent's own
/// renew-ahead window).
fn from_agent(
    ctx: &Context,
    path: &std::path::Path,
    names: &[String],
    min_valid: Option<SignedDuration>,
    now: Timestamp,
) -> anyhow::Result<Vec<Handed>> {
    let mut agent = super::via_agent::connect(path)?;
    names
        .iter()
        .map(|name| {
            let handed = super::via_agent::fresh_token(&mut agent, name, min_valid, now)?;
            report(&ctx.io, &handed.renewed, now, min_valid.unwrap_or_default());
            Ok(handed)
        })
        .collect()
}

/// The HTTP client and a runtime to drive it, set up on first use: with the addresses
/// cached, `env` and `exec` need neither.
pub(crate) struct Network<'a> {
    ctx: &'a Context,
    made: OnceCell<(AcClient, Runtime)>,
}

impl<'a> Network<'a> {
    pub(crate) fn new(ctx: &'a Context) -> Network<'a> {
        Network {
            ctx,
            made: OnceCell::new(),
        }
    }

    fn get(&self) -> anyhow::Result<&(AcClient, Runtime)> {
        if let Some(made) = self.made.get() {
            return Ok(made);
        }
        let client = self.ctx.client()?;
        Ok(self.made.get_or_init(|| (client, runtime())))
    }
}

/// Checks `--also` arguments: no token twice, no two with the same suffix.
fn parse_also(name: &str, also: &[String]) -> anyhow::Result<Vec<Also>> {
    let parsed: Vec<Also> = also
        .iter()
        .map(|a| Also::parse(a).map_err(UsageError))
        .collect::<Result<_, _>>()?;
    for (i, a) in parsed.iter().enumerate() {
        if a.name == name || parsed[..i].iter().any(|b| b.name == a.name) {
            return Err(UsageError(crate::tr!("usage.also_twice", name = a.name)).into());
        }
        if let Some(b) = parsed[..i].iter().find(|b| b.suffix == a.suffix) {
            return Err(UsageError(crate::tr!(
                "usage.also_same_suffix",
                first = b.name,
                second = a.name,
                suffix = a.suffix
            ))
            .into());
        }
    }
    Ok(parsed)
}

/// The region's addresses: from the cache, else from `center` (then cached). When neither
/// answers, none (the address variables are left out) and a note on stderr. The platform
/// token has no region (`center` refuses it): none, without asking or a note.
pub(crate) fn service_addrs(
    io: &Io,
    network: &Network<'_>,
    cache: &CenterCache,
    meta: &EntryMeta,
    renewed: &Renewed,
    now: Timestamp,
) -> ServiceAddrs {
    if meta.platform {
        return ServiceAddrs::default();
    }
    let claims = renewed.token.decode().ok().map(|d| d.claims);
    let key = center_cache::key(
        &meta.base_url,
        meta.cluster_id_or(claims.as_ref().and_then(|c| c.cluster_id.as_deref())),
        claims.as_ref().and_then(|c| c.user.as_deref()),
    );
    match cache.get(&key, now) {
        Ok(Some(addrs)) => return addrs,
        Ok(None) => {}
        Err(distrust) => errln!(io, "{}", tr!("fresh.cache_untrusted", why = distrust)),
    }
    let name = &renewed.name;
    let (client, rt) = match network.get() {
        Ok(made) => made,
        Err(e) => {
            let error = format!("{e:#}");
            errln!(
                io,
                "{}",
                tr!("fresh.addrs_unknown", name = name, error = error)
            );
            return ServiceAddrs::default();
        }
    };
    let asked = rt.block_on(async {
        tokio::time::timeout(CENTER_WAIT, client.center(&meta.base_url, &renewed.token)).await
    });
    match asked {
        Ok(Ok(info)) => {
            note_refused(io, &renewed.name, &info);
            let addrs = ServiceAddrs::from_center(&info);
            cache.put(&key, &addrs, now);
            addrs
        }
        Ok(Err(e)) => {
            let error = e.to_string();
            errln!(
                io,
                "{}",
                tr!("fresh.addrs_unknown", name = name, error = error)
            );
            ServiceAddrs::default()
        }
        Err(_) => {
            let secs = CENTER_WAIT.as_secs();
            errln!(io, "{}", tr!("fresh.addrs_late", name = name, secs = secs));
            ServiceAddrs::default()
        }
    }
}

/// A note on stderr for each address `center` sent that was left out (issue 22: one that
/// would have run commands from a .env file); the address is shown escaped.
pub(crate) fn note_refused(io: &Io, name: &str, info: &crate::api::CenterInfo) {
    for refused in &info.refused {
        let (list, value) = (refused.list, refused.shown());
        errln!(
            io,
            "{}",
            tr!(
                "fresh.address_refused",
                name = name,
                list = list,
                value = value
            )
        );
    }
}
