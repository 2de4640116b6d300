//! Storing what a login returned: every usable token under `USER/REGION`, replacing the
//! entries of a previous login of the same user, region and server, leaving every other entry
//! alone.
//!
//! A token of another user than the one logged in, or of another region than the entry it
//! would replace holds, is refused (a broken or hostile server's token under the user's name
//! would send the user's work to someone else's account). An entry of the same name that holds
//! another server's token (another base URL: the same user name on two platforms) is kept, and
//! this login's token is named `HOST/USER/REGION` beside it. When the store fails, the tokens
//! not yet stored are handed back to the caller (to be rescued), never dropped.

use jiff::Timestamp;

use super::LoginReport;
use super::naming::{beside_other_server, entry_name, entry_name_by_id};
use crate::api::RegionToken;
use crate::store::{Account, EntryMeta, Store, StoreError, same_url};
use crate::token::Token;
use crate::token::identity::Identity;
use crate::tr;

/// A token a login stored.
#[derive(Debug, Clone)]
pub struct StoredRegion {
    pub name: String,
    /// The region's id as the login's list gave it (else the token's `clusterId` claim).
    pub cluster_id: Option<String>,
    pub platform: bool,
    pub token: crate::token::Token,
}

/// The reason of a region listed with a `null` token (see [`Skipped::reason`]).
pub const NOT_AVAILABLE: &str = "not available";

/// A region listed without a usable token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The region's name or id.
    pub region: String,
    /// "not available" for a `null` token, else why the token could not be used.
    pub reason: String,
}

/// The store failed part-way: the names stored, and the issued tokens that were not (with the
/// names they were meant for).
#[derive(Debug)]
pub struct NotStored {
    pub stored: Vec<String>,
    pub unsaved: Vec<(String, Token)>,
    pub source: StoreError,
}

/// One region's token, to be stored under `name`.
struct Planned {
    name: String,
    region: RegionToken,
    token: Token,
    previous: Option<EntryMeta>,
}

/// Stores the usable tokens of `regions` for `account`. Blocks (keyring calls). Stops at the
/// first store error: tokens already stored stay, the others come back in [`NotStored`].
pub fn store_regions(
    store: &Store,
    account: &Account,
    regions: Vec<RegionToken>,
    now: Timestamp,
) -> Result<LoginReport, NotStored> {
    let mut report = LoginReport {
        account: account.id(),
        ..LoginReport::default()
    };
    if let Err(source) = store.reload() {
        let unsaved = issued(account, &regions);
        return Err(NotStored {
            stored: Vec::new(),
            unsaved,
            source,
        });
    }
    let planned = plan(store, account, regions, &mut report);
    let base_url = account.base_url.trim().trim_end_matches('/');
    let mut planned = planned.into_iter();
    while let Some(Planned {
        name,
        region,
        token,
        previous,
    }) = planned.next()
    {
        let meta = EntryMeta {
            // A note the user wrote on the old entry is theirs: keep it.
            note: previous.as_ref().and_then(|p| p.note.clone()),
            account: Some(account.id()),
            platform: region.is_platform(),
            // The list says which region this is; the token's claim may say otherwise.
            cluster_id: region.cluster_id.clone(),
            cluster_name: region.cluster_name.clone(),
            ..EntryMeta::new(name.clone(), base_url, now)
        };
        if let Err(source) = store.add(meta, &token, true) {
            let mut unsaved = vec![(name, token)];
            unsaved.extend(planned.map(|p| (p.name, p.token)));
            return Err(NotStored {
                stored: report.stored.into_iter().map(|s| s.name).collect(),
                unsaved,
                source,
            });
        }
        if previous.is_some() {
            report.replaced.push(name.clone());
        } else {
            report.added.push(name.clone());
        }
        let claim_cluster = token.decode().ok().and_then(|d| d.claims.cluster_id);
        report.stored.push(StoredRegion {
            name,
            cluster_id: region.cluster_id.clone().or(claim_cluster),
            platform: region.is_platform(),
            token,
        });
    }
    Ok(report)
}

/// The tokens of `regions` that are `account`'s user's, under their usual names: what a login
/// issued, for a rescue when not even the plan could be made.
pub(crate) fn issued(account: &Account, regions: &[RegionToken]) -> Vec<(String, Token)> {
    let user = asked_user(account);
    regions
        .iter()
        .filter_map(|r| {
            let token = r.token.clone()?;
            user.admits(&token).ok()?;
            Some((entry_name(&account.user, r), token))
        })
        .collect()
}

/// Which region goes under which name, and which are skipped (and why), before anything is
/// written.
fn plan(
    store: &Store,
    account: &Account,
    regions: Vec<RegionToken>,
    report: &mut LoginReport,
) -> Vec<Planned> {
    let mut planned: Vec<Planned> = Vec::new();
    for region in regions {
        let skip = |reason: String| Skipped {
            region: describe(&region),
            reason,
        };
        let Some(token) = region.token.clone() else {
            let reason = region
                .problem
                .clone()
                .unwrap_or_else(|| NOT_AVAILABLE.to_owned());
            report.skipped.push(skip(reason));
            continue;
        };
        let used = |name: &str| planned.iter().any(|p| p.name == name);
        let mut name = entry_name(&account.user, &region);
        if used(&name) {
            match entry_name_by_id(&account.user, &region).filter(|n| !used(n)) {
                Some(other) => name = other,
                None => {
                    let reason = format!("another region of this login is already named {name}");
                    report.skipped.push(skip(reason));
                    continue;
                }
            }
        }
        let (name, previous) = match on_this_server(store, account, &name, report) {
            Ok(found) => found,
            Err(reason) => {
                report.skipped.push(skip(reason));
                continue;
            }
        };
        if used(&name) {
            let reason = format!("another region of this login is already named {name}");
            report.skipped.push(skip(reason));
            continue;
        }
        if let Err(mismatch) = expected(account, previous.as_ref()).admits(&token) {
            let mismatch = mismatch.describe();
            report
                .skipped
                .push(skip(tr!("login_skip.foreign", mismatch = mismatch)));
            continue;
        }
        planned.push(Planned {
            name,
            region,
            token,
            previous,
        });
    }
    planned
}

/// The name `name` takes at this login's server, and the entry it replaces: `name` itself,
/// unless another server's entry holds it; then `HOST/name` beside it. `Err`: why neither is
/// free.
fn on_this_server(
    store: &Store,
    account: &Account,
    name: &str,
    report: &mut LoginReport,
) -> Result<(String, Option<EntryMeta>), String> {
    let ours = |meta: &EntryMeta| same_url(&meta.base_url, &account.base_url);
    let beside = beside_other_server(&account.base_url, name);
    // Once named beside another server's entry, always (the other entry may be gone since).
    let earlier_beside = store.meta(&beside).ok().filter(|m| ours(m));
    if let Some(entry) = earlier_beside {
        return Ok((beside, Some(entry)));
    }
    let other = match store.meta(name) {
        Err(_) => return Ok((name.to_owned(), None)),
        Ok(entry) if ours(&entry) => return Ok((name.to_owned(), Some(entry))),
        Ok(other) => other,
    };
    if !report.others_kept.contains(&other.base_url) {
        report.others_kept.push(other.base_url.clone());
    }
    match store.meta(&beside) {
        Err(_) => Ok((beside, None)),
        Ok(taken) => Err(tr!(
            "login_skip.names_taken",
            name = name,
            beside = beside,
            base_url = taken.base_url
        )),
    }
}

/// Whose token a region's must be: the user who logged in, and the region of the entry it
/// replaces (its token's `clusterId` claim). The list's own `clusterId` is not compared: on
/// the platform it is the region's id, which differs from the claim (related-endpoints.md);
/// once entries record the region's id, compare that here instead.
fn expected(account: &Account, previous: Option<&EntryMeta>) -> Identity {
    Identity {
        cluster_id: previous
            .and_then(|p| p.facts.as_ref())
            .and_then(|f| f.cluster_id.clone()),
        ..asked_user(account)
    }
}

fn asked_user(account: &Account) -> Identity {
    Identity {
        user: Some(account.user.clone()),
        cluster_id: None,
    }
}

/// "华东一区【昆山】 (11250)", or just whichever of the two is known.
fn describe(region: &RegionToken) -> String {
    match (&region.cluster_name, &region.cluster_id) {
        (Some(name), Some(id)) if name != id => format!("{name} ({id})"),
        _ => region.label().to_owned(),
    }
}
